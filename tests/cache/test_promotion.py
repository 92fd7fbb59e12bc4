"""Copies of warm hits to the hot tier wait for a gap between a caller's reads: a copy holds the
GIL for milliseconds, which a script reading week after week in its own thread would otherwise
wait for in the middle of its next read. They still go at once when something needs them
settled, and at the latest after MAX_DEFER."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from sportsframe.cache import promotion
from sportsframe.cache.breaker import CircuitBreaker
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.guard import TierGuard
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.promotion import Promoter
from sportsframe.cache.stats import CacheStats
from sportsframe.cache.tier import Tier
from sportsframe.clock import ManualClock

KEY = "player_props:2024:13:False"
PAYLOAD = [{"PlayerID": 1, "Value": 7.5}]


class Foreground:
    """What the blocking driver says of the callers' threads: reading now, or quiet for long."""

    def __init__(self) -> None:
        self.reading = True

    def __call__(self) -> float:
        return 0.0 if self.reading else float("inf")


def _promoter(clock: ManualClock, foreground: Foreground) -> tuple[Promoter, MemoryTier]:
    stats = CacheStats(clock)
    hot, warm = MemoryTier(clock=clock), MemoryTier(clock=clock)

    def guard(name: str, tier: Tier) -> TierGuard[Tier]:
        return TierGuard(name, tier, CircuitBreaker(name, clock=clock), lambda: stats)

    return Promoter(
        guard("hot", hot), guard("warm", warm), lambda: stats, 0.0, quiet_for=foreground
    ), hot


async def test_a_copy_waits_while_a_callers_thread_reads_then_goes(
    clock: ManualClock, make_entry: Callable[..., CacheEntry]
) -> None:
    foreground = Foreground()
    promoter, hot = _promoter(clock, foreground)
    promoter.later(make_entry(KEY, PAYLOAD), None, promoter.changes)
    await asyncio.sleep(5 * promotion.FOREGROUND_QUIET)
    assert await hot.get(KEY) is None  # the caller is still reading: not copied yet
    assert KEY in promoter.pending
    foreground.reading = False
    await asyncio.wait_for(promoter.pending[KEY], 1.0)
    copied = await hot.get(KEY)
    assert copied is not None
    assert copied.payload == PAYLOAD


async def test_settling_copies_at_once_however_busy_the_callers_are(
    clock: ManualClock, make_entry: Callable[..., CacheEntry]
) -> None:
    foreground = Foreground()  # reading, and never stops
    promoter, hot = _promoter(clock, foreground)
    promoter.later(make_entry(KEY, PAYLOAD), None, promoter.changes)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await promoter.settle()
    assert await hot.get(KEY) is not None
    assert loop.time() - started < promotion.MAX_DEFER / 2


async def test_a_copy_waits_no_longer_than_max_defer(
    clock: ManualClock,
    make_entry: Callable[..., CacheEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(promotion, "MAX_DEFER", 0.1)
    foreground = Foreground()  # reading, and never stops
    promoter, hot = _promoter(clock, foreground)
    promoter.later(make_entry(KEY, PAYLOAD), None, promoter.changes)
    task: Any = promoter.pending[KEY]
    await asyncio.wait_for(task, 2.0)  # not settled by anyone: it went by itself
    assert await hot.get(KEY) is not None
