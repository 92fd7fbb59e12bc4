"""SyncWarmReader, the warm tier's blocking hit read for threads outside the event loop: the
same deferred entry as the async path, None for anything but a fresh hit with its companion,
bounded in time, resting after a failure, and shared safely by many threads."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.entry import CacheEntry, EntryNotLoadedError
from sportsframe.cache.sql.pool import SyncWarmReader
from sportsframe.cache.sql.postgres import PgBackend
from sportsframe.cache.sql.sqlite import SqliteBackend
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock
from tests.cache.test_sql_pool_postgres import FreezingProxy

PAYLOAD = [{"PlayerID": 1, "Value": 7.5}, {"PlayerID": 2, "Value": None}]
KEY = "player_props:2024:18:False"


def hit(reader: SyncWarmReader, key: str, companion: str) -> CacheEntry | None:
    """What the sync facade takes from a one-key blocking read: the entry when it is fresh with
    its companion, else None; None too while the reader rests (it reads nothing then)."""
    try:
        entry = reader.read_many([key], companion).get(key)
    except TierUnavailable as exc:
        if "resting" in str(exc):
            return None
        raise
    if entry is None or entry.companion is None or reader.clock.now() >= entry.expires_at:
        return None
    return entry


async def _stored(tier: SqlTier, make_entry: Any, companion: bytes | None = b"frame") -> Any:
    entry = make_entry(KEY, PAYLOAD)
    await tier.set(entry)
    if companion is not None:
        await tier.set_companion(entry, "frame-1", companion)
    return entry


async def test_a_fresh_hit_comes_deferred_with_its_companion(
    sql_tier: SqlTier, make_entry: Any
) -> None:
    stored = await _stored(sql_tier, make_entry)
    reader = sql_tier.sync_reader()
    assert reader is not None
    found = await asyncio.to_thread(hit, reader, KEY, "frame-1")
    assert found is not None
    assert bytes(found.companion or b"") == b"frame"
    assert (found.key, found.created_at, found.expires_at) == (
        stored.key,
        stored.created_at,
        stored.expires_at,
    )
    assert found.deferred
    with pytest.raises(EntryNotLoadedError):
        found.table  # noqa: B018 - asked for before load()
    assert await found.load()  # on the event loop, like the async path's entries
    assert found.table.equals(stored.table)


async def test_a_miss_an_expired_entry_or_no_companion_is_none(
    sql_tier: SqlTier, make_entry: Any, clock: ManualClock
) -> None:
    await _stored(sql_tier, make_entry, companion=None)
    reader = sql_tier.sync_reader()
    assert reader is not None
    assert await asyncio.to_thread(hit, reader, "teams:2024", "frame-1") is None  # absent
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is None  # no companion
    await _stored(sql_tier, make_entry)
    assert await asyncio.to_thread(hit, reader, KEY, "frame-2") is None  # another companion
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None
    clock.advance(301)
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is None  # expired
    assert not reader.quiet  # none of these is a failure


async def test_a_companion_of_an_older_version_is_no_hit(
    sql_tier: SqlTier, make_entry: Any, clock: ManualClock
) -> None:
    await _stored(sql_tier, make_entry)
    clock.advance(1)
    await sql_tier.set(make_entry(KEY, PAYLOAD[:1]))  # rewritten: the old frame is not its own
    reader = sql_tier.sync_reader()
    assert reader is not None
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is None


async def test_no_reader_before_first_use_in_memory_or_after_close(
    clock: ManualClock, tmp_path: Path, make_entry: Any
) -> None:
    tier = SqlTier(f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock)
    assert tier.sync_reader() is None  # its tables may not exist yet
    await tier.set(make_entry(KEY, PAYLOAD))
    reader = tier.sync_reader()
    assert reader is not None
    assert tier.sync_reader() is reader  # one per tier
    await tier.close()
    assert tier.sync_reader() is None
    assert hit(reader, KEY, "frame-1") is None  # closed with its tier
    memory = SqlTier("sqlite+aiosqlite:///:memory:", clock=clock)
    await memory.set(make_entry(KEY, PAYLOAD))
    assert memory.sync_reader() is None  # another connection would see another database
    await memory.close()


def _slow_reader(db: str, clock: ManualClock, timeout: float) -> SyncWarmReader:
    # A statement that would count for minutes; its two parameters stand for (companion, key).
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
        " SELECT count(*), ?, ? FROM n"
    )
    return SyncWarmReader(
        SqliteBackend(db),
        sql=slow,
        to_entry=lambda row: None,
        clock=clock,
        size=1,
        operation_timeout=timeout,
    )


def test_a_sqlite_statement_past_its_deadline_is_interrupted_and_the_reader_rests(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = str(tmp_path / "warm.sqlite3")
    sqlite3.connect(db).close()
    reader = _slow_reader(db, clock, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TierUnavailable, match=r"no answer within 0\.3 s"):
        hit(reader, KEY, "frame-1")
    assert time.monotonic() - started < 3.0  # the deadline (0.3 s), not the minutes it counts
    assert reader.quiet
    # Resting: None at once, where another try would have raised after its own timeout.
    assert hit(reader, KEY, "frame-1") is None
    clock.advance(RESET_PERIOD + 1)
    assert not reader.quiet
    reader.close()


@contextlib.asynccontextmanager
async def _behind_a_proxy(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Any, operation_timeout: float
) -> AsyncIterator[tuple[FreezingProxy, SyncWarmReader]]:
    """(a proxy that can freeze, the blocking reader of a tier reached through it), the
    entry stored."""
    proxy = FreezingProxy()
    await proxy.start()
    url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    tier = SqlTier(url, clock=clock, schema=pg_schema, operation_timeout=operation_timeout)
    try:
        await _stored(tier, make_entry)
        reader = tier.sync_reader()
        assert reader is not None
        yield proxy, reader
    finally:
        proxy.flowing.set()
        await tier.close()
        await proxy.stop()


async def test_a_postgres_server_that_stops_answering_costs_one_timeout_then_rests(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Any
) -> None:
    async with _behind_a_proxy(postgres_url, pg_schema, clock, make_entry, 0.5) as (
        proxy,
        reader,
    ):
        assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None  # connected
        proxy.flowing.clear()  # the server stops answering
        started = time.monotonic()
        with pytest.raises(TierUnavailable, match=r"no answer within 0\.5 s"):
            await asyncio.wait_for(asyncio.to_thread(hit, reader, KEY, "frame-1"), 5)
        assert time.monotonic() - started < 3.0  # the deadline, not psycopg's wait forever
        # Resting: None, where another try at the frozen server would have raised.
        assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is None
        proxy.flowing.set()
        clock.advance(RESET_PERIOD + 1)
        # Back, on a new connection (the one that timed out was closed, not reused).
        assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None


async def test_eight_threads_share_the_readers_connections(
    sql_tier: SqlTier, make_entry: Any
) -> None:
    await _stored(sql_tier, make_entry)
    reader = sql_tier.sync_reader()
    assert reader is not None

    def many(_: int) -> list[Any]:
        return [hit(reader, KEY, "frame-1") for _ in range(10)]

    def run() -> list[list[Any]]:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(many, range(8)))

    results = await asyncio.to_thread(run)
    found = [entry for batch in results for entry in batch]
    assert len(found) == 80
    assert all(entry is not None and bytes(entry.companion) == b"frame" for entry in found)
    assert len(reader._idle) <= 2  # never more connections than its size
    assert not reader.quiet


async def test_callers_waiting_behind_a_timed_out_read_do_not_wait_again(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Any
) -> None:
    async with _behind_a_proxy(postgres_url, pg_schema, clock, make_entry, 0.6) as (
        proxy,
        reader,
    ):
        reader._slots = threading.BoundedSemaphore(1)  # one connection
        assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None
        proxy.flowing.clear()

        def timed() -> tuple[str, float]:
            started = time.monotonic()
            try:
                hit(reader, KEY, "frame-1")
            except TierUnavailable:
                return "timeout", time.monotonic() - started
            return "none", time.monotonic() - started

        first = asyncio.create_task(asyncio.to_thread(timed))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(asyncio.to_thread(timed))
        (kind1, took1), (kind2, took2) = await asyncio.wait_for(asyncio.gather(first, second), 5)
        assert kind1 == "timeout"
        # The second found the reader resting once it got the connection: no second timeout.
        assert kind2 == "none"
        assert took2 < took1


async def test_a_pooled_connection_the_server_dropped_is_replaced_at_once(
    pg_tier_for_sync: SqlTier, make_entry: Any, postgres_url: str
) -> None:
    import psycopg

    tier = pg_tier_for_sync
    await _stored(tier, make_entry)
    reader = tier.sync_reader()
    assert reader is not None
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None
    (pooled,) = reader._idle
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:  # as a server restart would
        admin.execute("SELECT pg_terminate_backend(%s)", (pooled.info.backend_pid,))
    found = await asyncio.to_thread(hit, reader, KEY, "frame-1")
    assert found is not None
    assert not reader.quiet
    assert reader._idle[0] is not pooled


@pytest.fixture
async def pg_tier_for_sync(postgres_url: str, pg_schema: str, clock: ManualClock) -> Any:
    # A connect_timeout in the URL must not reach psycopg twice.
    tier = SqlTier(f"{postgres_url}?connect_timeout=3", clock=clock, schema=pg_schema)
    yield tier
    await tier.close()


async def test_an_error_of_the_statement_on_a_pooled_connection_is_not_retried(
    pg_tier_for_sync: SqlTier, make_entry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stored(pg_tier_for_sync, make_entry)
    reader = pg_tier_for_sync.sync_reader()
    assert reader is not None
    assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None  # pooled now
    reader._sql = "SELECT 1/0, %s, %s"  # fails on the server; the connection stays fine
    with pytest.raises(TierUnavailable, match="DivisionByZero"):
        await asyncio.to_thread(hit, reader, KEY, "frame-1")
    assert reader.quiet


class _CountingPgBackend(PgBackend):
    """Counts the connections it opens."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connects = 0

    def connect(self) -> Any:
        self.connects += 1
        return super().connect()


def test_an_unreachable_postgres_is_tried_once_and_logged_without_the_password(
    free_port: int, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    backend = _CountingPgBackend(
        {"host": "127.0.0.1", "port": free_port, "user": "postgres", "password": "hunter2"},
        connect_timeout=2,
    )
    reader = SyncWarmReader(
        backend,
        sql="SELECT 1",
        to_entry=lambda row: None,
        clock=clock,
        size=1,
        operation_timeout=5.0,
    )
    with caplog.at_level("WARNING", logger="sportsframe"), pytest.raises(TierUnavailable) as caught:
        hit(reader, KEY, "frame-1")
    assert "no answer within" not in str(caught.value)  # refused at once: no timeout
    assert backend.connects == 1  # a refused connect is no dropped pooled connection
    assert any("blocking read failed" in r.getMessage() for r in caplog.records)
    assert reader.quiet
    assert hit(reader, KEY, "frame-1") is None  # resting
    assert "hunter2" not in str(caught.value) + caplog.text + repr(reader) + repr(backend)
    reader.close()


# -- priming: a session opens the reader's connection before its first call ----------------------
async def test_a_primed_reader_opens_no_connection_on_its_first_read(
    sql_tier: SqlTier, make_entry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stored(sql_tier, make_entry)
    reader = sql_tier.sync_reader()
    assert reader is not None
    await asyncio.to_thread(reader.prime)
    assert len(reader._idle) == 1
    await asyncio.to_thread(reader.prime)  # primed already: nothing more opened
    assert len(reader._idle) == 1

    def no_connect() -> Any:
        raise AssertionError("the first read opened a connection")

    monkeypatch.setattr(reader._backend, "connect", no_connect)
    found = await asyncio.to_thread(hit, reader, KEY, "frame-1")
    assert found is not None
    assert bytes(found.companion or b"") == b"frame"


async def test_priming_a_server_that_does_not_answer_neither_raises_nor_rests(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Any
) -> None:
    async with _behind_a_proxy(postgres_url, pg_schema, clock, make_entry, 0.5) as (
        proxy,
        reader,
    ):
        proxy.flowing.clear()
        await asyncio.to_thread(reader.prime)  # returns after the operation timeout
        assert not reader.quiet  # the first real read tries at once
        assert len(reader._idle) == 0
        proxy.flowing.set()
        assert await asyncio.to_thread(hit, reader, KEY, "frame-1") is not None
