"""The warm tier's point-read pool (AsyncReaders) on PostgreSQL: bounded, reused, and failing as
the rest of the tier does (TierUnavailable in bounded time, nothing secret shown)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import event

from sportsframe.cache.sql.pool import AsyncReaders
from sportsframe.cache.sql.postgres import AsyncPgBackend
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock
from tests.cache.conftest import _psycopg_url
from tests.cache.servers import FreezingProxy

PID = "SELECT pg_backend_pid() AS pid, pg_sleep(%s) AS held"


def _readers(url: str, *, size: int = 2, operation_timeout: float = 5.0) -> AsyncReaders:
    """Readers connecting where ``url`` (a libpq URI) points, as SqlTier builds them."""
    from psycopg.conninfo import conninfo_to_dict

    return AsyncReaders(
        AsyncPgBackend(conninfo_to_dict(url), connect_timeout=2),
        tier="warm",
        size=size,
        operation_timeout=operation_timeout,
    )


@pytest.fixture
async def readers(postgres_url: str) -> AsyncIterator[AsyncReaders]:
    pool = _readers(_psycopg_url(postgres_url), size=2)
    yield pool
    await pool.close()


async def test_callers_beyond_the_size_wait_for_a_connection(readers: AsyncReaders) -> None:
    rows = await asyncio.gather(*(readers.fetch_row(PID, (0.05,)) for _ in range(6)))
    assert len({row.pid for row in rows}) <= 2  # six reads, two connections
    again = await readers.fetch_row(PID, (0,))
    assert again is not None
    assert again.pid in {row.pid for row in rows}  # reused, not reopened


async def test_no_row_is_none(readers: AsyncReaders) -> None:
    assert await readers.fetch_row("SELECT 1 AS one WHERE false", ()) is None


async def test_a_connection_opened_right_after_a_read_gave_up_works(postgres_url: str) -> None:
    # A read past its deadline has its socket closed. The next socket opened takes the same
    # file descriptor; opened at once, before the abandoned statement's task had unwound
    # (which unregisters the old one from the loop), it failed: "connection socket closed".
    # (The quota's general path opens one right after the warm tier's own connection gives up.)
    import psycopg

    url = _psycopg_url(postgres_url)
    readers = _readers(url, operation_timeout=0.3)
    try:
        for _ in range(3):
            with pytest.raises(TierUnavailable):
                await readers.fetch_row(PID, (5,))
            conn = await psycopg.AsyncConnection.connect(url, connect_timeout=5)
            try:
                assert await (await conn.execute("SELECT 1")).fetchone() == (1,)
            finally:
                await conn.close()
    finally:
        await readers.close()


@pytest.mark.parametrize("opened", ["psycopg", "socketpair"])
async def test_a_socket_another_task_opens_as_a_read_gives_up_works(
    opened: str, postgres_url: str
) -> None:
    # The same descriptor hazard for any other task: one that opens a socket the moment the
    # abandoned connection goes bad, before the statement's task has unwound. Its socket must
    # not take the old descriptor's number while the loop still has it registered: a psycopg
    # connection failed at once, and a reader registered on it never fired.
    import socket

    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    url = _psycopg_url(postgres_url)
    backend = AsyncPgBackend(conninfo_to_dict(url), connect_timeout=2)
    loop = asyncio.get_running_loop()
    conn = await backend.connect()
    outcome: dict[str, object] = {}

    async def open_when_it_goes_bad() -> None:
        # Polled each loop turn on purpose: the socket must open on the very turn it goes bad.
        while conn.pgconn.status != psycopg.pq.ConnStatus.BAD:  # noqa: ASYNC110
            await asyncio.sleep(0)
        if opened == "psycopg":
            other = await psycopg.AsyncConnection.connect(url, connect_timeout=5)
            try:
                outcome["row"] = await (await other.execute("SELECT 1")).fetchone()
            finally:
                await other.close()
            return
        a, b = socket.socketpair()
        fired = asyncio.Event()
        loop.add_reader(a.fileno(), fired.set)
        try:
            await asyncio.sleep(0.3)  # the old statement's task has unwound by now
            b.send(b"x")
            await asyncio.wait_for(fired.wait(), 2)
            outcome["row"] = (1,)
        finally:
            loop.remove_reader(a.fileno())
            a.close()
            b.close()

    other_task = asyncio.create_task(open_when_it_goes_bad())
    with pytest.raises(TimeoutError):
        await backend.fetch(conn, PID, (5,), loop.time() + 0.3)
    await asyncio.wait_for(other_task, 10)
    assert outcome["row"] == (1,)


async def test_a_cancelled_read_closes_its_connection_and_frees_its_slot(
    readers: AsyncReaders,
) -> None:
    first = await readers.fetch_row(PID, (0,))
    assert first is not None
    slow = asyncio.create_task(readers.fetch_row(PID, (10,)))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    # Both slots are free again: two slow reads run side by side, on two connections.
    rows = await asyncio.wait_for(
        asyncio.gather(*(readers.fetch_row(PID, (0.3,)) for _ in range(2))), 0.55
    )
    assert len({row.pid for row in rows}) == 2
    assert first.pid not in {row.pid for row in rows}  # the cancelled one was not reused


async def test_an_unreachable_server_is_tier_unavailable_without_the_password(
    free_port: int,
) -> None:
    pool = _readers(f"postgresql://postgres:hunter2@127.0.0.1:{free_port}/test")
    with pytest.raises(TierUnavailable) as caught:
        await pool.fetch_row("SELECT 1", ())
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(pool)
    await pool.close()


async def test_a_password_with_spaces_and_quotes_reaches_the_server_intact(
    pg_schema: str, clock: ManualClock, make_entry: Any
) -> None:
    # The server trusts loopback, so any password is accepted once it arrives well formed.
    secret = "my secret 'pass'"
    url = f"postgresql+psycopg://postgres:{quote(secret)}@127.0.0.1:5432/test"
    tier = SqlTier(url, clock=clock, schema=pg_schema)
    try:
        entry = make_entry("teams:2024", [{"Key": "SF"}])
        await tier.set(entry)
        await tier.set_companion(entry, "frame-1", b"frame")
        found = await tier.get_with_companion(entry.key, "frame-1")
        assert found is not None
        assert found.companion is not None
        assert secret not in repr(tier)
    finally:
        await tier.close()


async def test_a_server_that_stops_answering_mid_read_costs_only_the_operation_timeout(
    postgres_url: str,
) -> None:
    proxy = FreezingProxy()
    await proxy.start()
    pool = _readers(f"postgresql://postgres@127.0.0.1:{proxy.port}/test", operation_timeout=1.0)
    try:
        assert await pool.fetch_row(PID, (0,)) is not None  # connected, then ...
        proxy.flowing.clear()  # ... the server stops answering
        started = time.monotonic()
        with pytest.raises(TierUnavailable):
            await pool.fetch_row(PID, (0,))
        # psycopg's own cancellation would add a cancel request and a wait for the query to
        # end: up to ten seconds more.
        assert time.monotonic() - started < 2.0
    finally:
        proxy.flowing.set()
        await pool.close()
        await proxy.stop()


async def test_a_read_waiting_for_a_slot_when_closed_opens_nothing(
    postgres_url: str,
) -> None:
    pool = _readers(_psycopg_url(postgres_url), size=1)
    busy = asyncio.create_task(pool.fetch_row(PID, (0.3,)))
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(pool.fetch_row(PID, (0,)))
    await asyncio.sleep(0.05)
    await pool.close()
    assert (await busy) is not None  # the read under way finishes
    with pytest.raises(TierUnavailable):
        await waiting  # the one waiting does not open a connection after close


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


async def test_a_server_that_never_answers_is_tier_unavailable_in_bounded_time(
    silent_server: int,
) -> None:
    pool = _readers(f"postgresql://postgres@127.0.0.1:{silent_server}/test", operation_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TierUnavailable):
        await pool.fetch_row("SELECT 1", ())
    assert time.monotonic() - started < 1.5
    await pool.close()


async def test_after_close_a_read_is_tier_unavailable(readers: AsyncReaders) -> None:
    await readers.fetch_row(PID, (0,))
    await readers.close()
    with pytest.raises(TierUnavailable):
        await readers.fetch_row(PID, (0,))


async def test_a_warm_hit_with_its_companion_takes_no_sqlalchemy_statement(
    postgres_url: str, pg_schema: str, clock: ManualClock, make_entry: Any
) -> None:
    tier = SqlTier(postgres_url, clock=clock, schema=pg_schema)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    try:
        entry = make_entry("player_props:2024:18:True", [{"PlayerID": 1}])
        await tier.set(entry)
        await tier.set_companion(entry, "frame-1", b"frame")
        event.listen(tier.engine.sync_engine, "before_cursor_execute", record)
        found = await tier.get_with_companion(entry.key, "frame-1")
        assert found is not None
        assert found.companion is not None
        assert bytes(found.companion) == b"frame"
        assert statements == []
        # Without a usable companion the general read answers: on the readers too.
        plain = await tier.get_with_companion(entry.key, "frame-2")
        assert plain is not None
        assert plain.companion is None
        assert plain.payload == [{"PlayerID": 1}]
        assert statements == []
    finally:
        event.remove(tier.engine.sync_engine, "before_cursor_execute", record)
        await tier.close()
