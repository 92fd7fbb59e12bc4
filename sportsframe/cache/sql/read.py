"""The warm tier's reads of entries.

The general read goes through SQLAlchemy: entries from their Arrow copies, or from ``data`` (the
JSON source of truth) where an Arrow copy is missing or unreadable, the Arrow copy then
rewritten. The hit path reads on the tier's own connections instead (see
:mod:`~sportsframe.cache.sql.hit`), as does a read of several keys (:func:`read_on_readers`),
and comes here only for rows it cannot serve.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, Select, Table, bindparam, select, update

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.sql.hit import COLUMNS, arrow_entry, row_entry, warm_row
from sportsframe.cache.sql.maintenance import BATCH_SIZE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from sportsframe.cache.sql.pool import AsyncReaders

__all__ = ["entry_columns", "read_entries", "read_on_readers"]

log = logging.getLogger("sportsframe.cache")


def entry_columns(table: Table) -> Select[Any]:
    """SELECT of an entry's row without its payload (``data``): :data:`~.hit.COLUMNS` and the
    Arrow copy, as :func:`~sportsframe.cache.sql.hit.entry_statement`."""
    return select(*(table.c[name] for name in COLUMNS), table.c.arrow)


async def read_entries(
    conn: AsyncConnection,
    columns: Select[Any],
    table: Table,
    keys: Sequence[str],
    *,
    now: datetime | None,
) -> dict[str, CacheEntry]:
    """The entries stored under ``keys`` (``columns`` is :func:`entry_columns` of ``table``),
    expired ones left out unless ``now`` is None."""
    rows = (await conn.execute(columns.where(table.c.key.in_(keys)))).all()
    out: dict[str, CacheEntry] = {}
    fallback: list[Any] = []
    for row in rows:
        if now is not None and now >= row.expires_at:
            continue
        entry, problem = arrow_entry(row, row.arrow)
        if entry is not None:
            out[row.key] = entry
            continue
        if problem is not None:
            log.warning(
                "unreadable warm-tier Arrow copy under %s (%s); using data", row.key, problem
            )
        fallback.append(row)
    if fallback:
        for entry in await _from_json(conn, table, fallback):
            out[entry.key] = entry
    return out


async def _from_json(conn: AsyncConnection, table: Table, rows: Sequence[Any]) -> list[CacheEntry]:
    """Entries for rows without a usable Arrow copy, read from ``data`` (Arrow copies repaired)."""
    t = table
    keys = [row.key for row in rows]
    data = dict((await conn.execute(select(t.c.key, t.c.data).where(t.c.key.in_(keys)))).all())
    out: list[CacheEntry] = []
    repairs: list[dict[str, Any]] = []
    for row in rows:
        if row.key not in data:
            continue
        entry = row_entry(row, _payload=data[row.key])
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


async def read_on_readers(
    readers: AsyncReaders, statement: Callable[[int], str], keys: list[str], now: datetime | None
) -> tuple[dict[str, CacheEntry], list[str]]:
    """(the entries of ``keys`` from their Arrow copies, the keys whose rows have none usable,
    for the general read to serve and repair), read on the tier's own ``readers``:
    ``statement(n)`` selects n keys' rows (:func:`~.hit.entry_statement`). Expired entries are
    left out unless ``now`` is None.

    A props week's parts, read together before their requests leave, cost one round trip this
    way, where SQLAlchemy's pool paid a pre-ping, BEGIN, SELECT and COMMIT.
    """
    out: dict[str, CacheEntry] = {}
    general: list[str] = []
    for start in range(0, len(keys), BATCH_SIZE):
        chunk = keys[start : start + BATCH_SIZE]
        for row in await readers.fetch_rows(statement(len(chunk)), chunk, warm_row):
            if now is not None and now >= row.expires_at:
                continue
            entry, _ = arrow_entry(row, row.companion)  # (the Arrow copy: see entry_statement)
            if entry is None:
                general.append(row.key)
            else:
                out[row.key] = entry
    return out, general
