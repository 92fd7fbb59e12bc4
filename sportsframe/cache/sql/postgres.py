"""psycopg connections for the warm tier's point reads on PostgreSQL (see
:mod:`~sportsframe.cache.sql.pool`).

Autocommit connections with binary results (``bytea`` arrives as bytes, not hex text to parse),
connecting where the tier's SQLAlchemy engine does. A statement that gets no answer by its
deadline has its socket closed at once: psycopg's own cancellation would first send the server a
cancel request and wait for the query to end, up to ten seconds more on a server that has
stopped answering. Imported only when PostgreSQL is the warm tier (psycopg is the postgres
extra's).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from sportsframe.cache.sql.hit import DECODE_ERRORS
from sportsframe.cache.tier import error_reason

__all__ = ["UNWIND_WAIT", "AsyncPgBackend", "PgBackend"]

#: Seconds an abandoned statement's task is given to end once its socket is shut down (it ends
#: on the loop's next turn, on the closed socket: there is no cancel to negotiate).
UNWIND_WAIT = 1.0

# psycopg.Error covers a connection refused for its arguments (ProgrammingError) as well.
_ERRORS: tuple[type[BaseException], ...] = (psycopg.Error, TimeoutError, OSError, *DECODE_ERRORS)


class _PgConnections:
    """What both backends share: where to connect, and errors told without the password.

    Args:
        connect_args: keyword arguments of psycopg's ``connect``, as SQLAlchemy derives them
            from the tier's URL (the password is never shown).
        connect_timeout: seconds for a new connection.
    """

    errors = _ERRORS

    def __init__(self, connect_args: Mapping[str, Any], *, connect_timeout: int) -> None:
        self._connect_args = {k: v for k, v in connect_args.items() if k != "context"} | {
            "autocommit": True,
            "connect_timeout": connect_timeout,
        }
        password = connect_args.get("password")
        self._password = str(password) if password else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def dropped(self, conn: Any) -> bool:
        """True when psycopg found the connection lost (not for an error of the statement,
        a server-side cancel or a timeout: those leave it open)."""
        return bool(conn.broken)

    def reason(self, exc: BaseException) -> str:
        """The error's type and first line, the password masked."""
        return error_reason(exc, self._password)

    def abandon(self, conn: Any) -> None:
        """Close the socket at once (no cancel handshake with a server that may not answer)."""
        with contextlib.suppress(Exception):
            conn.pgconn.finish()


class PgBackend(_PgConnections):
    """Blocking connections whose every wait for the server ends at the read's deadline."""

    def connect(self) -> Any:
        """A new autocommit connection."""
        return _DeadlineConnection.connect(**self._connect_args)

    def fetch(self, conn: Any, sql: str, params: Sequence[Any], deadline: float) -> Any | None:
        """The row (a named tuple), or None; raises psycopg's ``OperationalError`` when the
        server has not answered by ``deadline``."""
        conn.deadline = deadline
        try:
            with conn.cursor(binary=True, row_factory=namedtuple_row) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        finally:
            conn.deadline = None

    def discard(self, conn: Any) -> None:
        """Close the socket at once, then the connection."""
        self.abandon(conn)
        conn.close()


class AsyncPgBackend(_PgConnections):
    """Asyncio connections; a statement past its deadline or cancelled is abandoned at the
    socket."""

    loop_bound = True

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        """A new autocommit connection."""
        return await psycopg.AsyncConnection.connect(**self._connect_args)

    async def fetch(
        self,
        conn: psycopg.AsyncConnection[Any],
        sql: str,
        params: Sequence[Any],
        deadline: float,
        *,
        every: bool = False,
    ) -> Any | None:
        """The row (a named tuple), or None; with ``every``, the list of all rows."""
        loop = asyncio.get_running_loop()
        task = loop.create_task(_run(conn, sql, params, every))
        try:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
        except BaseException:  # the caller was cancelled
            await self._give_up(conn, task)
            raise
        if not done:
            await self._give_up(conn, task)
            raise TimeoutError("no answer within the operation timeout")
        return task.result()

    async def _give_up(self, conn: psycopg.AsyncConnection[Any], task: asyncio.Task[Any]) -> None:
        """Stop the statement nobody waits for: shut its socket down, let its task end on the
        closed socket (no cancel to negotiate with the server), then close the socket.

        The socket is shut down, not closed, until the task has ended: psycopg unregisters its
        file descriptor from the loop only as the task unwinds, and a closed descriptor's number
        goes to the next socket any task opens meanwhile, whose connection then failed ("connection
        socket closed") or had its registration removed by the old task later.
        """
        # Its outcome (the error of the shut socket, or a cancellation) is of no interest.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        with contextlib.suppress(OSError):
            shut = socket.socket(fileno=os.dup(conn.pgconn.socket))
            try:
                shut.shutdown(socket.SHUT_RDWR)
            finally:
                shut.close()  # the duplicate only: the connection's own stays allocated
        try:
            await asyncio.wait({task}, timeout=UNWIND_WAIT)
        finally:
            self.abandon(conn)
            task.cancel()

    async def discard(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Close it."""
        with contextlib.suppress(Exception):
            await conn.close()

    async def close(self) -> None:
        """Nothing to release besides the connections."""


async def _run(
    conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any], every: bool
) -> Any:
    async with conn.cursor(binary=True, row_factory=namedtuple_row) as cursor:
        await cursor.execute(sql, params)
        return await (cursor.fetchall() if every else cursor.fetchone())


class _DeadlineConnection(psycopg.Connection[Any]):
    """psycopg's blocking ``Connection`` whose waits end at ``deadline`` (``time.monotonic``).

    Every blocking operation of a psycopg connection (sending the query, waiting for the
    result, fetching) goes through ``Connection.wait``, which takes a timeout: capping it at the
    read's deadline bounds the whole statement, even against a server that stopped answering.
    """

    deadline: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if self.deadline is not None:
            left = max(0.0, self.deadline - time.monotonic())
            timeout = left if timeout is None else min(timeout, left)
        return super().wait(gen, interval, timeout)
