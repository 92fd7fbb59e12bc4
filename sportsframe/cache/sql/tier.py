"""The warm tier: :class:`SqlTier` over the spec's ``cache_entries`` table (SQLAlchemy 2 Core).

PostgreSQL (``postgresql+psycopg://``) in production, SQLite (``sqlite+aiosqlite://``, WAL) as the
embedded default. The tables are the cache spec's, column for column, plus an entry's ``source``
and its Arrow copy, and ``cache_companions`` beside them: :mod:`~sportsframe.cache.sql.schema`
says what each holds and why. ``data`` stays the JSON source of truth, the payload exactly as
received; a warm hit reads the Arrow copy instead (and promotes it to Redis as is), and a row
without a readable one is served from ``data`` (its Arrow copy rewritten). A companion is read in
the same statement as its entry, joined on the entry's ``created_at``, so one written for an
older version is never served; ``delete``, ``invalidate`` and ``cleanup`` remove companions with
their entries. Hits, and reads of several keys, run on a few connections of the tier's own
(:class:`~sportsframe.cache.sql.pool.AsyncReaders`: psycopg on PostgreSQL, plain ``sqlite3`` in
a worker thread on a SQLite file) rather than through SQLAlchemy's pool.

Timestamps are UTC (``timestamptz`` on PostgreSQL; naive UTC text on SQLite, read back as UTC).
The tables are created on first use (:mod:`~sportsframe.cache.sql.schema`); upkeep is in
:mod:`~sportsframe.cache.sql.maintenance`, the efficiency report in
:mod:`~sportsframe.cache.sql.report`.

A server that cannot be reached raises :class:`TierUnavailable` within :data:`CONNECT_TIMEOUT`
(connection) or :data:`OPERATION_TIMEOUT` (anything), never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import delete, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.sql import blob, dialect, maintenance, report
from sportsframe.cache.sql.hit import (
    WarmRow,
    arrow_entry,
    deferred_entry,
    entry_statement,
    hit_statement,
    warm_row,
)
from sportsframe.cache.sql.maintenance import BATCH_SIZE
from sportsframe.cache.sql.pool import SyncWarmReader
from sportsframe.cache.sql.read import entry_columns, read_entries, read_on_readers
from sportsframe.cache.sql.report import EfficiencyRow, TypeEfficiency
from sportsframe.cache.sql.schema import build_tables, create_schema
from sportsframe.cache.tier import TierUnavailable, error_reason
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.registry.glob import matches

if TYPE_CHECKING:
    from sportsframe.settings import Settings

__all__ = ["CONNECT_TIMEOUT", "OPERATION_TIMEOUT", "SqlTier"]

log = logging.getLogger("sportsframe.cache")

T = TypeVar("T")

#: Seconds to wait for a PostgreSQL connection (libpq ``connect_timeout``; 2 is its minimum).
CONNECT_TIMEOUT: Final = 2
#: Seconds any one operation may take, connection included, before it counts as unavailable.
OPERATION_TIMEOUT: Final = 10.0

_NAME = "warm"


class SqlTier:
    """Warm tier over ``cache_entries`` (see the module docstring).

    Args:
        url: SQLAlchemy URL, ``postgresql+psycopg://...`` or ``sqlite+aiosqlite:///path``
            (``postgresql://`` and ``sqlite://`` get the async driver). May hold a password:
            it is never logged or shown.
        clock: judges expiry and stamps cleanup cut-offs.
        schema: PostgreSQL schema holding the tables (created if missing); None = default.
        connect_timeout: seconds for a PostgreSQL connection.
        operation_timeout: seconds for any one operation.
        pool_size: connections kept open (PostgreSQL).
    """

    name = _NAME

    def __init__(
        self,
        url: str | URL,
        *,
        clock: Clock = SYSTEM_CLOCK,
        schema: str | None = None,
        connect_timeout: int = CONNECT_TIMEOUT,
        operation_timeout: float = OPERATION_TIMEOUT,
        pool_size: int = 5,
    ) -> None:
        self.url = dialect.normalise_url(url)
        self.clock = clock
        self.schema = schema
        self.operation_timeout = operation_timeout
        self.dialect = self.url.get_backend_name()
        self._engine = dialect.create_engine(
            self.url,
            connect_timeout=max(2, int(connect_timeout)),
            operation_timeout=operation_timeout,
            pool_size=pool_size,
        )
        self.table, self.meta_table, self.companions = build_tables(schema)
        self._select_entry = entry_columns(self.table)
        self._ready = False
        self._init_lock = asyncio.Lock()
        self._sync_reader: SyncWarmReader | None = None
        self._sync_reader_lock = threading.Lock()
        self._closed = False
        prep = self._engine.dialect.identifier_preparer
        entries, companions = prep.format_table(self.table), prep.format_table(self.companions)
        mark = "%s" if self.dialect == "postgresql" else "?"
        self._hit_sql = hit_statement(entries, companions, mark)
        self._entry_sql = entry_statement(entries, mark)
        self._entries_sql = partial(entry_statement, entries, mark)
        # The hit path's own connections, async and blocking: None for an in-memory database.
        self._readers, self._sync_backend = dialect.point_readers(
            self._engine,
            tier=_NAME,
            size=max(2, pool_size),
            connect_timeout=max(2, int(connect_timeout)),
            operation_timeout=operation_timeout,
        )

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> SqlTier:
        """The tier at ``settings.database_url_value`` (SQLite under SPORTSFRAME_HOME by default,
        its directory created)."""
        url = settings.database_url_value
        if make_url(url).get_backend_name() == "sqlite":
            settings.home.mkdir(parents=True, exist_ok=True)
        return cls(url, clock=clock)

    @property
    def engine(self) -> AsyncEngine:
        """The async engine (shared by the quota table and advisory locks)."""
        return self._engine

    def describe(self) -> str:
        """One line naming the database (never the password)."""
        if self.dialect == "sqlite":
            return f"SQLite {self.url.database or ':memory:'}"
        where = f"{self.url.host}:{self.url.port or 5432}/{self.url.database}"
        schema = f" (schema {self.schema})" if self.schema else ""
        return f"PostgreSQL {where}{schema}"

    def __repr__(self) -> str:
        return f"SqlTier({self.describe()})"

    # -- plumbing ----------------------------------------------------------------------------------
    async def _run(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        *,
        limit: float | None = None,
        autocommit: bool = False,
    ) -> T:
        """Run ``work`` in one transaction (or, with ``autocommit``, each statement on its own:
        a read of one row needs no BEGIN and COMMIT round trips); connection trouble becomes
        TierUnavailable."""
        async with self._guarded(limit):
            if autocommit:
                async with self._engine.connect() as plain:
                    conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
                    return await work(conn)
            async with self._engine.begin() as conn:
                return await work(conn)

    def statement_runner(self) -> Callable[[str, Sequence[Any]], Awaitable[Any]] | None:
        """On PostgreSQL, :meth:`AsyncReaders.fetch_row` of the tier's own autocommit
        connections (one round trip; SQLAlchemy's pool adds a pre-ping and the isolation
        level's switch and reset); None on SQLite, whose own connections only read."""
        if self._readers is None or self.dialect != "postgresql":
            return None
        return self._readers.fetch_row

    async def prepare_reader(self) -> None:
        """Create (or check) the tables now, so the blocking reader may serve (it reads only a
        tier whose tables are known to exist)."""
        await self._prepare()

    async def _prepare(self) -> None:
        """Create the tables on first use (before a read on the tier's own readers)."""
        if not self._ready:
            async with self._guarded(None):
                pass

    @contextlib.asynccontextmanager
    async def _guarded(self, limit: float | None) -> AsyncIterator[None]:
        """The tables exist; the block runs within the time limit; connection trouble in
        either becomes TierUnavailable."""
        if self._closed:
            # (SQLAlchemy would quietly open a new pool on the disposed engine.)
            raise TierUnavailable(_NAME, "the warm tier is closed")
        try:
            async with asyncio.timeout(limit or self.operation_timeout):
                if not self._ready:
                    await self._ensure_schema()
                yield
        except dialect.UNAVAILABLE as exc:
            raise TierUnavailable(_NAME, error_reason(exc)) from None
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise TierUnavailable(_NAME, error_reason(exc)) from None
            raise

    async def _ensure_schema(self) -> None:
        async with self._init_lock:
            if self._ready:
                return
            async with self._engine.begin() as conn:
                await create_schema(
                    conn, (self.table, self.meta_table, self.companions), self.schema
                )
            self._ready = True

    def _like(self, pattern: str, table: Any = None) -> tuple[Any, bool]:
        return dialect.like(self.table if table is None else table, pattern, self.dialect)

    # -- reading -----------------------------------------------------------------------------------
    async def _read(
        self, conn: AsyncConnection, keys: Sequence[str], include_stale: bool
    ) -> dict[str, CacheEntry]:
        now = None if include_stale else self.clock.now()
        return await read_entries(conn, self._select_entry, self.table, keys, now=now)

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key`` from its Arrow copy (``data`` only when that is missing).

        On PostgreSQL and on a SQLite file the Arrow copy is read on the tier's own readers (one
        round trip; through SQLAlchemy a read also paid a pre-ping, BEGIN and COMMIT); a row
        without a usable Arrow copy takes the general path, which serves ``data`` and repairs it.
        """
        if self._readers is not None:
            await self._prepare()
            row = await self._readers.fetch_row(self._entry_sql, (key,), warm_row)
            if row is None:
                return None
            if not include_stale and self.clock.now() >= row.expires_at:
                return None
            entry, _ = arrow_entry(row, row.companion)  # (the Arrow copy: see entry_statement)
            if entry is not None:
                return entry

        async def work(conn: AsyncConnection) -> CacheEntry | None:
            return (await self._read(conn, [key], include_stale)).get(key)

        return await self._run(work)

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys present (one SELECT per :data:`BATCH_SIZE` keys), on the tier's
        own readers where there are any (see :func:`~.read.read_on_readers`)."""
        if not (wanted := list(dict.fromkeys(keys))):
            return {}
        out: dict[str, CacheEntry] = {}
        general = wanted
        if self._readers is not None:
            await self._prepare()
            now = None if include_stale else self.clock.now()
            out, general = await read_on_readers(self._readers, self._entries_sql, wanted, now)
            if not general:
                return out

        async def work(conn: AsyncConnection) -> dict[str, CacheEntry]:
            for start in range(0, len(general), BATCH_SIZE):
                out.update(
                    await self._read(conn, general[start : start + BATCH_SIZE], include_stale)
                )
            return out

        return await self._run(work)

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry expires (negative once expired); None if absent."""
        t = self.table

        async def work(conn: AsyncConnection) -> datetime | None:
            result = await conn.execute(select(t.c.expires_at).where(t.c.key == key))
            value: datetime | None = result.scalar_one_or_none()
            return value

        expires = await self._run(work)
        return None if expires is None else (expires - self.clock.now()).total_seconds()

    async def keys(self, pattern: str = "*") -> list[str]:
        """Keys matching the glob (expired rows included), sorted."""
        return sorted(await self._run(lambda conn: self._matching(conn, pattern)))

    async def _matching(self, conn: AsyncConnection, pattern: str) -> list[str]:
        where, recheck = self._like(pattern)
        found = (await conn.execute(select(self.table.c.key).where(where))).scalars().all()
        return [k for k in found if matches(pattern, k)] if recheck else list(found)

    # -- companions --------------------------------------------------------------------------------
    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        """``get`` plus the current companion named ``companion``, in one statement
        (:func:`~sportsframe.cache.sql.hit.hit_statement`).

        The statement leaves the Arrow copy out: an entry that comes with its companion is
        deferred (see :class:`~sportsframe.cache.tier.CompanionTier`), and ``await
        entry.load()`` reads it. On PostgreSQL and on a SQLite file it runs on the tier's own
        readers. Without a usable companion, the answer is :meth:`get`'s.
        """
        row: WarmRow | None
        if self._readers is not None:
            await self._prepare()
            row = await self._readers.fetch_row(self._hit_sql, (companion, key), warm_row)
        else:

            async def work(conn: AsyncConnection) -> WarmRow | None:
                raw = (await conn.exec_driver_sql(self._hit_sql, (companion, key))).first()
                return None if raw is None else warm_row(raw)

            row = await self._run(work, autocommit=True)
        if row is None:
            return None
        if not include_stale and self.clock.now() >= row.expires_at:
            return None
        entry = deferred_entry(row, self._arrow_of)
        if entry is None:  # no usable companion: the general read
            return await self.get(key, include_stale=include_stale)
        return entry

    def sync_reader(self) -> SyncWarmReader | None:
        """A blocking reader of fresh hits with their companions for threads outside the
        event loop (see :class:`~sportsframe.cache.sql.pool.SyncWarmReader`), or None: an
        in-memory SQLite database, a tier not used yet (its tables may not exist) or a closed
        one."""
        if self._sync_backend is None or not self._ready or self._closed:
            return None
        if self._sync_reader is not None:
            return self._sync_reader
        with self._sync_reader_lock:  # the sync facade asks from many threads at once
            if self._sync_reader is None and not self._closed:
                self._sync_reader = SyncWarmReader(
                    self._sync_backend,
                    sql=self._hit_sql,
                    to_entry=partial(deferred_entry, arrow_of=self._arrow_of, bare=True),
                    decode=warm_row,
                    clock=self.clock,
                    tier=_NAME,
                    size=2,
                    operation_timeout=self.operation_timeout,
                )
            return self._sync_reader

    async def _arrow_of(self, key: str, created_at: datetime) -> bytes | None:
        """The IPC stream of the entry stored under ``key`` with ``created_at`` (a deferred
        entry's payload), or None once another version (or none) is stored."""
        # get serves the row from its Arrow copy, or from ``data`` (repairing the Arrow copy).
        entry = await self.get(key, include_stale=True)
        if entry is None or entry.created_at != created_at:
            return None
        return entry.ipc

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        """Upsert ``entry``'s companion named ``companion`` (removed with the entry, or by
        :meth:`cleanup` once expired; ``grace`` is for that)."""
        stmt = dialect.upsert(
            self.companions, self.dialect, ("key", "name"), ("created_at", "expires_at", "data")
        ).values(
            key=entry.key,
            name=companion,
            created_at=entry.created_at,
            expires_at=entry.expires_at,
            data=blob.pack(data),
        )

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(stmt)

        await self._run(work)

    # -- writing -----------------------------------------------------------------------------------
    @staticmethod
    def _row(entry: CacheEntry) -> dict[str, Any]:
        return {
            "key": entry.key,
            "data": entry.payload,
            "data_type": entry.data_type,
            "created_at": entry.created_at,
            "expires_at": entry.expires_at,
            "source": entry.source,
            "arrow": entry.ipc,
        }

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """Upsert the entry (``grace`` is for :meth:`cleanup`; rows stay until it runs)."""
        await self.set_many([entry], grace=grace)

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Upsert several entries in one transaction (INSERT ... ON CONFLICT DO UPDATE)."""
        latest = {e.key: e for e in entries}  # one row per key: ON CONFLICT cannot hit twice
        if not latest:
            return
        rows = [self._row(latest[k]) for k in sorted(latest)]  # sorted: no lock-order deadlocks
        updated = ("data", "data_type", "created_at", "expires_at", "source", "arrow")
        stmt = dialect.upsert(self.table, self.dialect, ("key",), updated)

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(stmt, rows)

        await self._run(work)

    async def delete(self, key: str) -> bool:
        """Delete one row; True if it existed."""
        t = self.table

        async def work(conn: AsyncConnection) -> int:
            await conn.execute(delete(self.companions).where(self.companions.c.key == key))
            return (await conn.execute(delete(t).where(t.c.key == key))).rowcount

        return await self._run(work) > 0

    async def invalidate(self, pattern: str) -> int:
        """Delete the rows whose key matches the glob; returns how many."""
        t, c = self.table, self.companions

        async def work(conn: AsyncConnection) -> int:
            where, recheck = self._like(pattern)
            if not recheck:
                await conn.execute(delete(c).where(self._like(pattern, c)[0]))
                return (await conn.execute(delete(t).where(where))).rowcount
            doomed = await self._matching(conn, pattern)
            removed = 0
            for start in range(0, len(doomed), BATCH_SIZE):
                chunk = doomed[start : start + BATCH_SIZE]
                await conn.execute(delete(c).where(c.c.key.in_(chunk)))
                removed += (await conn.execute(delete(t).where(t.c.key.in_(chunk)))).rowcount
            return removed

        return await self._run(work)

    # -- upkeep and reports (sportsframe.cache.sql.maintenance and .report) --------------------
    async def record_hits(self, hits: Mapping[str, tuple[int, datetime]]) -> None:
        """Add each key's count to ``hit_count`` and move ``last_hit_at`` forward (see
        :func:`~sportsframe.cache.sql.maintenance.record_hits`)."""
        await maintenance.record_hits(self, hits)

    async def cleanup(self, grace: float = 0.0) -> int:
        """Delete rows expired for longer than ``grace`` seconds; returns how many (see
        :func:`~sportsframe.cache.sql.maintenance.cleanup`)."""
        return await maintenance.cleanup(self, grace)

    async def enforce_max_size(self, max_entries: int, *, grace: float = 0.0) -> int:
        """Evict rows beyond ``max_entries``; returns how many (see
        :func:`~sportsframe.cache.sql.maintenance.enforce_max_size`)."""
        return await maintenance.enforce_max_size(self, max_entries, grace=grace)

    async def analyze_efficiency(self) -> list[EfficiencyRow]:
        """The spec's report (see :func:`~sportsframe.cache.sql.report.analyze_efficiency`)."""
        return await report.analyze_efficiency(self)

    async def efficiency_report(self, now: datetime | None = None) -> list[TypeEfficiency]:
        """Per data type: entries, live and expired, hits and bytes stored (see
        :func:`~sportsframe.cache.sql.report.efficiency_report`)."""
        return await report.efficiency_report(self, now)

    async def count(self) -> int:
        """How many rows the table holds (expired included)."""
        return await maintenance.count(self)

    async def ping(self) -> bool:
        """True when the database answers ``SELECT 1``."""
        try:
            async with asyncio.timeout(self.operation_timeout):
                async with self._engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except dialect.PING_ERRORS:
            return False
        return True

    async def close(self) -> None:
        """Close every pooled connection."""
        self._closed = True
        with self._sync_reader_lock:
            sync_reader, self._sync_reader = self._sync_reader, None
        if sync_reader is not None:
            sync_reader.close()
        if self._readers is not None:
            await self._readers.close()
        await self._engine.dispose()
