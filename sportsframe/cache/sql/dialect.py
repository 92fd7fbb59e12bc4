"""Where PostgreSQL and SQLite differ for the warm tier: URLs, connection set-up, upserts, LIKE,
a JSON column's size, and which driver errors mean "unavailable"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Integer, Table, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from sportsframe.cache.sql.pool import AsyncReaders, Backend
from sportsframe.cache.sql.sqlite import AsyncSqliteBackend, SqliteBackend
from sportsframe.registry.glob import LIKE_ESCAPE, glob_to_like

__all__ = [
    "PING_ERRORS",
    "UNAVAILABLE",
    "create_engine",
    "insert",
    "json_bytes",
    "json_dumps",
    "like",
    "normalise_url",
    "point_readers",
    "sqlite_pragmas",
    "upsert",
]

#: The errors that mean the database cannot be reached or did not answer in time.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    TimeoutError,
    OSError,
)

#: The errors that make a ping answer False.
PING_ERRORS: tuple[type[BaseException], ...] = (*UNAVAILABLE, sa_exc.DBAPIError)


class json_bytes(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """The size in bytes of a JSON column's stored text: the dialects disagree on how to ask
    (SQLite's ``length`` of text counts characters, and it has no ``octet_length`` before 3.43;
    PostgreSQL needs the ``json`` cast to text)."""

    type = Integer()
    inherit_cache = True


@compiles(json_bytes, "postgresql")
def _json_bytes_postgresql(element: json_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length(CAST({compiler.process(element.clauses, **kw)} AS TEXT))"


@compiles(json_bytes)
def _json_bytes_default(element: json_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


def json_dumps(value: Any) -> str:
    """The engine's JSON serialiser (orjson, as text)."""
    return orjson.dumps(value).decode()


def normalise_url(url: str | URL) -> URL:
    """``url`` with the async driver the tier uses (``postgresql+psycopg``, ``sqlite+aiosqlite``)
    when it names a dialect without one (or psycopg2)."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def create_engine(
    url: URL, *, connect_timeout: int, operation_timeout: float, pool_size: int
) -> AsyncEngine:
    """The tier's async engine at ``url`` (a SQLite file's directory created, its connections
    set up by :func:`sqlite_pragmas`)."""
    kwargs: dict[str, Any] = {
        # A round trip per checkout; the hit path does not check out from this pool
        # (AsyncReaders), and the quota table and advisory locks share it.
        "pool_pre_ping": True,
        "json_serializer": json_dumps,
        "json_deserializer": orjson.loads,
    }
    name = url.get_backend_name()
    if name == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": connect_timeout}
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = pool_size
        kwargs["pool_timeout"] = operation_timeout
    elif name == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if name == "sqlite":
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set up a new SQLite connection of the engine (a ``connect`` event listener)."""
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer (a notebook and a batch job share the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def insert(table: Table, dialect: str) -> Any:
    """The dialect's INSERT into ``table`` (the one with ``on_conflict_do_update``)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def upsert(table: Table, dialect: str, keys: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    """INSERT into ``table`` that, on a conflict over ``keys``, updates the columns ``updated``
    (values still to be given)."""
    stmt = insert(table, dialect)
    return stmt.on_conflict_do_update(
        index_elements=[table.c[name] for name in keys],
        set_={name: stmt.excluded[name] for name in updated},
    )


def like(table: Table, pattern: str, dialect: str) -> tuple[Any, bool]:
    """(WHERE clause on ``table``'s key narrowing to the glob ``pattern``, whether candidates
    need a re-check)."""
    narrowed = glob_to_like(pattern)
    # SQLite's LIKE ignores ASCII case: re-check there even when the LIKE is exact.
    recheck = not narrowed.exact or dialect != "postgresql"
    return table.c.key.like(narrowed.like, escape=LIKE_ESCAPE), recheck


def point_readers(
    engine: AsyncEngine,
    *,
    tier: str,
    size: int,
    connect_timeout: int,
    operation_timeout: float,
) -> tuple[AsyncReaders | None, Backend[Any] | None]:
    """The hit path's own connections to ``engine``'s database, for the event loop and for
    :class:`~sportsframe.cache.sql.pool.SyncWarmReader`: psycopg on PostgreSQL (``size`` of
    them), sqlite3 on a SQLite file; none for an in-memory SQLite database (another connection
    would see another database)."""
    url = engine.url
    database = url.database or ""
    name = url.get_backend_name()
    if name == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        # The very file SQLAlchemy opens (a relative path resolved now, as it resolves it).
        (path, *_), _ = engine.dialect.create_connect_args(url)
        readers = AsyncReaders(
            AsyncSqliteBackend(str(path), size=4),
            tier=tier,
            size=4,
            operation_timeout=operation_timeout,
        )
        return readers, SqliteBackend(str(path))
    if name != "postgresql":
        return None, None
    # psycopg is the postgres extra's: imported only when PostgreSQL is the warm tier.
    from sportsframe.cache.sql.postgres import AsyncPgBackend, PgBackend

    _, connect_args = engine.dialect.create_connect_args(url)
    # A connect_timeout in the URL gives way to the tier's, as in the engine's own connect_args
    # (given twice it would be a TypeError at connect).
    connect_args = {k: v for k, v in connect_args.items() if k != "connect_timeout"}
    readers = AsyncReaders(
        AsyncPgBackend(connect_args, connect_timeout=connect_timeout),
        tier=tier,
        size=size,
        operation_timeout=operation_timeout,
    )
    return readers, PgBackend(connect_args, connect_timeout=connect_timeout)
