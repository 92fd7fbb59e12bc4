"""Running the emulator: a uvicorn server on a loopback socket in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType

import uvicorn

from sportsframe.emulator.app import Emulator, Faults, RequestLog, RequestRecord, build_app

__all__ = ["EmulatorServer", "start_emulator"]


class EmulatorServer:
    """A running emulator. Use as a context manager or call :meth:`stop`."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str | None = None,
        latency: tuple[float, float] = (0.0, 0.0),
        deny_feeds: Iterable[str] = (),
    ) -> None:
        self.emulator = emulator
        self.faults = Faults()
        self.log = RequestLog()
        self._latency = [float(latency[0]), float(latency[1])]
        app = build_app(
            emulator,
            key=key,
            latency=self._latency,
            deny_feeds=set(deny_feeds),
            faults=self.faults,
            log=self.log,
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"sportsframe-emulator-{self.port}",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """The URL to use as SPORTSDATAIO_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(10)
        self._socket.close()

    def requests(self) -> list[RequestRecord]:
        """Every API request received so far (control endpoints excluded)."""
        return self.log.snapshot()

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        self.log.clear()

    def set_latency(self, lo: float, hi: float) -> None:
        """Answer after a uniform random delay in [lo, hi] seconds."""
        self._latency[:] = [float(lo), float(hi)]

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer({self.base_url})"


def start_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    key: str | None = None,
    latency: tuple[float, float] = (0.0, 0.0),
    now: datetime | None = None,
    deny_feeds: Iterable[str] = (),
    seed: int = 2024,
) -> EmulatorServer:
    """Start an emulator on a loopback port (0: a free one) and return it running."""
    server = EmulatorServer(
        Emulator(now=now, seed=seed),
        host=host,
        port=port,
        key=key,
        latency=latency,
        deny_feeds=deny_feeds,
    )
    return server.start()
