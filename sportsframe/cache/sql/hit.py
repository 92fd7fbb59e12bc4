"""The warm hit: its one statement and the decoding of its row, shared by the async tier and the
blocking reader.

A hit reads an entry's row with its current companion (see
:class:`~sportsframe.cache.tier.CompanionTier`) in one SELECT: the companion is joined on the
entry's ``created_at``, so one written for an older version of the entry is never served, and
the entry's Arrow copy is left out (reading the 180 KB Arrow copy of a props week cost 0.45 ms,
more than the companion): the entry comes deferred, its payload loaded on demand. The same
columns with the Arrow copy instead of a companion read an entry alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, NamedTuple

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.sql import blob

__all__ = [
    "COLUMNS",
    "DECODE_ERRORS",
    "WarmRow",
    "arrow_entry",
    "deferred_entry",
    "entry_statement",
    "hit_statement",
    "row_entry",
    "warm_row",
]

log = logging.getLogger("sportsframe.cache")

#: The entry columns every warm read selects (a :class:`WarmRow`'s but the last).
COLUMNS: Final = (
    "key",
    "data_type",
    "created_at",
    "expires_at",
    "source",
    "hit_count",
    "last_hit_at",
)
_EPOCH: Final = datetime.min.replace(tzinfo=UTC)

#: What :func:`warm_row` raises for a row that is not a warm row.
DECODE_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError)


def hit_statement(entries: str, companions: str, mark: str) -> str:
    """The hit's SELECT: an entry's :class:`WarmRow` columns with its current companion.

    Args:
        entries: the entries table's name as the SQL should spell it (schema-qualified, quoted).
        companions: the companions table's, likewise.
        mark: the driver's parameter marker (``?`` or ``%s``); the parameters are
            (companion name, key).
    """
    columns = ", ".join(f"e.{name}" for name in COLUMNS)
    return (
        f"SELECT {columns}, c.data AS companion FROM {entries} e LEFT JOIN {companions} c"
        f" ON c.key = e.key AND c.name = {mark} AND c.created_at = e.created_at"
        f" WHERE e.key = {mark}"
    )


def entry_statement(entries: str, mark: str, count: int | None = None) -> str:
    """The same columns as :func:`hit_statement` with the entry's Arrow copy last instead of a
    companion; the one parameter is the key (with ``count``: that many keys, one row each
    present)."""
    where = f"key = {mark}" if count is None else f"key IN ({', '.join([mark] * count)})"
    return f"SELECT {', '.join(COLUMNS)}, arrow FROM {entries} WHERE {where}"


class WarmRow(NamedTuple):
    """A row of :func:`hit_statement` or :func:`entry_statement`, its timestamps aware, in UTC.

    ``companion`` is the statement's last column: the packed companion of a hit, the Arrow
    Arrow copy of an entry read alone.
    """

    key: str
    data_type: str
    created_at: datetime
    expires_at: datetime
    source: str
    hit_count: int | None
    last_hit_at: datetime | None
    companion: bytes | None


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # psycopg: aware, in the session's zone
        return value.astimezone(UTC)
    # sqlite3: SQLAlchemy's SQLite DateTime stores naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff".
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def warm_row(raw: Sequence[Any]) -> WarmRow:
    """The :class:`WarmRow` of a row as a driver returns it (either driver).

    Raises:
        ValueError, TypeError: not a row of the warm statements (see :data:`DECODE_ERRORS`).
    """
    key, data_type, created, expires, source, hits, last_hit, last = raw
    return WarmRow(
        key,
        data_type,
        _utc(created) or _EPOCH,
        _utc(expires) or _EPOCH,
        source,
        hits,
        _utc(last_hit),
        last,
    )


def row_entry(row: Any, **forms: Any) -> CacheEntry:
    """The entry of a ``cache_entries`` row; ``forms`` are the payload forms at hand
    (``_table``, ``_ipc``, ``_payload``, ``_loader``), the others derived when asked for."""
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


def deferred_entry(
    row: WarmRow,
    arrow_of: Callable[[str, datetime], Awaitable[bytes | None]],
    *,
    bare: bool = False,
) -> CacheEntry | None:
    """The deferred entry of a hit row with its companion (its payload loads through
    ``arrow_of(key, created_at)``), or None when the row has no usable companion (with
    ``bare``: the entry without one).

    A companion that does not unpack is logged and counts as none: a companion is only ever a
    shortcut.
    """
    data = None
    if row.companion is not None:
        try:
            data = blob.unpack(row.companion)
        except blob.BlobError as exc:
            log.warning("unreadable warm-tier companion under %s (%s); ignoring it", row.key, exc)
    if data is None and not bare:
        return None
    entry = row_entry(row, _loader=partial(arrow_of, row.key, row.created_at))
    entry.companion = data
    return entry


def arrow_entry(row: Any, arrow: bytes | None) -> tuple[CacheEntry | None, str | None]:
    """(entry of ``row`` from its Arrow copy, or None with the reason it could not be used; no
    reason when there is no Arrow copy)."""
    if arrow is None:
        return None, None
    try:
        table = codec.decode(arrow)
        envelope = codec.read_envelope(table)
    except codec.CodecError as exc:
        return None, str(exc)
    entry = row_entry(row, _table=table, _ipc=arrow)
    if envelope != codec.envelope_of(entry):
        # The row was changed in SQL (e.g. expires_at extended): the row wins; the stream is
        # rebuilt with the row's envelope when someone asks for it.
        entry._table = codec.with_envelope(table, codec.envelope_of(entry))
        entry._ipc = None
    return entry, None
