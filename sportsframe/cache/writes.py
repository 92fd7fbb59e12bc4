"""The cache manager's write path: write-behind of fetched payloads, companions and max size.

A payload just paid for is answered at once and written to both tiers behind the answer, with
its data type's TTL (:func:`~sportsframe.registry.ttl.effective_ttl`): the caller does not wait
for two stores and their encodings, and the writes go to the end even when the caller is
cancelled meanwhile (:mod:`~sportsframe.cache.behind` says how the key stays locked and readable
until they land). Warm-tier writes submitted while one is under way go together in one
transaction (:class:`~sportsframe.batching.Batcher`): a week's parts fetched at once share a
commit. A companion (a value derived from an entry, such as its finished frame) is kept beside
the entry it was made from. CACHE_MAX_SIZE is enforced on the warm tier every few writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sportsframe.cache.behind import Behind, CompanionData
from sportsframe.cache.core import ManagerCore
from sportsframe.cache.entry import CacheEntry, CacheTier, Lookup
from sportsframe.cache.readplan import WARM
from sportsframe.cache.tier import CompanionTier, Tier, size_bounded
from sportsframe.loop import finish_before_exit
from sportsframe.registry.ttl import CacheDataType, Coverage, effective_ttl

if TYPE_CHECKING:
    pass

__all__ = ["MAX_SIZE_CHECK_EVERY", "WRITE_DEFER", "WritePath"]

log = logging.getLogger("sportsframe.cache")

#: CACHE_MAX_SIZE is enforced on the warm tier after this many writes (or a tenth of the maximum,
#: whichever is smaller): the table may overshoot by that much between two checks, and a write
#: pays for a ``COUNT`` only once in that many.
MAX_SIZE_CHECK_EVERY = 100

#: How long, at most, a fetched entry's writes wait for this process's loads in flight to be
#: answered: a long warm-up keeps loads in flight, and its writes must still land.
WRITE_DEFER = 1.0

_API = CacheTier.API.value


class WritePath(ManagerCore):
    """The write half of the cache manager, one of its parts: the state it works on is declared by
    :class:`~sportsframe.cache.core.ManagerCore`."""

    @property
    def keeps_companions(self) -> bool:
        """True when a tier can keep companions (see :meth:`attach`)."""
        return bool(self._keepers)

    async def attach(self, lookup: Lookup, companion: str, data: CompanionData) -> bool:
        """Keep ``data``, derived from ``lookup``'s entry, beside that entry (or what a
        function given as ``data`` makes, called only when the companion is stored: an entry
        still being written behind its answer encodes its companion after the answer too).

        It expires with the entry and is served (by ``fetch(..., companion=...)``) only while
        that same entry is stored. It goes to the hot tier, and to the warm tier when the entry
        came from the API or from a warm read that found none (a hot hit says nothing of what
        the warm tier holds, and rewriting it on every hot hit would cost a write per read).
        Nothing is stored for a stale entry or by a tier that is down: a companion is only
        ever a shortcut. True if some tier stored it, or will once the entry, still being
        written behind its answer, has landed.
        """
        if lookup.stale or not self._keepers:
            return False
        behind = self._behind.get(lookup.key)
        if behind is not None and behind.holds(lookup):
            if all(name != companion for name, _ in behind.companions):
                behind.companions.append((companion, data))
            return True
        return await self._keep_companion(lookup, companion, data)

    async def _keep_companion(self, lookup: Lookup, companion: str, data: CompanionData) -> bool:
        stored = data() if callable(data) else data
        guards = [self.hot_guard]
        if lookup.served_from in (_API, WARM):
            guards.append(self.warm_guard)
        entry, grace = lookup.entry, self.grace

        def store(keeper: CompanionTier) -> Callable[[Tier], Awaitable[None]]:
            # The guard hands its tier; the keeper is that same tier, seen as a CompanionTier.
            return lambda _: keeper.set_companion(entry, companion, stored, grace=grace)

        writes = [
            g.attempt(store(self._keepers[g.name])) for g in guards if g.name in self._keepers
        ]
        return any(await asyncio.gather(*writes))

    def _new_entry(
        self,
        skey: str,
        payload: Any,
        data_type: CacheDataType,
        season: int | None,
        *,
        coverage: Coverage,
    ) -> CacheEntry:
        now = self.clock.now()
        ttl = effective_ttl(
            data_type,
            default_ttl=self.settings.cache_default_ttl,
            payload=payload,
            season=season,
            now=now,
            coverage=coverage,
        )
        return CacheEntry.from_payload(
            skey,
            payload,
            data_type=data_type.value,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            source=self.source,
        )

    def _write_behind(self, lookup: Lookup, held: contextlib.AsyncExitStack) -> None:
        """Write ``lookup``'s entry (just fetched, already answered) to both tiers in a task of
        its own, then release ``held``, the key's cross-process lock: another process waiting
        for the key reads the entry instead of fetching it again. Until then this process
        answers the key from :attr:`_behind`. The task runs to the end even when every caller
        is cancelled (a Ctrl-C): the request is spent, and a cancelled write could leave one
        tier with the new entry and the other without."""
        behind = Behind(lookup)
        self._behind[lookup.key] = behind
        task = asyncio.ensure_future(self._land(behind, held))
        behind.task = task
        self._writing.add(task)
        task.add_done_callback(self._written)
        finish_before_exit(task)

    async def _land(self, behind: Behind, held: contextlib.AsyncExitStack) -> None:
        lookup = behind.lookup
        try:
            # The encodings and stores hold the GIL: they wait (a little) for this process's
            # loads to be answered, whose fetches and frames they would otherwise slow down.
            quiet = asyncio.ensure_future(self._flights.quiet())
            try:
                await asyncio.wait([quiet], timeout=WRITE_DEFER)
            finally:
                quiet.cancel()
            await self._write(lookup.entry)
            while behind.companions:
                companion, data = behind.companions.pop(0)
                await self._keep_companion(lookup, companion, data)
        finally:
            if self._behind.get(lookup.key) is behind:
                del self._behind[lookup.key]
            await held.aclose()

    def _written(self, task: asyncio.Future[None]) -> None:
        self._writing.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Tier outages are counted by the guards; an entry a tier refused or a bug gets
            # here, and the caller, answered before the write, would never see it.
            log.error("writing a fetched entry failed: %s", type(exc).__name__)

    async def _write(self, entry: CacheEntry) -> None:
        self.stats.writes += 1
        grace = self.grace
        async with self.promoter.change():
            await asyncio.gather(
                self.hot_guard.attempt(lambda tier: tier.set(entry, grace=grace)),
                self._warm_writes.submit(entry),
            )
        if self.warm_guard.tier is not None:
            self._writes_since_check += 1
            if self._writes_since_check >= self._max_size_every:
                await self.enforce_max_size()

    async def _write_warm(self, entries: list[CacheEntry]) -> list[BaseException | None]:
        """The warm half of the writes submitted together (a week's parts, fetched at
        once): one transaction for all, where one each queued behind each other's commits."""
        grace = self.grace
        try:
            await self.warm_guard.attempt(lambda tier: tier.set_many(entries, grace=grace))
            return [None] * len(entries)
        except Exception:
            if len(entries) == 1:
                raise
        # Not an outage (the guard takes those): one entry the tier refuses must not fail the
        # others written with it, so each is written on its own and answered for itself.
        outcomes: list[BaseException | None] = []

        def write(entry: CacheEntry) -> Callable[[Tier], Awaitable[None]]:
            return lambda tier: tier.set(entry, grace=grace)

        for entry in entries:
            try:
                await self.warm_guard.attempt(write(entry))
            except Exception as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    async def enforce_max_size(self) -> int:
        """Evict warm entries beyond CACHE_MAX_SIZE (expired past grace first, then least
        recently hit); returns how many. The write path calls it every few writes."""
        self._writes_since_check = 0
        if size_bounded(self.warm_guard.tier) is None:
            return 0
        if not self.warm_guard.breaker.allow():
            return 0
        await self._hits.flush()  # eviction ranks by last_hit_at: make it current
        maximum, grace = self.settings.cache_max_size, self.grace

        async def evict(tier: Tier) -> int:
            bounded = size_bounded(tier)
            assert bounded is not None  # checked above
            return await bounded.enforce_max_size(maximum, grace=grace)

        _, evicted = await self.warm_guard.allowed(evict)
        return evicted or 0
