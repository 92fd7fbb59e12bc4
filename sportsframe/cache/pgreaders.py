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
new one; a connection that saw any error or a cancellation is closed, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from sportsframe.cache.tier import TierUnavailable

__all__ = ["PgReaders"]

log = logging.getLogger("sportsframe.cache")

# What psycopg raises for a connection that failed, was dropped or is closed.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
_DOWN: tuple[type[BaseException], ...] = (*_CONNECTION_ERRORS, TimeoutError, OSError)


class PgReaders:
    """Up to ``size`` psycopg connections for single-row reads (see the module docstring).

    Args:
        conninfo: libpq connection string or URI (may hold a password: never shown).
        tier: the tier's name, for TierUnavailable.
        size: connections kept at most; callers beyond that wait for one to be free.
        connect_timeout: seconds for a new connection.
        operation_timeout: seconds for a whole read, waiting and connecting included.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        tier: str,
        size: int,
        connect_timeout: int,
        operation_timeout: float,
    ) -> None:
        self._conninfo = conninfo
        self._tier = tier
        self._size = max(1, size)
        self._connect_timeout = connect_timeout
        self._operation_timeout = operation_timeout
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        # Held by each connection in use: at most ``size`` are open (a new one is opened only
        # when none is idle).
        self._slots = asyncio.Semaphore(self._size)
        self._closed = False

    def __repr__(self) -> str:
        return f"PgReaders(idle={len(self._idle)}, size={self._size})"

    async def fetch_row(self, sql: str, params: Sequence[Any]) -> Any | None:
        """The first row of ``sql`` (a named tuple), or None when it returns none.

        Raises:
            TierUnavailable: the server cannot be reached or does not answer in time.
        """
        try:
            async with asyncio.timeout(self._operation_timeout):
                for attempt in (1, 2):
                    conn, fresh = await self._acquire()
                    try:
                        row = await self._run(conn, sql, params)
                    except _CONNECTION_ERRORS:
                        await self._discard(conn)
                        if fresh or attempt == 2:
                            raise
                        # A pooled connection the server dropped (a restart dropped the idle
                        # ones too): once more, on a new one.
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
            raise TierUnavailable(self._tier, _reason(exc)) from None
        return None  # not reached: the second attempt returns or raises

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
            if self._idle:
                return self._idle.pop(), False
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
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

    async def close(self) -> None:
        """Close the idle connections; any in use is closed when it comes back."""
        self._closed = True
        await self._close_idle()

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                await conn.close()


def _reason(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
