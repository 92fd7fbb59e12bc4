"""Reads served in a caller's thread are recorded on the loop in batches: a script's calls in a
row wake the loop once, and are recorded together after RECORD_DELAY, so the loop thread does
not take the GIL back in the middle of each next read; statistics count them at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.blocking import RECORD_DELAY, BlockingRead, BlockingReads
from sportsframe.cache.breaker import CircuitBreaker
from sportsframe.cache.guard import TierGuard
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.promotion import FOREGROUND_QUIET
from sportsframe.cache.readplan import ReadPlan
from sportsframe.cache.stats import CacheStats
from sportsframe.cache.tier import Tier
from sportsframe.clock import ManualClock
from sportsframe.settings import Settings


def _reads(clock: ManualClock, recorded: list[int]) -> BlockingReads:
    stats = CacheStats(clock)

    def guard(name: str) -> TierGuard[Tier]:
        return TierGuard(name, None, CircuitBreaker(name, clock=clock), lambda: stats)

    def record(plan: ReadPlan, changes: int, *, calls: bool = False) -> None:
        assert calls  # each key a blocking read found is an answered call
        recorded.append(changes)

    return BlockingReads(guard("hot"), guard("warm"), clock, lambda: 0, record)


def _read(clock: ManualClock, n: int) -> BlockingRead:
    return BlockingRead(ReadPlan([f"teams:{n}"], clock.now(), tiers=(), companion="frame"), n)


async def test_reads_handed_over_in_a_row_wake_the_loop_once_and_are_recorded_together(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[int] = []
    reads = _reads(clock, recorded)
    loop = asyncio.get_running_loop()
    wakes: list[Any] = []
    real = loop.call_soon_threadsafe

    def counting(*args: Any) -> Any:
        if args[0] == loop.call_later:  # (the thread's own hand-back of its result is not ours)
            wakes.append(args)
        return real(*args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)

    def burst(first: int) -> None:  # a script's calls, one after another, in its own thread
        for n in range(first, first + 5):
            reads.hand_over(_read(clock, n), loop)

    await asyncio.to_thread(burst, 0)
    await asyncio.sleep(0)
    assert len(wakes) == 1
    assert recorded == []  # not in the middle of the next read
    await asyncio.sleep(RECORD_DELAY * 3)
    assert recorded == [0, 1, 2, 3, 4]  # in order, all of them
    await asyncio.to_thread(burst, 5)  # the next burst wakes the loop again
    await asyncio.sleep(RECORD_DELAY * 3)
    assert len(wakes) == 2
    assert recorded == list(range(10))


async def test_draining_records_what_is_pending_at_once(clock: ManualClock) -> None:
    recorded: list[int] = []
    reads = _reads(clock, recorded)
    loop = asyncio.get_running_loop()
    await asyncio.to_thread(reads.hand_over, _read(clock, 7), loop)
    reads.drain()  # what the manager does before it reports statistics, settles or closes
    assert recorded == [7]
    await asyncio.sleep(RECORD_DELAY * 3)
    assert recorded == [7]  # the delayed drain finds nothing left: nothing counted twice


async def test_background_work_waits_until_the_callers_have_been_idle(
    clock: ManualClock, tmp_path: Path, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = CacheManager(
        Settings(home=tmp_path, namespace=namespace, redis_host=""),
        hot=MemoryTier(clock=clock),
        warm=None,
    )
    try:
        await asyncio.wait_for(manager.idle(), 1.0)  # nobody ever read: at once
        reading = True
        monkeypatch.setattr(
            manager._blocking, "quiet_for", lambda: 0.0 if reading else float("inf")
        )
        waiting = asyncio.ensure_future(manager.idle())
        await asyncio.sleep(5 * FOREGROUND_QUIET)
        assert not waiting.done()  # a caller's thread is reading
        reading = False
        await asyncio.wait_for(waiting, 1.0)
    finally:
        await manager.close()
