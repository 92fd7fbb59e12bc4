"""The warm tier: :class:`SqlTier` over the spec's ``cache_entries`` table (SQLAlchemy 2 Core).

PostgreSQL (``postgresql+psycopg://``) in production, SQLite (``sqlite+aiosqlite://``, WAL) as the
embedded default. The table is the cache spec's, column for column::

    id PK | key String(255) unique, indexed | data JSON (json, not jsonb) | data_type String(50)
    created_at | expires_at (indexed) | hit_count (default 0) | last_hit_at (nullable)
    indexes idx_key_expires (key, expires_at), idx_type_expires (data_type, expires_at)

plus two columns that buy something measured:

``source``
    ``sportsdataio`` or ``emulator`` (the key prefix already keeps sources apart; this makes the
    provenance queryable).
``arrow``
    nullable sidecar: the same Arrow IPC stream the hot tier stores. A warm hit reads it (and
    promotes it to Redis as is) instead of parsing ``data``; ``data`` stays the JSON source of
    truth, the payload exactly as received, for SQL users. A row without a readable sidecar is
    served from ``data`` (and its sidecar rewritten).

Beside it, ``cache_companions`` (key, name, created_at, expires_at, data; primary key (key, name))
keeps values derived from an entry (the facade's finished frames, see
:class:`~sportsframe.cache.tier.CompanionTier`): a companion is read in the same statement as its
entry, joined on the entry's ``created_at``, so one written for an older version of the entry is
never served; ``delete``, ``invalidate`` and ``cleanup`` remove companions with their entries (and
any left without one). Companions are stored zstd-compressed (:mod:`~sportsframe.cache.sql.blob`):
a props week's finished frame is a megabyte of Arrow, 70 KB packed, and moving the megabyte out of
PostgreSQL cost more than the rest of a warm hit. On PostgreSQL that read (entry and companion in
one joined SELECT) runs on :class:`~sportsframe.cache.sql.pg.PgReaders`, a few psycopg
connections of the tier's own with binary results, rather than through SQLAlchemy's pool; on a
SQLite file, on :class:`~sportsframe.cache.sql.sqlite.SqliteReaders` (plain ``sqlite3`` in a
worker thread). That statement leaves the entry's sidecar out when the companion is there.

Timestamps are UTC (``timestamptz`` on PostgreSQL; naive UTC text on SQLite, read back as UTC).
The table is created on first use, with the layout's version in ``sportsframe_meta``; a database
holding another version (or a ``cache_entries`` table without one) raises
:class:`~sportsframe.errors.ConfigurationError` rather than being read silently.

A server that cannot be reached raises :class:`TierUnavailable` within :data:`CONNECT_TIMEOUT`
(connection) or :data:`OPERATION_TIMEOUT` (anything), never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.sql import blob
from sportsframe.cache.sql.blocking import SyncPgBackend, SyncSqliteBackend, SyncWarmReader
from sportsframe.cache.sql.sqlite import SqliteReaders
from sportsframe.cache.tier import TierUnavailable, error_reason
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import ConfigurationError
from sportsframe.registry.glob import LIKE_ESCAPE, glob_to_like, matches

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from sportsframe.cache.sql.pg import PgReaders
    from sportsframe.settings import Settings

__all__ = [
    "BATCH_SIZE",
    "CLEANUP_BATCH",
    "COMPANION_TABLE",
    "CONNECT_TIMEOUT",
    "META_TABLE",
    "OPERATION_TIMEOUT",
    "TABLE",
    "WARM_SCHEMA_VERSION",
    "EfficiencyRow",
    "SqlTier",
    "TypeEfficiency",
    "UTCDateTime",
    "build_tables",
]

log = logging.getLogger("sportsframe.cache")

T = TypeVar("T")

#: The table's name (the spec's).
TABLE: Final = "cache_entries"
#: Where the layout version is recorded.
META_TABLE: Final = "sportsframe_meta"
#: Values derived from entries (finished frames), stored beside them.
COMPANION_TABLE: Final = "cache_companions"
#: Version of this table layout (columns and sidecar format); bump on any change.
WARM_SCHEMA_VERSION: Final = "1"
#: Seconds to wait for a PostgreSQL connection (libpq ``connect_timeout``; 2 is its minimum).
CONNECT_TIMEOUT: Final = 2
#: Seconds any one operation may take, connection included, before it counts as unavailable.
OPERATION_TIMEOUT: Final = 10.0
#: Keys per statement in get_many, invalidate and record_hits.
BATCH_SIZE: Final = 500
#: Rows deleted per transaction by cleanup (short transactions, short locks).
CLEANUP_BATCH: Final = 5000

_NAME = "warm"
_META_KEY = "cache_entries.schema_version"
# Arbitrary constant: the advisory lock that serialises table creation across processes.
_INIT_LOCK_ID = 0x5F_CA_C4E0


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("cache timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build_tables(schema: str | None = None) -> tuple[Table, Table, Table]:
    """``cache_entries``, ``sportsframe_meta`` and ``cache_companions`` in ``schema`` (the
    database's default if None)."""
    metadata = MetaData(schema=schema)
    entries = Table(
        TABLE,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(255), nullable=False),
        Column("data", JSON, nullable=False),
        Column("data_type", String(50), nullable=False),
        Column("created_at", UTCDateTime),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("hit_count", Integer, default=0, server_default=text("0")),
        Column("last_hit_at", UTCDateTime, nullable=True),
        Column("source", String(50), nullable=False, server_default="sportsdataio"),
        Column("arrow", LargeBinary, nullable=True),
        # The spec's unique=True, index=True and index=True, named the same in every schema.
        Index("ix_cache_entries_key", "key", unique=True),
        Index("ix_cache_entries_expires_at", "expires_at"),
        Index("idx_key_expires", "key", "expires_at"),
        Index("idx_type_expires", "data_type", "expires_at"),
    )
    meta = Table(
        META_TABLE,
        metadata,
        Column("name", String(64), primary_key=True),
        Column("value", String(255), nullable=False),
    )
    companions = Table(
        COMPANION_TABLE,
        metadata,
        Column("key", String(255), primary_key=True),
        Column("name", String(64), primary_key=True),
        # The created_at of the entry this was derived from: the join condition of every read.
        Column("created_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("data", LargeBinary, nullable=False),
        Index("ix_cache_companions_expires_at", "expires_at"),
    )
    return entries, meta, companions


def _row_entry(row: Any, **forms: Any) -> CacheEntry:
    """The entry of a ``cache_entries`` row; ``forms`` are the payload forms at hand
    (``_table``, ``_ipc``, ``_payload``), the others being derived when asked for."""
    return CacheEntry(
        row.key,
        row.data_type,
        row.created_at,
        row.expires_at,
        row.source,
        row.hit_count or 0,
        row.last_hit_at,
        **forms,
    )


#: _companion_hit's answer for "read this entry the general way".
_ELSEWHERE: Final = object()


def _in_utc(row: Any) -> Any:
    """A row read on the tier's readers, its timestamps in UTC (psycopg gives the session's
    zone)."""
    return row._replace(
        created_at=row.created_at.astimezone(UTC),
        expires_at=row.expires_at.astimezone(UTC),
        last_hit_at=row.last_hit_at.astimezone(UTC) if row.last_hit_at else None,
    )


def _unpack_companion(key: str, stored: bytes) -> bytes | memoryview | None:
    """A companion as it was given to ``set_companion``, or None (logged) when it does not
    unpack: a companion is only ever a shortcut, so a corrupt one is a companion miss."""
    try:
        return blob.unpack(stored)
    except blob.BlobError as exc:
        log.warning("unreadable warm-tier companion under %s (%s); ignoring it", key, exc)
        return None


class EfficiencyRow(NamedTuple):
    """One line of the spec's efficiency report (per data type)."""

    data_type: str
    entries: int
    avg_hits: float
    last_access: datetime | None


class TypeEfficiency(NamedTuple):
    """One data type's line of the extended efficiency report (see
    :meth:`SqlTier.efficiency_report`)."""

    data_type: str
    entries: int
    live: int
    expired: int
    avg_hits: float
    total_hits: int
    last_hit: datetime | None
    payload_bytes: int
    sidecar_bytes: int
    frame_bytes: int


class _json_bytes(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """The size in bytes of a JSON column's stored text: the dialects disagree on how to ask
    (SQLite's ``length`` of text counts characters, and it has no ``octet_length`` before 3.43;
    PostgreSQL needs the ``json`` cast to text)."""

    type = Integer()
    inherit_cache = True


@compiles(_json_bytes, "postgresql")
def _json_bytes_postgresql(element: _json_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length(CAST({compiler.process(element.clauses, **kw)} AS TEXT))"


@compiles(_json_bytes)
def _json_bytes_default(element: _json_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _normalise_url(url: str | URL) -> URL:
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer (a notebook and a batch job share the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    TimeoutError,
    OSError,
)

_PING_ERRORS: tuple[type[BaseException], ...] = (*_UNAVAILABLE, sa_exc.DBAPIError)


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
        self.url = _normalise_url(url)
        self.clock = clock
        self.schema = schema
        self.operation_timeout = operation_timeout
        self.dialect = self.url.get_backend_name()
        kwargs: dict[str, Any] = {
            # A round trip per checkout; the hit path on PostgreSQL does not check out from
            # this pool (PgReaders), and the quota table and advisory locks share it.
            "pool_pre_ping": True,
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        if self.dialect == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": max(2, int(connect_timeout))}
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_timeout"] = operation_timeout
        elif self.dialect == "sqlite":
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._engine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        self.table, self.meta_table, self.companions = build_tables(schema)
        self._ready = False
        self._init_lock = asyncio.Lock()
        self._readers: PgReaders | SqliteReaders | None = None
        # What the blocking reader of sync callers connects with (see sync_reader).
        self._sync_backend: SyncPgBackend | SyncSqliteBackend | None = None
        self._sync_reader: SyncWarmReader | None = None
        self._sync_reader_lock = threading.Lock()
        self._closed = False
        self._companion_sql = ""
        self._entry_sql = ""
        database = self.url.database or ""
        if (
            self.dialect == "sqlite"
            and database
            and database != ":memory:"
            and (not database.startswith("file:"))
        ):
            # The hit path's one statement on plain sqlite3 (see sqlitereaders), on the very
            # file SQLAlchemy opens (a relative path resolved now, as it resolves it).
            (path, *_), _ = self._engine.dialect.create_connect_args(self.url)
            self._readers = SqliteReaders(
                str(path), tier=_NAME, size=4, operation_timeout=operation_timeout
            )
            self._sync_backend = SyncSqliteBackend(str(path))
            self._companion_sql = (
                "SELECT e.key, e.data_type, e.created_at, e.expires_at, e.source,"
                " e.hit_count, e.last_hit_at, c.data AS companion"
                f" FROM {TABLE} e LEFT JOIN {COMPANION_TABLE} c"
                " ON c.key = e.key AND c.name = ? AND c.created_at = e.created_at"
                " WHERE e.key = ?"
            )
            self._entry_sql = (
                "SELECT key, data_type, created_at, expires_at, source, hit_count, last_hit_at,"
                f" arrow FROM {TABLE} WHERE key = ?"
            )
        if self.dialect == "postgresql":
            # psycopg is the postgres extra's: imported only when PostgreSQL is the warm tier.
            from sportsframe.cache.sql.pg import PgReaders

            # The hit path's one statement runs on connections of its own (see pgreaders).
            _, connect_args = self._engine.dialect.create_connect_args(self.url)
            # A connect_timeout in the URL gives way to the tier's, as in the engine's own
            # connect_args (given twice it would be a TypeError at connect).
            connect_args = {k: v for k, v in connect_args.items() if k != "connect_timeout"}
            self._readers = PgReaders(
                connect_args,
                tier=_NAME,
                # As many as the pool keeps: every point read runs here (hits with or without
                # their companions), SQLAlchemy's pool serves writes and maintenance.
                size=max(2, pool_size),
                connect_timeout=max(2, int(connect_timeout)),
                operation_timeout=operation_timeout,
            )
            self._sync_backend = SyncPgBackend(
                connect_args, connect_timeout=max(2, int(connect_timeout))
            )
            prep = self._engine.dialect.identifier_preparer
            entries, companions = prep.format_table(self.table), prep.format_table(self.companions)
            # Without the entry's sidecar: a warm hit with its companion returns a deferred entry
            # (reading the 180 KB sidecar of a props week cost 0.45 ms, more than the companion).
            self._companion_sql = (
                "SELECT e.key, e.data_type, e.created_at, e.expires_at, e.source, e.hit_count,"
                " e.last_hit_at, c.data AS companion"
                f" FROM {entries} e LEFT JOIN {companions} c"
                " ON c.key = e.key AND c.name = %s AND c.created_at = e.created_at"
                " WHERE e.key = %s"
            )
            self._entry_sql = (
                "SELECT key, data_type, created_at, expires_at, source, hit_count, last_hit_at,"
                f" arrow FROM {entries} WHERE key = %s"
            )
        self._select_entry = select(
            self.table.c.key,
            self.table.c.data_type,
            self.table.c.created_at,
            self.table.c.expires_at,
            self.table.c.source,
            self.table.c.hit_count,
            self.table.c.last_hit_at,
            self.table.c.arrow,
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
        except _UNAVAILABLE as exc:
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
                await self._create(conn)
            self._ready = True

    async def _create(self, conn: AsyncConnection) -> None:
        if self.dialect == "postgresql":
            if self.schema:
                quoted = conn.dialect.identifier_preparer.quote_schema(self.schema)
                await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
            # Two processes creating the table at once would collide in the catalog.
            await conn.execute(select(func.pg_advisory_xact_lock(_INIT_LOCK_ID)))
        existed = await conn.run_sync(self._has_table, TABLE)
        for table in (self.table, self.meta_table, self.companions):
            await conn.execute(CreateTable(table, if_not_exists=True))
            for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
                await conn.execute(CreateIndex(index, if_not_exists=True))
        meta = self.meta_table
        found = (
            await conn.execute(select(meta.c.value).where(meta.c.name == _META_KEY))
        ).scalar_one_or_none()
        if found is None:
            if existed:
                columns = await conn.run_sync(self._columns, TABLE)
                if not {"source", "arrow"} <= columns:
                    raise ConfigurationError(
                        f"a {TABLE} table without sportsframe's layout version exists in the "
                        "warm-tier database; drop it or point DATABASE_URL elsewhere"
                    )
            await conn.execute(meta.insert().values(name=_META_KEY, value=WARM_SCHEMA_VERSION))
        elif found != WARM_SCHEMA_VERSION:
            raise ConfigurationError(
                f"the warm-tier {TABLE} table has layout version {found}, this sportsframe "
                f"reads version {WARM_SCHEMA_VERSION}; clear it with `sportsframe cleanup` or "
                "point DATABASE_URL elsewhere"
            )
        if self.dialect == "postgresql":
            await self._store_companions_out_of_line(conn)

    async def _store_companions_out_of_line(self, conn: AsyncConnection) -> None:
        """Out of line, without PostgreSQL's own compression: the values are already packed
        with zstd, so pglz would only spend time failing to shrink them. Altered once: ALTER
        TABLE takes an exclusive lock, which would queue behind any reader of the table."""
        companions = conn.dialect.identifier_preparer.format_table(self.companions)
        storage = (
            await conn.execute(
                text(
                    "SELECT attstorage FROM pg_attribute "
                    "WHERE attrelid = to_regclass(:t) AND attname = 'data'"
                ),
                {"t": companions},
            )
        ).scalar_one_or_none()
        if storage != "e":
            await conn.execute(
                text(f"ALTER TABLE {companions} ALTER COLUMN data SET STORAGE EXTERNAL")
            )

    def _has_table(self, conn: Connection, name: str) -> bool:
        return bool(inspect(conn).has_table(name, schema=self.schema))

    def _columns(self, conn: Connection, name: str) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns(name, schema=self.schema)}

    def _insert(self) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(self.table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(self.table)

    def _upsert(self) -> Any:
        stmt = self._insert()
        updated = ("data", "data_type", "created_at", "expires_at", "source", "arrow")
        return stmt.on_conflict_do_update(
            index_elements=[self.table.c.key],
            set_={name: stmt.excluded[name] for name in updated},
        )

    def _like(self, pattern: str, table: Table | None = None) -> tuple[Any, bool]:
        """(WHERE clause on ``table``'s key narrowing to ``pattern``, whether candidates need a
        re-check)."""
        like = glob_to_like(pattern)
        # SQLite's LIKE ignores ASCII case: re-check there even when the LIKE is exact.
        recheck = not like.exact or self.dialect != "postgresql"
        key = (self.table if table is None else table).c.key
        return key.like(like.like, escape=LIKE_ESCAPE), recheck

    # -- reading -----------------------------------------------------------------------------------
    def _entry_from_row(
        self, row: Any, sidecar: bytes | None
    ) -> tuple[CacheEntry | None, str | None]:
        """(entry of ``row`` from its sidecar, or None with the reason it could not be used)."""
        if sidecar is None:
            return None, None
        try:
            table = codec.decode(sidecar)
            envelope = codec.read_envelope(table)
        except codec.CodecError as exc:
            return None, str(exc)
        entry = _row_entry(row, _table=table, _ipc=sidecar)
        if envelope != codec.envelope_of(entry):
            # The row was changed in SQL (e.g. expires_at extended): the row wins; the stream is
            # rebuilt with the row's envelope when someone asks for it.
            entry._table = codec.with_envelope(table, codec.envelope_of(entry))
            entry._ipc = None
        return entry, None

    async def _from_json(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[CacheEntry]:
        """Entries for rows without a usable sidecar, read from ``data`` (sidecars repaired)."""
        t = self.table
        keys = [row.key for row in rows]
        data = dict((await conn.execute(select(t.c.key, t.c.data).where(t.c.key.in_(keys)))).all())
        out: list[CacheEntry] = []
        repairs: list[dict[str, Any]] = []
        for row in rows:
            if row.key not in data:
                continue
            entry = _row_entry(row, _payload=data[row.key])
            out.append(entry)
            repairs.append({"b_key": row.key, "b_arrow": entry.ipc})
        if repairs:
            stmt = (
                update(t)
                .where(t.c.key == bindparam("b_key"))
                .values(arrow=bindparam("b_arrow", type_=LargeBinary))
            )
            await conn.execute(stmt, repairs)
        return out

    async def _read(
        self, conn: AsyncConnection, keys: Sequence[str], include_stale: bool
    ) -> dict[str, CacheEntry]:
        rows = (await conn.execute(self._select_entry.where(self.table.c.key.in_(keys)))).all()
        now = self.clock.now()
        out: dict[str, CacheEntry] = {}
        fallback: list[Any] = []
        for row in rows:
            if not include_stale and now >= row.expires_at:
                continue
            entry, problem = self._entry_from_row(row, row.arrow)
            if entry is not None:
                out[row.key] = entry
                continue
            if problem is not None:
                log.warning(
                    "unreadable warm-tier sidecar under %s (%s); using data", row.key, problem
                )
            fallback.append(row)
        if fallback:
            for entry in await self._from_json(conn, fallback):
                out[entry.key] = entry
        return out

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key`` from its Arrow sidecar (``data`` only when that is missing).

        On PostgreSQL and on a SQLite file the sidecar is read on the tier's own readers (one
        round trip; through SQLAlchemy a read also paid a pre-ping, BEGIN and COMMIT); a row
        without a usable sidecar takes the general path, which serves ``data`` and repairs it.
        """
        if self._readers is not None and self._entry_sql:
            await self._prepare()
            row = await self._readers.fetch_row(self._entry_sql, (key,))
            if row is None:
                return None
            row = _in_utc(row)
            if not include_stale and self.clock.now() >= row.expires_at:
                return None
            entry, _ = self._entry_from_row(row, row[-1])  # (the statement's last column)
            if entry is not None:
                return entry

        async def work(conn: AsyncConnection) -> CacheEntry | None:
            return (await self._read(conn, [key], include_stale)).get(key)

        return await self._run(work)

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys present (one SELECT per :data:`BATCH_SIZE` keys)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}

        async def work(conn: AsyncConnection) -> dict[str, CacheEntry]:
            out: dict[str, CacheEntry] = {}
            for start in range(0, len(wanted), BATCH_SIZE):
                out.update(
                    await self._read(conn, wanted[start : start + BATCH_SIZE], include_stale)
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
        """``get`` plus the current companion named ``companion``, in one statement.

        On PostgreSQL and on a SQLite file the statement runs on the tier's own readers and
        leaves the sidecar out: an entry that comes with its companion is deferred (see
        :class:`~sportsframe.cache.tier.CompanionTier`), and ``await entry.load()`` reads it.
        """
        if self._readers is not None:
            await self._prepare()
            row = await self._readers.fetch_row(self._companion_sql, (companion, key))
            if row is None:
                return None
            row = _in_utc(row)
            if not include_stale and self.clock.now() >= row.expires_at:
                return None
            entry = self._deferred_entry(row)
            if entry is None:  # no usable companion: the general read
                return await self.get(key, include_stale=include_stale)
            return entry

        async def work(conn: AsyncConnection) -> CacheEntry | None:
            t, c = self.table, self.companions
            same_version = (c.c.key == t.c.key) & (c.c.created_at == t.c.created_at)
            joined = t.outerjoin(c, same_version & (c.c.name == companion))
            query = self._select_entry.add_columns(c.c.data.label("companion")).select_from(joined)
            row = (await conn.execute(query.where(t.c.key == key))).first()
            found = self._companion_hit(row, include_stale)
            if found is not _ELSEWHERE:
                return cast("CacheEntry | None", found)
            return (await self._read(conn, [key], include_stale)).get(key)

        return await self._run(work, autocommit=True)

    def _deferred_entry(self, row: Any, *, bare: bool = False) -> CacheEntry | None:
        """The deferred entry of a joined hit row (timestamps in UTC) with its companion, or
        None when the row has no usable companion (with ``bare``: the entry without one)."""
        data = None if row.companion is None else _unpack_companion(row.key, row.companion)
        if data is None and not bare:
            return None
        entry = _row_entry(row, _loader=partial(self._sidecar_of, row.key, row.created_at))
        entry.companion = data
        return entry

    def sync_reader(self) -> SyncWarmReader | None:
        """A blocking reader of fresh hits with their companions for threads outside the
        event loop (see :mod:`sportsframe.cache.sql.blocking`), or None: an in-memory SQLite
        database, a tier not used yet (its tables may not exist) or a closed one."""
        if self._sync_backend is None or not self._ready or self._closed:
            return None
        if self._sync_reader is not None:
            return self._sync_reader
        with self._sync_reader_lock:  # the sync facade asks from many threads at once
            if self._sync_reader is None and not self._closed:
                self._sync_reader = SyncWarmReader(
                    self._sync_backend,
                    sql=self._companion_sql,
                    to_entry=lambda row: self._deferred_entry(_in_utc(row), bare=True),
                    clock=self.clock,
                    tier=_NAME,
                    size=2,
                    operation_timeout=self.operation_timeout,
                )
            return self._sync_reader

    async def _sidecar_of(self, key: str, created_at: datetime) -> bytes | None:
        """The IPC stream of the entry stored under ``key`` with ``created_at`` (a deferred
        entry's payload), or None once another version (or none) is stored."""
        # get serves the row from its sidecar, or from ``data`` (repairing the sidecar).
        entry = await self.get(key, include_stale=True)
        if entry is None or entry.created_at != created_at:
            return None
        return entry.ipc

    def _companion_hit(self, row: Any | None, include_stale: bool) -> Any:
        """The entry with its companion from a joined row; None for no (fresh) row;
        ``_ELSEWHERE`` when the entry must be read the general way."""
        if row is None:
            return None
        if not include_stale and self.clock.now() >= row.expires_at:
            return None
        if row.companion is None:
            return _ELSEWHERE
        entry = self._envelope_entry(row)
        if entry is None:
            return _ELSEWHERE
        entry.companion = _unpack_companion(row.key, row.companion)
        return entry

    def _envelope_entry(self, row: Any) -> CacheEntry | None:
        """An entry whose sidecar is decoded only if asked (its envelope checked now), or None
        when the sidecar is missing, unreadable or out of step with the row."""
        if row.arrow is None:
            return None
        try:
            envelope = codec.read_envelope(row.arrow)
        except codec.CodecError:
            return None
        entry = _row_entry(row, _ipc=bytes(row.arrow))
        return entry if envelope == codec.envelope_of(entry) else None

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        """Upsert ``entry``'s companion named ``companion`` (removed with the entry, or by
        :meth:`cleanup` once expired; ``grace`` is for that)."""
        c = self.companions
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(c)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(c)
        stmt = stmt.values(
            key=entry.key,
            name=companion,
            created_at=entry.created_at,
            expires_at=entry.expires_at,
            data=blob.pack(data),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.c.key, c.c.name],
            set_={n: stmt.excluded[n] for n in ("created_at", "expires_at", "data")},
        )

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(stmt)

        await self._run(work)

    # -- writing -----------------------------------------------------------------------------------
    def _row(self, entry: CacheEntry) -> dict[str, Any]:
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
        stmt = self._upsert()

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
        t = self.table

        c = self.companions

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

    async def record_hits(self, hits: Mapping[str, tuple[int, datetime]]) -> None:
        """Add each key's count to ``hit_count`` and move ``last_hit_at`` forward (batched
        UPDATEs in one transaction; keys without a row are ignored)."""
        if not hits:
            return
        t = self.table
        at = bindparam("b_at", type_=UTCDateTime())
        stmt = (
            update(t)
            .where(t.c.key == bindparam("b_key"))
            .values(
                hit_count=func.coalesce(t.c.hit_count, 0) + bindparam("b_n", type_=Integer),
                # another process may have recorded a later hit already
                last_hit_at=case(
                    (or_(t.c.last_hit_at.is_(None), t.c.last_hit_at < at), at),
                    else_=t.c.last_hit_at,
                ),
            )
        )
        params = [{"b_key": k, "b_n": n, "b_at": when} for k, (n, when) in sorted(hits.items())]

        async def work(conn: AsyncConnection) -> None:
            for start in range(0, len(params), BATCH_SIZE):
                await conn.execute(stmt, params[start : start + BATCH_SIZE])

        await self._run(work)

    # -- maintenance -------------------------------------------------------------------------------
    async def cleanup(self, grace: float = 0.0) -> int:
        """Delete rows expired for longer than ``grace`` seconds, :data:`CLEANUP_BATCH` per
        transaction; returns how many."""
        t = self.table
        cutoff = self.clock.now() - timedelta(seconds=grace)
        ids = select(t.c.id).where(t.c.expires_at < cutoff).limit(CLEANUP_BATCH)
        stmt = delete(t).where(t.c.id.in_(ids.scalar_subquery()))

        async def work(conn: AsyncConnection) -> int:
            return (await conn.execute(stmt)).rowcount

        removed = 0
        while True:
            count = await self._run(work)
            removed += count
            if count < CLEANUP_BATCH:
                break
        await self._cleanup_companions(cutoff)
        return removed

    async def _cleanup_companions(self, cutoff: datetime) -> None:
        """Delete companions expired before ``cutoff`` or left without their entry version."""
        c, t = self.companions, self.table
        current = (
            select(t.c.id).where(t.c.key == c.c.key, t.c.created_at == c.c.created_at).exists()
        )
        stmt = delete(c).where(or_(c.c.expires_at < cutoff, ~current))

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(stmt)

        await self._run(work)

    async def enforce_max_size(self, max_entries: int, *, grace: float = 0.0) -> int:
        """Evict rows beyond ``max_entries``: rows expired for longer than ``grace`` first, then
        the least recently hit (never-hit rows by their creation time); returns how many."""
        t = self.table
        cutoff = self.clock.now() - timedelta(seconds=grace)

        async def work(conn: AsyncConnection) -> int:
            total = (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            excess = int(total) - max_entries
            if excess <= 0:
                return 0
            victims = (
                select(t.c.id)
                .order_by(
                    case((t.c.expires_at < cutoff, 0), else_=1),
                    func.coalesce(t.c.last_hit_at, t.c.created_at),
                    t.c.id,
                )
                .limit(excess)
            )
            return (
                await conn.execute(delete(t).where(t.c.id.in_(victims.scalar_subquery())))
            ).rowcount

        return await self._run(work, limit=max(self.operation_timeout, 60.0))

    async def analyze_efficiency(self) -> list[EfficiencyRow]:
        """The spec's report: entries, average hits and last access per data type (the first
        columns of :meth:`efficiency_report`)."""
        return [
            EfficiencyRow(row.data_type, row.entries, row.avg_hits, row.last_hit)
            for row in await self.efficiency_report()
        ]

    async def efficiency_report(self, now: datetime | None = None) -> list[TypeEfficiency]:
        """The spec's ``analyze_cache_efficiency`` query extended, in one statement: per data
        type (sorted), the entries, how many are live and expired at ``now`` (default: the
        tier's clock; expired means ``expires_at <= now``, as reads judge it), average and total
        ``hit_count``, the last hit, and the bytes stored: the JSON payload, the Arrow sidecar
        and the companions (finished frames) of the entries' current versions. Every source's
        rows are counted. Hits still pending in a write-behind buffer are not in the table."""
        t, c = self.table, self.companions
        at = bindparam("now", now or self.clock.now(), type_=UTCDateTime())
        # Per entry version (key, created_at): at most one row, so the join repeats no entry.
        frames = (
            select(c.c.key, c.c.created_at, func.sum(func.length(c.c.data)).label("nbytes"))
            .group_by(c.c.key, c.c.created_at)
            .subquery("frames")
        )
        joined = t.outerjoin(
            frames, (frames.c.key == t.c.key) & (frames.c.created_at == t.c.created_at)
        )

        def total(value: Any, label: str) -> Any:
            return func.coalesce(func.sum(value), 0).label(label)

        query = (
            select(
                t.c.data_type,
                func.count(t.c.id).label("entries"),
                total(case((t.c.expires_at > at, 1), else_=0), "live"),
                total(case((t.c.expires_at > at, 0), else_=1), "expired"),
                func.avg(t.c.hit_count).label("avg_hits"),
                total(t.c.hit_count, "total_hits"),
                func.max(t.c.last_hit_at).label("last_hit"),
                total(_json_bytes(t.c.data), "payload_bytes"),
                total(func.length(t.c.arrow), "sidecar_bytes"),
                total(frames.c.nbytes, "frame_bytes"),
            )
            .select_from(joined)
            .group_by(t.c.data_type)
            .order_by(t.c.data_type)
        )

        async def work(conn: AsyncConnection) -> list[TypeEfficiency]:
            return [
                TypeEfficiency(
                    row.data_type,
                    int(row.entries),
                    int(row.live),
                    int(row.expired),
                    float(row.avg_hits or 0),
                    int(row.total_hits),
                    row.last_hit,
                    int(row.payload_bytes),
                    int(row.sidecar_bytes),
                    int(row.frame_bytes),
                )
                for row in await conn.execute(query)
            ]

        return await self._run(work)

    async def count(self) -> int:
        """How many rows the table holds (expired included)."""
        t = self.table

        async def work(conn: AsyncConnection) -> int:
            return int((await conn.execute(select(func.count()).select_from(t))).scalar_one())

        return await self._run(work)

    async def ping(self) -> bool:
        """True when the database answers ``SELECT 1``."""
        try:
            async with asyncio.timeout(self.operation_timeout):
                async with self._engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except _PING_ERRORS:
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
