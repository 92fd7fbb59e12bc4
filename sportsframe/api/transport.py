"""An httpx transport that sends its requests through aiohttp.

The API client speaks httpx (its tests inject ``httpx.MockTransport``), but httpx's own async
transport is slow at what a miss does most: a week's 16 requests at once, each with a body of
about 100 KB. Measured against the emulator in a process of its own, the 16 requests with their
JSON parse take a median 55 ms through ``httpx.AsyncClient`` and 19 ms through this transport
(``benchmarks/miss.py`` shows it in the miss as a whole). httpx builds the request and reads the
response as before; aiohttp's C-accelerated HTTP/1.1 parser does the wire work in between.

What it keeps of httpx's contract:

* the request's timeouts (``connect``, ``read``, ``pool``) become aiohttp's;
* aiohttp's failures become httpx's exceptions, so callers catch only httpx's (raised without
  aiohttp's exception as their cause: that one keeps the request's headers, the key among them):
  a refused or failed connection :class:`httpx.ConnectError`, a connect or pool timeout
  :class:`httpx.ConnectTimeout`, a read timeout :class:`httpx.ReadTimeout`, a connection broken
  mid-answer :class:`httpx.ReadError`, a malformed answer :class:`httpx.RemoteProtocolError`;
* the body is handed over decoded: aiohttp decompresses gzip and deflate, so the response
  goes to httpx without ``Content-Encoding`` (httpx would decode it twice otherwise), and only
  those two encodings are asked for.

Proxies are not its business: aiohttp would read the environment's proxy settings again for
every request, so the API client uses httpx's own transport when the environment names a proxy
(:func:`env_proxies`). The aiohttp session is made on the running loop at the first request,
and again if the transport is used from another loop later (the first session is then left to
its loop: close the client on each loop it served). A client never closed on sportsframe's own
loop is closed at interpreter exit (:func:`~sportsframe.loop.close_at_exit`); on a loop of the
caller's, aiohttp warns "Unclosed client session" at exit, as it does for any session.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import aiohttp
import httpx
from yarl import URL

from sportsframe.loop import close_at_exit

__all__ = ["AiohttpTransport", "env_proxies"]

#: Request headers aiohttp sets itself from the URL and the body.
_SET_BY_AIOHTTP = frozenset({"host", "content-length", "transfer-encoding"})
#: Response headers that describe the body on the wire, not the decoded body handed over.
_WIRE_ONLY = frozenset({"content-encoding", "content-length", "transfer-encoding"})
#: Longest status or header line accepted (bytes): the size httpx (h11) allows a response's
#: whole head.
_MAX_HEADER = 16 * 1024
#: What aiohttp decodes without optional packages.
_ACCEPT_ENCODING = "gzip, deflate"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx requests over one pooled aiohttp session (HTTP/1.1, keep-alive).

    Args:
        limits: the pool's size (``max_connections``) and how long an idle connection is kept
            (``keepalive_expiry``), as for httpx's own transport.
    """

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry or 15.0,
                # The certificates httpx would verify against (certifi's, or SSL_CERT_FILE /
                # SSL_CERT_DIR): the system's store may be empty (a python.org macOS build).
                ssl=httpx.create_ssl_context(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # httpx's request carries every header the caller meant to send.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                # Status handling, redirects and cookies are the caller's (httpx's) business.
                cookie_jar=aiohttp.DummyCookieJar(),
                raise_for_status=False,
                # httpx's limit, not aiohttp's tighter one (8 KB a line): a longer header from
                # a proxy or gateway must not make an answer fail, retried at a quota unit each.
                max_line_size=_MAX_HEADER,
                max_field_size=_MAX_HEADER,
            )
            self._loop = loop
            close_at_exit(self)  # a client never closed must not warn at exit
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return its whole response, its body read and decoded."""
        session = self._open()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SET_BY_AIOHTTP}
        headers["Accept-Encoding"] = _ACCEPT_ENCODING
        failure: httpx.TransportError | None = None
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=request.content or None,
                timeout=_timeout(request),
                allow_redirects=False,
            ) as answer:
                body = await answer.read()
                status = answer.status
                raw = answer.raw_headers
        except aiohttp.ClientError as exc:
            failure = _as_httpx(exc, request)
        except TimeoutError as exc:  # a timeout aiohttp did not wrap
            failure = httpx.ReadTimeout(str(exc) or "timed out", request=request)
        if failure is not None:
            # Raised outside the handler, with no cause or context: aiohttp's exception keeps
            # the request's headers (the API key among them) and prints them in its repr.
            raise failure
        return httpx.Response(
            status,
            headers=[(k, v) for k, v in raw if k.decode("latin-1").lower() not in _WIRE_ONLY],
            content=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Close the session and its connections. A session made on another loop than the
        running one is left alone: its connections belong to that loop."""
        session, loop = self._session, self._loop
        if session is None or loop is not asyncio.get_running_loop():
            return
        self._session = self._loop = None
        if not session.closed:
            await session.close()


def env_proxies() -> bool:
    """True when the environment names a proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
    any case), which only httpx's own transport honours here."""
    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies())


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """The request's httpx timeouts as aiohttp's (no total: httpx has none either)."""
    given: dict[str, Any] = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(
        total=None,
        # aiohttp's ``connect`` covers waiting for a pooled connection and making a new one.
        connect=_add(given.get("pool"), given.get("connect")),
        sock_connect=given.get("connect"),
        sock_read=given.get("read"),
    )


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _as_httpx(exc: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception that means what ``exc`` means (the most specific match first)."""
    text = str(exc) or type(exc).__name__
    error: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        error = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = httpx.ConnectError
    elif isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        # A status line or headers that do not parse, or a body that ends early.
        error = httpx.RemoteProtocolError
    elif isinstance(exc, aiohttp.ClientConnectionError):
        error = httpx.ReadError  # the connection broke after it was made
    else:
        error = httpx.TransportError
    return error(text, request=request)
