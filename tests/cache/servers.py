"""Servers the cache tests start and stop themselves (never the shared ones)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["OwnRedis"]


class OwnRedis:
    """A redis-server of the test's own on a free port: kill, freeze (SIGSTOP), resume; with
    ``password``, it requires it (``requirepass``)."""

    def __init__(self, port: int, directory: Path, *, password: str | None = None) -> None:
        self.port = port
        self.directory = directory
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                *(["--requirepass", self.password] if self.password else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    auth = f"AUTH {self.password}\r\n".encode() if self.password else b""
                    sock.sendall(auth + b"PING\r\n")
                    answer = b""
                    # One reply line per command sent (AUTH's may come in its own packet).
                    while answer.count(b"\r\n") < (2 if auth else 1):
                        chunk = sock.recv(64)
                        if not chunk:
                            break
                        answer += chunk
                    if b"+PONG" in answer:
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)
