"""The SportsDataIO side: the HTTP client with its retries, the rate limiter and the monthly
quota."""
