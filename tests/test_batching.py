"""Group commit (sportsframe.batching.Batcher): what arrives while a batch runs goes in the next."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from sportsframe.batching import Batcher


class Recorder:
    """A runner that records its batches and, while ``gate`` is closed, waits on it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()

    async def __call__(self, items: list[int]) -> Sequence[int | BaseException]:
        self.batches.append(items)
        self.started.set()
        await self.gate.wait()
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


async def test_a_lone_call_runs_at_once_as_a_batch_of_one() -> None:
    runner = Recorder()
    batcher: Batcher[int, int] = Batcher(runner)
    assert await batcher.submit(2) == 20
    assert runner.batches == [[2]]


async def test_calls_made_while_a_batch_runs_go_together_in_the_next() -> None:
    runner = Recorder()
    batcher: Batcher[int, int] = Batcher(runner)
    runner.gate.clear()
    first = asyncio.ensure_future(batcher.submit(0))
    await runner.started.wait()  # the first batch is being written
    later = [asyncio.ensure_future(batcher.submit(i)) for i in (2, 4, 6)]
    await asyncio.sleep(0)
    runner.gate.set()
    assert await first == 0
    assert await asyncio.gather(*later) == [20, 40, 60]
    assert runner.batches == [[0], [2, 4, 6]]


async def test_calls_made_in_one_turn_of_the_loop_share_the_first_batch() -> None:
    runner = Recorder()
    batcher: Batcher[int, int] = Batcher(runner)
    assert await asyncio.gather(*(batcher.submit(i) for i in (2, 4, 6))) == [20, 40, 60]
    assert runner.batches == [[2, 4, 6]]


async def test_each_call_gets_its_own_outcome() -> None:
    batcher: Batcher[int, int] = Batcher(Recorder())
    results = await asyncio.gather(*(batcher.submit(i) for i in (1, 2, 3)), return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert str(results[0]) == "odd 1"
    assert results[1] == 20
    assert isinstance(results[2], ValueError)
    assert str(results[2]) == "odd 3"


async def test_a_runner_that_fails_fails_its_batch_only() -> None:
    calls = 0

    async def runner(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("the database went away")
        return items

    batcher: Batcher[int, int] = Batcher(runner)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    assert await batcher.submit(3) == 3  # the next batch runs as usual


async def test_a_runner_that_loses_items_fails_each_clearly() -> None:
    async def runner(items: list[int]) -> list[int]:
        return items[:1]

    batcher: Batcher[int, int] = Batcher(runner)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and "2 had 1 outcomes" in str(r) for r in results)


async def test_a_cancelled_caller_leaves_its_item_in_the_batch() -> None:
    runner = Recorder()
    batcher: Batcher[int, int] = Batcher(runner)
    runner.gate.clear()
    gone = asyncio.ensure_future(batcher.submit(2))
    stays = asyncio.ensure_future(batcher.submit(4))
    await runner.started.wait()
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    runner.gate.set()
    assert await stays == 40
    assert runner.batches == [[2, 4]]  # the cancelled caller's item was still written


async def test_cancelling_the_batch_cancels_every_waiter_and_the_next_call_runs() -> None:
    runner = Recorder()
    batcher: Batcher[int, int] = Batcher(runner)
    runner.gate.clear()
    running = asyncio.ensure_future(batcher.submit(2))
    await runner.started.wait()
    queued = asyncio.ensure_future(batcher.submit(4))
    await asyncio.sleep(0)
    draining = batcher._draining
    assert draining is not None
    draining.cancel()  # the loop going down
    for waiter in (running, queued):
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiter, timeout=5)  # never a hang
    runner.gate.set()
    assert await batcher.submit(6) == 60
    assert runner.batches[-1] == [6]
