"""The cache manager's core: its state, declared once for all its parts, and the read.

:class:`ManagerCore` is the base of every part of :class:`~sportsframe.cache.manager.CacheManager`
(writes, loads, removals, the specification's API): it declares the state they share, which the
manager sets up, and holds what every part reads through: the storage key of a key, the read
plan's async driver (:meth:`ManagerCore.read`) and the recording of a read's events
(:meth:`ManagerCore.record`), which the blocking driver hands over too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from time import perf_counter
from typing import TYPE_CHECKING

from sportsframe.batching import Batcher
from sportsframe.cache import longkeys
from sportsframe.cache.entry import CacheEntry, Lookup
from sportsframe.cache.promotion import SETTLE_TIMEOUT
from sportsframe.cache.readplan import EventKind, ReadPlan, TierRead
from sportsframe.cache.tier import CompanionTier, TierUnavailable

if TYPE_CHECKING:
    from sportsframe.cache.behind import Behind
    from sportsframe.cache.guard import TierGuard
    from sportsframe.cache.hits import HitBuffer
    from sportsframe.cache.locks import CrossProcessLock
    from sportsframe.cache.promotion import Promoter
    from sportsframe.cache.singleflight import SingleFlight
    from sportsframe.cache.stats import CacheStats
    from sportsframe.cache.tier import Tier
    from sportsframe.clock import Clock
    from sportsframe.settings import Settings

__all__ = ["Found", "ManagerCore"]

#: A key's fresh hit and its newest expired entry still held, each or None.
Found = tuple[Lookup | None, Lookup | None]


class ManagerCore:
    """The state the manager's parts share, and the read (see the module docstring)."""

    settings: Settings
    clock: Clock
    source: str
    prefix: str
    grace: float
    stats: CacheStats
    hot_guard: TierGuard[Tier]
    warm_guard: TierGuard[Tier]
    promoter: Promoter
    lock_counts: dict[str, int]
    _hits: HitBuffer
    _locks: CrossProcessLock
    _writing: set[asyncio.Future[None]]
    #: Fetched entries still being written behind their answer, by storage key: this process
    #: answers them from here until they land (see WritePath._write_behind).
    _behind: dict[str, Behind]
    #: This process's loads in flight, one per key (see CacheManager.fetch).
    _flights: SingleFlight[Lookup]
    #: The warm halves of fetched entries' writes, a transaction per batch (WritePath._write_warm).
    _warm_writes: Batcher[CacheEntry, None]
    #: Single-key reads made while one is under way (a week's parts, read at once), counting
    #: misses and not (the read again under the lock): one MGET and one SELECT for all.
    _reads_together: dict[bool, Batcher[str, Found]]
    _writes_since_check: int
    _max_size_every: int
    _guard_of: dict[str, TierGuard[Tier]]
    _tier_names: tuple[str, ...]
    #: The tiers that keep companions, by name (checked once: a protocol check is slow).
    _keepers: dict[str, CompanionTier]

    def storage_key(self, key: str) -> str:
        """``key`` as stored: prefixed ``{source}/`` unless it already is, and in its digest
        form when longer than the warm tier's key column (see :mod:`~sportsframe.cache.longkeys`).

        Raises ValueError for a key of another source (sources never mix).
        """
        return longkeys.fit(self.prefixed(key))

    def prefixed(self, key: str) -> str:
        """``key`` (or a glob) prefixed ``{source}/`` unless it already is; ValueError for a key
        of another source."""
        if self.prefix:
            return key if key.startswith(self.prefix) else self.prefix + key
        if "/" in key:
            raise ValueError(f"a key of another source was given to the {self.source} cache")
        return key

    async def read(
        self,
        keys: Sequence[str],
        *,
        companion: str | None = None,
        count_misses: bool = True,
        promote_now: list[CacheEntry] | None = None,
    ) -> ReadPlan:
        """Read ``keys`` (storage keys) through the tiers on the event loop: the read plan's
        async driver. The plan's events are recorded before it returns (see :meth:`record`);
        ``promote_now`` collects the warm hits to copy instead of copying them behind."""
        plan = ReadPlan(
            keys,
            self.clock.now(),
            tiers=self._tier_names,
            companion=companion,
            count_misses=count_misses,
        )
        if self._behind:
            plan.known({k: b.lookup for k in keys if (b := self._behind.get(k)) is not None})
        changes = self.promoter.changes  # before any read: see Promoter.allowed
        while (step := plan.next_read()) is not None:
            breaker = self._guard_of[step.tier].breaker
            if not breaker.allow():
                plan.skip(step)
                continue
            started = perf_counter()
            try:
                entries = await self._read_tier(step)
            except TierUnavailable as exc:
                plan.fail(step, str(exc))
                continue
            except BaseException:
                breaker.release_probe()
                raise
            plan.answer(step, entries, perf_counter() - started)
        self.record(plan, changes, promote_now=promote_now)
        return plan

    async def writes_landed(self, skey: str | None = None) -> None:
        """Wait until entries written behind their answers have landed (``skey``'s only, when
        given), for at most :data:`~sportsframe.cache.promotion.SETTLE_TIMEOUT` seconds."""
        if skey is None:
            tasks = [b.task for b in self._behind.values() if b.task is not None]
        else:
            behind = self._behind.get(skey)
            tasks = [behind.task] if behind is not None and behind.task is not None else []
        if tasks:
            await asyncio.wait(tasks, timeout=SETTLE_TIMEOUT)

    async def read_one(self, skey: str, *, count_misses: bool = True) -> Found:
        """The fresh hit and the newest stale entry of one key (storage key), each or None:
        a :meth:`read` shared with the other single-key reads made at the same time."""
        return await self._reads_together[count_misses].submit(skey)

    async def _read_together(self, keys: list[str], count_misses: bool) -> list[Found]:
        plan = await self.read(keys, count_misses=count_misses)
        return [(plan.found.get(k), plan.stale.get(k)) for k in keys]

    async def _read_tier(self, step: TierRead) -> dict[str, CacheEntry]:
        tier = self._guard_of[step.tier].tier
        assert tier is not None  # the plan reads only the tiers present
        if len(step.keys) > 1:
            return await tier.get_many(step.keys, include_stale=True)
        key = step.keys[0]
        keeper = self._keepers.get(step.tier)
        if step.companion is not None and keeper is not None:
            entry = await keeper.get_with_companion(key, step.companion, include_stale=True)
        else:
            entry = await tier.get(key, include_stale=True)
        return {} if entry is None else {key: entry}

    def record(
        self,
        plan: ReadPlan,
        changes: int,
        *,
        calls: bool = False,
        promote_now: list[CacheEntry] | None = None,
    ) -> None:
        """Apply a read plan's events: tier statistics, breakers, hit counts and copies of warm
        hits to the hot tier (``changes``: :attr:`change_count` from before the read; a copy is
        dropped when a change overlapped the read). With ``calls``, each key found is also an
        answered call (a read the blocking driver served). Must run on the event loop."""
        hits, now, companion = self._hits, plan.now, plan.companion
        for event in plan.events:
            guard = self._guard_of[event.tier]
            kind = event.kind
            if kind is EventKind.HIT:
                guard.stats.hit(event.seconds)
                hits.record(event.key, now)
            elif kind is EventKind.ANSWERED:
                guard.breaker.success()
            elif kind is EventKind.MISS:
                guard.stats.miss(event.seconds)
            elif kind is EventKind.SKIP:
                guard.stats.skip()
            elif kind is EventKind.DOWN:
                guard.breaker.failure(event.reason)
                guard.stats.error()
            elif event.entry is not None:  # PROMOTE
                if promote_now is not None:
                    promote_now.append(event.entry)
                else:
                    self.promoter.later(event.entry, companion, changes)
        if calls:
            for _ in plan.found:
                self.stats.call_hit()
