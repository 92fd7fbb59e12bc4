"""Sessions: the facade's core. ``AsyncSession`` is the one implementation; ``Session`` runs it
on sportsframe's background event loop for sync callers (scripts, notebooks, threads).

A session owns the cached client (tiers, API client, limiter, quota) and the L0 frame cache. Every
dataset call validates its arguments first (before any I/O), then for each part (one season and
week, one team, ...) reads L0, then the shared tiers through the cached client, builds the typed
frame from the entry's Arrow table, and concatenates the parts. ``df.attrs`` records where each
frame came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sys
from collections.abc import Callable, Coroutine, Hashable, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
import pyarrow as pa
from pydantic import SecretStr

from sportsframe import frames
from sportsframe.api.quota import QuotaStatus, quota_status
from sportsframe.cache.stats import CacheStatsView
from sportsframe.cache.tier import TierUnavailable
from sportsframe.cached_client import CachedSportsDataIOClient
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import ConfigurationError, InvalidParameterError
from sportsframe.facade.docstrings import docstring
from sportsframe.facade.l0 import FrameCache, L0Coherence
from sportsframe.facade.signatures import AsyncFrame, DatasetMethods, Seasons, Weeks, signature
from sportsframe.loop import get_loop, run_sync
from sportsframe.registry import (
    ENDPOINTS,
    BoundCall,
    max_week,
    min_week,
    validate_argument,
)
from sportsframe.registry.datasets import DATASETS, Dataset, expand, ints
from sportsframe.report import EfficiencyReport
from sportsframe.settings import DEFAULT_BASE_URL, Settings

if TYPE_CHECKING:
    from sportsframe.cache.tier import CacheEntry
    from sportsframe.emulator import EmulatorServer

__all__ = ["EMULATOR_KEY", "AsyncSession", "Session"]

log = logging.getLogger("sportsframe")

P = ParamSpec("P")
T = TypeVar("T")

#: The key the facade sends to an emulator it started itself (the emulator accepts any key).
EMULATOR_KEY = "emulator-demo-key"


def _derive(settings: Settings, **changes: Any) -> Settings:
    """A copy of frozen settings with some fields changed (values already validated)."""
    return settings.model_copy(update=changes)


class AsyncSession(DatasetMethods[AsyncFrame]):
    """The async facade: ``await AsyncSession().props(2024, 18)``.

    Args:
        settings: explicit settings; default: read from the environment.
        clock: the time source (tests inject a ManualClock).
        emulator_latency: latency of an in-process emulator this session starts (emulator mode).
        **overrides: settings fields to override (``offline=True``, ``source="emulator"``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        emulator_latency: tuple[float, float] = (0.0, 0.0),
        **overrides: Any,
    ) -> None:
        base = settings if settings is not None else Settings()
        self.settings = Settings(**{**_fields(base), **overrides}) if overrides else base
        self.clock = clock
        self.emulator_latency = emulator_latency
        self.l0 = FrameCache(self.settings.l0_max_bytes, clock=clock)
        self._client: CachedSportsDataIOClient | None = None
        self._emulator: EmulatorServer | None = None
        self._coherence: L0Coherence | None = None
        self._open_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"AsyncSession(source={self.settings.source!r}, offline={self.settings.offline})"

    # -- set-up ------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self.settings.source

    async def client(self) -> CachedSportsDataIOClient:
        """The cached client, created on first use (on the running loop)."""
        if self._client is not None:
            return self._client
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._client is None:
                self._client = await self._open()
        return self._client

    def _check_credentials(self) -> None:
        s = self.settings
        if s.offline or s.source == "emulator" or s.api_key is not None:
            return
        raise ConfigurationError(
            "no SportsDataIO API key: set SPORTSDATAIO_API_KEY (or sf.configure(api_key=...)) "
            "to use the real service, or run `sportsframe demo` / "
            "sf.configure(source='emulator') for local demo data"
        )

    async def _open(self) -> CachedSportsDataIOClient:
        settings = self.settings
        if settings.source == "emulator" and settings.base_url == DEFAULT_BASE_URL:
            # Emulator mode asked for by name: start one in-process on a free loopback port.
            from sportsframe.emulator import start_emulator

            self._emulator = await asyncio.to_thread(start_emulator, latency=self.emulator_latency)
            settings = _derive(
                settings, base_url=self._emulator.base_url, api_key=SecretStr(EMULATOR_KEY)
            )
        elif settings.source == "emulator" and settings.api_key is None:
            settings = _derive(settings, api_key=SecretStr(EMULATOR_KEY))
        client = CachedSportsDataIOClient(settings, clock=self.clock)
        redis = client.redis
        if redis is not None and self.l0.enabled:
            self._coherence = L0Coherence(redis, f"{settings.namespace}:l0", self.l0)
            if not await self._coherence.start():
                log.warning("L0 invalidation channel not subscribed yet; L0 paused until it is")
        return client

    async def aclose(self) -> None:
        """Flush pending writes and close connections (and an emulator this session started)."""
        if self._coherence is not None:
            await self._coherence.close()
            self._coherence = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._emulator is not None:
            await asyncio.to_thread(self._emulator.stop)
            self._emulator = None

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the core -----------------------------------------------------------------------------
    async def frame(
        self,
        dataset: str,
        calls: Sequence[BoundCall],
        *,
        refresh: bool = False,
        progress: bool | None = None,
        hot_absent: frozenset[str] = frozenset(),
    ) -> pd.DataFrame:
        """The concatenated frame of ``calls`` (parts from L0, the tiers or the API).

        ``hot_absent``: storage keys the caller has just found absent from Redis (their reads
        start at the warm tier).
        """
        ds = DATASETS[dataset]
        name = ds.endpoint_name
        self._check_credentials()
        parts: list[pd.DataFrame | None] = [None] * len(calls)
        todo: list[int] = []
        for i, call in enumerate(calls):
            key = self._key(call)
            if refresh:
                await self._publish_invalidation(key)
            else:
                started = perf_counter()
                cached = self.l0.get(key)
                if cached is not None:
                    cached.attrs["served_from"] = "l0"
                    parts[i] = cached
                    self._count_l0(1, perf_counter() - started)
                    continue
            todo.append(i)
        client = await self.client() if todo else None
        if len(todo) == 1 and client is not None and not progress:
            # One part (the common call): no task, no progress bar.
            parts[todo[0]] = await self._fetch_part(
                client, name, calls[todo[0]], refresh, hot_absent
            )
        elif todo and client is not None:
            bar = _progress_bar(len(todo), dataset, progress)
            try:

                async def one(i: int) -> None:
                    parts[i] = await self._fetch_part(client, name, calls[i], refresh, hot_absent)
                    if bar is not None:
                        bar.update(1)

                await asyncio.gather(*(one(i) for i in todo))
            finally:
                if bar is not None:
                    bar.close()
        done = [p for p in parts if p is not None]
        if len(done) == 1:
            return done[0]
        return _concat(done, name)

    def _count_l0(self, hits: int, seconds: float) -> None:
        # L0 hits are API calls avoided too (they show in cache_stats()["l0_cache"]); ``seconds``
        # is the time of all of them together.
        if self._client is not None and hits:
            each = seconds / hits
            for _ in range(hits):
                self._client.manager.record_l0_hit(each)

    def _key(self, call: BoundCall) -> str:
        return f"emulator/{call.key}" if self.source == "emulator" else call.key

    async def _fetch_part(
        self,
        client: CachedSportsDataIOClient,
        name: str,
        call: BoundCall,
        refresh: bool,
        hot_absent: frozenset[str] = frozenset(),
    ) -> pd.DataFrame:
        companion = frames.companion_name(name)
        generation = self.l0.generation
        skip_hot = bool(hot_absent) and client.manager.storage_key(call.key) in hot_absent
        result = await client.lookup(
            call, refresh=refresh, companion=companion, hot_absent=skip_hot
        )
        frame = _stored_frame(result.entry)
        if frame is not None:
            nbytes = len(result.entry.companion or b"")  # the Arrow stream it was read from
        else:
            if not await _loaded(result.entry):
                # Replaced in the warm tier since it was read: read it again, whole.
                result = await client.lookup(call, refresh=refresh)
            table = frames.build_table(name, result.entry.table, call.values)
            frame = frames.to_pandas(table)
            nbytes = table.nbytes
            # An empty frame is cheap to build, and an IPC stream without batches would not
            # carry the declared category sets.
            if table.num_rows and client.manager.keeps_companions:
                await client.manager.attach(result, companion, frames.table_to_ipc(table))
        attrs = _provenance(
            result.key, name, call, result.entry, served_from=result.served_from, stale=result.stale
        )
        if not result.stale:
            # L0 keeps its own shallow copy: the caller's edits (attrs included) never reach it.
            # Put before the frame has attrs: pandas would deep-copy them.
            self.l0.put(
                result.key,
                frame,
                result.entry.expires_at,
                attrs=attrs,
                generation=generation,
                nbytes=nbytes,
            )
        frame.attrs = attrs
        return frame

    async def _publish_invalidation(self, pattern: str) -> None:
        if self._coherence is not None:
            await self._coherence.publish(pattern)
        else:
            self.l0.invalidate(pattern)

    # -- argument handling ----------------------------------------------------------------------
    async def _weeks(self, season: int, season_type: str) -> list[int]:
        """Every week with data so far: all weeks of a past season, up to the current week now."""
        lo, hi = min_week(season_type), max_week(season, season_type)
        current = await self.current_season()
        if season < current:
            return list(range(lo, hi + 1))
        if season > current:
            raise InvalidParameterError("season", season, "has no weeks with data yet")
        week = await self.current_week()
        if week is None:
            return list(range(lo, hi + 1))
        return list(range(lo, min(week, hi) + 1))

    async def _dataset(self, dataset: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
        ds = DATASETS[dataset]
        refresh = bool(kwargs.pop("refresh", False))
        progress = kwargs.pop("progress", None)
        hot_absent: frozenset[str] = kwargs.pop("_hot_absent", frozenset())
        calls = await self._calls(ds, args, kwargs)
        return await self.frame(
            dataset, calls, refresh=refresh, progress=progress, hot_absent=hot_absent
        )

    def cached_frame(
        self, dataset: str, values: dict[str, Any], calls: list[BoundCall] | None = None
    ) -> pd.DataFrame | None:
        """The frame from L0 alone, when every part is there and no I/O is needed (else None).

        The sync facade tries this in the caller's thread first: a notebook re-running a cell
        then never waits on the event loop. ``calls``: the call's plan, when the caller has it
        (see :meth:`_planned`).
        """
        if not self.l0.enabled or values.get("refresh"):
            return None
        if calls is None:
            calls = self._planned(dataset, values)
        if calls is None:
            return None
        parts = []
        started = perf_counter()  # one timing for the whole read: an L0 hit is ~0.1 ms
        for call in calls:
            frame = self.l0.get(self._key(call))
            if frame is None:
                return None
            frame.attrs["served_from"] = "l0"
            parts.append(frame)
        self._count_l0(len(parts), perf_counter() - started)
        return parts[0] if len(parts) == 1 else _concat(parts, DATASETS[dataset].endpoint_name)

    def hot_frame(
        self,
        dataset: str,
        values: dict[str, Any],
        absent: set[str] | None = None,
        calls: list[BoundCall] | None = None,
    ) -> pd.DataFrame | None:
        """The frame from Redis alone, read in the calling thread, when every part is a fresh
        hot entry with its finished frame beside it (else None; the caller takes the loop).

        The sync facade tries this after L0: a hit then costs one blocking MGET and the
        conversion to pandas, with no hand-off to the event loop. Counts reach the manager's
        statistics through the loop. ``absent``, when given, receives the storage keys Redis
        does not hold (their misses are counted here; the loop need not ask Redis again).
        ``calls``: the call's plan, when the caller has it.
        """
        client = self._client
        if client is None or values.get("refresh"):
            return None
        manager = client.manager
        reader = manager.sync_reader()
        if reader is None:
            return None
        if calls is None:
            calls = self._planned(dataset, values)
        if calls is None:
            return None
        name = DATASETS[dataset].endpoint_name
        skeys = [manager.storage_key(call.key) for call in calls]
        # Read before the data: an invalidation landing while this thread converts must win.
        generation = self.l0.generation
        started = perf_counter()
        missing: set[str] = set()
        entries = reader.read(skeys, frames.companion_name(name), missing)
        if entries is None:
            if missing and absent is not None:
                absent.update(missing)
                get_loop().call_soon_threadsafe(
                    manager.record_hot_misses, sorted(missing), perf_counter() - started
                )
            return None
        parts = []
        for skey, call, entry in zip(skeys, calls, entries, strict=True):
            frame = _stored_frame(entry)
            if frame is None:
                return None  # the loop's path rebuilds it
            parts.append((skey, frame, entry, call))
        get_loop().call_soon_threadsafe(manager.record_hot_hits, skeys, perf_counter() - started)
        for skey, frame, entry, call in parts:
            attrs = _provenance(skey, name, call, entry, served_from="hot", stale=False)
            size = len(entry.companion or b"")  # the Arrow stream the frame was read from
            self.l0.put(
                skey, frame, entry.expires_at, attrs=attrs, generation=generation, nbytes=size
            )
            frame.attrs = attrs  # after the put: pandas would deep-copy them
        built = [frame for _, frame, _, _ in parts]
        return built[0] if len(built) == 1 else _concat(built, name)

    def warm_frame(
        self,
        dataset: str,
        values: dict[str, Any],
        hot_absent: set[str],
        calls: list[BoundCall] | None = None,
    ) -> pd.DataFrame | None:
        """The frame of a one-part call from the warm tier alone, read in the calling thread,
        when :meth:`hot_frame` has just found the part absent from Redis and the warm tier holds
        it fresh with its finished frame (else None; the caller takes the loop).

        The sync facade tries this after Redis: a warm hit then costs one blocking statement
        and the conversion to pandas, with no hand-off to the event loop. The count, the hit
        record and the copy to Redis happen on the loop, behind the answer. A failure is left
        to the loop's own read of the tier (which counts it and feeds the breaker); the
        blocking reader meanwhile rests. ``calls``: the call's plan, when the caller has it.
        """
        client = self._client
        if client is None or values.get("refresh"):
            return None
        manager = client.manager
        if calls is None:
            calls = self._planned(dataset, values)
        if calls is None or len(calls) != 1:
            return None  # several parts read concurrently on the loop
        (call,) = calls
        skey = manager.storage_key(call.key)
        if skey not in hot_absent:
            return None
        reader = manager.sync_warm_reader()
        if reader is None:
            return None
        name = DATASETS[dataset].endpoint_name
        companion = frames.companion_name(name)
        # Read before the data: an invalidation (or a write) landing meanwhile must win.
        generation = self.l0.generation
        changes = manager.change_count
        started = perf_counter()
        try:
            entry = reader.read(skey, companion)
        except TierUnavailable:
            return None
        seconds = perf_counter() - started
        if entry is None:
            return None
        frame = _stored_frame(entry)
        if frame is None:
            return None  # the loop's path rebuilds it
        attrs = _provenance(skey, name, call, entry, served_from="warm", stale=False)
        size = len(entry.companion or b"")  # the Arrow stream the frame was read from
        self.l0.put(skey, frame, entry.expires_at, attrs=attrs, generation=generation, nbytes=size)
        frame.attrs = attrs  # after the put: pandas would deep-copy them
        # Last: the loop thread this wakes competes for the GIL with whatever is left to do here.
        get_loop().call_soon_threadsafe(manager.record_warm_hit, entry, companion, seconds, changes)
        return frame

    def _planned(self, dataset: str, values: dict[str, Any]) -> list[BoundCall] | None:
        """The bound calls of a facade call, when they need no I/O to plan (else None)."""
        args = {k: v for k, v in values.items() if k not in ("refresh", "progress")}
        calls, _, _ = self._plan(DATASETS[dataset], (), args)
        return calls

    def _plan(
        self, ds: Dataset, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[list[BoundCall] | None, list[Any], dict[str, Any]]:
        """Validated calls (no I/O), or None when week=None needs the current week first."""
        ep = ds.endpoint
        extra = {k: v for k, v in kwargs.items() if v is not None}
        if not ep.typed_season:
            extra.pop("season_type", None)
        if ds.kind in ("week", "season"):
            seasons = ints("season", args[0] if args else kwargs.get("season"))
            extra.pop("season", None)
            week_arg = extra.pop("week", None)
            if len(args) > 1:
                week_arg = args[1]
            if ds.kind == "season":
                return expand(ds, seasons=seasons, extra=extra), seasons, extra
            if week_arg is None:
                # Validate seasons and season type before the current week is looked up.
                for season in seasons:
                    ENDPOINTS["scores"].bind(season=season, week=1, **extra)
                return None, seasons, extra
            weeks = ints("week", week_arg)
            return expand(ds, seasons=seasons, weeks=weeks, extra=extra), seasons, extra
        if ds.kind == "none":
            return expand(ds, extra=extra), [], extra
        param = ep.params[0].name
        value = args[0] if args else extra.pop(param, None)
        extra.pop(param, None)
        if value is None:
            raise InvalidParameterError(param, None, "is required", endpoint=ep.name)
        return expand(ds, values=ints(param, value), extra=extra), [], extra

    async def _calls(
        self, ds: Dataset, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[BoundCall]:
        planned, seasons, extra = self._plan(ds, args, kwargs)
        if planned is not None:
            return planned
        calls: list[BoundCall] = []
        season_type = extra.get("season_type", "REG")
        for season in seasons:
            weeks = await self._weeks(season, season_type)
            calls += expand(ds, seasons=[season], weeks=weeks, extra=extra)
        return calls

    # -- scalars and control ------------------------------------------------------------------
    async def current_season(self) -> int:
        """The current season's year (an int)."""
        value = await self._scalar("current_season")
        if not isinstance(value, int):
            raise ConfigurationError("the service returned no current season")
        return value

    async def current_week(self) -> int | None:
        """The current week (an int), or None off-season."""
        value = await self._scalar("current_week")
        return value if isinstance(value, int) else None

    async def _scalar(self, name: str) -> Any:
        self._check_credentials()
        client = await self.client()
        result = await client.lookup(ENDPOINTS[name].bind())
        return result.entry.payload

    async def clear_cache(
        self,
        dataset: str | None = None,
        *,
        season: int | None = None,
        week: int | None = None,
        team: str | None = None,
        player_id: int | None = None,
        season_type: str = "REG",
    ) -> int:
        """Remove cached entries (all tiers, every process's L0); returns how many were removed.

        ``clear_cache()`` clears everything of this source; ``clear_cache("props", season=2024,
        week=18)`` one week of one dataset; ``clear_cache(season=2024, week=18)`` that week of
        every dataset.
        """
        fixed = {
            k: v
            for k, v in dict(season=season, week=week, team=team, player_id=player_id).items()
            if v is not None
        }
        if dataset is not None and dataset not in DATASETS:
            known = ", ".join(sorted(DATASETS))
            raise InvalidParameterError("dataset", dataset, f"unknown dataset; known: {known}")
        fixed = {name: validate_argument(name, value) for name, value in fixed.items()}
        endpoints = (
            [ENDPOINTS[n] for n in _parts_of(DATASETS[dataset].endpoint_name)]
            if dataset
            else list(ENDPOINTS.values())
        )
        patterns = []
        for ep in endpoints:
            names = {p.name for p in ep.key_params}
            if not set(fixed) <= names:
                continue
            if fixed:
                patterns.append(ep.key_pattern(**fixed, season_type=season_type))
            else:
                patterns += [ep.name, f"{ep.name}:*"]
        client = await self.client()
        removed = 0
        for pattern in patterns:
            # The manager scopes the pattern to this session's source; L0 keys carry the prefix.
            removed += await client.manager.invalidate(pattern)
            await self._publish_invalidation(self._key_pattern(pattern))
        return removed

    def _key_pattern(self, pattern: str) -> str:
        return f"emulator/{pattern}" if self.source == "emulator" else pattern

    async def cache_stats(self) -> CacheStatsView:
        """Hit/miss statistics per tier: the cache spec's shape (``hot_cache``, ``warm_cache``,
        ``overall``) plus ``l0_cache`` and ``api``, each with a latency summary (count, p50, p95,
        max in ms), and ``timeline`` (calls per minute). A dict that shows as a table in Jupyter;
        ``.to_frame()`` gives one row per tier.
        """
        client = await self.client()
        stats = CacheStatsView(client.get_cache_stats())
        stats.setdefault("l0_cache", {}).update(entries=len(self.l0), bytes=self.l0.nbytes)
        return stats

    async def quota(self) -> QuotaStatus:
        """This month's API requests: ``used``, ``limit``, ``remaining`` and ``resets_at`` (the
        start of next month, UTC), counted by the persisted quota shared by every process."""
        client = await self.client()
        return await quota_status(client.client.quota, clock=self.clock, source=self.source)

    async def describe_tiers(self) -> tuple[str, str]:
        """One line each naming the hot and the warm tier (no secrets)."""
        client = await self.client()
        return client.manager.describe_hot(), client.manager.describe_warm()

    async def drop_hot(self, key: str) -> bool:
        """Remove one entry from the hot tier only (the next read comes from the warm tier)."""
        client = await self.client()
        return await client.manager.drop_hot(key)

    async def settle(self) -> None:
        """Wait until every warm hit's copy to the hot tier is written (the copy is written
        after the frame is returned; a timing or a test of the hot tier may want it done)."""
        if self._client is not None:
            await self._client.manager.settle()

    async def efficiency(self) -> EfficiencyReport:
        """The cache efficiency report: what the warm tier holds per data type and the API
        calls its hits saved (pending hit counts are written first).

        Returns:
            An :class:`~sportsframe.report.EfficiencyReport`; its ``frame`` is indexed by
            ``data_type`` with ``entries``, ``live``, ``expired``, ``avg_hits``,
            ``total_hits``, ``last_hit``, ``stored_bytes`` (and its parts),
            ``api_calls_saved`` and ``quota_share``. ``.plot()``, ``.to_html()`` and
            ``.to_text()`` present it.

        Example:
            >>> sf.efficiency().frame[["entries", "expired", "api_calls_saved"]]  # doctest: +SKIP
        """
        client = await self.client()
        now = self.clock.now()
        rows = await client.manager.efficiency_report(now)
        return EfficiencyReport.from_rows(
            rows, generated_at=now, monthly_quota=self.settings.monthly_quota
        )

    async def cleanup(self) -> int:
        """Delete warm-tier rows expired for longer than the grace window; returns the count."""
        client = await self.client()
        return await client.manager.cleanup_expired()

    async def warm(
        self,
        season: Seasons,
        weeks: Weeks | None = None,
        *,
        datasets: Sequence[str] = ("props", "odds", "injuries", "player_game_stats"),
        season_type: str = "REG",
        progress: bool | None = None,
    ) -> dict[str, int]:
        """Pre-cache datasets for weeks (resumable: fresh entries are skipped by the cache).

        Returns the number of parts fetched per dataset. Shows a progress bar with an ETA paced
        by the rate limit.
        """
        counts: dict[str, int] = {}
        for name in datasets:
            if name not in DATASETS:
                raise InvalidParameterError("datasets", name, "unknown dataset")
        for name in datasets:
            ds = DATASETS[name]
            kwargs: dict[str, Any] = {"season_type": season_type}
            args: tuple[Any, ...] = (season,) if ds.kind == "season" else (season, weeks)
            calls = await self._calls(ds, args, kwargs)
            await self.frame(name, calls, progress=progress)
            counts[name] = len(calls)
        return counts

    async def warm_current(self, *, progress: bool | None = None) -> dict[str, int]:
        """Teams, the schedule and the current week's props, odds and injuries."""
        season = await self.current_season()
        week = await self.current_week()
        counts = {
            "teams": len(await self.frame("teams", expand(DATASETS["teams"], seasons=[season]))),
            "schedules": len(
                await self.frame("schedules", expand(DATASETS["schedules"], seasons=[season]))
            ),
        }
        if week is not None:
            counts.update(
                await self.warm(
                    season, week, datasets=("props", "odds", "injuries"), progress=progress
                )
            )
        return counts

    async def warm_upcoming(self, hours: float = 2.0, *, progress: bool | None = None) -> int:
        """Props and injuries for games kicking off within ``hours`` (from the cached schedule)."""
        if hours <= 0:
            raise InvalidParameterError("hours", hours, "must be positive")
        season = await self.current_season()
        schedule = await self.frame("schedules", expand(DATASETS["schedules"], seasons=[season]))
        now = self.clock.now()
        horizon = now + pd.Timedelta(hours=hours)
        kick = schedule["date_time_utc"] if "date_time_utc" in schedule else schedule["date_time"]
        soon = schedule[(kick >= now) & (kick <= horizon)]
        weeks = sorted({int(w) for w in soon["week"].dropna()})
        if not weeks:
            return 0
        await self.warm(season, weeks, datasets=("props", "injuries"), progress=progress)
        return len(soon)


async def _loaded(entry: CacheEntry) -> bool:
    """``await entry.load()``, False when the tier cannot give the payload now."""
    try:
        return await entry.load()
    except TierUnavailable:
        return False


def _stored_frame(entry: CacheEntry) -> pd.DataFrame | None:
    """The finished frame kept beside ``entry``, or None (none came with it, or it does not
    read: logged, and the caller builds the frame from the entry instead)."""
    if entry.companion is None:
        return None
    try:
        return frames.frame_from_ipc(entry.companion)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        log.warning("unreadable stored frame beside %s (%s); rebuilding it", entry.key, exc)
        return None


def _provenance(
    key: str,
    endpoint_name: str,
    call: BoundCall,
    entry: CacheEntry,
    *,
    served_from: str,
    stale: bool,
) -> dict[Hashable | None, Any]:
    """``df.attrs`` of one part: where the frame came from."""
    return {
        "key": key,
        "endpoint": endpoint_name,
        "params": call.params,
        "served_from": served_from,
        "fetched_at": entry.created_at,
        "expires_at": entry.expires_at,
        "stale": stale,
        "source": entry.source,
    }


def _parts_of(endpoint_name: str) -> list[str]:
    # Clearing the assembled props week also clears its per-game parts.
    return (
        ["player_props", "player_props_game"]
        if endpoint_name == "player_props"
        else [endpoint_name]
    )


def _fields(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in type(settings).model_fields}


def _concat(parts: list[pd.DataFrame], endpoint_name: str) -> pd.DataFrame:
    if not parts:
        return frames.build_frame_from_payload(endpoint_name, [])
    out = pd.concat(parts, ignore_index=True)
    tiers = [p.attrs.get("served_from") for p in parts]
    out.attrs = {
        "endpoint": endpoint_name,
        "served_from": tiers[0] if len(set(tiers)) == 1 else "mixed",
        "parts": [
            {"key": p.attrs.get("key"), "served_from": p.attrs.get("served_from")} for p in parts
        ],
        "fetched_at": min(p.attrs["fetched_at"] for p in parts),
        "expires_at": min(p.attrs["expires_at"] for p in parts),
        "stale": any(p.attrs.get("stale") for p in parts),
        "source": parts[0].attrs.get("source"),
    }
    return out


def _progress_bar(total: int, dataset: str, progress: bool | None) -> Any:
    if progress is False or (progress is None and total <= 1):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"sportsframe {dataset}", unit="part", file=sys.stderr)


# -- dataset methods, made from the dataset table ----------------------------------------------
# Their signatures and docstrings come from the dataset table and the frame schemas; type
# checkers read them from DatasetMethods, the declaration both session classes inherit.
def _bind(sig: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise InvalidParameterError("arguments", (args, kwargs), str(exc)) from None
    bound.apply_defaults()
    return dict(bound.arguments)


def _describe(method: Callable[..., Any], owner: str, ds: Dataset) -> None:
    """Name, document and sign the ``owner`` method made for the dataset ``ds``."""
    sig = signature(ds)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__name__ = ds.name
    method.__qualname__ = f"{owner}.{ds.name}"
    method.__doc__ = docstring(ds)
    method.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *sig.parameters.values()]
    )


def _make_async(ds: Dataset) -> Callable[..., AsyncFrame]:
    sig = signature(ds)

    async def method(self: AsyncSession, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return await self._dataset(ds.name, **_bind(sig, args, kwargs))

    _describe(method, "AsyncSession", ds)
    return method


def _make_sync(ds: Dataset) -> Callable[..., pd.DataFrame]:
    name, sig = ds.name, signature(ds)

    def method(self: Session, *args: Any, **kwargs: Any) -> pd.DataFrame:
        aio = self.aio
        values = _bind(sig, args, kwargs)
        # L0, then Redis, then the warm tier, in this thread: a hit never waits on the
        # event loop. Planned once for the three (no plan: a refresh, or a call that needs
        # the current week first; both are the loop's work).
        calls = None if values.get("refresh") else aio._planned(name, values)
        absent: set[str] = set()
        if calls is not None:
            frame = aio.cached_frame(name, values, calls)
            if frame is None:
                frame = aio.hot_frame(name, values, absent, calls)
            if frame is None and absent:
                frame = aio.warm_frame(name, values, absent, calls)
            if frame is not None:
                return frame
        return run_sync(aio._dataset(name, _hot_absent=frozenset(absent), **values))

    _describe(method, "Session", ds)
    return method


def _blocking(
    method: Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[Session, P], T]:
    """The Session twin of an AsyncSession method: runs it on the background loop and waits."""

    def call(self: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(method(self.aio, *args, **kwargs))

    call.__name__ = method.__name__
    call.__qualname__ = f"Session.{method.__name__}"
    call.__doc__ = method.__doc__
    call.__signature__ = _evaluated_signature(method)  # type: ignore[attr-defined]
    return call


def _evaluated_signature(method: Callable[..., Any]) -> inspect.Signature:
    # Types rather than their names where they can be resolved at run time (for help()).
    try:
        return inspect.signature(method, eval_str=True)
    except NameError:
        return inspect.signature(method)


class Session(DatasetMethods[pd.DataFrame]):
    """The sync facade over :class:`AsyncSession` (same methods, plain return values).

    Calls run on sportsframe's background event loop, so they work in scripts, from many threads
    at once and inside Jupyter's running loop.
    """

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        self.aio = AsyncSession(settings, **kwargs)

    @property
    def settings(self) -> Settings:
        return self.aio.settings

    def __repr__(self) -> str:
        return f"Session(source={self.settings.source!r}, offline={self.settings.offline})"

    def close(self) -> None:
        """Flush pending writes and close connections."""
        with contextlib.suppress(RuntimeError):
            run_sync(self.aio.aclose())

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The helpers of the module facade (the dataset methods are set below, one per dataset).
    current_season = _blocking(AsyncSession.current_season)
    current_week = _blocking(AsyncSession.current_week)
    warm = _blocking(AsyncSession.warm)
    warm_current = _blocking(AsyncSession.warm_current)
    warm_upcoming = _blocking(AsyncSession.warm_upcoming)
    clear_cache = _blocking(AsyncSession.clear_cache)
    cache_stats = _blocking(AsyncSession.cache_stats)
    cleanup = _blocking(AsyncSession.cleanup)
    efficiency = _blocking(AsyncSession.efficiency)
    quota = _blocking(AsyncSession.quota)

    def __getattr__(self, name: str) -> Any:
        # Any other coroutine method of the AsyncSession, run on the background loop.
        target = getattr(self.aio, name, None)
        if name.startswith("_") or target is None or not inspect.iscoroutinefunction(target):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return run_sync(target(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = target.__doc__
        with contextlib.suppress(ValueError, TypeError):
            call.__signature__ = inspect.signature(target)  # type: ignore[attr-defined]
        return call

    def __dir__(self) -> list[str]:
        # With what __getattr__ serves, for tab completion.
        served = [
            name
            for name in dir(AsyncSession)
            if not name.startswith("_") and inspect.iscoroutinefunction(getattr(AsyncSession, name))
        ]
        return sorted({*super().__dir__(), *served})


for _ds in DATASETS.values():
    setattr(AsyncSession, _ds.name, _make_async(_ds))
    setattr(Session, _ds.name, _make_sync(_ds))
