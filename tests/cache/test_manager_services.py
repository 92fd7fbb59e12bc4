"""CacheManager over the real services: Redis (shared, and a redis-server of the test's own that
is killed or frozen), PostgreSQL (own schema, and a dead port).

Each test proves one acceptance item of the tiered cache: promotion with the remaining TTL,
namespaced invalidation, repair of undecodable values, write-behind hit counts with no SQL on a
hot hit, outages that cost at most one call per breaker period, and warm-tier maintenance.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from sportsframe.cache.blocking import BlockingRead
from sportsframe.cache.breaker import FAILURE_THRESHOLD, RESET_PERIOD
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.readplan import EventKind, ReadEvent
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock
from sportsframe.registry.ttl import TTL_POLICIES, CacheDataType
from sportsframe.settings import Settings
from tests.cache.servers import PATIENT, OwnRedis

PROPS = CacheDataType.PLAYER_PROPS
KEY = "player_props:2024:13:False"
PAYLOAD = [
    {"BettingMarketID": 1, "PlayerID": 10, "BettingOutcomes": [{"Value": 1.5}]},
    {"BettingMarketID": 2, "PlayerID": 11, "BettingOutcomes": []},
]


async def _load() -> Any:
    return PAYLOAD


def _settings(tmp_path: Path, namespace: str, **kw: Any) -> Settings:
    return Settings(home=tmp_path, namespace=namespace, redis_host="", **kw)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def _namespace_keys(client: Any, namespace: str) -> list[bytes]:
    return [k async for k in client.scan_iter(match=f"{namespace}:*")]


@pytest.fixture
async def manager(
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    postgres_url: str,
    schema: str,
    clock: ManualClock,
    redis_client: Any,
) -> AsyncIterator[CacheManager]:
    settings = _settings(tmp_path, namespace)
    hot = RedisTier(redis_url, namespace=namespace, clock=clock, **PATIENT)
    warm = SqlTier(postgres_url, clock=clock, schema=schema)
    mgr = CacheManager(settings, hot=hot, warm=warm, clock=clock)
    yield mgr
    await mgr.close()
    keys = await _namespace_keys(redis_client, namespace)
    if keys:
        await redis_client.delete(*keys)


async def test_promotion_after_redis_keys_deleted_keeps_the_remaining_ttl(
    manager: CacheManager, redis_client: Any, namespace: str, clock: ManualClock
) -> None:
    await manager.fetch(KEY, PROPS, _load)
    await manager.settle()
    clock.advance(120)
    await redis_client.delete(*await _namespace_keys(redis_client, namespace))  # "flushed"
    found = await manager.fetch(KEY, PROPS, _load)
    assert found.served_from == "warm"
    assert found.payload == PAYLOAD
    await manager.settle()  # the copy to Redis is written behind the answer
    assert manager.hot is not None
    remaining = await manager.hot.ttl(KEY)
    assert remaining is not None
    assert abs(remaining - (TTL_POLICIES[PROPS] - 120)) < 1  # not the full 300 s
    # Redis itself keeps the value for the remaining TTL plus the stale grace window
    (raw_key,) = await _namespace_keys(redis_client, namespace)
    pttl = await redis_client.pttl(raw_key)
    expected_ms = (TTL_POLICIES[PROPS] - 120 + manager.grace) * 1000
    assert abs(pttl - expected_ms) < 1000
    assert (await manager.fetch(KEY, PROPS, _load)).served_from == "hot"


async def test_invalidate_star_spares_other_applications(
    manager: CacheManager, redis_client: Any, namespace: str
) -> None:
    other = f"otherapp:{uuid.uuid4().hex}"
    sibling = f"{namespace}x:{uuid.uuid4().hex}"  # a namespace that merely starts alike
    await redis_client.set(other, b"theirs")
    await redis_client.set(sibling, b"theirs too")
    try:
        await manager.set(KEY, PAYLOAD, PROPS)
        await manager.set("players:SF", [], CacheDataType.PLAYERS)
        assert await manager.invalidate("*") == 2
        assert await manager.get(KEY) is None
        assert await redis_client.get(other) == b"theirs"
        assert await redis_client.get(sibling) == b"theirs too"
    finally:
        await redis_client.delete(other, sibling)


async def test_garbage_in_redis_is_a_miss_repaired_from_warm(
    manager: CacheManager, redis_client: Any, namespace: str
) -> None:
    await manager.set(KEY, PAYLOAD, PROPS)
    (raw_key,) = await _namespace_keys(redis_client, namespace)
    await redis_client.set(raw_key, b"\x00garbage, not an arrow stream")
    found = await manager.fetch(KEY, PROPS, _load)
    assert found.served_from == "warm"
    assert found.payload == PAYLOAD
    await manager.settle()
    repaired = await redis_client.get(raw_key)
    assert pa.ipc.open_stream(repaired).read_all().num_rows == len(PAYLOAD)
    assert (await manager.fetch(KEY, PROPS, _load)).served_from == "hot"


async def test_hits_written_behind_and_no_sql_on_a_hot_hit(
    manager: CacheManager, postgres_url: str, schema: str
) -> None:
    await manager.set(KEY, PAYLOAD, PROPS)
    assert isinstance(manager.warm, SqlTier)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sync_engine = manager.warm.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(10):
            found = await manager.fetch(KEY, PROPS, _load)
            assert found.served_from == "hot"
        assert statements == []  # ten hot hits, not one SQL statement
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    await manager.close()
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        f'SELECT hit_count, last_hit_at FROM "{schema}".cache_entries '
                        "WHERE key = :k"
                    ),
                    {"k": KEY},
                )
            ).one()
    finally:
        await engine.dispose()
    assert row.hit_count == 10
    assert row.last_hit_at is not None


async def test_cleanup_and_max_size_through_the_manager(
    tmp_path: Path,
    namespace: str,
    postgres_url: str,
    schema: str,
    clock: ManualClock,
) -> None:
    settings = _settings(tmp_path, namespace, cache_max_size=20, stale_grace=60)
    warm = SqlTier(postgres_url, clock=clock, schema=schema)
    mgr = CacheManager(settings, hot=MemoryTier(100, clock), warm=warm, clock=clock)
    try:
        for i in range(5):
            await mgr.set(f"player_props:2024:{i + 1}:False", PAYLOAD, PROPS)
        await mgr.set("teams:2024", [], CacheDataType.TEAMS)
        clock.advance(TTL_POLICIES[PROPS] + 61)
        assert await mgr.cleanup_expired() == 5
        assert await warm.keys("*") == ["teams:2024"]
        for i in range(30):
            await mgr.set(f"players:{i}", [], CacheDataType.PLAYERS)
            clock.advance(1)
        assert len(await warm.keys("*")) <= 20
        assert await mgr.enforce_max_size() == 0
    finally:
        await mgr.close()


# -- outages -------------------------------------------------------------------------------------
class Counting:
    """Pass-through proxy counting the calls that reached a tier."""

    def __init__(self, tier: Any) -> None:
        self._tier = tier
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._tier, name)
        # Every call that reaches the server: a period's probe may be a read or the copy of an
        # earlier warm hit, whichever comes first once the period is over.
        if name in {
            "get",
            "get_many",
            "set",
            "set_many",
            "copy",
            "delete",
            "invalidate",
            "keys",
            "ttl",
        }:

            async def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls += 1
                return await attr(*args, **kwargs)

            return counted
        return attr


@pytest.fixture
async def outage_manager(
    tmp_path: Path, namespace: str, own_redis: OwnRedis, clock: ManualClock
) -> AsyncIterator[tuple[CacheManager, Counting]]:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = Redis(
        host="127.0.0.1",
        port=own_redis.port,
        socket_timeout=0.2,
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    hot = Counting(RedisTier(client, namespace=namespace, clock=clock))
    settings = _settings(tmp_path, namespace)
    warm = SqlTier.from_settings(settings.model_copy(), clock)
    mgr = CacheManager(settings, hot=hot, warm=warm, clock=clock)  # type: ignore[arg-type]
    yield mgr, hot
    await mgr.close()
    await client.aclose()


@pytest.mark.parametrize("outage", ["killed", "frozen"])
async def test_redis_outage_costs_one_call_per_breaker_period(
    outage_manager: tuple[CacheManager, Counting],
    own_redis: OwnRedis,
    clock: ManualClock,
    outage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mgr, hot = outage_manager
    await mgr.fetch(KEY, PROPS, _load)
    await mgr.settle()
    assert (await mgr.fetch(KEY, PROPS, _load)).served_from == "hot"
    if outage == "killed":
        own_redis.kill()
    else:
        own_redis.freeze()
    hot.calls = 0
    attempts = hot.connection_attempts
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        for _ in range(25):
            found = await mgr.fetch(KEY, PROPS, _load)
            assert found.payload == PAYLOAD
            assert found.served_from == "warm"
        assert hot.calls == FAILURE_THRESHOLD  # then open: no call waits on the dead server
        for period in range(3):
            clock.advance(RESET_PERIOD)
            for _ in range(5):
                assert (await mgr.fetch(KEY, PROPS, _load)).payload == PAYLOAD
            # A period's probe may be a warm hit's copy to Redis, which runs behind the hit
            # (and, against a frozen server, waits for its reply): counted once it has run.
            await mgr.settle()
            assert hot.calls == FAILURE_THRESHOLD + period + 1  # one probe per period
        # and no connection attempt (connect timeout) beyond the calls let through
        assert hot.connection_attempts - attempts <= hot.calls
    outage_lines = [r for r in caplog.records if "hot cache tier unavailable" in r.getMessage()]
    assert len(outage_lines) == 1
    stats = mgr.get_stats()["hot_cache"]
    assert stats["state"] == "open"
    assert stats["degraded"] > 0
    assert stats["errors"] >= 2
    # the server comes back: the next probe closes the breaker and the hot tier serves again
    if outage == "killed":
        own_redis.start()
    else:
        own_redis.resume()
    clock.advance(RESET_PERIOD)
    await mgr.fetch(KEY, PROPS, _load)
    await mgr.settle()  # a restarted Redis is empty: the probe's warm hit is copied back
    assert (await mgr.fetch(KEY, PROPS, _load)).served_from == "hot"
    assert mgr.get_stats()["hot_cache"]["state"] == "closed"


async def test_postgres_unreachable_degrades_quietly(
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    free_port: int,
    clock: ManualClock,
    redis_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _settings(tmp_path, namespace)
    hot = RedisTier(redis_url, namespace=namespace, clock=clock)
    warm = SqlTier(f"postgresql+psycopg://postgres@127.0.0.1:{free_port}/test", clock=clock)
    mgr = CacheManager(settings, hot=hot, warm=warm, clock=clock)
    calls = 0

    async def load() -> Any:
        nonlocal calls
        calls += 1
        return PAYLOAD

    try:
        with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
            first = await mgr.fetch(KEY, PROPS, load)
            assert first.served_from == "api"
            assert first.payload == PAYLOAD
            await mgr.settle()
            for _ in range(5):
                found = await mgr.fetch(KEY, PROPS, load)
                assert found.served_from == "hot"
                assert found.payload == PAYLOAD
            other = await mgr.fetch("players:SF", CacheDataType.PLAYERS, load)
            assert other.served_from == "api"
            await mgr.close()  # the pending hit counts cannot be written: nothing raised
        assert calls == 2
        warm_stats = mgr.get_stats()["warm_cache"]
        assert warm_stats["errors"] >= 1
        assert warm_stats["degraded"] >= 1
        lines = [r for r in caplog.records if "warm cache tier unavailable" in r.getMessage()]
        assert len(lines) == 1
    finally:
        await mgr.close()
        keys = await _namespace_keys(redis_client, namespace)
        if keys:
            await redis_client.delete(*keys)


async def test_from_settings_picks_the_hot_tier(
    tmp_path: Path, namespace: str, redis_url: str, free_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    async def build(**kw: Any) -> str:
        mgr = CacheManager.from_settings(Settings(home=tmp_path, namespace=namespace, **kw))
        try:
            return type(mgr.hot).__name__
        finally:
            await mgr.close()

    assert await build(redis_url_override=redis_url) == "RedisTier"
    assert await build(redis_host="") == "MemoryTier"
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        assert await build(redis_host="127.0.0.1", redis_port=free_port) == "MemoryTier"
    assert len([r for r in caplog.records if "not reachable" in r.getMessage()]) == 1
    await asyncio.sleep(0)


async def test_companions_ride_along_with_hits_and_promotion(
    manager: CacheManager, clock: ManualClock
) -> None:
    assert manager.keeps_companions
    loaded = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert loaded.served_from == "api"
    assert loaded.entry.companion is None
    assert await manager.attach(loaded, "frame-x", b"finished frame")
    await manager.settle()
    hot = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert hot.served_from == "hot"
    assert hot.entry.companion is not None
    assert bytes(hot.entry.companion) == b"finished frame"
    # A hot hit's companion goes to the hot tier only: the warm copy is not rewritten.
    assert await manager.attach(hot, "frame-x", b"rebuilt on a hot hit")
    # Redis flushed: the warm tier serves entry and companion, and promotes both.
    await manager.drop_hot(KEY)
    warm = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert warm.served_from == "warm"
    assert warm.entry.companion is not None
    assert bytes(warm.entry.companion) == b"finished frame"
    await manager.settle()
    again = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert again.served_from == "hot"
    assert again.entry.companion is not None
    assert bytes(again.entry.companion) == b"finished frame"
    # Without the companion argument nothing changes for other readers.
    plain = await manager.fetch(KEY, PROPS, _load)
    assert plain.served_from == "hot"
    assert plain.entry.companion is None


async def test_a_refresh_makes_every_stored_companion_invisible(
    manager: CacheManager, clock: ManualClock
) -> None:
    first = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    await manager.attach(first, "frame-x", b"frame of the first load")
    await manager.settle()
    clock.advance(5)
    refreshed = await manager.fetch(KEY, PROPS, _load, refresh=True, companion="frame-x")
    assert refreshed.served_from == "api"
    await manager.settle()
    hot = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert hot.served_from == "hot"
    assert hot.entry.companion is None
    await manager.drop_hot(KEY)
    warm = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    assert warm.served_from == "warm"
    assert warm.entry.companion is None


async def test_no_companion_for_a_stale_entry_or_a_memory_hot_tier(
    manager: CacheManager, tmp_path: Path, namespace: str, clock: ManualClock
) -> None:
    found = await manager.fetch(KEY, PROPS, _load)
    assert not await manager.attach(dataclasses.replace(found, stale=True), "frame-x", b"f")
    assert (await manager.fetch(KEY, PROPS, _load, companion="frame-x")).entry.companion is None
    mgr = CacheManager(_settings(tmp_path, namespace), hot=MemoryTier(clock=clock), warm=None)
    try:
        assert not mgr.keeps_companions
        found = await mgr.fetch(KEY, PROPS, _load, companion="frame-x")
        assert not await mgr.attach(found, "frame-x", b"frame")
    finally:
        await mgr.close()


async def _deferred_warm_hit(manager: CacheManager, delay: pytest.MonkeyPatch | None) -> Any:
    """A warm hit of KEY that came with its stored frame (deferred: its payload unread). With
    ``delay``, its copy to Redis starts only after 0.2 s."""
    from sportsframe.cache import promotion as promotion_module

    if delay is not None:
        delay.setattr(promotion_module, "PROMOTION_DELAY", 0.2)
    loaded = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    await manager.attach(loaded, "frame-x", b"finished frame")
    await manager.drop_hot(KEY)
    return await manager.fetch(KEY, PROPS, _load, companion="frame-x")


async def test_a_warm_hit_replaced_by_another_process_before_its_copy_is_not_copied(
    manager: CacheManager,
    postgres_url: str,
    schema: str,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warm = await _deferred_warm_hit(manager, monkeypatch)
    assert warm.served_from == "warm"
    assert warm.entry.deferred  # its payload is read by the copy, later
    # Another process refreshes the warm tier before the copy starts.
    other = SqlTier(postgres_url, clock=clock, schema=schema)
    clock.advance(1)
    newer = CacheEntry.from_payload(
        KEY,
        PAYLOAD[:1],
        data_type=PROPS.value,
        created_at=clock.now(),
        expires_at=clock.now() + timedelta(seconds=300),
    )
    await other.set(newer)
    await other.close()
    await manager.settle()
    assert manager.hot is not None
    assert await manager.hot.get(KEY) is None  # the old version was not copied
    assert manager.get_stats()["writes"]["promotions"] == 0


async def test_a_deferred_copy_waits_on_nothing_while_the_warm_breaker_is_open(
    manager: CacheManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm = await _deferred_warm_hit(manager, monkeypatch)
    assert warm.entry.deferred
    for _ in range(FAILURE_THRESHOLD):
        manager.warm_breaker.failure("PostgreSQL went away")
    assert not manager.warm_breaker.allow()
    await manager.settle()
    assert warm.entry.deferred  # its payload was never asked of the warm tier
    assert manager.hot is not None
    assert await manager.hot.get(KEY) is None


async def test_a_stale_warm_entry_served_offline_with_its_companion_loads_its_payload(
    manager: CacheManager, clock: ManualClock
) -> None:
    from sportsframe.cache.entry import EntryNotLoadedError

    loaded = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    await manager.attach(loaded, "frame-x", b"finished frame")
    await manager.drop_hot(KEY)
    clock.advance(TTL_POLICIES[PROPS] + 1)
    found = await manager.fetch(KEY, PROPS, offline=True, companion="frame-x")
    assert (found.served_from, found.stale) == ("warm", True)
    assert found.entry.companion is not None
    assert bytes(found.entry.companion) == b"finished frame"
    assert found.entry.deferred  # PostgreSQL: the payload is read on demand
    with pytest.raises(EntryNotLoadedError):
        found.payload  # noqa: B018
    assert await found.entry.load()
    assert found.payload == PAYLOAD


async def _warm_hit_read_outside_the_loop(manager: CacheManager) -> tuple[str, BlockingRead]:
    """(storage key, the read) of a warm hit of KEY with its companion, read by the blocking
    driver in a thread, as the sync facade reads it (its events not recorded yet)."""
    if await manager.get(KEY) is None:
        loaded = await manager.fetch(KEY, PROPS, _load, companion="frame-x")
        await manager.attach(loaded, "frame-x", b"finished frame")
    await manager.drop_hot(KEY)
    blocking = manager.blocking
    assert blocking is not None
    skey = manager.storage_key(KEY)
    read = await asyncio.to_thread(blocking.read, [skey], "frame-x")
    assert read is not None
    found = read.plan.found[skey]
    assert found.served_from == "warm"
    assert found.entry.companion is not None
    return skey, read


async def test_a_warm_hit_read_outside_the_loop_is_counted_and_copied_unless_a_change_overlapped(
    manager: CacheManager, redis_client: Any, namespace: str
) -> None:
    # A change (here a write of another key) lands between the read and its report: the entry
    # read may be older than what the tiers hold by then, so it is not copied.
    skey, read = await _warm_hit_read_outside_the_loop(manager)
    await manager.set("teams:2024", [{"Key": "SF"}], CacheDataType.TEAMS)
    hits = manager.stats.warm.hits
    manager.record(read.plan, read.changes, calls=True)
    await manager.settle()
    assert manager.stats.warm.hits == hits + 1  # counted all the same
    assert await redis_client.get(f"{namespace}:{skey}") is None

    # Nothing overlapped: the hit is copied to Redis, behind the answer.
    skey, read = await _warm_hit_read_outside_the_loop(manager)
    manager.record(read.plan, read.changes, calls=True)
    await manager.settle()
    assert await redis_client.get(f"{namespace}:{skey}") is not None


async def test_the_blocking_read_skips_the_warm_tier_while_its_breaker_is_open(
    manager: CacheManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    await manager.fetch(KEY, PROPS, _load, companion="frame-x")
    await manager.drop_hot(KEY)
    skey = manager.storage_key(KEY)
    blocking = manager.blocking
    assert blocking is not None
    for _ in range(FAILURE_THRESHOLD):
        manager.warm_breaker.failure("down")
    warm = manager.warm
    assert isinstance(warm, SqlTier)
    reader = warm.sync_reader()
    assert reader is not None

    def no_io(*args: Any) -> Any:
        raise AssertionError("the blocking driver read a tier whose breaker is open")

    monkeypatch.setattr(reader, "read_many", no_io)
    read = await asyncio.to_thread(blocking.read, [skey], "frame-x")
    assert read is not None
    assert not read.plan.found  # the async path probes the tier
    assert ReadEvent(EventKind.SKIP, "warm", skey) in read.plan.events


async def test_a_warm_hit_reported_after_close_copies_nothing(
    manager: CacheManager, redis_client: Any, namespace: str
) -> None:
    skey, read = await _warm_hit_read_outside_the_loop(manager)
    await manager.close()  # another thread closes the session meanwhile
    assert manager.blocking is None
    manager.record(read.plan, read.changes, calls=True)
    assert not manager.promoter.pending
    await asyncio.sleep(0.05)
    assert await redis_client.get(f"{namespace}:{skey}") is None
