"""The warm tier's point reads outside SQLAlchemy: one pool policy, two drivers, two backends.

A warm hit is one SELECT. Through SQLAlchemy it also paid a pool checkout and checkin, an
isolation-level switch and thread or greenlet hops: on PostgreSQL about 0.4 ms, a tenth of the
hit; on a SQLite file through aiosqlite about 3 ms, where the statement itself takes a few
hundredths of a millisecond. So the hit runs on a few connections of the tier's own, under one
policy:

- at most ``size`` connections; callers beyond that wait for a free one, and no longer than the
  operation timeout;
- the whole read (waiting, connecting, the statement) ends at a deadline, the operation timeout;
  a statement past it is stopped at once (its socket closed, or the SQLite statement
  interrupted), never waited for;
- a pooled connection the server turned out to have dropped (a restart drops the idle ones too)
  is replaced once, at once, within the same deadline; a connection that saw any other error,
  a timeout or a cancellation is closed, never reused;
- once closed, nothing new is opened; a connection in use is closed when it comes back.

The policy is :class:`_Policy`; :class:`AsyncReaders` drives it on the event loop (the tier's
hit reads) and :class:`SyncWarmReader` in the caller's thread (the sync facade's warm hit). The
connections come from a backend: psycopg (:mod:`~sportsframe.cache.sql.postgres`) or sqlite3
(:mod:`~sportsframe.cache.sql.sqlite`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.tier import PRIME_KEY, TierUnavailable
from sportsframe.clock import Clock

__all__ = ["AsyncBackend", "AsyncReaders", "Backend", "Idle", "SyncWarmReader"]
log = logging.getLogger("sportsframe.cache")

C = TypeVar("C")


class Backend(Protocol[C]):
    """Blocking connections to the warm tier's database, and the statement run on them."""

    #: What the backend's operations raise when the database is unavailable or the statement
    #: failed (anything else is a bug, and propagates).
    errors: tuple[type[BaseException], ...]

    def connect(self) -> C:
        """A new connection (bounded by the backend's connect timeout)."""

    def fetch(self, conn: C, sql: str, params: Sequence[Any], deadline: float) -> Any | None:
        """The first row of ``sql``, or None; raises past ``deadline`` (``time.monotonic``)."""

    def dropped(self, conn: C) -> bool:
        """True when ``conn``, after an error, turns out to be lost (a server that dropped it:
        worth one retry on a new connection when it had been pooled)."""

    def reason(self, exc: BaseException) -> str:
        """A one-line reason for ``exc``, never holding a password."""

    def discard(self, conn: C) -> None:
        """Close ``conn`` for good, whatever state it is in."""


class AsyncBackend(Protocol[C]):
    """:class:`Backend` for the event loop."""

    errors: tuple[type[BaseException], ...]
    #: True when a connection belongs to the loop it was opened on.
    loop_bound: bool

    async def connect(self) -> C:
        """A new connection."""

    async def fetch(
        self, conn: C, sql: str, params: Sequence[Any], deadline: float, *, every: bool = False
    ) -> Any:
        """The first row of ``sql``, or None (with ``every``: the list of all its rows); past
        ``deadline`` (the loop's time), or when the caller is cancelled, the statement is
        abandoned at once and ``conn`` is lost."""

    def dropped(self, conn: C) -> bool:
        """As :meth:`Backend.dropped`."""

    def reason(self, exc: BaseException) -> str:
        """As :meth:`Backend.reason`."""

    async def discard(self, conn: C) -> None:
        """Close ``conn`` for good, whatever state it is in."""

    def abandon(self, conn: C) -> None:
        """Close ``conn`` at once, without the loop (an idle one of a loop no longer running)."""

    async def close(self) -> None:
        """Release what the backend holds besides connections (threads)."""


class _ClosedError(Exception):
    """The pool was closed while a caller was on its way in."""


class Idle(Generic[C]):
    """The connections kept for reuse, and whether the pool is closed (thread-safe)."""

    def __init__(self) -> None:
        self._conns: list[C] = []
        self._lock = threading.Lock()
        self.closed = False

    def __len__(self) -> int:
        return len(self._conns)

    def __iter__(self) -> Iterator[C]:
        return iter(list(self._conns))

    def __getitem__(self, index: int) -> C:
        return self._conns[index]

    def take(self) -> C | None:
        """An idle connection, or None when a new one is needed.

        Raises:
            _ClosedError: the pool is closed.
        """
        with self._lock:
            if self.closed:
                raise _ClosedError
            return self._conns.pop() if self._conns else None

    def give_back(self, conn: C) -> bool:
        """Keep ``conn`` for reuse; False when the pool is closed (the caller discards it)."""
        with self._lock:
            if self.closed:
                return False
            self._conns.append(conn)
            return True

    def drain(self, *, close: bool = False) -> list[C]:
        """Every idle connection, taken out (to be closed); the pool closed too if ``close``."""
        with self._lock:
            self.closed = self.closed or close
            conns, self._conns = self._conns, []
        return conns


class _Policy:
    """What both drivers share: the idle connections, the retry rule, the failure reason."""

    def __init__(self, *, tier: str, operation_timeout: float) -> None:
        self._tier = tier
        self._operation_timeout = operation_timeout
        self._idle: Idle[Any] = Idle()

    def _retry(self, attempt: int, fresh: bool, lost: bool, time_left: float) -> bool:
        """Whether a failed read runs once more, on a new connection: only a first attempt, on
        a pooled connection the server turned out to have dropped, with time left."""
        if attempt == 1 and not fresh and lost and time_left > 0:
            log.info("warm tier: a pooled connection was dropped; retrying once")
            return True
        return False

    @staticmethod
    def _row(raw: Any, decode: Callable[[Any], Any] | None) -> Any:
        """``raw`` decoded (a decoding error is the read's: the connection is not reused)."""
        return raw if raw is None or decode is None else decode(raw)


class AsyncReaders(_Policy):
    """Point reads on the event loop under the pool policy (see the module docstring).

    Args:
        backend: the connections (:class:`~sportsframe.cache.sql.postgres.AsyncPgBackend` or
            :class:`~sportsframe.cache.sql.sqlite.AsyncSqliteBackend`).
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most.
        operation_timeout: seconds for a whole read, waiting and connecting included.
    """

    def __init__(
        self, backend: AsyncBackend[Any], *, tier: str, size: int, operation_timeout: float
    ) -> None:
        super().__init__(tier=tier, operation_timeout=operation_timeout)
        self.backend = backend
        self._size = max(1, size)
        # Held by each connection in use. Both belong to one event loop: see _on_this_loop.
        self._slots = asyncio.Semaphore(self._size)
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"AsyncReaders({self.backend!r}, idle={len(self._idle)}, size={self._size})"

    async def fetch_row(
        self, sql: str, params: Sequence[Any], decode: Callable[[Any], Any] | None = None
    ) -> Any | None:
        """The first row of ``sql`` (passed through ``decode``, whose errors are the read's),
        or None when it returns none.

        Raises:
            TierUnavailable: the database cannot be reached, the statement failed, or no
                answer came within the operation timeout.
        """
        return await self._fetch(sql, params, decode, every=False)

    async def fetch_rows(
        self, sql: str, params: Sequence[Any], decode: Callable[[Any], Any] | None = None
    ) -> list[Any]:
        """Every row of ``sql``, each passed through ``decode``; as :meth:`fetch_row`
        otherwise (a read of several keys in one statement)."""
        rows: list[Any] = await self._fetch(sql, params, decode, every=True)
        return rows

    async def _fetch(
        self, sql: str, params: Sequence[Any], decode: Callable[[Any], Any] | None, *, every: bool
    ) -> Any:
        loop = self._on_this_loop()
        deadline = loop.time() + self._operation_timeout
        backend = self.backend
        try:
            for attempt in (1, 2):
                try:
                    async with asyncio.timeout_at(deadline):
                        await self._slots.acquire()
                except TimeoutError:
                    raise TierUnavailable(self._tier, "no reader free in time") from None
                try:
                    conn = self._idle.take()
                    fresh = conn is None
                    if conn is None:
                        async with asyncio.timeout_at(deadline):
                            conn = await backend.connect()
                    try:
                        raw = await backend.fetch(conn, sql, params, deadline, every=every)
                        if every:
                            row = [self._row(one, decode) for one in raw]
                        else:
                            row = self._row(raw, decode)
                    except BaseException as exc:
                        lost = isinstance(exc, backend.errors) and backend.dropped(conn)
                        await backend.discard(conn)
                        if self._retry(attempt, fresh, lost, deadline - loop.time()):
                            for idle in self._idle.drain():
                                await backend.discard(idle)
                            continue
                        raise
                    if not self._idle.give_back(conn):
                        await backend.discard(conn)
                    return row
                finally:
                    self._slots.release()
        except _ClosedError:
            raise TierUnavailable(self._tier, "the warm tier is closed") from None
        except backend.errors as exc:
            raise TierUnavailable(self._tier, backend.reason(exc)) from None
        return None  # not reached: the second attempt returns or raises

    def _on_this_loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, the readers moved to it first if they were used on another.

        A semaphore that ever made a caller wait, and an asyncio connection, belong to the loop
        they were used on; readers used again from a new loop (a second ``asyncio.run``) start
        afresh there: new slots, and the old loop's idle connections closed at the socket.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None and self.backend.loop_bound:
                for conn in self._idle.drain():
                    self.backend.abandon(conn)
            self._slots = asyncio.Semaphore(self._size)
            self._loop = loop
        return loop

    async def close(self) -> None:
        """Close the idle connections; any in use is closed when it comes back."""
        for conn in self._idle.drain(close=True):
            with contextlib.suppress(Exception):
                await self.backend.discard(conn)
        await self.backend.close()


class SyncWarmReader(_Policy):
    """A warm-tier hit with its companion in one blocking statement, for threads outside the
    event loop, under the pool policy (see the module docstring).

    Read-only, it answers what the tier holds (:meth:`read_many`); the read plan's blocking
    driver (:mod:`sportsframe.cache.blocking`) judges freshness. A failure raises
    TierUnavailable (logged), and the reader then rests for the breaker's reset period: a
    database that went away costs one timeout, not one per call.

    Args:
        backend: the connections (:class:`~sportsframe.cache.sql.postgres.PgBackend` or
            :class:`~sportsframe.cache.sql.sqlite.SqliteBackend`).
        sql: the hit statement; its parameters are (companion, key).
        to_entry: the deferred entry of a (decoded) row, its companion set when usable.
        clock: judges freshness and the rest after a failure (the tier's clock).
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most; callers beyond that wait for one.
        operation_timeout: seconds for the statement; waiting for a free connection may take
            as long again, and opening a new one is bounded by the backend's connect timeout.
        decode: applied to a row before ``to_entry`` (its errors are the read's).
    """

    def __init__(
        self,
        backend: Backend[Any],
        *,
        sql: str,
        to_entry: Callable[[Any], CacheEntry | None],
        clock: Clock,
        tier: str = "warm",
        size: int,
        operation_timeout: float,
        decode: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(tier=tier, operation_timeout=operation_timeout)
        self._decode = decode
        self._backend = backend
        self._sql = sql
        self._to_entry = to_entry
        self.clock = clock
        self._slots = threading.BoundedSemaphore(max(1, size))
        self._quiet_until = float("-inf")

    def __repr__(self) -> str:
        return f"SyncWarmReader(backend={type(self._backend).__name__}, idle={len(self._idle)})"

    @property
    def quiet(self) -> bool:
        """True while the reader rests after a failure, or once closed (it reads nothing)."""
        return self._resting()

    def _resting(self) -> bool:
        return self._idle.closed or self.clock.monotonic() < self._quiet_until

    def read_many(self, keys: Sequence[str], companion: str) -> dict[str, CacheEntry]:
        """The entries the tier holds under ``keys`` (storage keys; expired ones within their
        grace included), each deferred, with ``companion`` set when a readable current one is
        stored: what the async tier's ``get_with_companion`` answers, one statement per key.

        Raises:
            TierUnavailable: the tier failed or did not answer within the operation timeout
                (the reader then rests for the breaker's reset period), no connection came free
                in time, or the reader rests or is closed (no I/O).
        """
        out: dict[str, CacheEntry] = {}
        for key in keys:
            if self._resting():
                raise TierUnavailable(self._tier, "resting after a failure, or closed")
            if not self._slots.acquire(timeout=self._operation_timeout):
                raise TierUnavailable(self._tier, "no reader free in time")
            try:
                if self._resting():  # another caller failed (or closed it) while this one waited
                    raise TierUnavailable(self._tier, "resting after a failure, or closed")
                row = self._fetch((companion, key), time.monotonic() + self._operation_timeout)
            finally:
                self._slots.release()
            entry = None if row is None else self._to_entry(row)
            if entry is not None:
                out[key] = entry
        return out

    def prime(self) -> None:
        """One connection opened and the hit statement run for no key, ahead of the first real
        read (see :meth:`~sportsframe.cache.tier.BlockingReader.prime`); never raises."""
        if self._resting() or len(self._idle):
            return
        try:
            self.read_many([PRIME_KEY], PRIME_KEY)
        except TierUnavailable:
            # The read rested the reader; let the first real read try again at once.
            self._quiet_until = float("-inf")

    def _fetch(self, params: tuple[str, str], deadline: float) -> Any | None:
        backend = self._backend
        for attempt in (1, 2):
            try:
                conn = self._idle.take()
                fresh = conn is None
                if conn is None:
                    conn = backend.connect()
            except _ClosedError:
                return None
            except Exception as exc:  # could not connect: no retry, that would wait again
                raise self._rest(exc, deadline) from None
            try:
                row = self._row(backend.fetch(conn, self._sql, params, deadline), self._decode)
            except Exception as exc:
                lost = backend.dropped(conn)
                self._discard(conn)
                if self._retry(attempt, fresh, lost, deadline - time.monotonic()):
                    self._close_idle()
                    continue
                raise self._rest(exc, deadline) from None
            except BaseException:  # interrupted: the connection is in doubt
                self._discard(conn)
                raise
            if not self._idle.give_back(conn):
                self._discard(conn)
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

    def _discard(self, conn: Any) -> None:
        with contextlib.suppress(Exception):
            self._backend.discard(conn)

    def _close_idle(self) -> None:
        for conn in self._idle.drain():
            self._discard(conn)

    def close(self) -> None:
        """Close the idle connections (one in use is closed when it comes back); the reader
        answers None from then on."""
        for conn in self._idle.drain(close=True):
            self._discard(conn)
