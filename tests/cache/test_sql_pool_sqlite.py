"""The warm tier's point-read pool (AsyncReaders) on a SQLite file: bounded in time, read-only,
failing as TierUnavailable, and used by the tier's companion reads."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from sportsframe.cache.entry import EntryNotLoadedError
from sportsframe.cache.sql.hit import warm_row
from sportsframe.cache.sql.pool import AsyncReaders
from sportsframe.cache.sql.sqlite import AsyncSqliteBackend
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock

SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)"
    " SELECT count(*) FROM n"
)

ROW = "SELECT 'k', 't', '2024-01-01 00:00:00.000000', '2024-01-02 00:00:00', 's', 0, NULL, x'00'"


def _sqlite_readers(db: str, *, tier: str, size: int, operation_timeout: float) -> AsyncReaders:
    """Readers of the file ``db``, as SqlTier builds them."""
    return AsyncReaders(
        AsyncSqliteBackend(db, size=size), tier=tier, size=size, operation_timeout=operation_timeout
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "warm.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    return str(path)


async def test_a_statement_past_its_time_is_interrupted(db: str) -> None:
    readers = _sqlite_readers(db, tier="warm", size=1, operation_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TierUnavailable):
        await readers.fetch_row(SLOW, (), warm_row)
    assert time.monotonic() - started < 1.5
    # The one slot is free again, on a new connection.
    row = await asyncio.wait_for(readers.fetch_row(ROW, (), warm_row), 2)
    assert row is not None
    assert row.created_at.tzinfo is not None
    await readers.close()
    # And the interrupted statement has stopped: no worker thread is still counting.
    await asyncio.wait_for(asyncio.to_thread(readers.backend.threads.shutdown, True), 2)


async def test_a_row_that_does_not_parse_is_tier_unavailable(db: str) -> None:
    readers = _sqlite_readers(db, tier="warm", size=1, operation_timeout=2)
    with pytest.raises(TierUnavailable):  # one column, not a row of the joined read
        await readers.fetch_row("SELECT 1", (), warm_row)
    assert await readers.fetch_row(ROW, (), warm_row) is not None  # and the slot is free again
    await readers.close()


async def test_the_connections_refuse_to_write(db: str) -> None:
    readers = _sqlite_readers(db, tier="warm", size=1, operation_timeout=2)
    with pytest.raises(TierUnavailable, match=r"readonly|read-only|query_only"):
        await readers.fetch_row("INSERT INTO t VALUES (1)", (), warm_row)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    await readers.close()


async def test_a_file_that_is_no_database_is_tier_unavailable(tmp_path: Path) -> None:
    bad = tmp_path / "not.sqlite3"
    bad.write_bytes(b"this is not a database file" * 100)
    readers = _sqlite_readers(str(bad), tier="warm", size=1, operation_timeout=2)
    with pytest.raises(TierUnavailable, match="DatabaseError"):
        await readers.fetch_row(
            "SELECT 'k', 't', 'x', 'x', 's', 0, NULL, NULL FROM sqlite_master", (), warm_row
        )
    await readers.close()


async def test_a_missing_file_is_tier_unavailable_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "gone.sqlite3"
    readers = _sqlite_readers(str(missing), tier="warm", size=1, operation_timeout=2)
    with pytest.raises(TierUnavailable):
        await readers.fetch_row(ROW, (), warm_row)
    assert not missing.exists()
    await readers.close()


async def test_a_cancelled_read_interrupts_its_statement(db: str) -> None:
    readers = _sqlite_readers(db, tier="warm", size=1, operation_timeout=30)
    slow = asyncio.create_task(readers.fetch_row(SLOW, (), warm_row))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert await asyncio.wait_for(readers.fetch_row(ROW, (), warm_row), 2) is not None  # slot free
    await readers.close()
    # The cancelled statement stopped too: no worker thread is still counting.
    await asyncio.wait_for(asyncio.get_running_loop().shutdown_default_executor(), 2)


async def test_a_relative_path_stays_the_file_sqlalchemy_opens(
    tmp_path: Path, clock: ManualClock, make_entry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tier = SqlTier("sqlite:///rel.sqlite3", clock=clock)
    try:
        entry = make_entry("teams:2024", [{"Key": "SF"}])
        await tier.set(entry)
        await tier.set_companion(entry, "frame-1", b"frame")
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")  # e.g. %cd in a notebook
        found = await tier.get_with_companion(entry.key, "frame-1")
        assert found is not None
        assert found.companion is not None
        assert not (tmp_path / "elsewhere" / "rel.sqlite3").exists()
    finally:
        await tier.close()


async def test_a_warm_hit_on_a_sqlite_file_takes_no_sqlalchemy_statement(
    tmp_path: Path, clock: ManualClock, make_entry: Any
) -> None:
    tier = SqlTier(f"sqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    entry = make_entry("player_props:2024:18:True", [{"PlayerID": 1}])
    await tier.set(entry)
    await tier.set_companion(entry, "frame-1", b"frame")
    event.listen(tier.engine.sync_engine, "before_cursor_execute", record)
    try:
        found = await tier.get_with_companion(entry.key, "frame-1")
        assert found is not None
        assert found.companion is not None
        assert bytes(found.companion) == b"frame"
        assert (found.created_at, found.expires_at) == (entry.created_at, entry.expires_at)
        assert statements == []
        assert found.deferred
        with pytest.raises(EntryNotLoadedError):
            found.table  # noqa: B018
        assert await found.load()
        assert found.payload == [{"PlayerID": 1}]
        clock.advance(entry.remaining_ttl(clock.now()) + 1)
        assert await tier.get_with_companion(entry.key, "frame-1") is None  # expired
        stale = await tier.get_with_companion(entry.key, "frame-1", include_stale=True)
        assert stale is not None
        assert stale.companion is not None
    finally:
        event.remove(tier.engine.sync_engine, "before_cursor_execute", record)
        await tier.close()
