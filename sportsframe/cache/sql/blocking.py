"""Blocking reads of warm-tier hits with their finished frames, for threads outside the event loop.

A sync facade call that misses L0 and Redis goes to the warm tier. Through the event loop that
read costs two thread hand-offs and a trip through the async manager: about a fifth of a warm
hit on a props week. :class:`SyncWarmReader` does the one statement of a hit in the caller's
thread instead, on connections of its own: plain ``sqlite3`` for the embedded SQLite file,
psycopg's blocking connection for PostgreSQL.

Like :class:`~sportsframe.cache.redis.blocking.SyncHotReader` it is read-only and answers only the
simple case: :meth:`SyncWarmReader.read` returns an entry when the key is stored, fresh by the
clock and comes with a readable current companion, and None for anything else (a miss, an
expired entry, no companion). The caller then takes the normal path through the loop, which
serves stale entries, rebuilds frames, counts misses and feeds the circuit breaker. A failure
raises :class:`~sportsframe.cache.tier.TierUnavailable` (logged, the password masked), and the
reader then rests for the breaker's reset period, answering None: a server that went away costs
one timeout, not one per call.

The statement has a deadline, the warm tier's operation timeout: psycopg's every wait for the
server ends at it (:func:`_deadline_connection_class`), and an SQLite statement still running
then is interrupted by a progress handler. Waiting for a free connection is bounded by the same
timeout, and opening one by the connect timeout (libpq's minimum is 2 s). A connection that saw
an error or a timeout is closed, never reused; a pooled one the server dropped (a restart) is
replaced once, at once. The entry returned is deferred like the async path's (see
:class:`~sportsframe.cache.tier.CompanionTier`): its payload loads on the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.sql.sqlite import open_reader, read_row
from sportsframe.cache.tier import TierUnavailable, error_reason
from sportsframe.clock import Clock

__all__ = ["SyncBackend", "SyncPgBackend", "SyncSqliteBackend", "SyncWarmReader"]

log = logging.getLogger("sportsframe.cache")


class SyncBackend(Protocol):
    """How a :class:`SyncWarmReader` opens connections and runs its statement on them."""

    def connect(self) -> Any:
        """A new connection (bounded by the backend's connect timeout)."""

    def fetch(self, conn: Any, sql: str, params: Sequence[Any], deadline: float) -> Any | None:
        """The first row of ``sql``, or None; raises past ``deadline`` (``time.monotonic``)."""

    def dropped(self, conn: Any) -> bool:
        """True when ``conn``, after an error, turns out to be lost (a server that dropped it:
        worth one retry on a new connection when it had been pooled)."""

    def reason(self, exc: BaseException) -> str:
        """A one-line reason for ``exc``, never holding a password."""

    def discard(self, conn: Any) -> None:
        """Close ``conn`` for good, whatever state it is in."""


class SyncWarmReader:
    """A warm-tier hit with its companion in one blocking statement (see the module docstring).

    Args:
        backend: the connections (:class:`SyncPgBackend` or :class:`SyncSqliteBackend`).
        sql: the joined hit statement; its parameters are (companion, key).
        to_entry: the deferred entry of a row, or None when the row has no usable companion.
        clock: judges freshness and the rest after a failure (the tier's clock).
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most; callers beyond that wait for one.
        operation_timeout: seconds for the statement; waiting for a free connection may take
            as long again, and opening a new one is bounded by the backend's connect timeout.
    """

    def __init__(
        self,
        backend: SyncBackend,
        *,
        sql: str,
        to_entry: Callable[[Any], CacheEntry | None],
        clock: Clock,
        tier: str = "warm",
        size: int,
        operation_timeout: float,
    ) -> None:
        self._backend = backend
        self._sql = sql
        self._to_entry = to_entry
        self.clock = clock
        self._tier = tier
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
        """True while the reader rests after a failure, or once closed (it answers None)."""
        return self._resting()

    def _resting(self) -> bool:
        return self._closed or self.clock.monotonic() < self._quiet_until

    def read(self, key: str, companion: str) -> CacheEntry | None:
        """The fresh entry of ``key`` (a storage key) with its current ``companion``, or None
        (a miss, an expired entry, no usable companion; or the reader rests, is closed, or found
        no free connection in time).

        Raises:
            TierUnavailable: the tier failed or did not answer within the operation timeout;
                the reader then rests for the breaker's reset period.
        """
        if self._resting():
            return None
        if not self._slots.acquire(timeout=self._operation_timeout):
            return None  # every connection busy all along: the loop's path decides
        try:
            if self._resting():  # another caller failed (or closed it) while this one waited
                return None
            row = self._fetch((companion, key), time.monotonic() + self._operation_timeout)
        finally:
            self._slots.release()
        entry = None if row is None else self._to_entry(row)
        if entry is None or entry.companion is None or self.clock.now() >= entry.expires_at:
            return None
        return entry

    def read_many(self, keys: Sequence[str], companion: str) -> dict[str, CacheEntry]:
        """The entries the tier holds under ``keys`` (expired ones within their grace
        included), each deferred with ``companion`` set when a current one is stored.

        Raises:
            TierUnavailable: the tier failed, did not answer within the operation timeout, or
                gave no free connection in time; or the reader rests after a failure.
        """
        out: dict[str, CacheEntry] = {}
        for key in keys:
            if self._resting():
                raise TierUnavailable(self._tier, "resting after a failure")
            if not self._slots.acquire(timeout=self._operation_timeout):
                raise TierUnavailable(self._tier, "no free connection in time")
            try:
                row = self._fetch((companion, key), time.monotonic() + self._operation_timeout)
            finally:
                self._slots.release()
            entry = None if row is None else self._to_entry(row)
            if entry is not None:
                out[key] = entry
        return out

    def _fetch(self, params: tuple[str, str], deadline: float) -> Any | None:
        for attempt in (1, 2):
            try:
                conn, fresh = self._take()
            except _ReaderClosedError:
                return None
            except Exception as exc:  # could not connect: no retry, that would wait again
                raise self._rest(exc, deadline) from None
            try:
                row = self._backend.fetch(conn, self._sql, params, deadline)
            except Exception as exc:
                lost = self._backend.dropped(conn)
                self._discard(conn)
                if attempt == 1 and not fresh and lost and time.monotonic() < deadline:
                    # A pooled connection the server dropped (a restart drops the idle ones
                    # too): once more, on a new one.
                    self._close_idle()
                    continue
                raise self._rest(exc, deadline) from None
            except BaseException:  # interrupted: the connection is in doubt
                self._discard(conn)
                raise
            self._give_back(conn)
            return row
        return None  # not reached: the second attempt returns or raises

    def _rest(self, exc: BaseException, deadline: float) -> TierUnavailable:
        self._quiet_until = self.clock.monotonic() + RESET_PERIOD
        reason = self._backend.reason(exc)
        if time.monotonic() >= deadline:
            reason = f"no answer within {self._operation_timeout:g} s ({reason})"
        log.warning(
            "warm tier: a blocking read failed (%s); calls read it through the event loop for "
            "the next %g s",
            reason,
            RESET_PERIOD,
        )
        return TierUnavailable(self._tier, reason)

    def _take(self) -> tuple[Any, bool]:
        """(a connection, whether it was opened just now)."""
        with self._lock:
            if self._closed:
                raise _ReaderClosedError
            if self._idle:
                return self._idle.pop(), False
        return self._backend.connect(), True

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

    def _close_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self._discard(conn)

    def close(self) -> None:
        """Close the idle connections (one in use is closed when it comes back); the reader
        answers None from then on."""
        with self._lock:
            self._closed = True
        self._close_idle()


class SyncSqliteBackend:
    """Read-only ``sqlite3`` connections to the warm tier's file (see :mod:`.sqlitereaders`)."""

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

    def dropped(self, conn: sqlite3.Connection) -> bool:
        """Never: a file is not a server that drops connections."""
        return False

    def reason(self, exc: BaseException) -> str:
        """The error's type and first line."""
        return error_reason(exc)

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

    def __init__(self, connect_args: Mapping[str, Any], *, connect_timeout: int) -> None:
        self._connect_args = {k: v for k, v in connect_args.items() if k != "context"}
        password = connect_args.get("password")
        self._password = str(password) if password else ""
        self._connect_timeout = connect_timeout

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

    def dropped(self, conn: Any) -> bool:
        """True when psycopg found the connection lost (not for an error of the statement,
        a server-side cancel or a timeout: those leave it open)."""
        return bool(conn.broken)

    def reason(self, exc: BaseException) -> str:
        """The error's type and first line, the password masked."""
        return error_reason(exc, self._password)

    def discard(self, conn: Any) -> None:
        """Close the socket at once (no cancel handshake with a server that may not answer),
        then the connection."""
        with contextlib.suppress(Exception):
            conn.pgconn.finish()
        conn.close()


class _ReaderClosedError(Exception):
    """The reader was closed while a caller was on its way in."""


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
