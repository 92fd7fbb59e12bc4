"""Where PostgreSQL and SQLite differ for the warm tier: URLs, connection set-up, upserts, LIKE,
a JSON column's size, and which driver errors mean "unavailable"."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Integer, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from sportsframe.registry.glob import LIKE_ESCAPE, glob_to_like

__all__ = [
    "PING_ERRORS",
    "UNAVAILABLE",
    "insert",
    "json_bytes",
    "json_dumps",
    "like",
    "normalise_url",
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
