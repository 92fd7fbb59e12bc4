"""SportsDataIOClient: the async HTTP client of the SportsDataIO NFL API (or the emulator).

One pooled ``httpx.AsyncClient`` per client, created lazily on the running loop; its requests
go over aiohttp (:mod:`sportsframe.api.transport`: a week's requests at once take a third of
httpx's own async time) unless a transport is injected. The API key travels only in the
``Ocp-Apim-Subscription-Key`` header — never in a URL, a log line, an error or a repr. Every
attempt first takes a unit of the monthly quota and then a rate-limit slot (retries and 429s
count: the service counts them too). Failures become the typed errors
of :mod:`sportsframe.errors`; 429, 5xx, timeouts, broken connections and malformed bodies are
retried with exponential backoff and full jitter within ``settings.retries`` and a time budget,
honouring Retry-After.

What a 200 answer that is not the expected payload gives:

==============================  ==================================================================
truncated JSON                  :class:`~sportsframe.errors.MalformedResponseError` (retried)
an HTML page (an error page)    :class:`~sportsframe.errors.MalformedResponseError` (retried)
an empty body, list endpoint    :class:`~sportsframe.errors.MalformedResponseError` (retried)
an empty body, object endpoint  ``None`` (the service may answer an unknown id so)
``null``                        ``[]`` for a list endpoint, ``None`` otherwise
wrong field types               the payload as received; the frame builder turns a value it
                                cannot convert into a null of the declared dtype
extra fields                    the payload as received; frames keep only declared columns
missing fields                  the payload as received; the column is null in frames
==============================  ==================================================================

An error is raised before anything is cached: the cache writes only a payload this client
returned.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from sportsframe.api.quota import MemoryQuota, Quota
from sportsframe.api.ratelimit import RateLimiter, SlidingWindowLimiter
from sportsframe.api.transport import AiohttpTransport, env_proxies
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    SubscriptionError,
    UpstreamError,
    UpstreamTimeoutError,
)
from sportsframe.registry import ENDPOINTS, BoundCall, Endpoint
from sportsframe.settings import Settings

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "RETRY_BUDGET", "SportsDataIOClient"]

log = logging.getLogger("sportsframe.client")

#: First backoff (seconds); doubles per retry, with full jitter.
BACKOFF_BASE = 0.25
#: Longest single wait, Retry-After included (seconds).
BACKOFF_CAP = 30.0
#: Total seconds a call may spend retrying before its last error is raised.
RETRY_BUDGET = 60.0

#: The connection pool: a week's requests (16 games) at once, each kept alive for the next.
_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)


def _default_transport() -> httpx.AsyncBaseTransport | None:
    """aiohttp's, unless the environment names a proxy: then httpx's own (None), which honours
    it and ``NO_PROXY``."""
    return None if env_proxies() else AiohttpTransport(_LIMITS)


_STATUS_ERRORS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: SubscriptionError,
    404: NotFoundError,
}


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _reason(response: httpx.Response) -> str | None:
    """The service's own description, from either error body shape (never echoing the request)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if isinstance(body, dict):
        text = body.get("Description") or body.get("message")
        if isinstance(text, str):
            return text[:200]
    return None


class SportsDataIOClient:
    """Async client of the SportsDataIO NFL v3 API.

    Args:
        settings: base URL, key, timeout, retries, rate limit and quota settings.
        base_url: overrides ``settings.base_url`` (e.g. an emulator's URL).
        api_key: overrides ``settings.api_key``.
        limiter: the rate limiter (default: in-process, ``settings.rate_limit`` per second).
        quota: the monthly quota (default: in-process, ``settings.monthly_quota``).
        clock: the time source.
        transport: an httpx transport (tests inject ``httpx.MockTransport``).

    Example::

        async with SportsDataIOClient(Settings()) as client:
            props = await client.fetch_endpoint("player_props", 2024, 18)
    """

    def __init__(
        self,
        settings: Settings,
        *,
        base_url: str | None = None,
        api_key: str | SecretStr | None = None,
        limiter: RateLimiter | None = None,
        quota: Quota | None = None,
        clock: Clock = SYSTEM_CLOCK,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.base_url).rstrip("/")
        key = api_key if api_key is not None else settings.api_key
        self._key = SecretStr(key) if isinstance(key, str) else key
        self.clock = clock
        self.limiter = limiter or SlidingWindowLimiter(settings.rate_limit, clock=clock)
        self.quota = quota or MemoryQuota(settings.monthly_quota, clock=clock)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self.requests_sent = 0

    def __repr__(self) -> str:
        key = "set" if self._key is not None else "unset"
        return f"SportsDataIOClient(base_url={self.base_url!r}, api_key={key})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=httpx.Timeout(self.settings.http_timeout),
                transport=self._transport or _default_transport(),
                headers={"Accept": "application/json", "User-Agent": "sportsframe"},
                limits=_LIMITS,  # for httpx's own transport (with a proxy)
            )
        return self._http

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> SportsDataIOClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- calls ------------------------------------------------------------------------------------
    async def fetch_endpoint(self, name: str | Endpoint, *args: Any, **kwargs: Any) -> Any:
        """Validate arguments for an endpoint (by name or row) and fetch its payload."""
        ep = ENDPOINTS[name] if isinstance(name, str) else name
        return await self.fetch(ep.bind(*args, **kwargs))

    async def fetch(self, call: BoundCall) -> Any:
        """The payload of a bound call (assembled endpoints fetch their parts through this)."""
        ep = call.endpoint
        if ep.assembler is not None:
            return await ep.assembler(call, self.fetch)
        if self._key is None or not self._key.get_secret_value():
            raise ConfigurationError(
                "no SportsDataIO API key: set SPORTSDATAIO_API_KEY, or use the emulator "
                "(SPORTSFRAME_SOURCE=emulator or `sportsframe demo`)"
            )
        payload = await self._get(call)
        if payload is None and ep.shape == "list":
            payload = []  # the service may answer null for an empty list
        if ep.transform is not None:
            payload = ep.transform(payload, call.values)
        return payload

    async def _get(self, call: BoundCall) -> Any:
        name, params = call.endpoint.name, call.params
        path = call.path
        retries = self.settings.retries
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            await self.quota.reserve(name, params)
            # The slot after the reservation, not beside it: the limiter counts a request from
            # its grant, and slots granted while a slow database held their reservations would
            # let their requests leave together, past the limit.
            await self.limiter.acquire()
            try:
                return await self._attempt(call, path, attempt)
            except (RateLimitedError, UpstreamError) as exc:
                elapsed = time.monotonic() - started
                if attempt > retries or elapsed >= RETRY_BUDGET:
                    raise
                wait = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
                if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, BACKOFF_CAP))
                if elapsed + wait > RETRY_BUDGET:
                    raise
                log.debug("retrying %s in %.2fs after %s", path, wait, type(exc).__name__)
                await asyncio.sleep(wait)

    async def _attempt(self, call: BoundCall, path: str, attempt: int) -> Any:
        name, params = call.endpoint.name, call.params
        assert self._key is not None
        headers = {"Ocp-Apim-Subscription-Key": self._key.get_secret_value()}
        start = time.perf_counter()
        self.requests_sent += 1
        failure: UpstreamError | None = None
        try:
            response = await self._client().get(
                path, params=dict(call.endpoint.query) or None, headers=headers
            )
        except httpx.TimeoutException:
            log.debug("GET %s timed out (attempt %d)", path, attempt)
            failure = UpstreamTimeoutError(endpoint=name, params=params)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            # DecodingError: a body its Content-Encoding does not decode (httpx's transport).
            log.debug("GET %s failed: %s (attempt %d)", path, type(exc).__name__, attempt)
            failure = UpstreamError(
                f"could not reach the service ({type(exc).__name__})", endpoint=name, params=params
            )
        if failure is not None:
            # Raised here, outside the handler, so that the error has no context: the httpx
            # exception holds the request, and the request holds the key in its headers.
            raise failure
        elapsed = (time.perf_counter() - start) * 1000
        status = response.status_code
        log.debug("GET %s -> %d in %.1f ms (attempt %d)", path, status, elapsed, attempt)
        if status == 200:
            if not response.content.strip():
                if call.endpoint.shape == "list":
                    # A list answers ``[]`` (or ``null``) when empty: no body is a broken answer,
                    # and caching it would hide a week's data for the entry's whole TTL.
                    raise MalformedResponseError(
                        "the response body is empty", endpoint=name, params=params, status=status
                    )
                return None  # an object op may answer an unknown id with no body
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise MalformedResponseError(endpoint=name, params=params, status=status) from None
        reason = _reason(response)
        if status == 429:
            raise RateLimitedError(
                reason,
                retry_after=_retry_after(response.headers.get("Retry-After")),
                status=status,
                endpoint=name,
                params=params,
            )
        if status >= 500:
            raise UpstreamError(reason, status=status, endpoint=name, params=params)
        error = _STATUS_ERRORS.get(status, APIError)
        raise error(
            reason if error is APIError else None, status=status, endpoint=name, params=params
        )
