"""The warm tier's tables: ``cache_entries``, ``cache_companions`` and ``sportsframe_meta``.

``cache_entries`` is the cache spec's table, column for column::

    id PK | key String(255) unique, indexed | data JSON (json, not jsonb) | data_type String(50)
    created_at | expires_at (indexed) | hit_count (default 0) | last_hit_at (nullable)
    indexes idx_key_expires (key, expires_at), idx_type_expires (data_type, expires_at)

plus two columns that buy something measured:

``source``
    ``sportsdataio`` or ``emulator`` (the key prefix already keeps sources apart; this makes the
    provenance queryable).
``arrow``
    nullable Arrow copy: the same Arrow IPC stream the hot tier stores. A warm hit reads it
    instead of parsing ``data``, which stays the JSON source of truth for SQL users.

``cache_companions`` (key, name, created_at, expires_at, data; primary key (key, name)) keeps
values derived from an entry (the facade's finished frames, see
:class:`~sportsframe.cache.tier.CompanionTier`), zstd-compressed
(:mod:`~sportsframe.cache.sql.blob`): a props week's finished frame is a megabyte of Arrow, 70 KB
packed, and moving the megabyte out of PostgreSQL cost more than the rest of a warm hit.

The tables are created on first use, with the layout's version in ``sportsframe_meta``; a
database holding another version (or a ``cache_entries`` table without one) raises
:class:`~sportsframe.errors.ConfigurationError` rather than being read silently.

``key`` holds 255 characters, as the spec says; the cache manager stores a longer key in both
tiers under a digest form that fits (:mod:`sportsframe.cache.longkeys`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

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
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeDecorator

from sportsframe.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "COMPANION_TABLE",
    "META_TABLE",
    "TABLE",
    "WARM_SCHEMA_VERSION",
    "UTCDateTime",
    "build_tables",
    "create_schema",
]

#: The table's name (the spec's).
TABLE: Final = "cache_entries"
#: Where the layout version is recorded.
META_TABLE: Final = "sportsframe_meta"
#: Values derived from entries (finished frames), stored beside them.
COMPANION_TABLE: Final = "cache_companions"
#: Version of this table layout (columns and Arrow copy format); bump on any change.
WARM_SCHEMA_VERSION: Final = "1"

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


async def create_schema(
    conn: AsyncConnection, tables: tuple[Table, Table, Table], schema: str | None
) -> None:
    """Create the tables (and ``schema``) where missing, record or check the layout version.

    Raises:
        ConfigurationError: the database holds another layout version, or a ``cache_entries``
            table that is not sportsframe's.
    """
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        if schema:
            quoted = conn.dialect.identifier_preparer.quote_schema(schema)
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        # Two processes creating the table at once would collide in the catalog.
        await conn.execute(select(func.pg_advisory_xact_lock(_INIT_LOCK_ID)))
    elif conn.dialect.name == "sqlite":
        # pysqlite runs DDL outside any transaction: another process could see cache_entries
        # without its unique index and have its upsert refused. One immediate transaction
        # (the write lock taken now) creates everything at once, one process at a time; the
        # engine's commit ends it.
        await conn.execute(text("BEGIN IMMEDIATE"))

    def has_table(sync: Connection) -> bool:
        return bool(inspect(sync).has_table(TABLE, schema=schema))

    def columns(sync: Connection) -> set[str]:
        return {c["name"] for c in inspect(sync).get_columns(TABLE, schema=schema)}

    existed = await conn.run_sync(has_table)
    for table in tables:
        await conn.execute(CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            await conn.execute(CreateIndex(index, if_not_exists=True))
    meta = tables[1]
    found = (
        await conn.execute(select(meta.c.value).where(meta.c.name == _META_KEY))
    ).scalar_one_or_none()
    if found is None:
        if existed and not {"source", "arrow"} <= await conn.run_sync(columns):
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
    if postgres:
        await _store_companions_out_of_line(conn, tables[2])


async def _store_companions_out_of_line(conn: AsyncConnection, companions: Table) -> None:
    """Out of line, without PostgreSQL's own compression: the values are already packed with
    zstd, so pglz would only spend time failing to shrink them. Altered once: ALTER TABLE takes
    an exclusive lock, which would queue behind any reader of the table."""
    name = conn.dialect.identifier_preparer.format_table(companions)
    storage = (
        await conn.execute(
            text(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = to_regclass(:t) AND attname = 'data'"
            ),
            {"t": name},
        )
    ).scalar_one_or_none()
    if storage != "e":
        await conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN data SET STORAGE EXTERNAL"))
