"""Blocking reads of warm-tier hits with their finished frames, for threads outside the event loop.

A sync facade call that misses L0 and Redis goes to the warm tier. Through the event loop that
read costs two thread hand-offs and a trip through the async manager: about a fifth of a warm
hit on a props week. :class:`SyncWarmReader` does the one statement of a hit in the caller's
thread instead, on connections of its own: plain ``sqlite3`` for the embedded SQLite file,
psycopg's blocking connection for PostgreSQL.

Like :class:`~sportsframe.cache.hotsync.SyncHotReader` it is read-only and answers only the
simple case: :meth:`SyncWarmReader.read` returns an entry when the key is stored, fresh by the
clock and comes with a readable current companion, and None for anything else (a miss, an
expired entry, no companion, a failure). The caller then takes the normal path through the
loop, which serves stale entries, rebuilds frames, counts misses and feeds the circuit breaker.
After a failure the reader stays quiet for the breaker's reset period, so a server that went
away costs one timeout, not one per call.

Every read has a deadline, the warm tier's operation timeout, waiting for a free connection
included: psycopg's wait for the server is bounded by it (:class:`_DeadlineConnection`), and an
SQLite statement past it is interrupted by a progress handler. A connection that saw any error
or a timeout is closed, never reused. The entry returned is deferred like the async path's (see
:class:`~sportsframe.cache.tier.CompanionTier`): its payload loads on the event loop.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.sqlitereaders import open_reader, read_row
from sportsframe.cache.tier import CacheEntry
from sportsframe.clock import Clock

__all__ = ["SyncPgBackend", "SyncSqliteBackend", "SyncWarmReader"]


class SyncBackend(Protocol):
    """How a :class:`SyncWarmReader` opens connections and runs its statement on them."""

    #: What a failed connect or statement raises (the reader goes quiet on these).
    errors: tuple[type[BaseException], ...]

    def connect(self) -> Any:
        """A new connection (bounded by the backend's connect timeout)."""

    def fetch(self, conn: Any, sql: str, params: Sequence[Any], deadline: float) -> Any | None:
        """The first row of ``sql``, or None; raises past ``deadline`` (``time.monotonic``)."""

    def discard(self, conn: Any) -> None:
        """Close ``conn`` for good, whatever state it is in."""


class SyncWarmReader:
    """A warm-tier hit with its companion in one blocking statement (see the module docstring).

    Args:
        backend: the connections (:class:`SyncPgBackend` or :class:`SyncSqliteBackend`).
        sql: the joined hit statement; its parameters are (companion, key).
        to_entry: the deferred entry of a row, or None when the row has no usable companion.
        clock: judges freshness and the quiet period (the tier's clock).
        size: connections kept at most; callers beyond that wait for one, within the deadline.
        operation_timeout: seconds for a whole read, waiting and connecting included.
    """

    def __init__(
        self,
        backend: SyncBackend,
        *,
        sql: str,
        to_entry: Callable[[Any], CacheEntry | None],
        clock: Clock,
        size: int,
        operation_timeout: float,
    ) -> None:
        self._backend = backend
        self._sql = sql
        self._to_entry = to_entry
        self.clock = clock
        self._operation_timeout = operation_timeout
        self._slots = threading.BoundedSemaphore(max(1, size))
        self._lock = threading.Lock()  # guards _idle and _closed
        self._idle: list[Any] = []
        self._quiet_until = float("-inf")
        self._closed = False

    def __repr__(self) -> str:
        return f"SyncWarmReader(backend={type(self._backend).__name__}, idle={len(self._idle)})"

    @property
    def quiet(self) -> bool:
        """True while the reader rests after a failure (it answers None then)."""
        return self._closed or self.clock.monotonic() < self._quiet_until

    def read(self, key: str, companion: str) -> CacheEntry | None:
        """The fresh entry of ``key`` (a storage key) with its current ``companion``, or None.

        Never raises for the tier's failures: they make it None, and quiet for a while.
        """
        if self.quiet:
            return None
        deadline = time.monotonic() + self._operation_timeout
        if not self._slots.acquire(timeout=self._operation_timeout):
            return None  # every connection busy for the whole timeout: the loop's path decides
        conn: Any = None
        try:
            conn = self._take()
            row = self._backend.fetch(conn, self._sql, (companion, key), deadline)
            entry = None if row is None else self._to_entry(row)
        except self._backend.errors:
            self._discard(conn)
            conn = None
            self._quiet_until = self.clock.monotonic() + RESET_PERIOD
            return None
        except BaseException:
            self._discard(conn)
            conn = None
            raise
        finally:
            if conn is not None:
                self._give_back(conn)
            self._slots.release()
        if entry is None or self.clock.now() >= entry.expires_at:
            return None
        return entry

    def _take(self) -> Any:
        with self._lock:
            if self._closed:
                raise OSError("the reader is closed")
            if self._idle:
                return self._idle.pop()
        return self._backend.connect()

    def _give_back(self, conn: Any) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(conn)
                return
        self._discard(conn)

    def _discard(self, conn: Any) -> None:
        if conn is not None:
            with contextlib.suppress(Exception):
                self._backend.discard(conn)

    def close(self) -> None:
        """Close the idle connections (one in use is closed when it comes back); the reader
        answers None from then on."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            self._discard(conn)


class SyncSqliteBackend:
    """Read-only ``sqlite3`` connections to the warm tier's file (see :mod:`.sqlitereaders`)."""

    errors: tuple[type[BaseException], ...] = (sqlite3.Error, ValueError, OSError)

    #: SQLite virtual-machine steps between two deadline checks.
    PROGRESS_STEPS = 1000

    def __init__(self, path: str) -> None:
        self._path = path

    def __repr__(self) -> str:
        return "SyncSqliteBackend()"

    def connect(self) -> sqlite3.Connection:
        """A read-only connection to the file (an error if it is not there)."""
        return open_reader(self._path)

    def fetch(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any], deadline: float
    ) -> Any | None:
        """The row, or None; a statement still running at ``deadline`` is interrupted."""
        conn.set_progress_handler(lambda: time.monotonic() >= deadline, self.PROGRESS_STEPS)
        try:
            return read_row(conn, sql, params)
        finally:
            conn.set_progress_handler(None, 0)

    def discard(self, conn: sqlite3.Connection) -> None:
        """Close it."""
        conn.close()


class SyncPgBackend:
    """Autocommit psycopg connections whose every wait for the server ends at the read's
    deadline.

    Args:
        connect_args: keyword arguments of ``psycopg.Connection.connect``, as SQLAlchemy
            derives them from the tier's URL (the password is never shown).
        connect_timeout: seconds for a new connection.
    """

    errors: tuple[type[BaseException], ...]

    def __init__(self, connect_args: Mapping[str, Any], *, connect_timeout: int) -> None:
        import psycopg  # the postgres extra's: only a PostgreSQL warm tier gets here

        self._connect_args = {k: v for k, v in connect_args.items() if k != "context"}
        self._connect_timeout = connect_timeout
        self.errors = (psycopg.Error, TimeoutError, OSError)

    def __repr__(self) -> str:
        return "SyncPgBackend()"

    def connect(self) -> Any:
        """A new autocommit connection."""
        return _deadline_connection_class().connect(
            **self._connect_args, autocommit=True, connect_timeout=self._connect_timeout
        )

    def fetch(self, conn: Any, sql: str, params: Sequence[Any], deadline: float) -> Any | None:
        """The row (a named tuple, binary results), or None; raises psycopg's
        ``OperationalError`` when the server has not answered by ``deadline``."""
        from psycopg.rows import namedtuple_row

        conn.deadline = deadline
        try:
            with conn.cursor(binary=True, row_factory=namedtuple_row) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        finally:
            conn.deadline = None

    def discard(self, conn: Any) -> None:
        """Close the socket at once (no cancel handshake with a server that may not answer),
        then the connection."""
        with contextlib.suppress(Exception):
            conn.pgconn.finish()
        conn.close()


_DEADLINE_CLASS: Any = None


def _deadline_connection_class() -> Any:
    """psycopg's blocking ``Connection`` whose waits end at ``conn.deadline``.

    Every blocking operation of a psycopg connection (sending the query, waiting for the
    result, fetching) goes through ``Connection.wait``, which takes a timeout: capping it at the
    read's deadline bounds the whole statement, even against a server that stopped answering.
    Built on first use, so that psycopg is imported only for a PostgreSQL warm tier.
    """
    global _DEADLINE_CLASS
    if _DEADLINE_CLASS is None:
        import psycopg

        class _DeadlineConnection(psycopg.Connection[Any]):
            deadline: float | None = None

            def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
                if self.deadline is not None:
                    left = max(0.0, self.deadline - time.monotonic())
                    timeout = left if timeout is None else min(timeout, left)
                return super().wait(gen, interval, timeout)

        _DEADLINE_CLASS = _DeadlineConnection
    return _DEADLINE_CLASS
