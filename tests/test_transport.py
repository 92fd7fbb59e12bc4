"""The aiohttp transport under the API client, over real loopback HTTP.

A scripted HTTP/1.1 server answers each request as the test says: a gzip body, a body cut
short, a status line that does not parse, a stall, a proxy's view of a request. Each failure
must arrive as httpx's exception (the client's error mapping rests on it), and then as the
client's typed error. The emulator checks the rest: payloads equal through either transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sportsframe.api.client import SportsDataIOClient
from sportsframe.api.transport import AiohttpTransport, env_proxies
from sportsframe.emulator import EmulatorServer
from sportsframe.errors import UpstreamError, UpstreamTimeoutError
from sportsframe.registry import ENDPOINTS
from sportsframe.settings import Settings

KEY = "0123456789abcdef-secret-test-key"
BODY = orjson.dumps([{"StadiumID": 1, "Name": "Lambeau Field"}])

#: Writes the answer to one request (its request line and headers given), or closes early.
Answer = Callable[[bytes, dict[str, str], asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    """A loopback HTTP/1.1 server answering every request with ``answer``; it counts the
    connections it accepted and keeps the requests it read."""

    def __init__(self, answer: Answer, *, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.tls = tls
        self.connections = 0
        self.requests: list[tuple[bytes, dict[str, str]]] = []
        self.closed_by_client = 0
        self.client_closed = asyncio.Event()  # set at each connection the client closes
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for raw in lines:
                    if raw:
                        name, _, value = raw.partition(":")
                        headers[name.strip().lower()] = value.strip()
                self.requests.append((line.encode(), headers))
                await self.answer(line.encode(), headers, writer)
                if writer.is_closing():
                    return
        except asyncio.IncompleteReadError:
            self.closed_by_client += 1
            self.client_closed.set()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def ok(body: bytes, *, extra: bytes = b"") -> Answer:
    """A 200 with ``body`` (and the ``extra`` header lines), the connection kept alive."""

    async def answer(_line: bytes, _headers: dict[str, str], w: asyncio.StreamWriter) -> None:
        w.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + extra
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await w.drain()

    return answer


@contextlib.asynccontextmanager
async def served(answer: Answer) -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer(answer) as server:
        yield server


async def get(url: str, **kwargs: Any) -> httpx.Response:
    transport = AiohttpTransport()
    async with httpx.AsyncClient(transport=transport, **kwargs) as http:
        return await http.get(url, headers={"Ocp-Apim-Subscription-Key": KEY})


def client(base_url: str, *, transport: str = "aiohttp", **settings: Any) -> SportsDataIOClient:
    """A client of ``base_url`` sending over ``transport``: "aiohttp" (the default) or "httpx"
    (its own); no retries unless ``settings`` say so."""
    values: dict[str, Any] = {"rate_limit": 1000.0, "retries": 0, **settings}
    return SportsDataIOClient(
        Settings(**values),
        base_url=base_url,
        api_key=KEY,
        transport=httpx.AsyncHTTPTransport() if transport == "httpx" else None,
    )


async def test_a_body_sent_gzipped_is_handed_over_decoded_once() -> None:
    async with served(ok(gzip.compress(BODY), extra=b"Content-Encoding: gzip\r\n")) as server:
        response = await get(f"{server.url}/v3/nfl/scores/json/Stadiums")
    assert response.status_code == 200
    assert orjson.loads(response.content) == orjson.loads(BODY)
    assert "content-encoding" not in response.headers
    # Only what aiohttp decodes is asked for (br or zstd would come back undecoded).
    assert server.requests[0][1]["accept-encoding"] == "gzip, deflate"


async def test_the_request_goes_out_as_httpx_built_it() -> None:
    async with served(ok(BODY)) as server:
        url = server.url
        await get(f"{url}/v3/nfl/scores/json/Stadiums?format=json")
    line, headers = server.requests[0]
    assert line == b"GET /v3/nfl/scores/json/Stadiums?format=json HTTP/1.1"
    assert headers["ocp-apim-subscription-key"] == KEY
    assert headers["host"] == url.removeprefix("http://")


async def test_a_refused_connection_is_a_connect_error_and_the_client_says_unreachable() -> None:
    async with served(ok(BODY)) as server:
        url = server.url
    # The server is gone: nothing listens on its port any more.
    with pytest.raises(httpx.ConnectError):
        await get(f"{url}/x")
    async with client(url) as api:
        with pytest.raises(UpstreamError, match="could not reach the service"):
            await api.fetch(ENDPOINTS["stadiums"].bind())


async def test_a_body_cut_short_is_a_protocol_error_then_an_upstream_error() -> None:
    async def cut(_line: bytes, _headers: dict[str, str], w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + BODY)
        await w.drain()
        w.close()

    async with served(cut) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(f"{server.url}/x")
        async with client(server.url) as api:
            with pytest.raises(UpstreamError) as caught:
                await api.fetch(ENDPOINTS["stadiums"].bind())
    assert KEY not in str(caught.value)


async def test_a_status_line_that_does_not_parse_is_a_protocol_error() -> None:
    async def garbage(_line: bytes, _headers: dict[str, str], w: asyncio.StreamWriter) -> None:
        w.write(b"NOT HTTP AT ALL\r\n\r\n")
        await w.drain()
        w.close()

    async with served(garbage) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(f"{server.url}/x")


async def test_a_stalled_answer_is_a_read_timeout_then_a_typed_timeout() -> None:
    async def stall(_line: bytes, _headers: dict[str, str], _w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with served(stall) as server:
        with pytest.raises(httpx.ReadTimeout):
            await get(f"{server.url}/x", timeout=httpx.Timeout(0.2))
        async with client(server.url, http_timeout=0.2) as api:
            with pytest.raises(UpstreamTimeoutError):
                await api.fetch(ENDPOINTS["stadiums"].bind())


async def test_requests_reuse_kept_alive_connections_and_aclose_closes_them() -> None:
    async with served(ok(BODY)) as server:
        api = client(server.url)
        for _ in range(5):
            await api.fetch(ENDPOINTS["stadiums"].bind())
        assert server.connections == 1
        await asyncio.gather(*(api.fetch(ENDPOINTS["stadiums"].bind()) for _ in range(16)))
        assert 1 <= server.connections <= 16
        assert isinstance(api._client()._transport, AiohttpTransport)  # the default
        opened = server.connections
        await api.aclose()
        async with asyncio.timeout(5):
            while True:
                server.client_closed.clear()
                if server.closed_by_client >= opened:
                    break
                await server.client_closed.wait()
    assert len(server.requests) == 21


async def test_the_emulator_answers_the_same_through_either_transport(
    emulator: EmulatorServer,
) -> None:
    through: dict[str, list[Any]] = {}
    async with client(emulator.base_url) as api:
        games = await api.fetch(ENDPOINTS["scores"].bind(2024, 18))
    calls = [
        ENDPOINTS["stadiums"].bind(),
        ENDPOINTS["scores"].bind(2024, 18),
        ENDPOINTS["player_props_game"].bind(2024, 18, games[0]["ScoreID"], False),
    ]
    for transport in ("aiohttp", "httpx"):
        async with client(emulator.base_url, transport=transport) as api:
            through[transport] = [await api.fetch(call) for call in calls]
    assert through["aiohttp"] == through["httpx"]
    assert all(through["aiohttp"])


async def test_with_a_proxy_in_the_environment_the_request_goes_to_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with served(ok(BODY)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        assert env_proxies()
        async with client("http://api.invalid") as api:
            assert await api.fetch(ENDPOINTS["stadiums"].bind()) == orjson.loads(BODY)
    # The proxy was asked for the absolute URL, as a proxy is.
    assert proxy.requests[0][0].startswith(b"GET http://api.invalid/v3/nfl/")


async def test_https_verifies_against_the_certificates_httpx_would_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trustme

    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    async with ScriptedServer(ok(BODY), tls=tls) as server:
        # Not a certificate the default stores trust: refused, as a connection error.
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        with pytest.raises(httpx.ConnectError):
            await get(f"{server.url}/x")
        # Named as httpx takes it, the CA is trusted, and the answer comes over TLS.
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        response = await get(f"{server.url}/x")
    assert orjson.loads(response.content) == orjson.loads(BODY)


def _chain(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and every exception it holds as its cause or context."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_no_exception_behind_an_error_holds_the_key(transport: str) -> None:
    # aiohttp's exception for a malformed answer keeps the request's headers and prints them
    # in its repr; anything that shows an error's chain (a debugger, Sentry, --showlocals)
    # must find the key nowhere in it.
    async def bad_status(_line: bytes, _headers: dict[str, str], w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
        await w.drain()
        w.close()

    async with served(bad_status) as server:
        api = client(server.url, transport=transport)
        async with api:
            with pytest.raises(UpstreamError) as caught:
                await api.fetch(ENDPOINTS["stadiums"].bind())
    for exc in _chain(caught.value):
        assert KEY not in repr(exc)
        assert KEY not in repr(vars(exc))
        assert KEY not in str(exc)
    assert caught.value.__context__ is None
    if transport == "aiohttp":  # and the transport's own error carries nothing of aiohttp's
        with pytest.raises(httpx.RemoteProtocolError) as raw:
            async with served(bad_status) as again:
                await get(f"{again.url}/x")
        assert raw.value.__cause__ is None
        assert raw.value.__context__ is None


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_a_body_its_encoding_does_not_decode_is_an_upstream_error(transport: str) -> None:
    # httpx's own transport raised its DecodingError past the client's error mapping.
    bad = ok(b"not gzip at all", extra=b"Content-Encoding: gzip\r\n")
    async with served(bad) as server:
        api = client(server.url, transport=transport)
        async with api:
            with pytest.raises(UpstreamError):
                await api.fetch(ENDPOINTS["stadiums"].bind())


async def test_a_header_line_longer_than_aiohttps_default_is_accepted() -> None:
    # aiohttp refuses a header line over 8 KB by default, where httpx takes it; a gateway's
    # long header would fail the answer and be retried at a quota unit each.
    long = b"X-Trace: " + b"a" * 9000 + b"\r\n"
    async with served(ok(BODY, extra=long)) as server:
        response = await get(f"{server.url}/x")
    assert response.status_code == 200
    assert len(response.headers["x-trace"]) == 9000
