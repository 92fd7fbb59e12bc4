"""The Redis lock's renewal ends with the hold, whatever becomes of its cancellation.

redis-py writes a command under ``asyncio.wait_for``; on Python 3.11 a cancellation that lands
as the write completes is lost (the call returns its answer instead). A renewal whose
cancellation was lost so must still end, or the release waiting for it never returns and the
lock is renewed for as long as the process runs (a warm-up of many weeks hung so). The client
here loses every cancellation of a renewal call, so the interleaving is forced, not hoped for.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sportsframe.cache.locks import CrossProcessLock, RedisLock
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.memory import MemoryTier
from sportsframe.clock import ManualClock
from sportsframe.registry.ttl import CacheDataType
from sportsframe.settings import Settings

#: Seconds the tests give a release at most; it needs a few steps of the loop.
PATIENCE = 5.0


class _Redis:
    """The two commands :class:`RedisLock` sends, on a dict; a renewal call answers only when
    it is cancelled, and then as if it had not been (what redis-py does when the cancellation
    lands as the command's write completes)."""

    def __init__(self, *, lose_cancellations: bool = True) -> None:
        self.keys: dict[str, str] = {}
        self.renewals = 0
        self.renewing = asyncio.Event()
        self.lose_cancellations = lose_cancellations
        self.unwinding = asyncio.Event()
        self.unwound = asyncio.Event()
        #: Set, every renewal call answers (how a failing test ends what it started).
        self.answer = asyncio.Event()

    async def set(self, name: str, value: str, *, nx: bool, px: int) -> bool:
        if nx and name in self.keys:
            return False
        self.keys[name] = value
        return True

    async def eval(self, script: str, numkeys: int, name: str, token: str, *ttl: int) -> int:
        if not ttl:  # the release: delete the key if it holds the token
            held = self.keys.get(name) == token
            if held:
                del self.keys[name]
            return int(held)
        self.renewals += 1
        self.renewing.set()
        try:
            await self.answer.wait()  # the server's answer has not been read yet
        except asyncio.CancelledError:
            if not self.lose_cancellations:
                # The connection is closed first: cancelled, the call ends a step later.
                self.unwinding.set()
                await self.unwound.wait()
                raise
        return int(self.keys.get(name) == token)


def _renewals_running() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and task.get_coro().__qualname__ == "RedisLock._renew"  # type: ignore[union-attr]
    ]


async def test_a_release_ends_when_the_renewal_loses_its_cancellation() -> None:
    client = _Redis()
    lock = RedisLock(client, "ns~lock:", ttl=0.003)  # type: ignore[arg-type]
    token = await lock.acquire("k")
    await client.renewing.wait()  # a renewal call is under way
    # In a task of its own: a release stuck so cannot be cancelled (its cancellation goes to
    # the renewal it waits for, and is lost there too).
    release = asyncio.ensure_future(lock.release("k", token))
    done, _ = await asyncio.wait([release], timeout=PATIENCE)
    if not done:
        client.keys.clear()  # the renewal then finds the lock gone and ends, and the release
        client.answer.set()
        await release
        pytest.fail("the release waited for a renewal that never ended")
    assert "ns~lock:k" not in client.keys
    assert client.renewals == 1  # none after the release
    assert _renewals_running() == []


async def test_a_holder_cancelled_during_its_release_stays_cancelled() -> None:
    client = _Redis(lose_cancellations=False)
    lock = RedisLock(client, "ns~lock:", ttl=0.003)  # type: ignore[arg-type]
    token = await lock.acquire("k")
    await client.renewing.wait()
    holder = asyncio.ensure_future(lock.release("k", token))
    await client.unwinding.wait()  # the holder now waits for the renewal to end
    holder.cancel()  # a Ctrl-C of the fetch holding the lock
    client.unwound.set()
    async with asyncio.timeout(PATIENCE):
        await asyncio.wait([holder])
    assert holder.cancelled()  # not turned into a release that carried on
    assert "ns~lock:k" not in client.keys  # released all the same


async def test_a_fetch_returns_when_its_lock_renewal_loses_its_cancellation(
    tmp_path: Path,
) -> None:
    # The hang as a warm-up met it: the load is done and written, its lock still held.
    client = _Redis()
    clock = ManualClock()
    locks = CrossProcessLock([(RedisLock(client, "ns~lock:", ttl=0.003), None)])  # type: ignore[arg-type]
    manager = CacheManager(
        Settings(home=tmp_path, redis_host=""),
        hot=MemoryTier(100, clock),
        warm=None,
        clock=clock,
        locks=locks,
    )

    async def load() -> list[dict[str, int]]:
        await client.renewing.wait()  # a slow upstream call: the lock is renewed meanwhile
        return [{"a": 1}]

    key = "player_props:2024:18:False"
    fetch = asyncio.ensure_future(manager.fetch(key, CacheDataType.PLAYER_PROPS, load))
    done, _ = await asyncio.wait([fetch], timeout=PATIENCE)
    if not done:
        client.keys.clear()
        client.answer.set()
        await fetch
        await manager.close()
        pytest.fail("the fetch never returned: its lock's release waited for the renewal")
    assert fetch.result().served_from == "api"
    await manager.settle()  # the entry's writes land, then the lock goes (writes.py)
    assert client.keys == {}  # released
    await manager.close()
