"""Shared fixtures: the real services, unique namespaces, and a manual clock.

Tests that need the real Redis or PostgreSQL use the ``redis_url`` / ``postgres_url`` fixtures.
Without the server they skip with the reason — unless SPORTSFRAME_REQUIRE_SERVICES=1 (CI), where
they fail, so a green CI run really exercised the servers.

Every test runs in a Redis namespace of its own (``SPORTSFRAME_NAMESPACE`` is set to it, so a
session built from the environment uses it too). Its keys are removed when the test ends, passed or
failed, and at the end of the run a check fails the run if any namespace it handed out still holds
a key: the suite leaves nothing in a developer's Redis.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer, start_emulator
from tests.cache.servers import OwnCluster

REDIS_URL = os.environ.get("SPORTSFRAME_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "SPORTSFRAME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("SPORTSFRAME_REQUIRE_SERVICES", "") not in ("", "0", "false")

# Variables a developer may have set that would leak into tests: tests pass settings explicitly.
_ISOLATE = [
    "SPORTSDATAIO_API_KEY",
    "SPORTSDATAIO_BASE_URL",
    "SPORTSFRAME_SOURCE",
    "SPORTSFRAME_OFFLINE",
    "SPORTSFRAME_HOME",
    "SPORTSFRAME_BACKEND",
    "SPORTSFRAME_NAMESPACE",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _need(service: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{service} is not reachable at {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and SPORTSFRAME_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, namespace: str
) -> None:
    for name in _ISOLATE:
        monkeypatch.delenv(name, raising=False)
    # Never write into the developer's real cache directory, nor under Redis's default prefix.
    monkeypatch.setenv("SPORTSFRAME_HOME", str(tmp_path_factory.mktemp("sfhome")))
    monkeypatch.setenv("SPORTSFRAME_NAMESPACE", namespace)


@pytest.fixture
def redis_url() -> str:
    """The real Redis server's URL (skips, or fails under REQUIRE_SERVICES, when it is down)."""
    _need("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def postgres_url() -> str:
    """The real PostgreSQL server's SQLAlchemy URL (skips / fails like ``redis_url``)."""
    _need("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


#: Every namespace handed out in this run (checked empty at the end).
_NAMESPACES: list[str] = []


def _redis_keys(pattern: str) -> list[bytes]:
    """Keys of the shared test Redis matching ``pattern`` ([] when it is not reachable)."""
    import redis

    parts = urlsplit(REDIS_URL)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
        return []
    with redis.Redis.from_url(REDIS_URL, socket_timeout=5) as client:
        return list(client.scan_iter(match=pattern, count=1000))


def _drop_namespace(namespace: str) -> None:
    import redis

    keys = _redis_keys(f"{namespace}*")
    if keys:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=5) as client:
            for start in range(0, len(keys), 500):
                client.unlink(*keys[start : start + 500])


@pytest.fixture
def namespace() -> Iterator[str]:
    """A namespace of this test's own, so tests sharing one Redis never see each other's keys;
    what the test left under it is removed at teardown, whatever the outcome."""
    name = f"sftest:{uuid.uuid4().hex[:12]}"
    _NAMESPACES.append(name)
    yield name
    _drop_namespace(name)


@pytest.fixture(scope="session", autouse=True)
def _redis_left_clean() -> Iterator[None]:
    """Fails the run (an error at the last teardown) if any test namespace still holds keys."""
    yield
    left = {ns: len(keys) for ns in _NAMESPACES if (keys := _redis_keys(f"{ns}*"))}
    for ns in left:
        _drop_namespace(ns)  # leave the server clean for the next run all the same
    assert not left, f"test namespaces still holding keys at the end of the run: {left}"


#: A moment after the 2024 season: every 2024 week is final and has data.
AFTER_2024 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A local emulator on a free loopback port, no latency, its clock at :data:`AFTER_2024`
    (a test module may define its own ``emulator`` fixture for another moment)."""
    server = start_emulator(now=AFTER_2024)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def table_name() -> str:
    """A unique suffix for SQL tables / schemas created by one test."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at a moment inside the 2024 regular season (week 13)."""
    return ManualClock(datetime(2024, 12, 1, 17, 0, tzinfo=UTC))


@pytest.fixture
def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return port


@pytest.fixture
async def schema(postgres_url: str, table_name: str) -> AsyncIterator[str]:
    """A PostgreSQL schema of this test's own (dropped afterwards)."""
    engine = create_async_engine(postgres_url)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{table_name}"'))
    yield table_name
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{table_name}" CASCADE'))
    await engine.dispose()


@pytest.fixture
def pg_database(postgres_url: str, table_name: str) -> Iterator[str]:
    """The URL of a PostgreSQL database of this test's own (dropped afterwards, whatever the
    outcome, with any connection a child process left open)."""
    import psycopg

    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{table_name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{table_name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{table_name}" WITH (FORCE)')


def _cluster_ports(count: int) -> list[int]:
    """``count`` free loopback ports whose cluster bus ports (+10000) are free too."""
    import random
    import socket

    ports: list[int] = []
    while len(ports) < count:
        port = random.randint(20000, 30000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        if port not in ports:
            ports.append(port)
    return ports


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnCluster]:
    """A three-node Redis Cluster on loopback, started once for the test session."""
    cluster = OwnCluster(_cluster_ports(3), tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
