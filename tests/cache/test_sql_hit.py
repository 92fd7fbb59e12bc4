"""The warm hit written once: its statement, the decoding of its row (either driver's), and the
same deferred entry from every way of reading it, an in-memory database included."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.sql.hit import (
    COLUMNS,
    entry_statement,
    hit_statement,
    warm_row,
)
from sportsframe.cache.sql.pool import AsyncReaders, Idle, _ClosedError
from sportsframe.cache.sql.sqlite import AsyncSqliteBackend
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock

STORED = datetime(2024, 1, 1, 12, 30, tzinfo=UTC)


def test_both_statements_select_the_same_columns_in_the_same_order() -> None:
    hit = hit_statement("entries", "companions", "?")
    alone = entry_statement("entries", "%s")
    assert hit.count("?") == 2
    assert alone.count("%s") == 1
    assert hit.startswith("SELECT " + ", ".join(f"e.{name}" for name in COLUMNS) + ", c.data")
    assert alone.startswith("SELECT " + ", ".join(COLUMNS) + ", arrow")
    assert "c.created_at = e.created_at" in hit  # a companion of another version never joins


def test_a_sqlite_row_and_a_psycopg_row_decode_alike() -> None:
    sqlite_row = ("k", "t", "2024-01-01 12:30:00.000000", "2024-01-01 13:30:00", "s", 2, None, b"x")
    zone = timezone(timedelta(hours=-5))  # psycopg gives the session's zone
    pg_row = ("k", "t", STORED.astimezone(zone), (STORED + timedelta(hours=1)).astimezone(zone))
    pg_row += ("s", 2, None, b"x")
    a, b = warm_row(sqlite_row), warm_row(pg_row)
    assert a == b
    assert a.created_at == STORED
    assert a.created_at.tzinfo is UTC
    assert b.expires_at.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        (1,),  # not a warm row
        ("k", "t", "yesterday", "2024-01-01", "s", 0, None, None),  # a timestamp that won't parse
        ("k", "t", 17, "2024-01-01", "s", 0, None, None),  # no timestamp at all
    ],
)
def test_a_row_that_is_no_warm_row_is_a_decoding_error(raw: tuple[Any, ...]) -> None:
    with pytest.raises((ValueError, TypeError)):
        warm_row(raw)


async def test_an_in_memory_tier_serves_the_same_deferred_hit(
    clock: ManualClock, make_entry: Any
) -> None:
    tier = SqlTier("sqlite+aiosqlite:///:memory:", clock=clock)
    try:
        entry = make_entry("player_props:2024:18:True", [{"PlayerID": 1}])
        await tier.set(entry)
        await tier.set_companion(entry, "frame-1", b"frame")
        found = await tier.get_with_companion(entry.key, "frame-1")
        assert found is not None
        assert found.deferred
        assert bytes(found.companion or b"") == b"frame"
        assert (found.created_at, found.expires_at) == (entry.created_at, entry.expires_at)
        assert await found.load()
        assert found.payload == [{"PlayerID": 1}]
        plain = await tier.get_with_companion(entry.key, "frame-2")  # no such companion
        assert plain is not None
        assert plain.companion is None
        assert plain.payload == [{"PlayerID": 1}]
        assert await tier.get_with_companion("teams:2024", "frame-1") is None
        clock.advance(301)
        assert await tier.get_with_companion(entry.key, "frame-1") is None  # expired
        assert await tier.get_with_companion(entry.key, "frame-1", include_stale=True)
    finally:
        await tier.close()


async def test_sqlite_readers_after_close_are_tier_unavailable(tmp_path: Path) -> None:
    db = tmp_path / "warm.sqlite3"
    sqlite3.connect(db).close()
    readers = AsyncReaders(
        AsyncSqliteBackend(str(db), size=1), tier="warm", size=1, operation_timeout=2
    )
    assert await readers.fetch_row("SELECT 1", ()) == (1,)
    await readers.close()
    with pytest.raises(TierUnavailable, match="closed"):
        await readers.fetch_row("SELECT 1", ())


def test_a_closed_pool_keeps_nothing_and_hands_nothing_out() -> None:
    idle: Idle[str] = Idle()
    assert idle.take() is None  # none idle: open a new one
    assert idle.give_back("a")
    assert idle.take() == "a"
    assert idle.give_back("b")
    assert idle.drain(close=True) == ["b"]
    assert not idle.give_back("c")  # the caller closes it
    with pytest.raises(_ClosedError):
        idle.take()


async def test_a_read_of_several_keys_is_one_statement_on_sqlite_readers(
    tmp_path: Path, clock: ManualClock, make_entry: Any
) -> None:
    tier = SqlTier(f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock)
    await _several_keys_on_the_readers(tier, clock, make_entry)


async def test_a_read_of_several_keys_is_one_statement_on_postgres_readers(
    postgres_url: str, schema: str, clock: ManualClock, make_entry: Any
) -> None:
    tier = SqlTier(postgres_url, clock=clock, schema=schema)
    await _several_keys_on_the_readers(tier, clock, make_entry)


async def _several_keys_on_the_readers(tier: SqlTier, clock: ManualClock, make_entry: Any) -> None:
    # A props week's parts are read together before their requests leave: on the readers that
    # is one round trip, where SQLAlchemy's pool paid a pre-ping, BEGIN and COMMIT around the
    # SELECT. Only a row whose Arrow copy does not decode takes that general path (which serves
    # its JSON and repairs the copy).
    from sqlalchemy import event, update

    checkouts: list[object] = []
    event.listen(tier.engine.sync_engine.pool, "checkout", lambda *a: checkouts.append(a))
    try:
        fresh = make_entry("props_game:2024:18:1:False", [{"PlayerID": 1}], ttl=600)
        short = make_entry("props_game:2024:18:2:False", [{"PlayerID": 2}], ttl=60)
        broken = make_entry("props_game:2024:18:3:False", [{"PlayerID": 3}], ttl=600)
        for entry in (fresh, short, broken):
            await tier.set(entry)
        clock.advance(120)  # ``short`` has expired
        keys = [fresh.key, short.key, "props_game:2024:18:4:False"]
        checkouts.clear()
        found = await tier.get_many(keys)
        assert list(found) == [fresh.key]
        assert found[fresh.key].payload == fresh.payload
        with_stale = await tier.get_many(keys, include_stale=True)
        assert set(with_stale) == {fresh.key, short.key}
        assert checkouts == []  # no SQLAlchemy connection: the readers answered
        async with tier.engine.begin() as conn:
            t = tier.table
            await conn.execute(update(t).where(t.c.key == broken.key).values(arrow=b"not arrow"))
        checkouts.clear()
        again = await tier.get_many([fresh.key, broken.key])
        assert set(again) == {fresh.key, broken.key}
        assert again[broken.key].payload == broken.payload  # from its JSON
        assert len(checkouts) >= 1  # the general path, for that row alone
    finally:
        await tier.close()
