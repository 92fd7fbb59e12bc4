"""The manager's load path: a miss loaded once, under the cross-process lock, stale if need be.

:meth:`~sportsframe.cache.manager.CacheManager.fetch` hands a miss to a single flight (one task
per key in this process); its leader runs :meth:`LoadPath._load`: it takes the key's lock across
processes, reads the tiers again (another process may have just filled them), calls the loader,
answers, and writes the payload behind the answer (the lock is held until it lands). When the
loader fails with an upstream error and an entry expired less than ``stale_grace`` ago is held,
that entry is served, flagged stale.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from sportsframe.cache.entry import CacheTier, Lookup
from sportsframe.cache.writes import WritePath
from sportsframe.errors import RateLimitedError, UpstreamError
from sportsframe.registry.ttl import CacheDataType, Coverage

if TYPE_CHECKING:
    pass

__all__ = ["STALE_OK_ERRORS", "LoadJob", "LoadPath", "Loader"]

log = logging.getLogger("sportsframe.cache")

#: Loads a payload from upstream (the API client, or an assembler over cached parts).
Loader = Callable[[], Awaitable[Any]]

#: Upstream failures after which an entry expired less than ``stale_grace`` ago may be served.
STALE_OK_ERRORS: tuple[type[BaseException], ...] = (UpstreamError, RateLimitedError, TimeoutError)

_API = CacheTier.API.value


class LoadPath(WritePath):
    """The load half of the cache manager, one of its parts: the state it works on is declared by
    :class:`~sportsframe.cache.core.ManagerCore`."""

    async def _load(
        self,
        skey: str,
        data_type: CacheDataType,
        loader: Loader,
        season: int | None,
        coverage: Coverage,
        refresh: bool,
        allow_stale: bool,
        stale: Lookup | None,
    ) -> Lookup:
        lock = contextlib.AsyncExitStack()
        backend = await lock.enter_async_context(self._locks.hold(skey))
        held: contextlib.AsyncExitStack | None = lock  # until the write behind takes it over
        try:
            if backend is not None:
                self.lock_counts[backend] = self.lock_counts.get(backend, 0) + 1
            if not refresh:
                # Another process may have loaded the key while this one waited for the lock.
                found, again = await self.read_one(skey, count_misses=False)
                if found is not None:
                    self.stats.call_hit()
                    return found
                stale = again or stale
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
            entry = self._new_entry(skey, payload, data_type, season, coverage=coverage)
            lookup = Lookup(skey, entry, _API)
            # Answered now; the writes follow, and the lock goes with them (see writes.py).
            self._write_behind(lookup, lock)
            held = None
            return lookup
        finally:
            if held is not None:
                await held.aclose()


class LoadJob:
    """The leader's work for one flight; ``started`` tells a leader from callers who joined."""

    __slots__ = ("args", "manager", "started")

    def __init__(self, manager: LoadPath, *args: Any) -> None:
        self.manager = manager
        self.args = args
        self.started = False

    async def run(self) -> Lookup:
        self.started = True
        return await self.manager._load(*self.args)
