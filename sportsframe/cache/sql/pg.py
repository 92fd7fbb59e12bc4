"""A few psycopg connections that serve the warm tier's hit path on PostgreSQL, outside
SQLAlchemy.

A warm hit is one SELECT. Through SQLAlchemy's async engine it also paid a pool checkout and
checkin, an isolation-level switch and the greenlet hops between them: about 0.4 ms, a tenth of
the hit. :class:`PgReaders` keeps up to ``size`` autocommit connections of its own and runs that
one statement on them with binary results (``bytea`` arrives as bytes, not hex text to parse).
Everything else the tier does still goes through SQLAlchemy.

Failure rules, as for the rest of the tier: a server that cannot be reached, or does not answer
within the operation timeout, raises :class:`~sportsframe.cache.tier.TierUnavailable`; a pooled
connection the server has dropped (a restart) is discarded and the statement runs once more on a
new one; a connection that saw any error or a cancellation is closed, never reused. A statement
that gets no answer in time has its socket closed at once: psycopg's own cancellation would first
send the server a cancel request and wait for the query to end, up to ten seconds more on a
server that has stopped answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from sportsframe.cache.tier import TierUnavailable, error_reason

__all__ = ["PgReaders"]

log = logging.getLogger("sportsframe.cache")

# What psycopg raises for a connection that failed, was dropped or is closed.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
# psycopg.Error covers a connection refused for its arguments (ProgrammingError) as well.
_DOWN: tuple[type[BaseException], ...] = (psycopg.Error, TimeoutError, OSError)


class PgReaders:
    """Up to ``size`` psycopg connections for single-row reads (see the module docstring).

    Args:
        connect_args: keyword arguments of ``psycopg.AsyncConnection.connect`` (host, port,
            dbname, user, password, ...): the ones SQLAlchemy derives from the tier's URL, so
            both reach the same server. The password is never shown.
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most; callers beyond that wait for one to be free.
        connect_timeout: seconds for a new connection.
        operation_timeout: seconds for a whole read, waiting and connecting included.
    """

    def __init__(
        self,
        connect_args: Mapping[str, Any],
        *,
        tier: str,
        size: int,
        connect_timeout: int,
        operation_timeout: float,
    ) -> None:
        self._connect_args = {k: v for k, v in connect_args.items() if k != "context"}
        password = connect_args.get("password")
        self._password = str(password) if password else ""
        self._tier = tier
        self._size = max(1, size)
        self._connect_timeout = connect_timeout
        self._operation_timeout = operation_timeout
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        # Held by each connection in use: at most ``size`` are open (a new one is opened only
        # when none is idle). Both belong to one event loop: see _on_this_loop.
        self._slots = asyncio.Semaphore(self._size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"PgReaders(idle={len(self._idle)}, size={self._size})"

    async def fetch_row(self, sql: str, params: Sequence[Any]) -> Any | None:
        """The first row of ``sql`` (a named tuple), or None when it returns none.

        Raises:
            TierUnavailable: the server cannot be reached or does not answer in time.
        """
        loop = self._on_this_loop()
        deadline = loop.time() + self._operation_timeout
        try:
            for attempt in (1, 2):
                async with asyncio.timeout_at(deadline):
                    conn, fresh = await self._acquire()
                try:
                    row = await self._query(conn, sql, params, deadline)
                except _CONNECTION_ERRORS:
                    await self._discard(conn)
                    if fresh or attempt == 2:
                        raise
                    # A pooled connection the server dropped (a restart dropped the idle ones
                    # too): once more, on a new one.
                    log.info("warm tier: a pooled connection was dropped; retrying once")
                    await self._close_idle()
                    continue
                except BaseException:
                    await self._discard(conn)
                    raise
                if self._closed:
                    await self._discard(conn)
                else:
                    self._release(conn)
                return row
        except _DOWN as exc:
            raise TierUnavailable(self._tier, self._reason(exc)) from None
        return None  # not reached: the second attempt returns or raises

    def _on_this_loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, the readers moved to it first if they were used on another.

        A semaphore that ever made a caller wait, and an asyncio connection, belong to the loop
        they were used on; a tier used again from a new loop (a second ``asyncio.run``) starts
        afresh there: new slots, and the old loop's idle connections closed at the socket.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None:
                idle, self._idle = self._idle, []
                for conn in idle:
                    with contextlib.suppress(Exception):
                        conn.pgconn.finish()
                self._slots = asyncio.Semaphore(self._size)
            self._loop = loop
        return loop

    async def _query(
        self,
        conn: psycopg.AsyncConnection[Any],
        sql: str,
        params: Sequence[Any],
        deadline: float,
    ) -> Any:
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._run(conn, sql, params))
        try:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
        except BaseException:  # the caller was cancelled
            _abandon(conn, task)
            raise
        if not done:
            _abandon(conn, task)
            raise TimeoutError(f"no answer within {self._operation_timeout:g} s")
        return task.result()

    @staticmethod
    async def _run(conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]) -> Any:
        async with conn.cursor(binary=True, row_factory=namedtuple_row) as cursor:
            await cursor.execute(sql, params)
            return await cursor.fetchone()

    async def _acquire(self) -> tuple[psycopg.AsyncConnection[Any], bool]:
        """(a connection, whether it was opened just now); its slot is held until it is
        released or discarded."""
        if self._closed:
            raise OSError("the warm tier is closed")
        await self._slots.acquire()
        try:
            if self._closed:  # closed while this caller waited for a slot
                raise OSError("the warm tier is closed")
            if self._idle:
                return self._idle.pop(), False
            conn = await psycopg.AsyncConnection.connect(
                **self._connect_args, autocommit=True, connect_timeout=self._connect_timeout
            )
        except BaseException:
            self._slots.release()
            raise
        return conn, True

    def _release(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._idle.append(conn)
        self._slots.release()

    async def _discard(self, conn: psycopg.AsyncConnection[Any]) -> None:
        try:
            with contextlib.suppress(Exception):
                await conn.close()
        finally:
            self._slots.release()

    def _reason(self, exc: BaseException) -> str:
        """A one-line reason for TierUnavailable, never holding the password."""
        return error_reason(exc, self._password)

    async def close(self) -> None:
        """Close the idle connections; any in use is closed when it comes back."""
        self._closed = True
        await self._close_idle()

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                await conn.close()


def _abandon(conn: psycopg.AsyncConnection[Any], task: asyncio.Task[Any]) -> None:
    """Give up on a statement: close the socket, then cancel the task waiting on it (which
    then ends at once instead of negotiating a cancel with the server)."""
    with contextlib.suppress(Exception):
        conn.pgconn.finish()
    task.cancel()
    # Its outcome (a cancellation, or the error of the closed socket) is of no interest.
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
