"""CacheManager: the read-through / write-through core over the hot and warm tiers.

Read path (:meth:`CacheManager.fetch`)::

    hot ──hit──► answer                      (hit counted in memory, written behind)
     │ miss / expired / down
    warm ──hit──► answer; then promote to hot with the entry's *remaining* TTL (written behind)
     │ miss
    single-flight (one task per key in this process, one lock per key across processes)
     │ after the lock: re-read the tiers (another process may have just filled them)
    loader (the API) ──ok──► write through to both tiers (TTL: policy.effective_ttl) ──► answer
             └─fail (5xx, 429, timeout)──► an entry expired < stale_grace ago, flagged stale;
                                           otherwise the typed error

Failure rules: a tier that is down is a miss, never an error. Each tier has a
:class:`~sportsframe.cache.breaker.CircuitBreaker`; while it is open the tier is skipped without
any network call, and the outage shows in ``get_stats()`` (``errors`` / ``degraded`` per tier)
and in one log line. Offline mode never calls the loader: it serves whatever the tiers hold,
flagged stale when expired, and raises :class:`~sportsframe.errors.OfflineCacheMissError` on a miss.

Keys are the registry's keys (``player_props:2024:18:True``); a manager whose source is not
``sportsdataio`` stores them under ``{source}/`` (``emulator/player_props:2024:18:True``) so demo
data can never answer a call meant for the real service. Every method takes keys and patterns with
or without that prefix; :class:`Lookup` results carry the key as stored.

A warm hit's copy to the hot tier is written after the caller has its answer (a background task
per key; :meth:`CacheManager.settle` waits for them). Anything in this process that removes or
replaces entries (``invalidate``, ``drop_hot``, a new entry written through) first waits for the
pending copies, and a copy whose warm read overlapped any such change is not written at all: a
copy of an older entry never lands after a newer one or after a delete. (Across processes the
usual cache race remains: another process's refresh between this read and its copy.)

The async API is the one implementation; :class:`SyncCacheManager` (``manager.sync``) runs it on
sportsframe's background loop for scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

from sportsframe.cache.breaker import BreakerState, CircuitBreaker
from sportsframe.cache.hits import HitBuffer, HitRecorder
from sportsframe.cache.lookup import Lookup
from sportsframe.cache.singleflight import (
    AdvisoryLock,
    CrossProcessLock,
    FileLockBackend,
    LockBackend,
    RedisLock,
    SingleFlight,
)
from sportsframe.cache.stats import CacheStats, TierStats
from sportsframe.cache.sync import SyncCacheManager
from sportsframe.cache.tier import CacheEntry, CompanionTier, Tier, TierUnavailable
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import OfflineCacheMissError, RateLimitedError, UpstreamError
from sportsframe.registry.endpoints import BoundCall
from sportsframe.registry.ttl import CacheDataType, CacheTier, effective_ttl

if TYPE_CHECKING:
    import pyarrow as pa
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from sportsframe.cache.redis.blocking import SyncHotReader
    from sportsframe.cache.sql.pool import SyncWarmReader
    from sportsframe.settings import Settings

__all__ = [
    "MAX_SIZE_CHECK_EVERY",
    "PROMOTION_DELAY",
    "SETTLE_TIMEOUT",
    "STALE_OK_ERRORS",
    "Analyzable",
    "CacheManager",
    "Loader",
    "Lookup",
    "SizeBounded",
    "SyncCacheManager",
]

log = logging.getLogger("sportsframe.cache")

T = TypeVar("T")

#: Loads a payload from upstream (the API client, or an assembler over cached parts).
Loader = Callable[[], Awaitable[Any]]

#: Upstream failures after which an entry expired less than ``stale_grace`` ago may be served.
STALE_OK_ERRORS: tuple[type[BaseException], ...] = (UpstreamError, RateLimitedError, TimeoutError)

#: CACHE_MAX_SIZE is enforced on the warm tier after this many writes (or a tenth of the maximum,
#: whichever is smaller): the table may overshoot by that much between two checks, and a write
#: pays for a ``COUNT`` only once in that many.
MAX_SIZE_CHECK_EVERY = 100

#: Seconds a warm hit's copy to the hot tier waits before it starts: long enough for the event
#: loop to go idle and let a sync caller's thread take its answer first.
PROMOTION_DELAY = 0.001
#: Seconds a removal or write waits for pending copies at most (each copy has the hot tier's own
#: timeouts; this bounds the wait even so).
SETTLE_TIMEOUT = 5.0

_SOURCE_DEFAULT = "sportsdataio"
_DELETE_CHUNK = 32
_HOT, _WARM, _API = CacheTier.HOT.value, CacheTier.WARM.value, CacheTier.API.value


@runtime_checkable
class SizeBounded(Protocol):
    """A tier that can evict down to a number of entries (the SQL warm tier)."""

    async def enforce_max_size(self, max_entries: int, *, grace: float = 0.0) -> int:
        """Evict beyond ``max_entries`` (expired past ``grace`` first); returns how many."""
        ...


@runtime_checkable
class Analyzable(Protocol):
    """A tier that reports entries and hits per data type (the SQL warm tier)."""

    async def analyze_efficiency(self) -> Sequence[Any]:
        """One row per data type."""
        ...


def _data_type(value: CacheDataType | str) -> CacheDataType:
    return value if isinstance(value, CacheDataType) else CacheDataType(value)


def _reason(exc: BaseException) -> str:
    # TierUnavailable messages are written by the tiers without secrets.
    return str(exc) or type(exc).__name__


class CacheManager:
    """Read-through / write-through cache over a hot and a warm tier (either may be ``None``).

    Args:
        settings: supplies ``stale_grace``, ``cache_default_ttl``, ``cache_max_size``, ``offline``,
            ``namespace`` and ``home``.
        hot: the hot tier (RedisTier or MemoryTier), or None.
        warm: the warm tier (SqlTier), or None.
        clock: the time source for expiry, breakers and hit timestamps.
        source: ``sportsdataio`` or ``emulator``; other sources' keys are prefixed ``{source}/``.
        locks: the cross-process lock; by default Redis (if the hot tier is Redis), then a
            PostgreSQL advisory lock (if the warm tier is PostgreSQL), then a file lock under
            ``settings.home``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        hot: Tier | None,
        warm: Tier | None,
        clock: Clock = SYSTEM_CLOCK,
        source: str = _SOURCE_DEFAULT,
        locks: CrossProcessLock | None = None,
    ) -> None:
        self.settings = settings
        self.hot = hot
        self.warm = warm
        self._hot_companions = isinstance(hot, CompanionTier)
        self._warm_companions = isinstance(warm, CompanionTier)
        self.clock = clock
        self.source = source
        self.prefix = "" if source == _SOURCE_DEFAULT else f"{source}/"
        self.grace = float(settings.stale_grace)
        self.hot_breaker = CircuitBreaker("hot", clock=clock)
        self.warm_breaker = CircuitBreaker("warm", clock=clock)
        self.stats = CacheStats(clock)
        #: How many loads held each kind of cross-process lock (``redis``, ``advisory``, ``file``).
        self.lock_counts: dict[str, int] = {}
        self._flights: SingleFlight[Lookup] = SingleFlight()
        sink = warm if isinstance(warm, HitRecorder) else None
        self._hits = HitBuffer(sink, breaker=self.warm_breaker)
        self._locks = locks if locks is not None else self._default_locks()
        self._max_size_every = max(1, min(MAX_SIZE_CHECK_EVERY, settings.cache_max_size // 10))
        self._writes_since_check = 0
        self._closed = False
        # Warm hits being copied to the hot tier, by storage key (see _promote_later).
        self._promotions: dict[str, asyncio.Task[None]] = {}
        # Write-throughs of fetched payloads still under way (see _write_through).
        self._writing: set[asyncio.Future[None]] = set()
        # Bumped when a write or removal starts and again when it ends; _changing counts those
        # under way. A warm hit is copied only if neither moved while it was read.
        self._changes = 0
        self._changing = 0
        #: The sync twin (same logic, run on sportsframe's background loop).
        self.sync = SyncCacheManager(self)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock = SYSTEM_CLOCK, source: str | None = None
    ) -> CacheManager:
        """The tiers the settings describe.

        Hot: Redis if reachable (probed once, ≤ 200 ms), else the in-process MemoryTier with a
        one-line notice; ``REDIS_HOST=""`` turns Redis off. Warm: the SQL tier at DATABASE_URL,
        or the embedded SQLite file under SPORTSFRAME_HOME. ``source`` defaults to
        ``settings.source``.
        """
        from sportsframe.cache.sql.tier import SqlTier

        hot = _hot_tier_from_settings(settings, clock)
        warm: Tier = SqlTier.from_settings(settings, clock)
        return cls(settings, hot=hot, warm=warm, clock=clock, source=source or settings.source)

    @property
    def redis(self) -> Redis | None:
        """The hot tier's Redis client when the hot tier is Redis (shared by the rate limiter
        and L0 coherence), else None."""
        client: Redis | None = getattr(self.hot, "client", None)
        return client

    @property
    def engine(self) -> AsyncEngine | None:
        """The warm tier's SQLAlchemy engine (shared by the quota table), else None."""
        engine: AsyncEngine | None = getattr(self.warm, "engine", None)
        return engine

    def _default_locks(self) -> CrossProcessLock:
        backends: list[tuple[LockBackend, CircuitBreaker | None]] = []
        namespace = str(getattr(self.hot, "namespace", None) or self.settings.namespace)
        # Lock names sit beside the namespace, not inside it, so that invalidate("*") (a SCAN of
        # the namespace) never sees or deletes a live lock.
        prefix = f"{namespace}~lock:"
        if self.redis is not None:
            backends.append((RedisLock(self.redis, prefix), self.hot_breaker))
        if self.engine is not None and self.engine.dialect.name == "postgresql":
            backends.append((AdvisoryLock(self.engine, prefix), self.warm_breaker))
        backends.append((FileLockBackend(self.settings.home / "locks", prefix), None))
        return CrossProcessLock(backends)

    def storage_key(self, key: str) -> str:
        """``key`` as stored: prefixed ``{source}/`` unless it already is.

        Raises ValueError for a key of another source (sources never mix).
        """
        if self.prefix:
            return key if key.startswith(self.prefix) else self.prefix + key
        if "/" in key:
            raise ValueError(f"a key of another source was given to the {self.source} cache")
        return key

    def describe_hot(self) -> str:
        """One line naming the hot tier (no secrets)."""
        return _describe(self.hot)

    def describe_warm(self) -> str:
        """One line naming the warm tier (no secrets)."""
        return _describe(self.warm)

    # -- the read path ---------------------------------------------------------------------------
    async def _read(
        self,
        skey: str,
        now: datetime,
        *,
        count_misses: bool = True,
        companion: str | None = None,
        skip_hot: bool = False,
    ) -> tuple[Lookup | None, Lookup | None]:
        """(fresh hit, newest expired entry) from hot then warm; a warm hit is promoted
        (written behind: see :meth:`_promote_later`).

        This is the hit path: no extra awaits, copies or allocations beyond the Lookup. With
        ``companion``, a tier that keeps companions brings that one too. ``skip_hot``: the
        caller has just found the key absent from the hot tier (and counted that miss).
        """
        stale: Lookup | None = None
        changes = self._changes  # before any read: see _copy_allowed
        hot_failed = False  # then a warm hit is not copied to it: the copy would fail too
        tiers = (
            (_HOT, self.hot, self.hot_breaker, self.stats.hot, self._hot_companions),
            (_WARM, self.warm, self.warm_breaker, self.stats.warm, self._warm_companions),
        )
        for served_from, tier, breaker, stats, keeps_companions in tiers:
            if tier is None or (skip_hot and served_from == _HOT):
                continue
            if not breaker.allow():
                if count_misses:
                    stats.skip()
                continue
            started = perf_counter()
            try:
                if companion is not None and keeps_companions:
                    entry = await cast(CompanionTier, tier).get_with_companion(
                        skey, companion, include_stale=True
                    )
                else:
                    entry = await tier.get(skey, include_stale=True)
            except TierUnavailable as exc:
                self._tier_down(breaker, stats, exc)
                hot_failed = hot_failed or served_from == _HOT
                continue
            except BaseException:
                breaker.release_probe()
                raise
            breaker.success()
            elapsed = perf_counter() - started
            if entry is not None and now < entry.expires_at:
                stats.hit(elapsed)
                self._hits.record(skey, now)
                if served_from == _WARM and self.hot is not None and not hot_failed:
                    self._promote_later(entry, companion, changes)
                return Lookup(skey, entry, served_from), None
            if count_misses:
                stats.miss(elapsed)
            if entry is not None and (stale is None or entry.expires_at > stale.entry.expires_at):
                stale = Lookup(skey, entry, served_from, stale=True)
        return None, stale

    def _copy_allowed(self, changes: int) -> bool:
        """True when no write or removal started, ran or ended since ``changes`` was read: the
        entry read then may be older than what a change put (or left absent) in the tiers."""
        return self._changing == 0 and self._changes == changes

    @contextlib.asynccontextmanager
    async def _change(self) -> AsyncIterator[None]:
        """Marks a write or removal of entries (see _copy_allowed); waits for pending copies
        first, so none lands after it."""
        self._changes += 1
        self._changing += 1
        try:
            await self.settle()
            yield
        finally:
            self._changing -= 1
            self._changes += 1

    def _promote_later(self, entry: CacheEntry, companion: str | None, changes: int) -> None:
        """Copy a warm hit to the hot tier in a background task.

        The copy (a props week: 1.1 MB with its finished frame) took about a sixth of a warm
        hit when the caller waited for it; nothing the caller gets depends on it. One copy per
        key at a time: a second warm hit while one is pending adds nothing. ``changes`` is the
        change count from before the read (see _copy_allowed).
        """
        if self._closed or entry.key in self._promotions or not self._copy_allowed(changes):
            return
        task = asyncio.get_running_loop().create_task(self._promote_soon(entry, companion, changes))
        self._promotions[entry.key] = task
        task.add_done_callback(lambda done: self._promoted(entry.key, done))

    def _promoted(self, skey: str, task: asyncio.Task[None]) -> None:
        if self._promotions.get(skey) is task:
            del self._promotions[skey]
        if not task.cancelled() and (exc := task.exception()) is not None:
            # _promote turns a tier outage into a breaker count; anything else is a bug, and a
            # background task's error would otherwise surface only at garbage collection.
            log.error("copying %s to the hot tier failed: %s", skey, type(exc).__name__)

    async def _promote_soon(self, entry: CacheEntry, companion: str | None, changes: int) -> None:
        # The copy's Python work (a megabyte to frame for Redis) holds the GIL: started at once,
        # it would make a sync caller, woken in its own thread, wait for it after all.
        await asyncio.sleep(PROMOTION_DELAY)
        if self._copy_allowed(changes):
            await self._promote(entry, companion)

    async def settle(self, key: str | None = None) -> None:
        """Wait until pending copies of warm hits to the hot tier are written (``key``'s
        only, when given; with or without the source prefix), for at most
        :data:`SETTLE_TIMEOUT` seconds. Copies pending on another event loop are not waited
        for (they belong to that loop)."""
        if key is None:
            tasks = list(self._promotions.values())
        else:
            task = self._promotions.get(self.storage_key(key))
            tasks = [task] if task is not None else []
        loop = asyncio.get_running_loop()
        pending = [t for t in tasks if t.get_loop() is loop]
        if pending:
            await asyncio.wait(pending, timeout=SETTLE_TIMEOUT)

    async def _promote(self, entry: CacheEntry, companion: str | None = None) -> None:
        # A deferred entry (a warm hit that came with its companion) reads its payload now,
        # behind the warm tier's breaker like any other read of it.
        if entry.deferred:
            if not self.warm_breaker.allow():
                return
            try:
                loaded = await entry.load()
            except TierUnavailable as exc:
                self._tier_down(self.warm_breaker, self.stats.warm, exc)
                return
            except BaseException:
                self.warm_breaker.release_probe()
                raise
            self.warm_breaker.success()
            if not loaded:
                return  # the warm tier holds another version by now: nothing to copy
        # The entry keeps its own expires_at, so the hot tier stores it for the *remaining* TTL.
        data = entry.companion
        if companion is not None and data is not None and self._hot_companions:
            promoted, _ = await asyncio.gather(
                self._tier_set(self.hot, self.hot_breaker, self.stats.hot, entry),
                self._companion_set(self.hot, self.hot_breaker, entry, companion, data),
            )
        else:
            promoted = await self._tier_set(self.hot, self.hot_breaker, self.stats.hot, entry)
        if promoted:
            self.stats.promotions += 1

    def _tier_down(self, breaker: CircuitBreaker, stats: TierStats, exc: BaseException) -> None:
        breaker.failure(_reason(exc))
        stats.error()

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
        hot_absent: bool = False,
    ) -> Lookup:
        """Read through the tiers; on a miss call ``loader`` once (per key, across processes).

        Args:
            call_or_key: a bound registry call (its key, data type and season are used) or a key.
            data_type: the TTL policy; defaults to the call's endpoint's.
            loader: coroutine function producing the payload upstream (not needed offline).
            refresh: skip the cache read and reload (the result is written through).
            allow_stale: on an upstream failure, serve an entry expired < ``stale_grace`` ago.
            offline: never call the loader (default: ``settings.offline``).
            season: lets past seasons keep their entries longer (defaults to the call's).
            companion: on a hit, also bring this companion when it is current
                (``lookup.entry.companion``; see :meth:`attach`). An entry that comes with it
                may be deferred (fresh or stale): ``await lookup.entry.load()`` before reading
                its payload (``EntryNotLoadedError`` otherwise).
            hot_absent: the caller read the hot tier a moment ago (see :meth:`sync_reader`)
                and it did not hold the key: the first read starts at the warm tier. That miss
                is counted by :meth:`record_hot_misses`. (The read after the load lock still
                asks the hot tier.)

        Raises:
            OfflineCacheMissError: offline and no tier holds the key.
            APIError: whatever the loader raised, when no stale entry may be served.
        """
        if isinstance(call_or_key, BoundCall):
            call: BoundCall | None = call_or_key
            key = call_or_key.key
            dtype = _data_type(data_type or call_or_key.endpoint.data_type)
            if season is None:
                season = call_or_key.season
        else:
            call, key = None, call_or_key
            if data_type is None:
                raise TypeError("fetch(key) needs a data_type")
            dtype = _data_type(data_type)
        skey = self.storage_key(key)
        if offline is None:
            offline = self.settings.offline
        stale: Lookup | None = None
        if offline or not refresh:
            found, stale = await self._read(
                skey, self.clock.now(), companion=companion, skip_hot=hot_absent
            )
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
        job = _LoadJob(self, skey, dtype, loader, season, refresh, allow_stale, stale)
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

    async def _load(
        self,
        skey: str,
        data_type: CacheDataType,
        loader: Loader,
        season: int | None,
        refresh: bool,
        allow_stale: bool,
        stale: Lookup | None,
    ) -> Lookup:
        async with self._locks.hold(skey) as backend:
            if backend is not None:
                self.lock_counts[backend] = self.lock_counts.get(backend, 0) + 1
            if not refresh:
                # Another process may have loaded the key while this one waited for the lock.
                found, newer = await self._read(skey, self.clock.now(), count_misses=False)
                if found is not None:
                    self.stats.call_hit()
                    return found
                stale = newer or stale
            self.stats.call_miss()
            started = perf_counter()
            try:
                payload = await loader()
            except STALE_OK_ERRORS as exc:
                self.stats.api_call(perf_counter() - started, ok=False)
                if allow_stale and stale is not None:
                    age = (self.clock.now() - stale.entry.expires_at).total_seconds()
                    if age <= self.grace:
                        log.warning(
                            "serving %s from the %s tier, expired %.0f s ago, after %s",
                            skey,
                            stale.served_from,
                            age,
                            type(exc).__name__,
                        )
                        self.stats.stale_served += 1
                        return stale
                raise
            except BaseException:
                self.stats.api_call(perf_counter() - started, ok=False)
                raise
            self.stats.api_call(perf_counter() - started, ok=True)
            entry = self._new_entry(skey, payload, data_type, season)
            await self._write_through(entry)
            return Lookup(skey, entry, _API)

    # -- the write path ------------------------------------------------------------------------
    @property
    def keeps_companions(self) -> bool:
        """True when a tier can keep companions (see :meth:`attach`)."""
        return self._hot_companions or self._warm_companions

    async def attach(self, lookup: Lookup, companion: str, data: bytes | memoryview) -> bool:
        """Keep ``data``, derived from ``lookup``'s entry, beside that entry.

        It expires with the entry and is served (by ``fetch(..., companion=...)``) only while
        that same entry is stored. It goes to the hot tier, and to the warm tier when the entry
        came from the API or from a warm read that found none (a hot hit says nothing of what
        the warm tier holds, and rewriting it on every hot hit would cost a write per read).
        Nothing is stored for a stale entry or by a tier that is down: a companion is only
        ever a shortcut. True if some tier stored it.
        """
        if lookup.stale:
            return False
        writes = []
        if self._hot_companions:
            writes.append(
                self._companion_set(self.hot, self.hot_breaker, lookup.entry, companion, data)
            )
        if self._warm_companions and lookup.served_from in (_API, _WARM):
            writes.append(
                self._companion_set(self.warm, self.warm_breaker, lookup.entry, companion, data)
            )
        return any(await asyncio.gather(*writes))

    async def _companion_set(
        self,
        tier: Tier | None,
        breaker: CircuitBreaker,
        entry: CacheEntry,
        companion: str,
        data: bytes | memoryview,
    ) -> bool:
        if tier is None:
            return False
        store = cast(CompanionTier, tier)
        stats = self.stats.hot if tier is self.hot else self.stats.warm
        return await self._guarded(
            breaker,
            stats,
            lambda: store.set_companion(entry, companion, data, grace=self.grace),
        )

    def _new_entry(
        self, skey: str, payload: Any, data_type: CacheDataType, season: int | None
    ) -> CacheEntry:
        now = self.clock.now()
        ttl = effective_ttl(
            data_type,
            default_ttl=self.settings.cache_default_ttl,
            payload=payload,
            season=season,
            now=now,
        )
        return CacheEntry.from_payload(
            skey,
            payload,
            data_type=data_type.value,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            source=self.source,
        )

    async def _tier_set(
        self, tier: Tier | None, breaker: CircuitBreaker, stats: TierStats, entry: CacheEntry
    ) -> bool:
        if tier is None:
            return False
        return await self._guarded(breaker, stats, lambda: tier.set(entry, grace=self.grace))

    async def _guarded(
        self, breaker: CircuitBreaker, stats: TierStats, write: Callable[[], Awaitable[None]]
    ) -> bool:
        """Run one tier write behind its breaker: True if it was written; a tier that is down
        (or whose breaker is open) counts against the breaker and the stats, never raises."""
        if not breaker.allow():
            stats.degraded += 1
            return False
        try:
            await write()
        except TierUnavailable as exc:
            breaker.failure(_reason(exc))
            stats.errors += 1
            return False
        except BaseException:
            breaker.release_probe()
            raise
        breaker.success()
        return True

    async def _write_through(self, entry: CacheEntry) -> None:
        """Write a payload just paid for to both tiers, to the end even when the caller is
        cancelled meanwhile (a Ctrl-C): the request is spent, and a cancelled write could leave
        one tier with the new entry and the other without."""
        task = asyncio.ensure_future(self._write(entry))
        self._writing.add(task)
        task.add_done_callback(self._written)
        await asyncio.shield(task)

    def _written(self, task: asyncio.Future[None]) -> None:
        self._writing.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Tier outages are counted by the guards; only a bug gets here, and with the caller
            # gone nobody else would see it.
            log.error("writing a fetched entry failed: %s", type(exc).__name__)

    async def _write(self, entry: CacheEntry) -> None:
        self.stats.writes += 1
        async with self._change():
            await asyncio.gather(
                self._tier_set(self.hot, self.hot_breaker, self.stats.hot, entry),
                self._tier_set(self.warm, self.warm_breaker, self.stats.warm, entry),
            )
        if self.warm is not None:
            self._writes_since_check += 1
            if self._writes_since_check >= self._max_size_every:
                await self.enforce_max_size()

    # -- the spec's API ----------------------------------------------------------------------------
    async def get(self, key: str, data_type: CacheDataType | str | None = None) -> Any | None:
        """The payload under ``key`` (hot, then warm with promotion); ``None`` on a miss.

        ``data_type`` is accepted for the spec's signature; expiry is the entry's own. An empty
        payload (``[]``) is a hit, returned as ``[]``.
        """
        found = await self.lookup(key)
        return None if found is None else found.entry.payload

    async def get_table(self, key: str) -> pa.Table | None:
        """The entry under ``key`` as an Arrow table (no JSON decoding on a hot hit)."""
        found = await self.lookup(key)
        return None if found is None else found.entry.table

    async def lookup(self, key: str, *, allow_expired: bool = False) -> Lookup | None:
        """The fresh entry under ``key`` with its provenance, or None (no loader is called).

        With ``allow_expired`` an expired entry still held by a tier is returned, flagged stale.
        """
        found, stale = await self._read(self.storage_key(key), self.clock.now())
        if found is None and allow_expired and stale is not None:
            found = stale
            self.stats.stale_served += 1
        if found is None:
            self.stats.call_miss()
        else:
            self.stats.call_hit()
        return found

    async def set(
        self,
        key: str,
        value: Any,
        data_type: CacheDataType | str,
        *,
        season: int | None = None,
    ) -> None:
        """Write ``value`` through to both tiers with its data type's TTL (freshness rules)."""
        entry = self._new_entry(self.storage_key(key), value, _data_type(data_type), season)
        await self._write(entry)

    async def get_multiple(
        self, keys: Iterable[str], data_type: CacheDataType | str | None = None
    ) -> dict[str, Any]:
        """Payloads of the keys found fresh (one round trip per tier), by the keys as given;
        missing keys are absent. Warm hits are promoted."""
        given = {self.storage_key(k): k for k in keys}
        now = self.clock.now()
        found: dict[str, CacheEntry] = {}
        remaining = list(given)
        for tier, breaker, stats in self._tiers():
            if not remaining:
                break
            if not breaker.allow():
                for _ in remaining:
                    stats.skip()
                continue
            started = perf_counter()
            try:
                got = await tier.get_many(remaining)
            except TierUnavailable as exc:
                self._tier_down(breaker, stats, exc)
                continue
            breaker.success()
            per_key = (perf_counter() - started) / len(remaining)
            fresh = {k: e for k, e in got.items() if now < e.expires_at}
            for skey in remaining:
                if skey in fresh:
                    stats.hit(per_key)
                    self._hits.record(skey, now)
                else:
                    stats.miss(per_key)
            if tier is self.warm and fresh:
                await self._promote_many(list(fresh.values()))
            found.update(fresh)
            remaining = [k for k in remaining if k not in fresh]
        out: dict[str, Any] = {}
        for skey, key in given.items():
            entry = found.get(skey)
            if entry is None:
                self.stats.call_miss()
            else:
                self.stats.call_hit()
                out[key] = entry.payload
        return out

    async def _promote_many(self, entries: list[CacheEntry]) -> None:
        hot = self.hot
        if hot is None or not self.hot_breaker.allow():
            return
        try:
            await hot.set_many(entries, grace=self.grace)
        except TierUnavailable as exc:
            self.hot_breaker.failure(_reason(exc))
            self.stats.hot.errors += 1
            return
        self.hot_breaker.success()
        self.stats.promotions += len(entries)

    def _tiers(self) -> list[tuple[Tier, CircuitBreaker, TierStats]]:
        out: list[tuple[Tier, CircuitBreaker, TierStats]] = []
        if self.hot is not None:
            out.append((self.hot, self.hot_breaker, self.stats.hot))
        if self.warm is not None:
            out.append((self.warm, self.warm_breaker, self.stats.warm))
        return out

    async def invalidate(self, pattern: str) -> int:
        """Remove every key matching the Redis-style glob from both tiers; returns how many keys.

        The pattern is matched against this manager's source only: with the default source,
        ``invalidate("*")`` leaves ``emulator/`` entries alone, and vice versa. Another
        application's keys in the same Redis database are never touched (namespace). A tier that
        is down is skipped (its entries expire by their TTL).
        """
        spattern = self.storage_key(pattern)
        # Only a pattern opening with a wildcard can reach another source's keys.
        one_by_one = not self.prefix and pattern[:1] in ("*", "?", "[")
        async with self._change():
            return await self._remove(spattern, one_by_one)

    async def _remove(self, spattern: str, one_by_one: bool) -> int:
        removed: set[str] = set()
        for tier, breaker, stats in self._tiers():
            if not breaker.allow():
                stats.degraded += 1
                continue
            try:
                keys = [k for k in await tier.keys(spattern) if self._own(k)]
                if one_by_one:
                    # In chunks: a whole cache's worth of deletes at once would queue on the
                    # SQL pool until they time out.
                    for start in range(0, len(keys), _DELETE_CHUNK):
                        chunk = keys[start : start + _DELETE_CHUNK]
                        await asyncio.gather(*(tier.delete(k) for k in chunk))
                else:
                    await tier.invalidate(spattern)
            except TierUnavailable as exc:
                breaker.failure(_reason(exc))
                stats.errors += 1
                continue
            breaker.success()
            removed.update(keys)
        return len(removed)

    def _own(self, skey: str) -> bool:
        return skey.startswith(self.prefix) if self.prefix else "/" not in skey

    async def drop_hot(self, key: str) -> bool:
        """Remove one key from the hot tier only (the next read is served by the warm tier)."""
        if self.hot is None:
            return False
        async with self._change():
            if not self.hot_breaker.allow():
                return False
            try:
                existed = await self.hot.delete(self.storage_key(key))
            except TierUnavailable as exc:
                self.hot_breaker.failure(_reason(exc))
                return False
            self.hot_breaker.success()
            return existed

    def get_stats(self) -> dict[str, Any]:
        """The spec's shape (``hot_cache``, ``warm_cache``, ``overall``) plus latency summaries,
        breaker states, lock use and write counters. See :mod:`sportsframe.cache.stats`."""
        snapshot = self.stats.snapshot()
        for section, tier, breaker in (
            ("hot_cache", self.hot, self.hot_breaker),
            ("warm_cache", self.warm, self.warm_breaker),
        ):
            snapshot[section]["backend"] = _describe(tier)
            snapshot[section]["state"] = breaker.state.value
            snapshot[section]["outages"] = breaker.opened
        snapshot["writes"] = {
            "entries": self.stats.writes,
            "promotions": self.stats.promotions,
            "pending_hits": self._hits.pending,
        }
        snapshot["locks"] = dict(self.lock_counts)
        snapshot["source"] = self.source
        return snapshot

    def sync_reader(self) -> SyncHotReader | None:
        """The hot tier's blocking reader for threads outside the event loop (see
        :mod:`sportsframe.cache.redis.blocking`), or None: no Redis, a tier given a client
        rather than a URL, a closed manager, or a hot breaker that is not closed (the async
        path probes)."""
        factory = getattr(self.hot, "sync_reader", None)
        if factory is None or self._closed or self.hot_breaker.state is not BreakerState.CLOSED:
            return None
        reader: SyncHotReader | None = factory()
        return reader

    def sync_warm_reader(self) -> SyncWarmReader | None:
        """The warm tier's blocking reader for threads outside the event loop (see
        :class:`~sportsframe.cache.sql.pool.SyncWarmReader`), or None: a tier without one, a
        closed manager, or a warm breaker that is not closed (the async path probes)."""
        factory = getattr(self.warm, "sync_reader", None)
        if factory is None or self._closed or self.warm_breaker.state is not BreakerState.CLOSED:
            return None
        reader: SyncWarmReader | None = factory()
        return reader

    @property
    def change_count(self) -> int:
        """A number that moves whenever a write or removal of entries starts or ends. Read it
        before a :meth:`sync_warm_reader` read and hand it to :meth:`record_warm_hit`: a copy to
        the hot tier is then dropped if a change overlapped the read."""
        return self._changes

    def record_warm_hit(
        self, entry: CacheEntry, companion: str, seconds: float, changes: int
    ) -> None:
        """Count a warm hit that a :meth:`sync_warm_reader` served outside the loop, and copy
        it to the hot tier behind the answer, as the loop's own warm hits are (``changes``:
        :attr:`change_count` from before the read). Must run on the event loop."""
        if self._closed:  # reported after close(): the tiers are gone, nothing to copy to
            return
        self.stats.warm.hit(seconds)
        self.stats.call_hit()
        self._hits.record(entry.key, self.clock.now())
        if self.hot is not None:
            self._promote_later(entry, companion, changes)

    def record_hot_hits(self, skeys: Sequence[str], seconds: float) -> None:
        """Count hot hits that a :meth:`sync_reader` served outside the loop (``seconds`` for
        all of them together). Must run on the event loop, like every other count."""
        now = self.clock.now()
        each = seconds / max(len(skeys), 1)
        for skey in skeys:
            self.stats.hot.hit(each)
            self.stats.call_hit()
            self._hits.record(skey, now)

    def record_hot_misses(self, skeys: Sequence[str], seconds: float) -> None:
        """Count hot misses that a :meth:`sync_reader` found outside the loop (the keys then
        read with ``hot_absent``). Must run on the event loop, like every other count."""
        each = seconds / max(len(skeys), 1)
        for _ in skeys:
            self.stats.hot.miss(each)

    def record_l0_hit(self, seconds: float = 0.0) -> None:
        """Count a call the facade answered from its L0 frame cache in ``seconds`` (an API call
        avoided)."""
        self.stats.l0_hit(seconds)

    def reset_stats(self) -> None:
        """Zero the in-process counters (Prometheus counters are cumulative and stay)."""
        self.stats = CacheStats(self.clock)
        self.lock_counts = {}

    # -- maintenance ---------------------------------------------------------------------------
    async def flush_hits(self) -> int:
        """Write pending hit counts to the warm tier now; returns how many hits were written."""
        return await self._hits.flush()

    async def cleanup_expired(self) -> int:
        """Delete warm entries expired for longer than ``stale_grace``; returns how many.

        The in-process hot tier is cleaned the same way; Redis expires its keys itself.
        """
        count = 0
        for tier, breaker, stats in self._tiers():
            if not breaker.allow():
                stats.degraded += 1
                continue
            try:
                removed = await tier.cleanup(self.grace)
            except TierUnavailable as exc:
                breaker.failure(_reason(exc))
                stats.errors += 1
                continue
            breaker.success()
            if tier is self.warm:
                count = removed
        return count

    async def enforce_max_size(self) -> int:
        """Evict warm entries beyond CACHE_MAX_SIZE (expired past grace first, then least
        recently hit); returns how many. The write path calls it every few writes."""
        self._writes_since_check = 0
        warm: object = self.warm  # a Tier may or may not also be SizeBounded
        if not isinstance(warm, SizeBounded) or not self.warm_breaker.allow():
            return 0
        await self._hits.flush()  # eviction ranks by last_hit_at: make it current
        try:
            evicted = await warm.enforce_max_size(self.settings.cache_max_size, grace=self.grace)
        except TierUnavailable as exc:
            self.warm_breaker.failure(_reason(exc))
            self.stats.warm.errors += 1
            return 0
        self.warm_breaker.success()
        return evicted

    async def analyze_cache_efficiency(self) -> list[Any]:
        """Entries, average hits and last access per data type (the warm tier's report: rows
        with ``data_type``, ``entries``, ``avg_hits``, ``last_access``); [] without one."""
        warm: object = self.warm
        if not isinstance(warm, Analyzable):
            return []
        await self._hits.flush()
        return list(await warm.analyze_efficiency())

    async def efficiency_report(self, now: datetime | None = None) -> list[Any]:
        """The warm tier's extended report per data type, judged at ``now`` (default: the
        manager's clock), after pending hit counts are written; [] without an SQL warm tier.
        See :meth:`~sportsframe.cache.sql.tier.SqlTier.efficiency_report` for the columns."""
        warm: object = self.warm
        report = getattr(warm, "efficiency_report", None)
        if not isinstance(warm, Analyzable) or report is None:
            return []
        await self._hits.flush()
        return list(await report(now or self.clock.now()))

    async def close(self) -> None:
        """Flush pending hit counts, release locks and close both tiers."""
        if self._closed:
            return
        self._closed = True
        if self._writing:
            await asyncio.wait(list(self._writing), timeout=SETTLE_TIMEOUT)
        await self.settle()
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


class _LoadJob:
    """The leader's work for one flight; ``started`` tells a leader from callers who joined."""

    __slots__ = ("args", "manager", "started")

    def __init__(self, manager: CacheManager, *args: Any) -> None:
        self.manager = manager
        self.args = args
        self.started = False

    async def run(self) -> Lookup:
        self.started = True
        return await self.manager._load(*self.args)


def _describe(tier: Tier | None) -> str:
    if tier is None:
        return "none"
    describe = getattr(tier, "describe", None)
    return str(describe()) if callable(describe) else type(tier).__name__


def _hot_tier_from_settings(settings: Settings, clock: Clock) -> Tier:
    from sportsframe.cache.redis.tier import MemoryTier, RedisTier, probe

    if not settings.redis_enabled:
        memory: Tier = MemoryTier(settings.cache_max_size, clock)
        return memory
    if probe(settings, timeout=0.2):
        redis: Tier = RedisTier.from_settings(settings, clock)
        return redis
    where = f"{settings.redis_host}:{settings.redis_port}"
    if settings.redis_url_override is not None:
        where = "REDIS_URL"
    log.warning("Redis is not reachable at %s; using the in-process hot tier", where)
    fallback: Tier = MemoryTier(settings.cache_max_size, clock)
    return fallback
