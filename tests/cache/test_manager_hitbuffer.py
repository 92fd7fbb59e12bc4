"""The write-behind hit buffer: counts in memory, one batch per flush, kept while the sink
is down."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sportsframe.cache.breaker import CircuitBreaker
from sportsframe.cache.hits import HitBuffer, HitRecorder
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock

T0 = datetime(2024, 12, 1, 17, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.batches: list[dict[str, tuple[int, datetime]]] = []
        self.down = False

    async def record_hits(self, hits: Mapping[str, tuple[int, datetime]]) -> None:
        if self.down:
            raise TierUnavailable("warm", "connection refused")
        self.batches.append(dict(hits))


def test_sink_satisfies_the_protocol() -> None:
    assert isinstance(Sink(), HitRecorder)


async def test_hits_are_batched_per_key() -> None:
    sink = Sink()
    buffer = HitBuffer(sink, interval=3600)
    for i in range(10):
        buffer.record("a", T0 + timedelta(seconds=i))
    buffer.record("b", T0)
    assert sink.batches == []  # nothing written on the hit path
    assert buffer.pending == 11
    assert await buffer.flush() == 11
    assert sink.batches == [{"a": (10, T0 + timedelta(seconds=9)), "b": (1, T0)}]
    await buffer.close()


async def test_background_flush_on_interval() -> None:
    sink = Sink()
    buffer = HitBuffer(sink, interval=0.01)
    buffer.record("a", T0)
    for _ in range(100):
        if sink.batches:
            break
        await asyncio.sleep(0.01)
    assert sink.batches == [{"a": (1, T0)}]
    await buffer.close()


async def test_close_flushes_what_is_pending() -> None:
    sink = Sink()
    buffer = HitBuffer(sink, interval=3600)
    buffer.record("a", T0)
    await buffer.close()
    assert sink.batches == [{"a": (1, T0)}]
    buffer.record("a", T0)  # closed: ignored
    assert buffer.pending == 0


async def test_counts_survive_an_outage(clock: ManualClock) -> None:
    sink = Sink()
    breaker = CircuitBreaker("warm", threshold=1, reset_period=5, clock=clock)
    buffer = HitBuffer(sink, breaker=breaker, interval=3600)
    buffer.record("a", T0)
    sink.down = True
    assert await buffer.flush() == 0
    buffer.record("a", T0 + timedelta(seconds=1))
    assert buffer.pending == 2
    assert await buffer.flush() == 0  # breaker open: not even tried
    sink.down = False
    clock.advance(5)
    assert await buffer.flush() == 2
    assert sink.batches == [{"a": (2, T0 + timedelta(seconds=1))}]
    await buffer.close()


async def test_without_a_sink_nothing_is_kept() -> None:
    buffer = HitBuffer(None)
    buffer.record("a", T0)
    assert buffer.pending == 0
    await buffer.close()
