"""The read plan's blocking driver: a cache read in the caller's thread, outside the event loop.

The sync facade answers a repeated call from L0 in the caller's thread; when L0 misses (it is
off, another process wrote the entry, the kernel restarted) the next places are Redis and the
warm tier. Going through the event loop for those costs a thread hand-off and asyncio's chunked
reads of a megabyte reply; the tiers' blocking readers
(:class:`~sportsframe.cache.tier.BlockingReader`) do not. :meth:`BlockingReads.read` runs the
same :class:`~sportsframe.cache.readplan.ReadPlan` as the loop's driver over those readers and
returns it with its events unapplied: the caller
decides whether the answer serves (the facade wants every part fresh with its finished frame)
and then hands the events to the loop in one call (:meth:`BlockingReads.hand_over`), where the
manager records them as if the loop had read. An answer that does not serve is dropped whole,
events included, and the loop reads again: nothing is counted twice.

Breakers belong to the loop. This driver only reads their state: a tier whose breaker is not
closed, or whose reader rests after its own failure, is skipped, as an open breaker is skipped on
the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, NamedTuple

from sportsframe.cache.breaker import BreakerState
from sportsframe.cache.readplan import HOT, WARM, ReadPlan
from sportsframe.cache.tier import BlockingReadable, Tier, TierUnavailable, blocking_readable

if TYPE_CHECKING:
    from sportsframe.cache.guard import TierGuard
    from sportsframe.clock import Clock

__all__ = ["RECORD_DELAY", "BlockingRead", "BlockingReads"]

#: Seconds the loop waits, once a read is handed over, before recording it with the reads handed
#: over meanwhile: a script's calls in a row are recorded together, and the loop thread does not
#: take the GIL back in the middle of each next read (about a twentieth of a Redis hit). Anything
#: that reports statistics records what is pending first (:meth:`BlockingReads.drain`).
RECORD_DELAY = 0.05


class BlockingRead(NamedTuple):
    """A finished plan read in the caller's thread, and the manager's change count from before
    it (a warm hit is copied to the hot tier only if no change overlapped the read)."""

    plan: ReadPlan
    changes: int


#: Records a read's events on the loop: ``record(plan, changes, calls=True)``.
Recorder = Callable[..., None]


class BlockingReads:
    """The blocking driver over the tiers of one manager (see the module docstring).

    Args:
        hot, warm: the manager's guarded tiers (only their breakers' states are read here).
        clock: the manager's clock (freshness).
        changes: the manager's change count, read before each read.
        record: the manager's event recorder, run on the loop by :meth:`hand_over`.
    """

    def __init__(
        self,
        hot: TierGuard[Tier],
        warm: TierGuard[Tier],
        clock: Clock,
        changes: Callable[[], int],
        record: Recorder,
    ) -> None:
        self._guards = {HOT: hot, WARM: warm}
        # Which tiers offer a blocking reader, checked once (a protocol check is slow).
        self._readable = {g.name: blocking_readable(g.tier) for g in (hot, warm)}
        self._tiers = tuple(g.name for g in (hot, warm) if g.tier is not None)
        self.clock = clock
        self._changes = changes
        self._record = record
        self._closed = False
        # Reads under way in callers' threads, and when the last one was handed over: the
        # loop's own work behind an answer (copies to the hot tier) waits for a quiet moment,
        # since it holds the GIL while a caller converts its next answer (see :meth:`quiet_for`).
        self._reading = 0
        self._reading_lock = threading.Lock()
        self._last_active = float("-inf")
        # Reads handed over and not recorded yet, and whether the loop is due to record them.
        self._handed: list[BlockingRead] = []
        self._drain_due = False

    def quiet_for(self) -> float:
        """Seconds since a caller's thread last read through this driver (0.0 while one
        reads; ``inf`` when none ever did)."""
        if self._reading:
            return 0.0
        return max(0.0, perf_counter() - self._last_active)

    async def open(self) -> None:
        """Make each tier's blocking reader ready ahead of the first read, on the loop: the
        tier's own preparation (the warm tier checks its tables), then one connection opened
        and primed in a worker thread. A tier that is down or whose breaker is open is left for
        the reads to meet (its failure counted as any other)."""
        for name in self._tiers:
            guard, readable = self._guards[name], self._readable[name]
            if readable is None or guard.breaker.state is not BreakerState.CLOSED:
                continue
            if await guard.attempt(_preparing(readable)):
                reader = readable.sync_reader()
                if reader is not None:
                    await asyncio.to_thread(reader.prime)

    def read(self, keys: Sequence[str], companion: str) -> BlockingRead | None:
        """Read ``keys`` (storage keys), each with its current ``companion``, in this thread.

        None when a tier the read reaches offers no blocking reader (an in-process memory
        tier, a tier given a client rather than a URL, an in-memory database): the loop reads
        instead. Never raises for a tier that is down: the plan records it.
        """
        if self._closed:
            return None
        with self._reading_lock:
            self._reading += 1
        try:
            return self._read(keys, companion)
        finally:
            with self._reading_lock:
                self._reading -= 1
            self._last_active = perf_counter()

    def _read(self, keys: Sequence[str], companion: str) -> BlockingRead | None:
        changes = self._changes()
        plan = ReadPlan(keys, self.clock.now(), tiers=self._tiers, companion=companion)
        while (step := plan.next_read()) is not None:
            guard = self._guards[step.tier]
            readable = self._readable[step.tier]
            reader = None if readable is None else readable.sync_reader()
            if reader is None:
                return None
            if guard.breaker.state is not BreakerState.CLOSED or reader.quiet:
                plan.skip(step)
                continue
            started = perf_counter()
            try:
                entries = reader.read_many(step.keys, companion)
            except TierUnavailable as exc:
                plan.fail(step, str(exc))
                continue
            plan.answer(step, entries, perf_counter() - started)
        return BlockingRead(plan, changes)

    def hand_over(self, read: BlockingRead, loop: asyncio.AbstractEventLoop) -> None:
        """Have ``read``'s events recorded on ``loop`` (the manager's), each key found counted
        as an answered call: :data:`RECORD_DELAY` later, with any read handed over meanwhile
        (see :meth:`drain`). Cheap from this thread: the loop is woken once per batch."""
        self._last_active = perf_counter()  # the caller's work on the answer ended here
        with self._reading_lock:
            self._handed.append(read)
            if self._drain_due:
                return
            self._drain_due = True
        loop.call_soon_threadsafe(loop.call_later, RECORD_DELAY, self.drain)

    def drain(self) -> None:
        """Record the reads handed over and not recorded yet (on the loop; the manager calls
        this before it reports statistics, settles or closes)."""
        with self._reading_lock:
            handed, self._handed = self._handed, []
            self._drain_due = False
        for read in handed:
            self._record(read.plan, read.changes, calls=True)

    def close(self) -> None:
        """Read nothing from now on (the manager is closing its tiers)."""
        self._closed = True


def _preparing(readable: BlockingReadable) -> Callable[[Tier], Awaitable[None]]:
    """The guarded operation that prepares ``readable``'s blocking reader."""

    def operation(_: Tier) -> Awaitable[None]:
        return readable.prepare_reader()

    return operation
