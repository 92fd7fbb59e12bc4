"""SqlTier specifics: the spec's table on real PostgreSQL, the Arrow copy read path, hit
counts, eviction order, the efficiency report, layout versioning and outages."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from sqlalchemy import event, text

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry, entry_from_ipc
from sportsframe.cache.sql import blob, maintenance, schema
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock
from sportsframe.errors import ConfigurationError
from sportsframe.settings import Settings

Make = Callable[..., CacheEntry]
PAYLOAD = [
    {"BettingMarketID": 2, "Name": "Receptions", "Outcomes": [{"Value": 4.5, "Payout": -110}]},
    {"BettingMarketID": 1, "Name": "Rushing", "Outcomes": []},
]


@pytest.fixture
async def pg_tier(postgres_url: str, pg_schema: str, clock: ManualClock) -> Any:
    """The SQL tier on the real PostgreSQL, in a schema of this test's own."""
    tier = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    yield tier
    await tier.close()


def _qualified(tier: SqlTier) -> str:
    return f'"{tier.schema}".cache_entries' if tier.schema else "cache_entries"


async def _sql(tier: SqlTier, statement: str, **params: Any) -> list[Any]:
    async with tier.engine.begin() as conn:
        result = await conn.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


# -- the table on PostgreSQL -----------------------------------------------------------------------
async def test_postgres_table_is_the_spec_table(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Make
) -> None:
    tier = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    try:
        await tier.set(make_entry("teams:2024", PAYLOAD))
        columns = {
            row.column_name: (row.data_type, row.character_maximum_length, row.is_nullable)
            for row in await _sql(
                tier,
                "SELECT column_name, data_type, character_maximum_length, is_nullable "
                "FROM information_schema.columns WHERE table_schema = :s "
                "AND table_name = 'cache_entries'",
                s=pg_schema,
            )
        }
        assert columns == {
            "id": ("integer", None, "NO"),
            "key": ("character varying", 255, "NO"),
            "data": ("json", None, "NO"),  # json, not jsonb
            "data_type": ("character varying", 50, "NO"),
            "created_at": ("timestamp with time zone", None, "YES"),
            "expires_at": ("timestamp with time zone", None, "NO"),
            "hit_count": ("integer", None, "YES"),
            "last_hit_at": ("timestamp with time zone", None, "YES"),
            "source": ("character varying", 50, "NO"),
            "arrow": ("bytea", None, "YES"),
        }
        indexes = {
            row.indexname: row.indexdef
            for row in await _sql(
                tier,
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = :s AND tablename = 'cache_entries'",
                s=pg_schema,
            )
        }
        assert re.search(r"CREATE UNIQUE INDEX .* \(key\)$", indexes["ix_cache_entries_key"])
        assert indexes["idx_key_expires"].endswith("(key, expires_at)")
        assert indexes["idx_type_expires"].endswith("(data_type, expires_at)")
        assert indexes["ix_cache_entries_expires_at"].endswith("(expires_at)")
        default = await _sql(
            tier,
            "SELECT column_default FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = 'cache_entries' AND column_name = 'hit_count'",
            s=pg_schema,
        )
        assert default[0][0] == "0"
        (version,) = await _sql(tier, f'SELECT value FROM "{pg_schema}".sportsframe_meta')
        assert version[0] == schema.WARM_SCHEMA_VERSION
    finally:
        await tier.close()


async def test_data_holds_the_payload_as_received(sql_tier: SqlTier, make_entry: Make) -> None:
    await sql_tier.set(make_entry("player_props:2024:18:True", PAYLOAD))
    cast = "data::text" if sql_tier.dialect == "postgresql" else "data"
    ((raw,),) = await _sql(sql_tier, f"SELECT {cast} FROM {_qualified(sql_tier)}")
    assert raw == orjson.dumps(PAYLOAD).decode()  # key order and values exactly as served
    ((arrow,),) = await _sql(sql_tier, f"SELECT arrow FROM {_qualified(sql_tier)}")
    assert pa.ipc.open_stream(bytes(arrow)).read_all().num_rows == 2  # the hot tier's bytes


# -- the read path ---------------------------------------------------------------------------------
async def test_a_hit_reads_the_arrow_copy_not_the_json(
    sql_tier: SqlTier, make_entry: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sql_tier.set(make_entry("player_props:2024:18:True", PAYLOAD))
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    # A file or server tier reads a hit on its own readers, one statement and no SQLAlchemy.
    readers = sql_tier._readers
    assert readers is not None
    fetch_row = readers.fetch_row

    async def seen(sql: str, params: Any, *decode: Any) -> Any:
        statements.append(sql)
        return await fetch_row(sql, params, *decode)

    monkeypatch.setattr(readers, "fetch_row", seen)
    event.listen(sql_tier.engine.sync_engine, "before_cursor_execute", record)
    try:
        found = await sql_tier.get("player_props:2024:18:True")
    finally:
        event.remove(sql_tier.engine.sync_engine, "before_cursor_execute", record)
    assert found is not None
    assert found._ipc is not None
    assert not found.has_payload()
    selects = [s for s in statements if "cache_entries" in s]
    assert len(selects) == 1
    assert "arrow" in selects[0]
    assert not re.search(r"\bdata\b", selects[0])  # data_type yes, data no
    assert found.payload == PAYLOAD


async def test_missing_arrow_copy_is_served_from_data_and_repaired(
    sql_tier: SqlTier, make_entry: Make
) -> None:
    await sql_tier.set(make_entry("teams:2024", PAYLOAD))
    await _sql(sql_tier, f"UPDATE {_qualified(sql_tier)} SET arrow = NULL")
    found = await sql_tier.get("teams:2024")
    assert found is not None
    assert found.payload == PAYLOAD
    ((arrow,),) = await _sql(sql_tier, f"SELECT arrow FROM {_qualified(sql_tier)}")
    assert arrow is not None
    assert entry_from_ipc(bytes(arrow)).payload == PAYLOAD


async def test_corrupt_arrow_copy_is_logged_and_served_from_data(
    sql_tier: SqlTier, make_entry: Make, caplog: pytest.LogCaptureFixture
) -> None:
    await sql_tier.set(make_entry("teams:2024", PAYLOAD))
    await _sql(sql_tier, f"UPDATE {_qualified(sql_tier)} SET arrow = :junk", junk=b"junk")
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        found = await sql_tier.get("teams:2024")
    assert found is not None
    assert found.payload == PAYLOAD
    assert len([r for r in caplog.records if "Arrow copy" in r.getMessage()]) == 1
    assert (await sql_tier.get("teams:2024")) is not None


async def test_row_edited_in_sql_wins_over_the_arrow_copys_envelope(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    await sql_tier.set(make_entry("teams:2024", PAYLOAD, ttl=60))
    later = clock.now() + timedelta(hours=2)
    await _sql(sql_tier, f"UPDATE {_qualified(sql_tier)} SET expires_at = :t", t=later)
    found = await sql_tier.get("teams:2024")
    assert found is not None
    assert found.expires_at == later
    assert codec.read_envelope(found.ipc).expires_at == later  # what promotion would write


async def test_timestamps_come_back_utc(sql_tier: SqlTier, make_entry: Make) -> None:
    entry = make_entry("teams:2024", PAYLOAD)
    await sql_tier.set(entry)
    await sql_tier.record_hits({"teams:2024": (1, entry.created_at)})
    found = await sql_tier.get("teams:2024")
    assert found is not None
    for when in (found.created_at, found.expires_at, found.last_hit_at):
        assert when is not None
        assert when.tzinfo is not None
        assert when.utcoffset() == timedelta(0)
    assert found.created_at == entry.created_at


# -- hits, eviction, report, cleanup ---------------------------------------------------------------
async def test_record_hits_adds_counts_and_keeps_the_latest_hit(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    await sql_tier.set_many([make_entry("a", []), make_entry("b", [])])
    t0 = clock.now()
    await sql_tier.record_hits({"a": (3, t0 + timedelta(seconds=5)), "b": (1, t0), "zz": (9, t0)})
    await sql_tier.record_hits({"a": (2, t0 + timedelta(seconds=1))})  # an older hit, flushed late
    found = await sql_tier.get_many(["a", "b"])
    assert (found["a"].hit_count, found["a"].last_hit_at) == (5, t0 + timedelta(seconds=5))
    assert (found["b"].hit_count, found["b"].last_hit_at) == (1, t0)
    await sql_tier.set(make_entry("a", [1]))  # a rewrite keeps the key's statistics
    again = await sql_tier.get("a")
    assert again is not None
    assert again.hit_count == 5
    assert again.payload == [1]


async def test_enforce_max_size_evicts_expired_then_least_recently_hit(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    t0 = clock.now()
    await sql_tier.set(make_entry("expired", [], ttl=10))
    await sql_tier.set_many(
        [make_entry(k, [], ttl=1000) for k in ("hit_early", "hit_late", "never")]
    )
    clock.advance(5)
    await sql_tier.record_hits({"hit_early": (1, clock.now())})
    clock.advance(5)
    await sql_tier.set(make_entry("new", [], ttl=1000))
    clock.advance(10)
    await sql_tier.record_hits({"hit_late": (1, clock.now()), "expired": (7, clock.now())})
    assert clock.now() == t0 + timedelta(seconds=20)
    # expired goes first despite its hits; then "never" (written at t0, never hit since)
    assert await sql_tier.enforce_max_size(3) == 2
    assert await sql_tier.keys() == ["hit_early", "hit_late", "new"]
    assert await sql_tier.enforce_max_size(3) == 0
    assert await sql_tier.enforce_max_size(1) == 2
    assert await sql_tier.keys() == ["hit_late"]


async def test_analyze_efficiency(sql_tier: SqlTier, make_entry: Make, clock: ManualClock) -> None:
    await sql_tier.set_many(
        [
            make_entry("odds:1", [], data_type="odds"),
            make_entry("odds:2", [], data_type="odds"),
            make_entry("teams:2024", [], data_type="teams"),
        ]
    )
    hit_at = clock.now() + timedelta(seconds=30)
    await sql_tier.record_hits({"odds:1": (3, hit_at)})
    report = await sql_tier.analyze_efficiency()
    assert [tuple(r) for r in report] == [("odds", 2, 1.5, hit_at), ("teams", 1, 0.0, None)]
    assert report[0].avg_hits == 1.5
    assert report[0].last_access == hit_at


async def test_cleanup_works_in_batches(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "CLEANUP_BATCH", 4)
    await sql_tier.set_many([make_entry(f"odds:{i}", [], ttl=10) for i in range(10)])
    await sql_tier.set(make_entry("teams:2024", [], ttl=1000))
    clock.advance(11)
    assert await sql_tier.cleanup() == 10
    assert await sql_tier.count() == 1


# -- layout version --------------------------------------------------------------------------------
async def test_another_layout_version_is_refused(
    tmp_path: Path, clock: ManualClock, make_entry: Make
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}"
    first = SqlTier(url, clock=clock)
    await first.set(make_entry("teams:2024", PAYLOAD))
    await _sql(first, "UPDATE sportsframe_meta SET value = '0'")
    await first.close()
    second = SqlTier(url, clock=clock)
    try:
        with pytest.raises(ConfigurationError, match="layout version 0"):
            await second.get("teams:2024")
    finally:
        await second.close()


async def test_another_process_never_sees_the_sqlite_table_without_its_unique_index(
    tmp_path: Path, clock: ManualClock, make_entry: Make
) -> None:
    # pysqlite runs DDL outside any transaction unless told otherwise: a second process
    # starting at the same moment could find cache_entries created but not yet its unique
    # index, and its upsert failed ("ON CONFLICT clause does not match any ... constraint").
    # Whatever another connection looks at while the tables are created, it sees all or none.
    import sqlite3

    path = tmp_path / "warm.sqlite3"
    tier = SqlTier(f"sqlite+aiosqlite:///{path}", clock=clock)
    seen: list[tuple[bool, bool]] = []

    def look(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("CREATE"):
            return
        other = sqlite3.connect(path, timeout=5)  # another process's view of the file
        try:
            names = {row[0] for row in other.execute("SELECT name FROM sqlite_master")}
        finally:
            other.close()
        seen.append(("cache_entries" in names, "ix_cache_entries_key" in names))

    event.listen(tier.engine.sync_engine, "before_cursor_execute", look)
    try:
        await tier.set(make_entry("teams:2024", PAYLOAD))
        assert len(seen) >= 2  # the tables and their indexes were created, and looked at
        assert all(table == index for table, index in seen), seen
        assert (await tier.get("teams:2024")) is not None
    finally:
        await tier.close()


async def test_a_foreign_cache_entries_table_is_refused(
    postgres_url: str, pg_schema: str, clock: ManualClock
) -> None:
    tier = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    try:
        await _sql(
            tier,
            f'CREATE TABLE "{pg_schema}".cache_entries (id serial PRIMARY KEY, '
            "key varchar(255) UNIQUE NOT NULL, data json NOT NULL, data_type varchar(50) NOT NULL, "
            "created_at timestamp, expires_at timestamp NOT NULL, hit_count integer, "
            "last_hit_at timestamp)",
        )
        with pytest.raises(ConfigurationError, match="without sportsframe's layout version"):
            await tier.get("teams:2024")
    finally:
        await tier.close()


# -- outages and settings --------------------------------------------------------------------------
async def test_unreachable_postgres_is_unavailable_without_leaking_the_password(
    free_port: int, clock: ManualClock, make_entry: Make
) -> None:
    tier = SqlTier(
        f"postgresql+psycopg://postgres:pw-s3cret@127.0.0.1:{free_port}/test", clock=clock
    )
    try:
        for call in (tier.get("teams:2024"), tier.set(make_entry("teams:2024", [])), tier.keys()):
            with pytest.raises(TierUnavailable) as info:
                await call
            assert info.value.tier == "warm"
            assert "pw-s3cret" not in str(info.value)
        assert await tier.ping() is False
        assert "pw-s3cret" not in tier.describe()
        assert "pw-s3cret" not in repr(tier)
    finally:
        await tier.close()


async def test_from_settings_uses_sqlite_under_home_in_wal_mode(
    tmp_path: Path, clock: ManualClock, make_entry: Make
) -> None:
    home = tmp_path / "not" / "yet"
    tier = SqlTier.from_settings(Settings(home=home), clock)
    try:
        await tier.set(make_entry("teams:2024", PAYLOAD))
        assert (home / "cache.sqlite3").exists()
        ((mode,),) = await _sql(tier, "PRAGMA journal_mode")
        assert mode == "wal"
        assert tier.describe() == f"SQLite {home / 'cache.sqlite3'}"
    finally:
        await tier.close()


def test_plain_urls_get_the_async_drivers(clock: ManualClock, tmp_path: Path) -> None:
    pg = SqlTier("postgresql://u@127.0.0.1/db", clock=clock)
    lite = SqlTier(f"sqlite:///{tmp_path / 'x.sqlite3'}", clock=clock)
    assert pg.url.drivername == "postgresql+psycopg"
    assert lite.url.drivername == "sqlite+aiosqlite"
    assert pg.engine.dialect.name == "postgresql"
    assert lite.engine.dialect.name == "sqlite"


# -- companions ---------------------------------------------------------------------------------
async def test_companion_is_read_with_its_entry(sql_tier: SqlTier, make_entry: Make) -> None:
    entry = make_entry("player_props:2024:18:True", PAYLOAD)
    await sql_tier.set(entry)
    frame_bytes = bytes(range(256)) * 4000  # a megabyte-ish binary value, every byte value
    await sql_tier.set_companion(entry, "frame-props-1", frame_bytes)
    found = await sql_tier.get_with_companion("player_props:2024:18:True", "frame-props-1")
    assert found is not None
    assert found.companion is not None
    assert bytes(found.companion) == frame_bytes
    assert (found.key, found.created_at, found.expires_at) == (
        entry.key,
        entry.created_at,
        entry.expires_at,
    )
    assert await found.load()  # deferred on PostgreSQL: the Arrow copy is read now
    assert found.payload == PAYLOAD
    other = await sql_tier.get_with_companion("player_props:2024:18:True", "frame-props-2")
    assert other is not None
    assert other.companion is None
    assert other.payload == PAYLOAD
    assert await sql_tier.get_with_companion("teams:2024", "frame-props-1") is None


async def test_on_postgres_a_companion_hit_leaves_the_payload_for_later(
    pg_tier: SqlTier, clock: ManualClock, make_entry: Make
) -> None:
    from sportsframe.cache.entry import EntryNotLoadedError

    entry = make_entry("player_props:2024:18:True", PAYLOAD)
    await pg_tier.set(entry)
    await pg_tier.set_companion(entry, "frame-1", b"frame")
    found = await pg_tier.get_with_companion(entry.key, "frame-1")
    assert found is not None
    assert found.deferred
    with pytest.raises(EntryNotLoadedError):
        found.table  # noqa: B018 - asked for before load()
    assert await found.load()
    assert not found.deferred
    assert found.payload == PAYLOAD
    assert codec.read_envelope(found.ipc) == codec.envelope_of(entry)
    # Replaced after the read: the old version's payload can no longer be had.
    again = await pg_tier.get_with_companion(entry.key, "frame-1")
    assert again is not None
    clock.advance(1)
    await pg_tier.set(make_entry(entry.key, PAYLOAD[:1]))
    assert not await again.load()


async def test_a_companion_of_an_older_entry_is_never_served_by_sql(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    old = make_entry("odds:2024:18", PAYLOAD)
    await sql_tier.set(old)
    await sql_tier.set_companion(old, "frame-odds-1", b"old frame")
    clock.advance(1)
    newer = make_entry("odds:2024:18", PAYLOAD[:1])
    await sql_tier.set(newer)  # refreshed elsewhere; the companion was not rewritten
    found = await sql_tier.get_with_companion("odds:2024:18", "frame-odds-1")
    assert found is not None
    assert found.companion is None
    assert found.created_at == newer.created_at
    assert found.payload == PAYLOAD[:1]


async def test_expired_entry_hides_its_companion_unless_stale_is_asked(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    entry = make_entry("teams:2024", PAYLOAD, ttl=10)
    await sql_tier.set(entry)
    await sql_tier.set_companion(entry, "frame-teams-1", b"frame")
    clock.advance(11)
    assert await sql_tier.get_with_companion("teams:2024", "frame-teams-1") is None
    stale = await sql_tier.get_with_companion("teams:2024", "frame-teams-1", include_stale=True)
    assert stale is not None
    assert stale.companion is not None


async def _companion_keys(tier: SqlTier) -> list[str]:
    table = f'"{tier.schema}".cache_companions' if tier.schema else "cache_companions"
    return sorted(row.key for row in await _sql(tier, f"SELECT key FROM {table}"))


async def test_delete_invalidate_and_cleanup_remove_companions(
    sql_tier: SqlTier, make_entry: Make, clock: ManualClock
) -> None:
    for key in ("odds:2024:16", "odds:2024:17", "odds:2024:18", "teams:2024"):
        entry = make_entry(key, PAYLOAD, ttl=60 if key == "teams:2024" else 300)
        await sql_tier.set(entry)
        await sql_tier.set_companion(entry, "frame-1", b"frame")
    assert await sql_tier.delete("odds:2024:16")
    assert await sql_tier.invalidate("odds:2024:1[7]") == 1
    assert await _companion_keys(sql_tier) == ["odds:2024:18", "teams:2024"]
    # An orphan (its entry rewritten) and an expired one go at cleanup; the current one stays.
    clock.advance(1)
    await sql_tier.set(make_entry("odds:2024:18", PAYLOAD))
    clock.advance(120)
    await sql_tier.cleanup(grace=0)
    assert await _companion_keys(sql_tier) == []
    fresh = make_entry("odds:2024:18", PAYLOAD)
    await sql_tier.set(fresh)
    await sql_tier.set_companion(fresh, "frame-1", b"frame")
    await sql_tier.cleanup(grace=0)
    assert await _companion_keys(sql_tier) == ["odds:2024:18"]


async def test_postgres_keeps_companions_packed_out_of_line(
    pg_tier: SqlTier, pg_schema: str, make_entry: Make
) -> None:
    entry = make_entry("player_props:2024:18:True", PAYLOAD)
    await pg_tier.set(entry)
    frame = bytes(200_000)  # very compressible
    await pg_tier.set_companion(entry, "frame-1", frame)
    (storage,) = await _sql(
        pg_tier,
        "SELECT a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relname = 'cache_companions' AND a.attname = 'data'",
        s=pg_schema,
    )
    assert storage.attstorage == "e"  # no second (pglz) compression attempt
    (row,) = await _sql(
        pg_tier,
        "SELECT pg_column_size(data) AS n, substring(data from 1 for 4) AS head "
        f'FROM "{pg_schema}".cache_companions',
    )
    assert bytes(row.head) == blob.MAGIC
    assert row.n < 1_000  # packed by sportsframe, not left at 200 KB
    found = await pg_tier.get_with_companion(entry.key, "frame-1")
    assert found is not None
    assert found.companion is not None
    assert bytes(found.companion) == frame


async def test_companions_written_unpacked_still_read(sql_tier: SqlTier, make_entry: Make) -> None:
    entry = make_entry("teams:2024", PAYLOAD)
    await sql_tier.set(entry)
    await sql_tier.set_companion(entry, "frame-1", b"placeholder")
    table = f'"{sql_tier.schema}".cache_companions' if sql_tier.schema else "cache_companions"
    arrow_stream = b"\xff\xff\xff\xff" + bytes(range(200))  # as an earlier version stored it
    await _sql(sql_tier, f"UPDATE {table} SET data = :d", d=arrow_stream)
    found = await sql_tier.get_with_companion("teams:2024", "frame-1")
    assert found is not None
    assert found.companion is not None
    assert bytes(found.companion) == arrow_stream


async def test_a_corrupt_companion_is_a_companion_miss(
    sql_tier: SqlTier, make_entry: Make, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry("teams:2024", PAYLOAD)
    await sql_tier.set(entry)
    await sql_tier.set_companion(entry, "frame-1", bytes(range(256)) * 100)
    table = f'"{sql_tier.schema}".cache_companions' if sql_tier.schema else "cache_companions"
    (row,) = await _sql(sql_tier, f"SELECT data FROM {table}")
    await _sql(sql_tier, f"UPDATE {table} SET data = :d", d=bytes(row.data)[:-8])  # truncated
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        found = await sql_tier.get_with_companion("teams:2024", "frame-1")
    assert found is not None
    assert found.companion is None  # the entry is still served; its frame is rebuilt
    assert found.payload == PAYLOAD
    assert any("unreadable warm-tier companion" in r.getMessage() for r in caplog.records)


async def test_a_new_tier_starts_while_another_session_reads_the_companions(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Make
) -> None:
    import psycopg

    first = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    await first.set(make_entry("teams:2024", PAYLOAD))
    await first.close()
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(dsn) as reader:
        # An open transaction that read the table holds a lock an ALTER TABLE would wait for.
        await reader.execute(f'SELECT count(*) FROM "{pg_schema}".cache_companions')
        second = SqlTier(postgres_url, clock=clock, schema=pg_schema, operation_timeout=3)
        try:
            found = await second.get("teams:2024")
        finally:
            await second.close()
        await reader.rollback()
    assert found is not None


async def _backend_pids(tier: SqlTier, connections: int) -> set[int]:
    """The server pids of ``connections`` pooled connections of ``tier`` (opened together)."""

    async def pid(conn: Any) -> int:
        await asyncio.sleep(0.05)  # hold the connection so the others need their own
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    pids = set(await asyncio.gather(*(tier._run(pid) for _ in range(connections))))
    if tier._readers is not None:  # the hit path's own connections
        sql = "SELECT pg_backend_pid() AS pid, pg_sleep(0.05) AS held"
        rows = await asyncio.gather(*(tier._readers.fetch_row(sql, ()) for _ in range(connections)))
        pids |= {row.pid for row in rows}
    return pids


async def test_connections_dropped_by_the_server_are_replaced_without_a_failed_call(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Make
) -> None:
    import psycopg

    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    tier = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    try:
        entry = make_entry("player_props:2024:18:True", PAYLOAD)
        await tier.set(entry)
        await tier.set_companion(entry, "frame-1", b"frame")
        for read in ("get", "get_with_companion", "set"):
            pids = await _backend_pids(tier, 3)
            assert len(pids) == 6  # three of SQLAlchemy's pool, three of the hit path's own
            # As a server restart would: every pooled connection is dropped by the server.
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
                for pid in pids:
                    await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await asyncio.sleep(0.1)  # the server has closed them
            if read == "get":
                found = await tier.get(entry.key)
                assert found is not None
            elif read == "get_with_companion":
                found = await tier.get_with_companion(entry.key, "frame-1")
                assert found is not None
                assert found.companion is not None
                assert bytes(found.companion) == b"frame"
            else:
                await tier.set(make_entry("teams:2024", PAYLOAD))
    finally:
        await tier.close()


# -- the readers: event loops, threads, close ------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_tier_read_from_one_event_loop_then_another_answers_in_both(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock, make_entry: Make
) -> None:
    if kind == "sqlite":
        tier = SqlTier(f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock)
    else:
        schema = request.getfixturevalue("pg_schema")
        tier = SqlTier(request.getfixturevalue("postgres_url"), clock=clock, schema=schema)
    entry = make_entry("player_props:2024:18:True", PAYLOAD)

    async def burst(write: bool) -> list[Any]:
        if write:
            await tier.set(entry)
        # More reads than the readers have connections: some wait on the loop's semaphore.
        return await asyncio.gather(*(tier.get(entry.key) for _ in range(12)))

    first = asyncio.run(burst(write=True))  # (as a script calling asyncio.run twice would)
    second = asyncio.run(burst(write=False))
    asyncio.run(tier.close())
    assert all(found is not None and found.payload == PAYLOAD for found in first + second)


async def test_sqlite_reads_do_not_wait_for_the_loops_busy_default_threads(
    tmp_path: Path, clock: ManualClock, make_entry: Make
) -> None:
    import time as _time

    tier = SqlTier(
        f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}", clock=clock, operation_timeout=0.5
    )
    entry = make_entry("player_props:2024:18:True", PAYLOAD)
    await tier.set(entry)
    # Someone else's work fills the loop's default thread pool for longer than the timeout.
    busy = [asyncio.create_task(asyncio.to_thread(_time.sleep, 1.5)) for _ in range(40)]
    await asyncio.sleep(0.05)
    try:
        found = await tier.get(entry.key)
        assert found is not None
    finally:
        await asyncio.gather(*busy)
        await tier.close()


async def test_a_closed_tier_raises_and_creates_nothing(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "never-used.sqlite3"
    tier = SqlTier(f"sqlite+aiosqlite:///{path}", clock=clock)
    await tier.close()
    with pytest.raises(TierUnavailable, match="closed"):
        await tier.get("teams:2024")
    with pytest.raises(TierUnavailable, match="closed"):
        await tier.count()
    assert not path.exists()  # the disposed engine was not quietly opened again
