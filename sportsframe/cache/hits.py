"""Write-behind buffer for ``hit_count`` / ``last_hit_at``: hits are counted off the hit path.

Every cache hit (hot or warm) must show in the warm table's ``hit_count`` and ``last_hit_at``, but
a hot hit must not pay a SQL round trip. :meth:`HitBuffer.record` only updates a dict in memory;
a background task hands the accumulated counts to the warm tier's ``record_hits`` in one batch
every :data:`HIT_FLUSH_INTERVAL` seconds (sooner once :data:`HIT_FLUSH_KEYS` keys are pending),
and :meth:`HitBuffer.close` flushes what is left. If the warm tier is down the counts are kept
and retried at the next flush, up to :data:`HIT_MAX_PENDING` keys (then new keys are dropped:
hit statistics are worth less than memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sportsframe.cache.breaker import CircuitBreaker
from sportsframe.cache.tier import HitRecorder, TierUnavailable

__all__ = [
    "HIT_FLUSH_INTERVAL",
    "HIT_FLUSH_KEYS",
    "HIT_MAX_PENDING",
    "HitBuffer",
]

log = logging.getLogger("sportsframe.cache")

#: Seconds between two flushes of pending hit counts to the warm tier.
HIT_FLUSH_INTERVAL = 5.0
#: Flush early once this many distinct keys have pending hits.
HIT_FLUSH_KEYS = 1000
#: Most keys kept pending while the warm tier is unreachable.
HIT_MAX_PENDING = 100_000


class HitBuffer:
    """Counts hits in memory and writes them to ``sink`` in batches (see the module docstring)."""

    def __init__(
        self,
        sink: HitRecorder | None,
        *,
        breaker: CircuitBreaker | None = None,
        interval: float = HIT_FLUSH_INTERVAL,
    ) -> None:
        self.sink = sink
        self.breaker = breaker
        self.interval = interval
        self._pending: dict[str, tuple[int, datetime]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._closed = False
        #: Hits written to the sink so far (for stats and tests).
        self.flushed = 0

    @property
    def pending(self) -> int:
        """Hits recorded but not yet written."""
        return sum(count for count, _ in self._pending.values())

    def record(self, key: str, at: datetime) -> None:
        """Count one hit of ``key`` at ``at``. No I/O; must be called on the event loop."""
        if self.sink is None or self._closed:
            return
        pending = self._pending.get(key)
        if pending is not None:
            self._pending[key] = (pending[0] + 1, at)
        elif len(self._pending) < HIT_MAX_PENDING:
            self._pending[key] = (1, at)
            if len(self._pending) >= HIT_FLUSH_KEYS and self._wake is not None:
                self._wake.set()
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            while self._pending:
                assert self._wake is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval)
                self._wake.clear()
                await self.flush()
        finally:
            self._task = None

    async def flush(self) -> int:
        """Write pending hits now; returns how many hits were written (0 if the sink is down)."""
        if not self._pending or self.sink is None:
            return 0
        if self.breaker is not None and not self.breaker.allow():
            return 0
        batch, self._pending = self._pending, {}
        try:
            await self.sink.record_hits(batch)
        except TierUnavailable as exc:
            if self.breaker is not None:
                self.breaker.failure(str(exc))
            self._merge_back(batch)
            return 0
        except BaseException:
            if self.breaker is not None:
                self.breaker.release_probe()
            self._merge_back(batch)
            raise
        if self.breaker is not None:
            self.breaker.success()
        written = sum(count for count, _ in batch.values())
        self.flushed += written
        return written

    def _merge_back(self, batch: dict[str, tuple[int, datetime]]) -> None:
        for key, (count, at) in batch.items():
            newer = self._pending.get(key)
            if newer is not None:
                self._pending[key] = (newer[0] + count, newer[1])
            elif len(self._pending) < HIT_MAX_PENDING:
                self._pending[key] = (count, at)

    async def close(self) -> None:
        """Stop the background task and flush what is pending (best effort)."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(TierUnavailable):
            await self.flush()
