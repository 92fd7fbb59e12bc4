"""sqlite3 connections for the warm tier's point reads on a SQLite file (see
:mod:`~sportsframe.cache.sql.pool`).

The connections are read-only (``query_only``; a reader, whatever it is asked) and never create
the file. On the event loop the statement runs in a worker thread of the backend's own, so a
slow disk never blocks the loop and a loop's busy default pool never delays a read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from sportsframe.cache.sql.hit import DECODE_ERRORS
from sportsframe.cache.tier import error_reason

__all__ = ["AsyncSqliteBackend", "SqliteBackend", "open_reader"]

#: What a SQLite read raises when it failed (a row that does not decode included).
_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, TimeoutError, OSError, *DECODE_ERRORS)


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


def _first_row(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Any | None:
    return conn.execute(sql, params).fetchone()


def _all_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


class SqliteBackend:
    """Read-only ``sqlite3`` connections to the warm tier's file, for the blocking driver."""

    #: SQLite virtual-machine steps between two deadline checks.
    PROGRESS_STEPS = 1000

    errors = _ERRORS

    def __init__(self, path: str) -> None:
        self._path = path

    def __repr__(self) -> str:
        return "SqliteBackend()"

    def connect(self) -> sqlite3.Connection:
        """A read-only connection to the file (an error if it is not there)."""
        return open_reader(self._path)

    def fetch(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any], deadline: float
    ) -> Any | None:
        """The first row, or None; a statement still running at ``deadline`` is interrupted."""
        conn.set_progress_handler(lambda: time.monotonic() >= deadline, self.PROGRESS_STEPS)
        try:
            return _first_row(conn, sql, params)
        finally:
            conn.set_progress_handler(None, 0)

    def dropped(self, conn: sqlite3.Connection) -> bool:
        """Never: a file is not a server that drops connections."""
        return False

    def reason(self, exc: BaseException) -> str:
        """The error's type and first line."""
        return error_reason(exc)

    def discard(self, conn: sqlite3.Connection) -> None:
        """Close it."""
        conn.close()


class AsyncSqliteBackend:
    """:class:`SqliteBackend` for the event loop: each statement in a worker thread.

    Args:
        path: the database file.
        size: worker threads (as many as the readers keep connections).
    """

    loop_bound = False  # sqlite3 connections have no loop
    errors = _ERRORS

    def __init__(self, path: str, *, size: int) -> None:
        self._sync = SqliteBackend(path)
        # Threads of their own: a loop's default pool, busy with someone else's work, must not
        # make a warm read miss its deadline.
        self.threads = ThreadPoolExecutor(max(1, size), thread_name_prefix="sportsframe-sqlite")
        # Connections still running an abandoned statement: closed by their worker's callback.
        self._abandoned: set[int] = set()

    def __repr__(self) -> str:
        return "AsyncSqliteBackend()"

    async def connect(self) -> sqlite3.Connection:
        """A read-only connection, opened in the loop's thread: a statement past its time can
        then always be interrupted (opening a local file does no I/O worth a thread)."""
        return self._sync.connect()

    async def fetch(
        self,
        conn: sqlite3.Connection,
        sql: str,
        params: Sequence[Any],
        deadline: float,
        *,
        every: bool = False,
    ) -> Any | None:
        """The first row (with ``every``, the list of all rows), read in a worker thread;
        interrupted past ``deadline`` (the loop's time) or when the caller is cancelled."""
        loop = asyncio.get_running_loop()
        # No progress handler: past its time the statement is interrupted from here.
        read = _all_rows if every else _first_row
        work = loop.run_in_executor(self.threads, read, conn, sql, params)
        try:
            done, _ = await asyncio.wait({work}, timeout=max(0.0, deadline - loop.time()))
        except asyncio.CancelledError:
            self._abandon(conn, work)  # the caller gave up: so does the statement
            raise
        if not done:
            self._abandon(conn, work)
            raise TimeoutError("no answer within the operation timeout")
        return work.result()

    def _abandon(self, conn: sqlite3.Connection, work: asyncio.Future[Any]) -> None:
        """Stop a statement nobody waits for: interrupt it; its connection is closed once the
        worker returns (not while it may still run there)."""
        self._abandoned.add(id(conn))

        def close_after(done: asyncio.Future[Any]) -> None:
            # Retrieves the outcome (no "exception was never retrieved").
            if not done.cancelled():
                done.exception()
            self._abandoned.discard(id(conn))
            with contextlib.suppress(sqlite3.Error):
                conn.close()

        work.add_done_callback(close_after)
        with contextlib.suppress(sqlite3.Error):
            conn.interrupt()

    def dropped(self, conn: sqlite3.Connection) -> bool:
        """Never (see :meth:`SqliteBackend.dropped`)."""
        return False

    def reason(self, exc: BaseException) -> str:
        """The error's type and first line."""
        return error_reason(exc)

    async def discard(self, conn: sqlite3.Connection) -> None:
        """Close it (an abandoned one is closed by its worker)."""
        if id(conn) not in self._abandoned:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def abandon(self, conn: sqlite3.Connection) -> None:
        """Close it."""
        with contextlib.suppress(sqlite3.Error):
            conn.close()

    async def close(self) -> None:
        """Let the worker threads go (a statement still running was interrupted and ends on its
        own thread)."""
        self.threads.shutdown(wait=False)
