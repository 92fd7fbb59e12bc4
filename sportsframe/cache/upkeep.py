"""The cache manager's removals and maintenance: invalidation, ``drop_hot``, cleanup, reports.

Removals run inside :meth:`~sportsframe.cache.promotion.Promoter.change`, so that no copy of a
warm hit to the hot tier lands after them. Every call to a tier goes through its guard: a tier
that is down is skipped (its entries expire by their TTL), never an error.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sportsframe.cache import longkeys
from sportsframe.cache.core import ManagerCore
from sportsframe.cache.tier import Tier, reporting
from sportsframe.registry.glob import matches

if TYPE_CHECKING:
    from sportsframe.cache.guard import TierGuard

__all__ = ["DELETE_CHUNK", "Upkeep"]

#: Keys deleted at once when a pattern must be matched key by key: a whole cache's worth of
#: deletes at once would queue on the SQL pool until they time out.
DELETE_CHUNK = 32


class Upkeep(ManagerCore):
    """Removals and maintenance of the cache manager, one of its parts:
    the state it works on is declared by :class:`~sportsframe.cache.core.ManagerCore`."""

    def _guards(self) -> tuple[TierGuard[Tier], ...]:
        return tuple(g for g in (self.hot_guard, self.warm_guard) if g.tier is not None)

    async def invalidate(self, pattern: str) -> int:
        """Remove every key matching the Redis-style glob from both tiers; returns how many keys.

        The pattern is matched against this manager's source only: with the default source,
        ``invalidate("*")`` leaves ``emulator/`` entries alone, and vice versa. Another
        application's keys in the same Redis database are never touched (namespace). A tier that
        is down is skipped (its entries expire by their TTL).
        """
        spattern = self.prefixed(pattern)  # a pattern is never put in digest form
        # Only a pattern opening with a wildcard can reach another source's keys.
        one_by_one = not self.prefix and pattern[:1] in ("*", "?", "[")
        wide = longkeys.candidates(spattern)

        def meant(skey: str) -> bool:
            if not self._own(skey):
                return False
            if matches(spattern, skey):
                return True
            # An over-long key's digest form: the glob cannot see its tail (see longkeys).
            return longkeys.is_digest(skey) and longkeys.may_hold(spattern, skey)

        async def remove(tier: Tier) -> list[str]:
            keys = [k for k in await tier.keys(wide) if meant(k)]
            if not one_by_one:
                await tier.invalidate(spattern)
                digests = [k for k in keys if not matches(spattern, k)]
                await asyncio.gather(*(tier.delete(k) for k in digests))
                return keys
            for start in range(0, len(keys), DELETE_CHUNK):
                chunk = keys[start : start + DELETE_CHUNK]
                await asyncio.gather(*(tier.delete(k) for k in chunk))
            return keys

        removed: set[str] = set()
        await self.writes_landed()  # or an entry written behind would outlive its removal
        async with self.promoter.change():
            for guard in self._guards():
                _, keys = await guard.call(remove)
                removed.update(keys or ())
        return len(removed)

    def _own(self, skey: str) -> bool:
        return skey.startswith(self.prefix) if self.prefix else "/" not in skey

    async def drop_hot(self, key: str) -> bool:
        """Remove one key from the hot tier only (the next read is served by the warm tier)."""
        if self.hot_guard.tier is None:
            return False
        skey = self.storage_key(key)
        await self.writes_landed(skey)
        async with self.promoter.change():
            if not self.hot_guard.breaker.allow():
                return False
            _, existed = await self.hot_guard.allowed(lambda tier: tier.delete(skey))
            return bool(existed)

    async def flush_hits(self) -> int:
        """Write pending hit counts to the warm tier now; returns how many hits were written."""
        return await self._hits.flush()

    async def cleanup_expired(self) -> int:
        """Delete warm entries expired for longer than ``stale_grace``; returns how many.

        The in-process hot tier is cleaned the same way; Redis expires its keys itself.
        """
        grace = self.grace
        count = 0
        for guard in self._guards():
            _, removed = await guard.call(lambda tier: tier.cleanup(grace))
            if guard is self.warm_guard:
                count = removed or 0
        return count

    async def analyze_cache_efficiency(self) -> list[Any]:
        """Entries, average hits and last access per data type (the warm tier's report: rows
        with ``data_type``, ``entries``, ``avg_hits``, ``last_access``); [] without one."""
        warm = reporting(self.warm_guard.tier)
        if warm is None:
            return []
        await self._hits.flush()
        return list(await warm.analyze_efficiency())

    async def efficiency_report(self, now: datetime | None = None) -> list[Any]:
        """The warm tier's extended report per data type, judged at ``now`` (default: the
        manager's clock), after pending hit counts are written; [] without an SQL warm tier.
        See :meth:`~sportsframe.cache.sql.tier.SqlTier.efficiency_report` for the columns."""
        warm = reporting(self.warm_guard.tier)
        if warm is None:
            return []
        await self._hits.flush()
        return list(await warm.efficiency_report(now or self.clock.now()))
