"""Servers the cache tests start and stop themselves (never the shared ones)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

__all__ = ["PATIENT", "FreezingProxy", "OwnCluster", "OwnRedis"]

#: Connect and read timeouts (seconds) of a Redis tier whose test is about behaviour on the real
#: servers, not about timeouts. A shared, loaded machine can stall a process past the production
#: budget (0.2 s connect, 0.5 s read), which would turn a correct answer into a degraded one and
#: the test red by luck. The timeouts themselves have tests of their own, on frozen servers.
PATIENT: dict[str, Any] = {"connect_timeout": 5.0, "socket_timeout": 5.0}


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


class OwnCluster:
    """A three-node Redis Cluster of the test session's own on free loopback ports (no
    replicas): every slot served, ``cluster_state:ok`` on each node before it is handed out."""

    def __init__(self, ports: list[int], directory: Path) -> None:
        self.ports = ports
        self.directory = directory
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """A seed node's URL (the client discovers the others)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        node = self.directory / str(port)
        node.mkdir(parents=True, exist_ok=True)
        options = {
            "port": str(port),
            "bind": "127.0.0.1",
            "cluster-enabled": "yes",
            "cluster-config-file": str(node / "nodes.conf"),
            "cluster-node-timeout": "2000",
            "save": "",
            "appendonly": "no",
            "dir": str(node),
        }
        args = [part for name, value in options.items() for part in (f"--{name}", value)]
        return subprocess.Popen(
            ["redis-server", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _info(self, port: int) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(port), "cluster", "info"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout

    def start(self) -> None:
        self.procs = [self._spawn(port) for port in self.ports]
        for port in self.ports:
            _wait_for_pong(port)
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        create = ["redis-cli", "--cluster", "create", *nodes, "--cluster-replicas", "0"]
        subprocess.run([*create, "--cluster-yes"], check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all("cluster_state:ok" in self._info(port) for port in self.ports):
                return
            time.sleep(0.1)
        raise RuntimeError("the cluster did not come up")

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
        self.procs = []

    def reset_stats(self) -> None:
        """Zero every node's command statistics (``CONFIG RESETSTAT``), so that a test counts
        the commands its own client sends from here on."""
        import redis

        for port in self.ports:
            with redis.Redis(port=port, socket_timeout=5) as node:
                node.config_resetstat()

    def calls(self, command: str) -> int:
        """How many times the nodes together ran ``command`` since :meth:`reset_stats` (its
        ``INFO commandstats`` calls, summed)."""
        import redis

        total = 0
        for port in self.ports:
            with redis.Redis(port=port, socket_timeout=5) as node:
                stats = node.info("commandstats")
            total += int(stats.get(f"cmdstat_{command.lower()}", {}).get("calls", 0))
        return total

    def load_script(self, script: str) -> None:
        """``SCRIPT LOAD`` on every node, so that an EVALSHA anywhere runs at its first call."""
        import redis

        for port in self.ports:
            with redis.Redis(port=port, socket_timeout=5) as node:
                node.script_load(script)


def _wait_for_pong(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


class FreezingProxy:
    """A loopback TCP proxy to PostgreSQL, on the running event loop, that can stop passing
    bytes (a server that hangs) or cut every connection and refuse new ones (a server that is
    down)."""

    def __init__(self) -> None:
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # stop() ends it, rather than leave it pending at the loop's end
            self._tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 5432)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                await self.flowing.wait()
                dst.write(data)
                await dst.drain()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            up_writer.close()
            self._writers -= {writer, up_writer}
            if task is not None:
                self._tasks.discard(task)

    async def cut(self) -> None:
        """The server goes down: new connections are refused and open ones are closed."""
        assert self.server is not None
        self.server.close()
        for writer in list(self._writers):
            writer.close()
        self.flowing.set()  # a frozen pipe wakes up to find its connection gone

    async def stop(self) -> None:
        """Close the listener and every connection, and end every connection's task (a frozen
        pipe included) before the test's loop closes."""
        assert self.server is not None
        self.server.close()
        self.flowing.set()
        for writer in list(self._writers):
            writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.server.wait_closed()
