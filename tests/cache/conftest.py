"""Fixtures for the cache tier tests: a PostgreSQL schema of the test's own, and a factory that
builds each tier (memory, fakeredis, real Redis, SQLite, real PostgreSQL) and cleans up after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.entry import CacheEntry
from sportsframe.clock import ManualClock
from tests.cache.servers import PATIENT, OwnRedis

#: Every tier the contract suite runs against.
TIER_KINDS = ["memory", "fakeredis", "redis", "cluster", "sqlite", "postgres"]


def _psycopg_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def pg_schema(postgres_url: str, table_name: str) -> Iterator[str]:
    """A PostgreSQL schema of this test's own (dropped with everything in it afterwards)."""
    import psycopg

    with psycopg.connect(_psycopg_url(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{table_name}"')
    try:
        yield table_name
    finally:
        with psycopg.connect(_psycopg_url(postgres_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{table_name}" CASCADE')


@pytest.fixture
def make_entry(clock: ManualClock) -> Callable[..., CacheEntry]:
    """``make_entry(key, payload, ttl=300, data_type="player_props")``: a new entry written now."""

    def make(
        key: str, payload: Any, ttl: float = 300, data_type: str = "player_props", **kw: Any
    ) -> CacheEntry:
        now = clock.now()
        return CacheEntry.from_payload(
            key,
            payload,
            data_type=data_type,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            **kw,
        )

    return make


async def build_tier(
    kind: str, request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path, namespace: str
) -> tuple[Any, Callable[[], Any]]:
    """(tier, async cleanup) for ``kind``; service-backed kinds use the shared fixtures."""
    from sportsframe.cache.memory import MemoryTier
    from sportsframe.cache.redis.tier import RedisTier
    from sportsframe.cache.sql.tier import SqlTier

    if kind == "memory":
        tier: Any = MemoryTier(1000, clock)
        return tier, tier.close
    if kind == "fakeredis":
        import fakeredis

        client = fakeredis.FakeAsyncRedis()
        tier = RedisTier(client, namespace=namespace, clock=clock)

        async def close_fake() -> None:
            await tier.close()
            await client.aclose()

        return tier, close_fake
    if kind == "redis":
        # The contract is about behaviour, not timeouts: a loaded CI machine can take longer
        # than the production 0.2 s connect / 0.5 s read budget, which would turn a slow answer
        # into a failed ping (the timeouts have tests of their own, on a frozen server).
        tier = RedisTier(
            request.getfixturevalue("redis_url"),
            namespace=namespace,
            clock=clock,
            **PATIENT,
        )

        async def close_redis() -> None:
            await tier.invalidate("*")  # the shared server keeps nothing of ours
            await tier.close()

        return tier, close_redis
    if kind == "cluster":
        url = request.getfixturevalue("redis_cluster").url
        tier = RedisTier(
            url,
            namespace=namespace,
            clock=clock,
            cluster=True,
            **PATIENT,
        )

        async def close_cluster() -> None:
            await tier.invalidate("*")  # the session's cluster keeps nothing of ours
            await tier.close()

        return tier, close_cluster
    if kind == "sqlite":
        tier = SqlTier(f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock)
        return tier, tier.close
    if kind == "postgres":
        schema = request.getfixturevalue("pg_schema")
        tier = SqlTier(request.getfixturevalue("postgres_url"), clock=clock, schema=schema)
        return tier, tier.close
    raise ValueError(kind)


@pytest.fixture(params=TIER_KINDS)
async def tier(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path, namespace: str
) -> AsyncIterator[Any]:
    """Each tier in turn (the contract suite's parameter)."""
    built, close = await build_tier(request.param, request, clock, tmp_path, namespace)
    try:
        yield built
    finally:
        await close()


@pytest.fixture(params=["sqlite", "postgres"])
async def sql_tier(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path, namespace: str
) -> AsyncIterator[Any]:
    """The SQL tier on SQLite and on the real PostgreSQL (own schema)."""
    built, close = await build_tier(request.param, request, clock, tmp_path, namespace)
    try:
        yield built
    finally:
        await close()


@pytest.fixture
def own_redis(free_port: int, tmp_path: Path) -> Iterator[OwnRedis]:
    """A started redis-server of the test's own (killed afterwards, even if frozen)."""
    server = OwnRedis(free_port, tmp_path)
    server.start()
    yield server
    server.kill()
