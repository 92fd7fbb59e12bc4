"""The one exception tree of sportsframe.

Every error the package raises on purpose is a :class:`SportsFrameError`::

    SportsFrameError
    ├── ConfigurationError            a setting is missing or malformed (names the variable)
    ├── CacheUnavailableError         a cache tier that only it can serve is unreachable (the
    │                                 efficiency report, cleanup); reads fall through instead
    ├── InvalidParameterError         a bad argument, raised before any I/O (also a ValueError)
    ├── OfflineCacheMissError         offline mode and no tier holds the entry
    ├── QuotaExhaustedError           the monthly request quota is spent; nothing was sent
    └── APIError                      the SportsDataIO service (or the emulator) refused or failed
        ├── AuthenticationError       401: missing or wrong API key
        ├── SubscriptionError         403: the key's plan does not cover this feed
        ├── NotFoundError             404: unknown route or id
        ├── RateLimitedError          429: throttled; ``retry_after`` seconds when the server said
        └── UpstreamError             5xx, timeout, broken connection or a body that is not JSON
            ├── UpstreamTimeoutError  the request timed out
            └── MalformedResponseError  the body is not JSON (or empty where a list is due)

Messages name the endpoint and its parameters, never the API key or a password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "CacheUnavailableError",
    "ConfigurationError",
    "InvalidParameterError",
    "MalformedResponseError",
    "NotFoundError",
    "OfflineCacheMissError",
    "QuotaExhaustedError",
    "RateLimitedError",
    "SportsFrameError",
    "SubscriptionError",
    "UpstreamError",
    "UpstreamTimeoutError",
]


def _describe(endpoint: str | None, params: Mapping[str, Any] | None) -> str:
    if endpoint is None:
        return ""
    args = ", ".join(f"{k}={v!r}" for k, v in (params or {}).items())
    return f"{endpoint}({args})"


class SportsFrameError(Exception):
    """Base class of every error sportsframe raises on purpose."""


class ConfigurationError(SportsFrameError):
    """A setting is missing or malformed; the message names the environment variable."""


class CacheUnavailableError(SportsFrameError):
    """A cache tier could not be reached or did not answer in time.

    A read never raises it (a tier that is down is a miss, and the next tier answers); an
    operation only that tier can do (the efficiency report, cleanup) does. The message names the
    tier and the reason, never a password.
    """


class InvalidParameterError(SportsFrameError, ValueError):
    """An argument is out of range or of the wrong type. Raised before any I/O.

    ``parameter`` is the argument's name, ``value`` the rejected value, ``reason`` what is
    allowed.
    """

    def __init__(self, parameter: str, value: Any, reason: str, *, endpoint: str | None = None):
        self.parameter = parameter
        self.value = value
        self.reason = reason
        self.endpoint = endpoint
        where = f" for {endpoint}" if endpoint else ""
        super().__init__(f"invalid {parameter}={value!r}{where}: {reason}")


class OfflineCacheMissError(SportsFrameError):
    """Offline mode is on and no cache tier holds the requested entry."""

    def __init__(self, endpoint: str, params: Mapping[str, Any]):
        self.endpoint = endpoint
        self.params = dict(params)
        super().__init__(
            f"offline mode: {_describe(endpoint, params)} is not in the cache; "
            "run once online (or unset SPORTSFRAME_OFFLINE) to fetch it"
        )


class QuotaExhaustedError(SportsFrameError):
    """The monthly request quota is spent; the request was not sent."""

    def __init__(self, used: int, quota: int, *, endpoint: str | None = None, params: Any = None):
        self.used = used
        self.quota = quota
        self.endpoint = endpoint
        where = f" before {_describe(endpoint, params)}" if endpoint else ""
        super().__init__(
            f"monthly API quota exhausted ({used} of {quota} requests used){where}; "
            "raise SPORTSFRAME_MONTHLY_QUOTA if your plan allows more"
        )


class APIError(SportsFrameError):
    """The API answered with an error or could not be reached.

    ``status`` is the HTTP status (``None`` for transport failures); ``endpoint`` and ``params``
    say which call failed.
    """

    default_reason = "SportsDataIO request failed"

    def __init__(
        self,
        reason: str | None = None,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        params: Mapping[str, Any] | None = None,
    ):
        self.status = status
        self.endpoint = endpoint
        self.params = dict(params or {})
        text = reason or self.default_reason
        where = _describe(endpoint, params)
        prefix = f"{where}: " if where else ""
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{prefix}{text}{code}")


class AuthenticationError(APIError):
    """401: the API key is missing or not valid."""

    default_reason = "the API key was rejected; check SPORTSDATAIO_API_KEY"


class SubscriptionError(APIError):
    """403: the key is valid but its subscription does not cover this feed."""

    default_reason = "this API key's subscription does not include this feed"


class NotFoundError(APIError):
    """404: the route or the id does not exist."""

    default_reason = "not found"


class RateLimitedError(APIError):
    """429: the service throttled the request; ``retry_after`` is in seconds, if given."""

    default_reason = "rate limited by the service"

    def __init__(self, reason: str | None = None, *, retry_after: float | None = None, **kw: Any):
        self.retry_after = retry_after
        super().__init__(reason, **kw)


class UpstreamError(APIError):
    """5xx, a broken connection, or an unusable response."""

    default_reason = "the service failed"


class UpstreamTimeoutError(UpstreamError):
    """The request timed out (SPORTSFRAME_HTTP_TIMEOUT)."""

    default_reason = "the request timed out"


class MalformedResponseError(UpstreamError):
    """The response body was not valid JSON (truncated, an HTML error page), or empty from an
    endpoint that answers a list. Nothing of it is cached."""

    default_reason = "the response body is not valid JSON"
