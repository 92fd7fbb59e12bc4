"""CacheManager: the read-through core over the hot and warm tiers, its fills written behind.

Read path (:meth:`CacheManager.fetch`)::

    hot ──hit──► answer                      (hit counted in memory, written behind)
     │ miss / expired / down
    warm ──hit──► answer; then promote to hot with the entry's *remaining* TTL (written behind)
     │ miss
    single-flight (one task per key in this process, one lock per key across processes)
     │ after the lock: re-read the tiers (another process may have just filled them)
    loader (the API) ──ok──► answer; then write to both tiers (TTL: policy.effective_ttl)
             │                behind it, holding the lock until written
             └─fail (5xx, 429, timeout)──► an entry expired < stale_grace ago, flagged stale;
                                           otherwise the typed error

The rules of the first two steps are the read plan's (:mod:`sportsframe.cache.readplan`), run
here on the event loop (:meth:`CacheManager.read`) and in the caller's thread by the blocking
driver (:mod:`sportsframe.cache.blocking`); both hand the plan's events to :meth:`record`.

Failure rules: a tier that is down is a miss, never an error. Every call to a tier goes through
its :class:`~sportsframe.cache.guard.TierGuard` (a circuit breaker and the tier's statistics); an
open breaker skips the tier without I/O. Offline mode never calls the loader: it serves what the
tiers hold, flagged stale when expired, or raises
:class:`~sportsframe.errors.OfflineCacheMissError`.

Keys are the registry's, stored under the source's prefix (:mod:`sportsframe.registry.sources`);
every method takes keys and patterns with or without it.

The manager's other jobs live beside it: the load of a miss (:mod:`~sportsframe.cache.loading`),
writes (:mod:`~sportsframe.cache.writes`), copies of
warm hits (:mod:`~sportsframe.cache.promotion`), removals and maintenance
(:mod:`~sportsframe.cache.upkeep`), the specification's key-value API
(:mod:`~sportsframe.cache.spec`) and the tiers the settings describe
(:mod:`~sportsframe.cache.build`). The async API is the one implementation;
:class:`~sportsframe.cache.sync.SyncCacheManager` runs it on sportsframe's background loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from sportsframe.batching import Batcher
from sportsframe.cache import build
from sportsframe.cache.blocking import BlockingReads
from sportsframe.cache.breaker import CircuitBreaker
from sportsframe.cache.entry import CacheTier, Lookup
from sportsframe.cache.guard import TierGuard
from sportsframe.cache.hits import HitBuffer
from sportsframe.cache.loading import STALE_OK_ERRORS, Loader, LoadJob, LoadPath
from sportsframe.cache.locks import CrossProcessLock
from sportsframe.cache.promotion import FOREGROUND_QUIET, SETTLE_TIMEOUT, Promoter
from sportsframe.cache.readplan import HOT, WARM
from sportsframe.cache.singleflight import SingleFlight
from sportsframe.cache.spec import SpecApi, as_data_type
from sportsframe.cache.stats import CacheStats
from sportsframe.cache.sync import SyncCacheManager
from sportsframe.cache.tier import (
    Tier,
    TierUnavailable,
    companion_keeper,
    hit_recorder,
    redis_backed,
    sql_backed,
)
from sportsframe.cache.upkeep import Upkeep
from sportsframe.cache.writes import MAX_SIZE_CHECK_EVERY
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import OfflineCacheMissError
from sportsframe.loop import until_quiet
from sportsframe.registry import BoundCall
from sportsframe.registry.sources import DEFAULT_SOURCE, source_prefix
from sportsframe.registry.ttl import CacheDataType, Coverage

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from sportsframe.settings import Settings

__all__ = ["STALE_OK_ERRORS", "CacheManager", "Loader"]

log = logging.getLogger("sportsframe.cache")


_API = CacheTier.API.value


class CacheManager(LoadPath, SpecApi, Upkeep):
    """Read-through cache over a hot and a warm tier (either may be ``None``), fills written behind.

    Args:
        settings: supplies ``stale_grace``, ``cache_default_ttl``, ``cache_max_size``, ``offline``,
            ``namespace`` and ``home``.
        hot: the hot tier (RedisTier or MemoryTier), or None.
        warm: the warm tier (SqlTier), or None.
        clock: the time source for expiry, breakers and hit timestamps.
        source: ``sportsdataio`` or ``emulator``; other sources' keys are prefixed ``{source}/``.
        locks: the cross-process lock; by default over the servers the tiers use
            (:func:`sportsframe.cache.build.default_locks`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        hot: Tier | None,
        warm: Tier | None,
        clock: Clock = SYSTEM_CLOCK,
        source: str = DEFAULT_SOURCE,
        locks: CrossProcessLock | None = None,
    ) -> None:
        self.settings = settings
        self.hot = hot
        self.warm = warm
        self.clock = clock
        self.source = source
        self.prefix = source_prefix(source)
        self.grace = float(settings.stale_grace)
        self.hot_breaker = CircuitBreaker(HOT, clock=clock)
        self.warm_breaker = CircuitBreaker(WARM, clock=clock)
        self.stats = CacheStats(clock)
        self.hot_guard: TierGuard[Tier] = TierGuard(HOT, hot, self.hot_breaker, self._stats)
        self.warm_guard: TierGuard[Tier] = TierGuard(WARM, warm, self.warm_breaker, self._stats)
        self._guard_of = {HOT: self.hot_guard, WARM: self.warm_guard}
        self._tier_names = tuple(
            g.name for g in (self.hot_guard, self.warm_guard) if g.tier is not None
        )
        self._keepers = {
            name: keeper
            for name, tier in ((HOT, hot), (WARM, warm))
            if (keeper := companion_keeper(tier)) is not None
        }
        #: Copies of warm hits to the hot tier, and the change count that guards them.
        self.promoter = Promoter(
            self.hot_guard,
            self.warm_guard,
            self._stats,
            self.grace,
            quiet_for=lambda: self._blocking.quiet_for(),
        )
        #: How many loads held each kind of cross-process lock (``redis``, ``advisory``, ``file``).
        self.lock_counts: dict[str, int] = {}
        self._flights: SingleFlight[Lookup] = SingleFlight()
        self._hits = HitBuffer(hit_recorder(warm), breaker=self.warm_breaker)
        self._locks = locks or build.default_locks(
            settings, hot, warm, self.hot_breaker, self.warm_breaker
        )
        self._max_size_every = max(1, min(MAX_SIZE_CHECK_EVERY, settings.cache_max_size // 10))
        self._writes_since_check = 0
        self._closed = False
        # Writes of fetched payloads still under way (see WritePath._write_behind).
        self._writing: set[asyncio.Future[None]] = set()
        self._behind = {}
        self._warm_writes = Batcher(self._write_warm)
        self._reads_together = {
            counted: Batcher(partial(self._read_together, count_misses=counted))
            for counted in (True, False)
        }
        self._blocking = BlockingReads(
            self.hot_guard, self.warm_guard, clock, lambda: self.promoter.changes, self.record
        )
        #: The sync twin (same logic, run on sportsframe's background loop).
        self.sync = SyncCacheManager(self)

    def _stats(self) -> CacheStats:
        return self.stats

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock = SYSTEM_CLOCK, source: str | None = None
    ) -> CacheManager:
        """The tiers the settings describe (see :mod:`sportsframe.cache.build`); ``source``
        defaults to ``settings.source``."""
        hot = build.hot_tier(settings, clock)
        warm = build.warm_tier(settings, clock)
        return cls(settings, hot=hot, warm=warm, clock=clock, source=source or settings.source)

    @property
    def redis(self) -> Redis | None:
        """The hot tier's Redis client when the hot tier is Redis (shared by the rate limiter
        and L0 coherence), else None."""
        redis = redis_backed(self.hot)
        return None if redis is None else redis.client

    @property
    def engine(self) -> AsyncEngine | None:
        """The warm tier's SQLAlchemy engine (shared by the quota table), else None."""
        sql = sql_backed(self.warm)
        return None if sql is None else sql.engine

    def warm_statement_runner(self) -> Callable[[str, Sequence[Any]], Awaitable[Any]] | None:
        """The warm tier's :meth:`~sportsframe.cache.sql.tier.SqlTier.statement_runner` (the
        quota's batched reservation runs there), else None."""
        # Looked up, not required of a SqlBacked tier: another SQL tier may have none.
        runner = getattr(sql_backed(self.warm), "statement_runner", None)
        return None if runner is None else runner()

    @property
    def warm_schema(self) -> str | None:
        """The database schema of the warm tier's tables (the quota table goes beside them)."""
        sql = sql_backed(self.warm)
        return None if sql is None else sql.schema

    def describe_hot(self) -> str:
        """One line naming the hot tier (no secrets)."""
        return "none" if self.hot is None else self.hot.describe()

    def describe_warm(self) -> str:
        """One line naming the warm tier (no secrets)."""
        return "none" if self.warm is None else self.warm.describe()

    # -- the read path ---------------------------------------------------------------------------
    @property
    def change_count(self) -> int:
        """A number that moves whenever a write or removal of entries starts or ends; read it
        before a read and hand it to :meth:`record`."""
        return self.promoter.changes

    @property
    def blocking(self) -> BlockingReads | None:
        """The read plan's blocking driver, for threads outside the event loop (see
        :mod:`sportsframe.cache.blocking`); None once the manager is closed."""
        return None if self._closed else self._blocking

    async def idle(self) -> None:
        """Return once no caller's thread has read the tiers for
        :data:`~sportsframe.cache.promotion.FOREGROUND_QUIET` seconds (at once when none reads):
        background work that holds the GIL waits for this, as copies of warm hits do."""
        await until_quiet(self._blocking.quiet_for, FOREGROUND_QUIET)

    async def prepare(self) -> None:
        """Open, ahead of the first read, what it would otherwise open: each tier's blocking
        reader made ready with one connection primed (see :meth:`BlockingReads.open`).
        Failures are left for the reads to meet."""
        if not self._closed:
            await self._blocking.open()

    async def fetch(
        self,
        call_or_key: BoundCall | str,
        data_type: CacheDataType | str | None = None,
        loader: Loader | None = None,
        *,
        refresh: bool = False,
        allow_stale: bool = True,
        offline: bool | None = None,
        season: int | None = None,
        companion: str | None = None,
    ) -> Lookup:
        """Read through the tiers; on a miss call ``loader`` once (per key, across processes).

        Args:
            call_or_key: a bound registry call (its key, data type and season are used) or a key.
            data_type: the TTL policy; defaults to the call's endpoint's.
            loader: coroutine function producing the payload upstream (not needed offline).
            refresh: skip the cache read and reload (the result is written to both tiers).
            allow_stale: on an upstream failure, serve an entry expired < ``stale_grace`` ago.
            offline: never call the loader (default: ``settings.offline``).
            season: lets past seasons keep their entries longer (defaults to the call's).
            companion: on a hit, also bring this companion when it is current
                (``lookup.entry.companion``; see :meth:`attach`). An entry that comes with it
                may be deferred (fresh or stale): ``await lookup.entry.load()`` before reading
                its payload (``EntryNotLoadedError`` otherwise).

        Raises:
            OfflineCacheMissError: offline and no tier holds the key.
            APIError: whatever the loader raised, when no stale entry may be served.
        """
        if isinstance(call_or_key, BoundCall):
            call: BoundCall | None = call_or_key
            key = call_or_key.key
            dtype = as_data_type(data_type or call_or_key.endpoint.data_type)
            coverage = call_or_key.endpoint.coverage
            if season is None:
                season = call_or_key.season
        else:
            # A bare key says nothing of its games: its stats lines never make it final.
            call, key, coverage = None, call_or_key, Coverage()
            if data_type is None:
                raise TypeError("fetch(key) needs a data_type")
            dtype = as_data_type(data_type)
        skey = self.storage_key(key)
        if offline is None:
            offline = self.settings.offline
        stale: Lookup | None = None
        if offline or not refresh:
            if companion is None:
                found, stale = await self.read_one(skey)
            else:
                plan = await self.read((skey,), companion=companion)
                found, stale = plan.found.get(skey), plan.stale.get(skey)
            if found is not None:
                self.stats.call_hit()
                return found
        if offline:
            if stale is not None:
                self.stats.call_hit()
                self.stats.stale_served += 1
                return stale
            self.stats.call_miss()
            if call is not None:
                raise OfflineCacheMissError(call.endpoint.name, call.params)
            raise OfflineCacheMissError(key.rsplit("/", 1)[-1].split(":", 1)[0], {})
        if loader is None:
            raise TypeError("fetch() needs a loader unless offline")
        job = LoadJob(self, skey, dtype, loader, season, coverage, refresh, allow_stale, stale)
        try:
            lookup, shared = await self._flights.run((skey, refresh, allow_stale), job.run)
        except BaseException:
            if not job.started:  # joined a flight that failed: this call failed too
                self.stats.call_miss()
            raise
        if shared:
            self.stats.coalesced += 1
            self.stats.call_hit()
            return replace(lookup, shared=True)
        return lookup

    async def settle(self, key: str | None = None) -> None:
        """Wait until fetched entries written behind their answers have landed and pending
        copies of warm hits to the hot tier are written (``key``'s only, when given; with or
        without the source prefix). See :meth:`~sportsframe.cache.promotion.Promoter.settle`."""
        self._blocking.drain()  # the copies asked for by reads not recorded yet
        skey = None if key is None else self.storage_key(key)
        await self.writes_landed(skey)
        await self.promoter.settle(skey)

    # -- statistics ------------------------------------------------------------------------------
    def get_stats(self) -> dict[str, Any]:
        """The spec's shape (``hot_cache``, ``warm_cache``, ``overall``) plus latency summaries,
        breaker states, lock use and write counters. See :mod:`sportsframe.cache.stats`."""
        self._blocking.drain()  # blocking reads handed over and not recorded yet
        snapshot = self.stats.snapshot()
        for section, guard, describe in (
            ("hot_cache", self.hot_guard, self.describe_hot),
            ("warm_cache", self.warm_guard, self.describe_warm),
        ):
            snapshot[section]["backend"] = describe()
            snapshot[section]["state"] = guard.breaker.state.value
            snapshot[section]["outages"] = guard.breaker.opened
        snapshot["writes"] = {
            "entries": self.stats.writes,
            "promotions": self.stats.promotions,
            "pending_hits": self._hits.pending,
        }
        snapshot["locks"] = dict(self.lock_counts)
        snapshot["source"] = self.source
        return snapshot

    def record_l0_hit(self, seconds: float = 0.0) -> None:
        """Count a call the facade answered from its L0 frame cache in ``seconds`` (an API call
        avoided)."""
        self.stats.l0_hit(seconds)

    def reset_stats(self) -> None:
        """Zero the in-process counters (Prometheus counters are cumulative and stay)."""
        self.stats = CacheStats(self.clock)
        self.lock_counts = {}

    # -- lifecycle -------------------------------------------------------------------------------
    async def close(self) -> None:
        """Flush pending hit counts, release locks and close both tiers."""
        if self._closed:
            return
        self._closed = True
        self._blocking.drain()  # reads handed over: counted, and their copies asked for
        if self._writing:
            await asyncio.wait(list(self._writing), timeout=SETTLE_TIMEOUT)
        await self.promoter.close()
        self._blocking.close()
        await self._hits.close()
        await self._locks.close()
        for tier in (self.hot, self.warm):
            if tier is not None:
                with contextlib.suppress(TierUnavailable):
                    await tier.close()

    async def __aenter__(self) -> CacheManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"CacheManager(hot={type(self.hot).__name__}, warm={type(self.warm).__name__}, "
            f"source={self.source!r})"
        )
