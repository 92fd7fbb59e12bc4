"""A few sqlite3 connections that serve the warm tier's hit path on SQLite, outside SQLAlchemy.

The embedded warm tier is a SQLite file. Through SQLAlchemy and aiosqlite a warm hit's one
SELECT took several thread hand-offs and about 3 ms; the same statement on a plain ``sqlite3``
connection takes a few hundredths of a millisecond. :class:`SqliteReaders` keeps up to ``size``
read-only connections and runs that statement in a worker thread of its own (a slow disk never
blocks the event loop, and a loop's busy default pool never delays a read; the connections
refuse writes). Everything else the tier does still goes through SQLAlchemy.

Failure rules, as for the rest of the tier: an error or no answer within the operation timeout
raises :class:`~sportsframe.cache.tier.TierUnavailable` (a statement past its time is
interrupted); a connection that saw either is never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from sportsframe.cache.tier import TierUnavailable, error_reason

__all__ = ["SqliteReaders", "WarmRow", "open_reader", "read_row"]


class WarmRow(NamedTuple):
    """A ``cache_entries`` row joined with one companion (timestamps aware, in UTC)."""

    key: str
    data_type: str
    created_at: datetime
    expires_at: datetime
    source: str
    hit_count: int | None
    last_hit_at: datetime | None
    companion: bytes | None


def _utc(text: str | None) -> datetime | None:
    # SQLAlchemy's SQLite DateTime stores naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff".
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def open_reader(path: str) -> sqlite3.Connection:
    """A connection to the database file at ``path`` that refuses writes; an error when the
    file is not there (``mode=rw``: never a new empty database)."""
    uri = f"file:{quote(path)}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=1.0)
    try:
        conn.execute("PRAGMA query_only=ON")  # a reader, whatever it is asked
    except BaseException:
        conn.close()
        raise
    return conn


def read_row(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> WarmRow | None:
    """The first row of ``sql`` (selecting :class:`WarmRow`'s columns), or None.

    Raises:
        sqlite3.Error: the statement failed.
        ValueError: a timestamp that does not parse.
    """
    raw = conn.execute(sql, params).fetchone()
    if raw is None:
        return None
    key, data_type, created, expires, source, hits, last_hit, companion = raw
    return WarmRow(
        key,
        data_type,
        _utc(created) or datetime.min.replace(tzinfo=UTC),
        _utc(expires) or datetime.min.replace(tzinfo=UTC),
        source,
        hits,
        _utc(last_hit),
        companion,
    )


class SqliteReaders:
    """Up to ``size`` read-only sqlite3 connections for the joined hit read.

    Args:
        path: the database file.
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most; callers beyond that wait for one to be free.
        operation_timeout: seconds for a read, waiting included.
    """

    def __init__(self, path: str, *, tier: str, size: int, operation_timeout: float) -> None:
        self._path = path
        self._tier = tier
        self._operation_timeout = operation_timeout
        self._size = max(1, size)
        self._idle: list[sqlite3.Connection] = []
        self._slots = asyncio.Semaphore(self._size)
        self._loop: asyncio.AbstractEventLoop | None = None
        # Threads of their own: a loop's default pool, busy with someone else's work, must not
        # make a warm read miss its deadline.
        self._threads = ThreadPoolExecutor(self._size, thread_name_prefix="sportsframe-sqlite")
        self._closed = False

    def __repr__(self) -> str:
        return f"SqliteReaders(idle={len(self._idle)})"

    async def fetch_row(self, sql: str, params: Sequence[Any]) -> WarmRow | None:
        """The first row of ``sql`` (selecting :class:`WarmRow`'s columns), or None.

        Raises:
            TierUnavailable: the file cannot be read, or not within the operation timeout.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A semaphore belongs to the loop it made wait: a tier used again from a new loop
            # (a second asyncio.run) gets slots of that loop. (sqlite3 connections have no loop.)
            self._slots = asyncio.Semaphore(self._size)
            self._loop = loop
        deadline = loop.time() + self._operation_timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise TierUnavailable(self._tier, "no reader free in time") from None
        conn: sqlite3.Connection | None = None
        try:
            if self._closed:
                raise TierUnavailable(self._tier, "the warm tier is closed")
            # Opened here rather than in the worker, so that a statement past its time can
            # always be interrupted (opening a local file does no I/O worth a thread).
            conn = self._idle.pop() if self._idle else self._connect()
            work = loop.run_in_executor(self._threads, self._read, conn, sql, params)
            try:
                done, _ = await asyncio.wait({work}, timeout=max(0.0, deadline - loop.time()))
            except asyncio.CancelledError:
                _abandon(conn, work)  # the caller gave up: so does the statement
                conn = None
                raise
            if not done:
                _abandon(conn, work)
                conn = None
                raise TierUnavailable(self._tier, "no answer within the operation timeout")
            conn, row = work.result()
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a row that does not parse
            conn = None  # closed by _read
            raise TierUnavailable(self._tier, error_reason(exc)) from None
        except BaseException:
            conn = None  # in doubt: not reused
            raise
        finally:
            if conn is not None and not self._closed:
                self._idle.append(conn)
            elif conn is not None:
                conn.close()
            self._slots.release()
        return row

    def _connect(self) -> sqlite3.Connection:
        return open_reader(self._path)

    @staticmethod
    def _read(
        conn: sqlite3.Connection, sql: str, params: Sequence[Any]
    ) -> tuple[sqlite3.Connection, WarmRow | None]:
        # In a worker thread.
        try:
            return conn, read_row(conn, sql, params)
        except BaseException:
            conn.close()
            raise

    async def close(self) -> None:
        """Close the idle connections; any in use is closed when it comes back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        # A statement still running finishes (it was interrupted) on its own thread.
        self._threads.shutdown(wait=False)


def _abandon(conn: sqlite3.Connection, work: asyncio.Future[Any]) -> None:
    """Stop a statement nobody waits for: interrupt it; its connection is closed (never
    reused) once the worker returns."""
    work.add_done_callback(_close_after)
    with contextlib.suppress(sqlite3.Error):
        conn.interrupt()


def _close_after(work: asyncio.Future[Any]) -> None:
    # Retrieves the outcome (no "exception was never retrieved"); _read closes on errors.
    if work.cancelled() or work.exception() is not None:
        return
    conn, _ = work.result()
    with contextlib.suppress(sqlite3.Error):
        conn.close()
