"""Copies of warm hits to the hot tier, written behind the answer, never over a newer change.

A warm hit's copy to the hot tier (a props week: 1.1 MB with its finished frame) took about a
sixth of a warm hit when the caller waited for it, and nothing the caller gets depends on it, so
:meth:`Promoter.later` writes it in a background task, one per key at a time.

Anything that removes or replaces entries (an invalidation, ``drop_hot``, a new entry written
through) runs inside :meth:`Promoter.change`: it first waits for the pending copies, and a copy
whose warm read overlapped any change is not written at all (:meth:`Promoter.allowed`), so a copy
of an older entry never lands after a newer one or after a delete. Across processes, another
process may refresh a key between this read and its copy: a hot tier that offers
:class:`~sportsframe.cache.tier.Copying` then refuses the copy (it holds a newer entry), so the
older entry never replaces it there either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sportsframe.cache.tier import CompanionTier, Copying, Tier, companion_keeper, copying
from sportsframe.loop import until_quiet

if TYPE_CHECKING:
    from collections.abc import Callable

    from sportsframe.cache.entry import CacheEntry
    from sportsframe.cache.guard import TierGuard
    from sportsframe.cache.stats import CacheStats

__all__ = ["FOREGROUND_QUIET", "MAX_DEFER", "PROMOTION_DELAY", "SETTLE_TIMEOUT", "Promoter"]

log = logging.getLogger("sportsframe.cache")

#: Seconds a warm hit's copy to the hot tier waits before it starts: long enough for the event
#: loop to go idle and let a sync caller's thread take its answer first.
PROMOTION_DELAY = 0.001
#: Seconds the callers' threads must have read nothing before a copy starts. A copy holds the
#: GIL for a few milliseconds (a megabyte to frame for Redis); a script reading week after week
#: in its own thread would wait for it in the middle of its next read, so copies wait for a gap
#: between reads instead (at the latest, at close or before any change).
FOREGROUND_QUIET = 0.02
#: Seconds a copy waits for such a gap at most: a caller that never pauses still gets its copies.
MAX_DEFER = 2.0
#: Seconds a removal or write waits for pending copies at most (each copy has the hot tier's own
#: timeouts; this bounds the wait even so).
SETTLE_TIMEOUT = 5.0


class Promoter:
    """Writes warm hits to the hot tier behind the answer (see the module docstring).

    Args:
        hot, warm: the guarded tiers (a deferred warm entry loads its payload behind the warm
            tier's breaker).
        stats: the manager's current statistics (``promotions`` is counted there).
        grace: seconds an entry is kept past its expiry for stale reads.
        quiet_for: seconds since a caller's thread last read the tiers (0.0 while one reads);
            copies wait until it reaches :data:`FOREGROUND_QUIET`. By default, always quiet.
    """

    def __init__(
        self,
        hot: TierGuard[Tier],
        warm: TierGuard[Tier],
        stats: Callable[[], CacheStats],
        grace: float,
        quiet_for: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        self.hot = hot
        self.warm = warm
        self._stats = stats
        self.grace = grace
        self._quiet_for = quiet_for
        self.closed = False
        # Settles under way: pending copies stop waiting for a quiet moment while one is.
        self._hurry = 0
        # The hot tier's capabilities, asked once (a protocol check costs microseconds).
        self._keeper: CompanionTier | None = companion_keeper(hot.tier)
        self._copier: Copying | None = copying(hot.tier)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Bumped when a write or removal starts and again when it ends (see :meth:`allowed`).
        self.changes = 0
        self._changing = 0

    @property
    def pending(self) -> dict[str, asyncio.Task[None]]:
        """The copies under way, by storage key."""
        return self._tasks

    def allowed(self, changes: int) -> bool:
        """True when no write or removal started, ran or ended since ``changes`` was read: the
        entry read then may be older than what a change put (or left absent) in the tiers."""
        return self._changing == 0 and self.changes == changes

    @contextlib.asynccontextmanager
    async def change(self) -> AsyncIterator[None]:
        """Marks a write or removal of entries; waits for pending copies first, so none lands
        after it."""
        self.changes += 1
        self._changing += 1
        try:
            await self.settle()
            yield
        finally:
            self._changing -= 1
            self.changes += 1

    def later(self, entry: CacheEntry, companion: str | None, changes: int) -> None:
        """Copy ``entry`` (a warm hit read when the change count was ``changes``) with its
        ``companion`` to the hot tier in a background task. One copy per key at a time: a
        second warm hit while one is pending adds nothing."""
        if self.closed or entry.key in self._tasks or not self.allowed(changes):
            return
        task = asyncio.get_running_loop().create_task(self._soon(entry, companion, changes))
        self._tasks[entry.key] = task
        task.add_done_callback(lambda done: self._done(entry.key, done))

    def _done(self, skey: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(skey) is task:
            del self._tasks[skey]
        if not task.cancelled() and (exc := task.exception()) is not None:
            # The guards turn a tier outage into a breaker count; anything else is a bug, and a
            # background task's error would otherwise surface only at garbage collection.
            log.error("copying %s to the hot tier failed: %s", skey, type(exc).__name__)

    async def _soon(self, entry: CacheEntry, companion: str | None, changes: int) -> None:
        # The copy's Python work (a megabyte to frame for Redis) holds the GIL: started at once,
        # it would make a sync caller, woken in its own thread, wait for it after all.
        await asyncio.sleep(PROMOTION_DELAY)
        await until_quiet(
            self._quiet_for,
            FOREGROUND_QUIET,
            stop=lambda: bool(self._hurry) or self.closed,
            most=MAX_DEFER - PROMOTION_DELAY,
        )
        if self.allowed(changes):
            await self.now(entry, companion)

    async def settle(self, skey: str | None = None) -> None:
        """Wait until pending copies are written (``skey``'s only, when given), for at most
        :data:`SETTLE_TIMEOUT` seconds. Copies pending on another event loop are not waited for
        (they belong to that loop)."""
        if skey is None:
            tasks = list(self._tasks.values())
        else:
            task = self._tasks.get(skey)
            tasks = [task] if task is not None else []
        loop = asyncio.get_running_loop()
        pending = [t for t in tasks if t.get_loop() is loop]
        if pending:
            self._hurry += 1
            try:
                await asyncio.wait(pending, timeout=SETTLE_TIMEOUT)
            finally:
                self._hurry -= 1

    async def now(self, entry: CacheEntry, companion: str | None = None) -> None:
        """Copy ``entry`` (and its companion, when it came with one) to the hot tier now."""
        # A deferred entry (a warm hit that came with its companion) reads its payload now,
        # behind the warm tier's breaker like any other read of it.
        if entry.deferred:
            read, loaded = await self.warm.read(lambda _: entry.load())
            if not read or not loaded:
                return  # the warm tier is down, or holds another version by now
        # The entry keeps its own expires_at, so the hot tier stores it for the *remaining* TTL.
        grace, data = self.grace, entry.companion
        beside = None
        keeper, copier = self._keeper, self._copier
        if companion is not None and data is not None and keeper is not None:
            beside = (companion, data)
        # The guard hands each call its tier; keeper and copier are that same tier.
        if copier is not None:
            # Never over a newer entry another process wrote since this one was read.
            _, copied = await self.hot.call(
                lambda _: copier.copy(entry, grace=grace, companion=beside)
            )
            promoted = bool(copied)
        elif beside is not None and keeper is not None:
            name, extra = beside
            promoted, _ = await asyncio.gather(
                self.hot.attempt(lambda tier: tier.set(entry, grace=grace)),
                self.hot.attempt(lambda _: keeper.set_companion(entry, name, extra, grace=grace)),
            )
        else:
            promoted = await self.hot.attempt(lambda tier: tier.set(entry, grace=grace))
        if promoted:
            self._stats().promotions += 1

    async def many(self, entries: list[CacheEntry]) -> None:
        """Copy warm hits to the hot tier now, in one round trip (the spec's ``get_multiple``),
        each only where the hot tier holds no newer entry (when it can tell)."""
        grace = self.grace
        if not entries:
            return
        copier = self._copier
        if copier is not None:
            _, copied = await self.hot.call(lambda _: copier.copy_many(entries, grace=grace))
            self._stats().promotions += copied or 0
        elif await self.hot.attempt(lambda tier: tier.set_many(entries, grace=grace)):
            self._stats().promotions += len(entries)

    async def close(self) -> None:
        """Stop taking copies and wait for the pending ones."""
        self.closed = True
        await self.settle()
