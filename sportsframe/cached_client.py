"""CachedSportsDataIOClient: every registered endpoint, read through the three-tier cache.

The spec's client wraps 20+ endpoints by hand, one identical body each. Here the methods are
generated from the endpoint registry when the class is created: for every
:class:`~sportsframe.registry.endpoint.Endpoint` there is an async method named ``Endpoint.method``
(``get_teams``, ``get_player_props_by_week``, ...) with the endpoint's parameters as its signature
and its description as its docstring. Each one

1. binds the arguments (validation happens here, before any I/O),
2. asks :meth:`CacheManager.fetch <sportsframe.cache.manager.CacheManager.fetch>` for the key,
   with the API client as the loader.

Endpoints assembled from others (the props week) get a loader that runs the endpoint's assembler
with a fetch callback that goes through the cache too: each part (the week's scores, each game's
props) is cached under its own key, and a part already in flight for another caller is shared.

Type checkers see the generated methods through :meth:`CachedSportsDataIOClient.call` (typed, by
endpoint name) and a ``__getattr__`` declared for them only.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sportsframe.api.quota import QuotaStatus, quota_status
from sportsframe.cache.behind import CompanionData
from sportsframe.cache.entry import CacheEntry, Lookup
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.stats import CacheStatsView
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.loop import get_loop
from sportsframe.registry import (
    ENDPOINTS,
    SEASON_TYPES,
    BoundCall,
    Endpoint,
    ParamKind,
    endpoint,
    patterns_for,
    week_patterns,
)
from sportsframe.registry.sources import source_key
from sportsframe.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime

    from redis.asyncio import Redis

    from sportsframe.api.client import SportsDataIOClient
    from sportsframe.cache.blocking import BlockingRead

__all__ = ["CacheEntry", "CacheStatsView", "CachedSportsDataIOClient", "Lookup"]

_C = TypeVar("_C")

_ANNOTATIONS: dict[ParamKind, str] = {
    ParamKind.SEASON: "int",
    ParamKind.SEASON_TYPE: "str",
    ParamKind.WEEK: "int",
    ParamKind.TEAM: "str",
    ParamKind.ID: "int",
    ParamKind.BOOL: "bool",
    ParamKind.DATE: "datetime.date | str",
    ParamKind.TOKEN: "str",
    ParamKind.COUNT: "int",
    ParamKind.GAMES: "int | str",
    ParamKind.CHOICE: "str",
}


def _signature(ep: Endpoint) -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for param in ep.params:
        params.append(
            inspect.Parameter(
                param.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=inspect.Parameter.empty if param.required else param.default,
                annotation=_ANNOTATIONS[param.kind],
            )
        )
    params.append(
        inspect.Parameter(
            "refresh", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool"
        )
    )
    return inspect.Signature(params, return_annotation="Any")


def _endpoint_method(ep: Endpoint) -> Callable[..., Awaitable[Any]]:
    name = ep.name

    async def method(
        self: CachedSportsDataIOClient, *args: Any, refresh: bool = False, **kwargs: Any
    ) -> Any:
        found = await self.fetch_entry(name, *args, refresh=refresh, **kwargs)
        return found.entry.payload

    method.__name__ = ep.method
    method.__qualname__ = f"CachedSportsDataIOClient.{ep.method}"
    method.__signature__ = _signature(ep)  # type: ignore[attr-defined]
    shape = {"list": f"list of {ep.model}", "object": ep.model, "scalar": ep.model}[ep.shape]
    method.__doc__ = (
        f"{ep.description}\n\nEndpoint ``{ep.name}`` ({ep.path or 'assembled'}); returns the "
        f"{shape} payload, cached as {ep.data_type.name}. ``refresh=True`` reloads from the API."
    )
    return method


def _with_endpoint_methods(cls: type[_C]) -> type[_C]:
    """Give the class one generated async method per registered endpoint."""
    for ep in ENDPOINTS.values():
        setattr(cls, ep.method, _endpoint_method(ep))
    return cls


@_with_endpoint_methods
class CachedSportsDataIOClient:
    """The SportsDataIO client behind the cache: one async method per registered endpoint.

    Args:
        settings: defaults to ``Settings()`` (the environment). With nothing configured and no
            Redis answering on localhost it runs on the embedded default: the in-process hot
            tier, the SQLite warm tier under SPORTSFRAME_HOME (which also keeps the quota), an
            in-process rate limiter and file locks.
        manager: the cache manager (default: :meth:`CacheManager.from_settings`).
        client: the API client (default: a :class:`~sportsframe.api.client.SportsDataIOClient`
            paced by the shared Redis rate limiter when the hot tier is Redis, with its monthly
            quota kept in the warm tier's database).
        clock: the time source for the cache and the client.

    Example::

        async with CachedSportsDataIOClient() as sdio:
            props = await sdio.get_player_props_by_week(2024, 18)
            entry = await sdio.fetch_entry("player_props", 2024, 18)   # with provenance
            entry.served_from                                       # "hot"
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        manager: CacheManager | None = None,
        client: SportsDataIOClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self.clock = clock
        self._owns_manager = manager is None
        self.manager = (
            manager
            if manager is not None
            else CacheManager.from_settings(self.settings, clock=clock)
        )
        self._owns_client = client is None
        self._client = client

    @property
    def client(self) -> SportsDataIOClient:
        """The API client, built on first use: a process whose calls are all hits never loads
        httpx and the limiter (about a seventh of a second in a fresh process)."""
        if self._client is None:
            self._client = self._api_client()
        return self._client

    def _api_client(self) -> SportsDataIOClient:
        from sportsframe.api.client import SportsDataIOClient
        from sportsframe.api.quota import MemoryQuota, SqlQuota
        from sportsframe.api.ratelimit import (
            RedisRateLimiter,
            SlidingWindowLimiter,
            key_fingerprint,
        )

        settings = self.settings
        api_key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        fingerprint = key_fingerprint(api_key)
        source = self.manager.source
        redis = self.manager.redis
        # The rate limit is the API key's, so every process using the key shares one window.
        limiter: Any
        if redis is not None:
            limiter = RedisRateLimiter(
                redis,
                f"{settings.namespace}~ratelimit:{source}:{fingerprint}",
                settings.rate_limit,
            )
        else:
            limiter = SlidingWindowLimiter(settings.rate_limit, clock=self.clock)
        quota: Any
        engine = self.manager.engine
        if engine is not None:
            quota = SqlQuota(
                engine,
                settings.monthly_quota,
                source=source,
                fingerprint=fingerprint,
                clock=self.clock,
                schema=self.manager.warm_schema,
                statement=self.manager.warm_statement_runner(),
            )
        else:
            quota = MemoryQuota(settings.monthly_quota, clock=self.clock)
        return SportsDataIOClient(settings, limiter=limiter, quota=quota, clock=self.clock)

    @property
    def redis(self) -> Redis | None:
        """The Redis client of the hot tier (for L0 coherence), or None without Redis."""
        return self.manager.redis

    # -- reading -----------------------------------------------------------------------------------
    def bind(self, name: str, *args: Any, **kwargs: Any) -> BoundCall:
        """Validate arguments for endpoint ``name`` (raises InvalidParameterError, no I/O)."""
        return endpoint(name).bind(*args, **kwargs)

    async def fetch_entry(
        self,
        name_or_call: str | BoundCall,
        *args: Any,
        refresh: bool = False,
        allow_stale: bool = True,
        offline: bool | None = None,
        companion: str | None = None,
        **kwargs: Any,
    ) -> Lookup:
        """The cache entry for an endpoint call, with provenance (``served_from``, ``key``,
        ``fetched_at``, ``expires_at``, ``stale``, ``source``; see :class:`Lookup`).

        ``name_or_call`` is an endpoint name (then ``args``/``kwargs`` are its arguments) or an
        already bound call. ``refresh`` reloads from the API; ``offline`` serves only what the
        tiers hold (default: the ``offline`` setting); ``companion`` asks a hit to bring
        that companion too (see :meth:`CacheManager.attach`; an entry that came with it may be
        deferred: ``await found.entry.load()`` before its payload).
        """
        if isinstance(name_or_call, BoundCall):
            if args or kwargs:
                raise TypeError("arguments given with an already bound call")
            call = name_or_call
        else:
            call = endpoint(name_or_call).bind(*args, **kwargs)
        return await self.manager.fetch(
            call,
            loader=_Loader(self, call, refresh, allow_stale, offline),
            refresh=refresh,
            allow_stale=allow_stale,
            offline=offline,
            companion=companion,
        )

    async def call(self, name: str, *args: Any, refresh: bool = False, **kwargs: Any) -> Any:
        """The payload of endpoint ``name`` called with ``args`` (typed access to any endpoint)."""
        found = await self.fetch_entry(name, *args, refresh=refresh, **kwargs)
        return found.entry.payload

    async def _load(
        self, call: BoundCall, refresh: bool, allow_stale: bool, offline: bool | None
    ) -> Any:
        assembler = call.endpoint.assembler
        if assembler is None:
            return await self.client.fetch(call)

        async def part(part_call: BoundCall) -> Any:
            found = await self.fetch_entry(
                part_call, refresh=refresh, allow_stale=allow_stale, offline=offline
            )
            return found.entry.payload

        return await assembler(call, part)

    # -- what the facade needs of the cache ------------------------------------------------------
    def storage_key(self, key: str) -> str:
        """``key`` as this client's source stores it (``emulator/...`` for demo data)."""
        return self.manager.storage_key(key)

    @property
    def keeps_companions(self) -> bool:
        """True when a tier can keep an entry's finished frame beside it (see :meth:`attach`)."""
        return self.manager.keeps_companions

    async def attach(self, found: Lookup, companion: str, data: CompanionData) -> bool:
        """Keep ``data`` (the finished frame of ``found``'s entry, or a function making it)
        beside that entry; see
        :meth:`CacheManager.attach <sportsframe.cache.writes.WritePath.attach>`."""
        return await self.manager.attach(found, companion, data)

    async def load_payload(self, found: Lookup) -> bool:
        """Make sure ``found``'s payload is at hand (a deferred entry reads it now); False when
        the tier holds another version by now or cannot give it (then read the call again)."""
        try:
            return await found.entry.load()
        except TierUnavailable:
            return False

    async def prepare(self) -> None:
        """Open ahead of the first call what it would otherwise open: the tiers' blocking
        readers, each with a connection (see :meth:`CacheManager.prepare`). Failures are left
        for the calls to meet."""
        await self.manager.prepare()

    async def idle(self) -> None:
        """Return once no caller's thread has read the tiers for a moment (see
        :meth:`CacheManager.idle`): background work waits for this."""
        await self.manager.idle()

    def read_blocking(self, keys: Sequence[str], companion: str) -> BlockingRead | None:
        """Read ``keys`` (storage keys) with ``companion`` in the calling thread, outside the
        event loop (see :mod:`sportsframe.cache.blocking`), or None when the tiers cannot be
        read that way. Hand the read to :meth:`hand_over` when its answer serves."""
        blocking = self.manager.blocking
        return None if blocking is None else blocking.read(keys, companion)

    def hand_over(self, read: BlockingRead) -> None:
        """Record a blocking read whose answer served (hits, misses, copies to the hot tier) on
        sportsframe's event loop, in one call from the calling thread."""
        blocking = self.manager.blocking
        if blocking is not None:
            blocking.hand_over(read, get_loop())

    def record_l0_hits(self, count: int, seconds: float) -> None:
        """Count ``count`` calls the facade answered from L0 in ``seconds`` together (API calls
        avoided). Must run on the event loop, like every other count."""
        each = seconds / max(count, 1)
        for _ in range(count):
            self.manager.record_l0_hit(each)

    def describe_tiers(self) -> tuple[str, str]:
        """One line each naming the hot and the warm tier (no secrets)."""
        return self.manager.describe_hot(), self.manager.describe_warm()

    async def drop_hot(self, key: str) -> bool:
        """Remove one entry from the hot tier only (the next read comes from the warm tier)."""
        return await self.manager.drop_hot(key)

    async def settle(self) -> None:
        """Wait until fetched entries written behind their answers have landed and every warm
        hit's copy to the hot tier is written."""
        await self.manager.settle()

    async def cleanup_expired(self) -> int:
        """Delete warm-tier rows expired for longer than the grace window; returns the count."""
        return await self.manager.cleanup_expired()

    async def efficiency_report(self, now: datetime) -> list[Any]:
        """The warm tier's report per data type at ``now`` (see
        :meth:`~sportsframe.cache.sql.tier.SqlTier.efficiency_report`)."""
        return await self.manager.efficiency_report(now)

    async def quota_status(self) -> QuotaStatus:
        """This month's API requests by the persisted quota shared by every process."""
        return await quota_status(self.client.quota, clock=self.clock, source=self.manager.source)

    # -- statistics and invalidation --------------------------------------------------------------
    def get_cache_stats(self) -> CacheStatsView:
        """The manager's statistics (the spec's shape; see :meth:`CacheManager.get_stats`), as a
        dict that shows as a table in Jupyter."""
        return CacheStatsView(self.manager.get_stats())

    async def _invalidate(self, patterns: list[str]) -> int:
        removed = 0
        for pattern in dict.fromkeys(patterns):
            removed += await self.manager.invalidate(pattern)
        return removed

    async def invalidate_endpoints(
        self, names: Sequence[str] | None = None, *, season_type: str = "REG", **fixed: Any
    ) -> tuple[int, list[str]]:
        """Remove the entries of endpoints ``names`` (default: every endpoint) whose keys hold
        the ``fixed`` values (``season=2024, week=18``; already validated), in every tier.

        An assembled endpoint takes its parts with it (the props week its per-game props), and
        an endpoint whose key has no place for a fixed value is left alone. Returns how many
        entries were removed and the patterns, as stored, that matched them (for L0).
        """
        chosen = ENDPOINTS.values() if names is None else [ENDPOINTS[n] for n in names]
        endpoints = {part.name: part for ep in chosen for part in _with_parts(ep)}.values()
        patterns: list[str] = []
        for ep in endpoints:
            if not set(fixed) <= {p.name for p in ep.key_params}:
                continue
            if fixed:
                patterns.append(ep.key_pattern(**fixed, season_type=season_type))
            else:
                patterns += [ep.name, f"{ep.name}:*"]
        removed = 0
        for pattern in patterns:
            # The manager scopes the pattern to this client's source.
            removed += await self.manager.invalidate(pattern)
        return removed, [source_key(self.manager.source, p) for p in patterns]

    async def invalidate_week_data(self, season: int, week: int, season_type: str = "REG") -> int:
        """Remove every entry of one week (every week-keyed endpoint, both tiers); returns how
        many. Arguments are validated first (InvalidParameterError)."""
        call = ENDPOINTS["scores"].bind(season, week, season_type=season_type)
        values = call.values
        return await self._invalidate(
            week_patterns(values["season"], values["week"], values["season_type"])
        )

    async def invalidate_team_data(self, team: str) -> int:
        """Remove every entry keyed by ``team`` (roster, team news); returns how many."""
        team = ENDPOINTS["players"].bind(team).values["team"]
        return await self._invalidate(patterns_for("team", team))

    async def invalidate_player_data(self, player_id: int) -> int:
        """Remove every entry keyed by ``player_id`` (details, news); returns how many."""
        player_id = ENDPOINTS["player"].bind(player_id).values["player_id"]
        return await self._invalidate(patterns_for("player_id", player_id))

    async def invalidate_season_data(self, season: int) -> int:
        """Remove every entry of a season, all season types (REG, PRE, POST); returns how many."""
        season = ENDPOINTS["schedules"].bind(season).values["season"]
        patterns = [
            p for st in SEASON_TYPES for p in patterns_for("season", season, season_type=st)
        ]
        return await self._invalidate(patterns)

    # -- lifecycle -----------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Close the API client and the cache manager (if this object created them)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
        if self._owns_manager:
            await self.manager.close()

    async def __aenter__(self) -> CachedSportsDataIOClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"CachedSportsDataIOClient({self.manager!r})"

    if TYPE_CHECKING:
        # The endpoint methods are generated below; this tells type checkers they exist.
        def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]: ...


class _Loader:
    """The loader handed to the manager for one call (a class: no closure per call)."""

    __slots__ = ("allow_stale", "call", "client", "offline", "refresh")

    def __init__(
        self,
        client: CachedSportsDataIOClient,
        call: BoundCall,
        refresh: bool,
        allow_stale: bool,
        offline: bool | None,
    ) -> None:
        self.client = client
        self.call = call
        self.refresh = refresh
        self.allow_stale = allow_stale
        self.offline = offline

    def __call__(self) -> Awaitable[Any]:
        return self.client._load(self.call, self.refresh, self.allow_stale, self.offline)


def _with_parts(ep: Endpoint) -> Iterator[Endpoint]:
    """``ep`` and the endpoints it is assembled from: clearing the props week also clears its
    per-game parts."""
    yield ep
    if ep.name == "player_props":
        yield ENDPOINTS["player_props_game"]
