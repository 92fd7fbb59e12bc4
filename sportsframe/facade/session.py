"""``AsyncSession``: the facade's one implementation, on the event loop.

A session owns the cached client (tiers, API client, limiter, quota) and the L0 frame cache. Every
dataset call validates its arguments first (before any I/O; :mod:`~sportsframe.facade.plan`), then
for each part (one season and week, one team, ...) reads L0, then the shared tiers through the
cached client, builds the typed frame from the entry's Arrow table (or takes the finished frame
stored beside it), and concatenates the parts (:mod:`~sportsframe.facade.assemble`). ``df.attrs``
records where each frame came from (beside a polars frame: ``sf.provenance``).
:class:`~sportsframe.facade.sync.Session` runs it for sync callers, reading L0 and the tiers in the
caller's thread first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from sportsframe import frames
from sportsframe.api.quota import QuotaStatus
from sportsframe.cached_client import CachedSportsDataIOClient, CacheStatsView
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import ConfigurationError, InvalidParameterError
from sportsframe.facade.assemble import (
    concat,
    finish_part,
    from_table,
    joined,
    keep_joined,
    stored_frame,
)
from sportsframe.facade.docstrings import describe_method
from sportsframe.facade.l0 import FrameCache, L0Coherence
from sportsframe.facade.opening import Opening
from sportsframe.facade.plan import backend_of, bind, plan, week_range
from sportsframe.facade.provenance import Backend, Frame, attrs_of
from sportsframe.facade.shapes import DatasetMethods
from sportsframe.facade.signatures import AsyncFrame, AsyncPolarsFrame, signature
from sportsframe.facade.warming import Warming
from sportsframe.registry import ENDPOINTS, BoundCall, validate_argument
from sportsframe.registry.datasets import DATASETS, Dataset, expand
from sportsframe.registry.sources import source_key
from sportsframe.report import EfficiencyReport
from sportsframe.settings import DEFAULT_BASE_URL, Settings

if TYPE_CHECKING:
    from sportsframe.emulator import EmulatorServer

__all__ = ["EMULATOR_KEY", "AsyncSession"]

log = logging.getLogger("sportsframe")

#: The key the facade sends to an emulator it started itself (the emulator accepts any key).
EMULATOR_KEY = "emulator-demo-key"


def _derive(settings: Settings, **changes: Any) -> Settings:
    """A copy of frozen settings with some fields changed (values already validated)."""
    return settings.model_copy(update=changes)


class AsyncSession(Opening, Warming, DatasetMethods[AsyncFrame, AsyncPolarsFrame]):
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
        if self.settings.backend == "polars":
            frames.check_polars()  # said now, not on the first call
        self.l0 = FrameCache(self.settings.l0_max_bytes, clock=clock)
        self._client: CachedSportsDataIOClient | None = None
        self._emulator: EmulatorServer | None = None
        self._coherence: L0Coherence | None = None
        self._open_lock: asyncio.Lock | None = None
        self._preparing: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"AsyncSession(source={self.settings.source!r}, offline={self.settings.offline})"

    # -- set-up ------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """``sportsdataio`` or ``emulator``."""
        return self.settings.source

    @property
    def opened(self) -> CachedSportsDataIOClient | None:
        """The cached client once a call has opened it, else None (no I/O)."""
        return self._client

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
        if self._preparing is not None:
            self._preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._preparing
            self._preparing = None
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
        backend: Backend = "pandas",
    ) -> Frame:
        """The concatenated frame of ``calls`` (parts from L0, the tiers or the API) in
        ``backend``."""
        name = DATASETS[dataset].endpoint_name
        self._check_credentials()
        keys = [self.key(call) for call in calls]
        if not refresh:
            started = perf_counter()
            whole = joined(self.l0, keys, backend)
            if whole is not None:
                self.count_l0(len(keys), perf_counter() - started)
                return whole
        generation = self.l0.generation
        parts: list[Frame | None] = [None] * len(calls)
        todo: list[int] = []
        for i, key in enumerate(keys):
            if refresh:
                await self._publish_invalidation(key)
            else:
                started = perf_counter()
                cached = self.l0.get(key, backend)
                if cached is not None:
                    attrs_of(cached)["served_from"] = "l0"
                    parts[i] = cached
                    self.count_l0(1, perf_counter() - started)
                    continue
            todo.append(i)
        client = await self.client() if todo else None
        if len(todo) == 1 and client is not None and not progress:
            # One part (the common call): no task, no progress bar.
            parts[todo[0]] = await self._fetch_part(client, name, calls[todo[0]], refresh, backend)
        elif todo and client is not None:
            bar = _progress_bar(len(todo), dataset, progress)
            try:

                async def one(i: int) -> None:
                    parts[i] = await self._fetch_part(client, name, calls[i], refresh, backend)
                    if bar is not None:
                        bar.update(1)

                await asyncio.gather(*(one(i) for i in todo))
            finally:
                if bar is not None:
                    bar.close()
        out = concat([p for p in parts if p is not None], name, backend)
        keep_joined(self.l0, keys, out, generation)
        return out

    def count_l0(self, hits: int, seconds: float) -> None:
        """Count ``hits`` L0 answers taking ``seconds`` together (API calls avoided; they show
        in ``cache_stats()["l0_cache"]``). Runs on the loop or before any client exists."""
        if self._client is not None and hits:
            self._client.record_l0_hits(hits, seconds)

    def key(self, call: BoundCall) -> str:
        """The key of ``call`` as this session's source stores it (L0 keys are the same)."""
        return source_key(self.source, call.key)

    async def _fetch_part(
        self,
        client: CachedSportsDataIOClient,
        name: str,
        call: BoundCall,
        refresh: bool,
        backend: Backend,
    ) -> Frame:
        companion = frames.companion_name(name)
        generation = self.l0.generation
        result = await client.fetch_entry(call, refresh=refresh, companion=companion)
        frame = stored_frame(result.entry, backend)
        if frame is not None:
            nbytes = len(result.entry.companion or b"")  # the Arrow stream it was read from
        else:
            if not await client.load_payload(result):
                # Replaced in the warm tier since it was read: read it again, whole.
                result = await client.fetch_entry(call, refresh=refresh)
            table = frames.build_table(name, result.entry.table, call.values)
            frame = from_table(table, backend)
            nbytes = table.nbytes
            # An empty frame is cheap to build, and an IPC stream without batches would not
            # carry the declared category sets.
            if table.num_rows and client.keeps_companions:
                # Encoded when stored: for a fetched entry, after the frame is returned.
                await client.attach(result, companion, partial(frames.table_to_ipc, table))
        return finish_part(
            self.l0,
            frame,
            result,
            endpoint_name=name,
            call=call,
            generation=generation,
            nbytes=nbytes,
        )

    async def _publish_invalidation(self, pattern: str) -> None:
        if self._coherence is not None:
            await self._coherence.publish(pattern)
        else:
            self.l0.invalidate(pattern)

    # -- argument handling ----------------------------------------------------------------------
    async def _weeks(self, season: int, season_type: str) -> list[int]:
        """Every week with data so far: all weeks of a past season, up to the current week now."""
        current = await self.current_season()
        week = await self.current_week() if season == current else None
        return week_range(season, season_type, current, week)

    async def dataset(self, dataset: str, values: dict[str, Any]) -> Frame:
        """The frame of the dataset method ``dataset`` called with ``values`` (by name)."""
        ds = DATASETS[dataset]
        values = dict(values)
        refresh = bool(values.pop("refresh", False))
        progress = values.pop("progress", None)
        backend = backend_of(values.pop("backend", None), self.settings.backend)
        calls = await self._calls(ds, (), values)
        return await self.frame(dataset, calls, refresh=refresh, progress=progress, backend=backend)

    async def _calls(
        self, ds: Dataset, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[BoundCall]:
        planned, lists, options = plan(ds, args, kwargs)
        if planned is not None:
            return planned
        calls: list[BoundCall] = []
        season_type = options.get("season_type", "REG")
        for season in lists["season"]:
            weeks = await self._weeks(season, season_type)
            calls += expand(ds, {**lists, "season": [season], "week": weeks}, options)
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

    async def games_in_progress(self) -> bool:
        """True while any game is in progress."""
        return bool(await self._scalar("games_in_progress"))

    async def last_completed_season(self) -> int:
        """The year of the last season whose games are all over."""
        return await self._int("last_completed_season")

    async def last_completed_week(self) -> int | None:
        """The last week whose games are all over, or None when the service has none."""
        value = await self._scalar("last_completed_week")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    async def upcoming_season(self) -> int:
        """The year of the next season to start (the current one while it is under way)."""
        return await self._int("upcoming_season")

    async def upcoming_week(self) -> int | None:
        """The next week to be played, or None off-season (as ``current_week``)."""
        value = await self._scalar("upcoming_week")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    async def _int(self, name: str) -> int:
        value = await self._scalar(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigurationError(f"the service returned no {name.replace('_', ' ')}")
        return value

    async def _scalar(self, name: str) -> Any:
        self._check_credentials()
        client = await self.client()
        result = await client.fetch_entry(ENDPOINTS[name].bind())
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
        week=18)`` one week of one dataset (of every operation behind it, whatever the filters);
        ``clear_cache(season=2024, week=18)`` that week of every dataset.
        """
        given = dict(season=season, week=week, team=team, player_id=player_id)
        if dataset is not None and dataset not in DATASETS:
            known = ", ".join(sorted(DATASETS))
            raise InvalidParameterError("dataset", dataset, f"unknown dataset; known: {known}")
        fixed = {name: validate_argument(name, v) for name, v in given.items() if v is not None}
        names = None if dataset is None else list(DATASETS[dataset].endpoint_names)
        client = await self.client()
        removed, patterns = await client.invalidate_endpoints(
            names, season_type=season_type, **fixed
        )
        for pattern in patterns:
            await self._publish_invalidation(pattern)
        return removed

    async def cache_stats(self) -> CacheStatsView:
        """Hit/miss statistics per tier: the cache spec's shape (``hot_cache``, ``warm_cache``,
        ``overall``) plus ``l0_cache`` and ``api``, each with a latency summary (count, p50, p95,
        max in ms), and ``timeline`` (calls per minute). A dict that shows as a table in Jupyter;
        ``.to_frame()`` gives one row per tier.
        """
        client = await self.client()
        stats = client.get_cache_stats()
        stats.setdefault("l0_cache", {}).update(entries=len(self.l0), bytes=self.l0.nbytes)
        return stats

    async def quota(self) -> QuotaStatus:
        """This month's API requests: ``used``, ``limit``, ``remaining`` and ``resets_at`` (the
        start of next month, UTC), counted by the persisted quota shared by every process."""
        client = await self.client()
        return await client.quota_status()

    async def describe_tiers(self) -> tuple[str, str]:
        """One line each naming the hot and the warm tier (no secrets)."""
        client = await self.client()
        return client.describe_tiers()

    async def drop_hot(self, key: str) -> bool:
        """Remove one entry from the hot tier only (the next read comes from the warm tier)."""
        client = await self.client()
        return await client.drop_hot(key)

    async def settle(self) -> None:
        """Wait until the work done behind the answers is finished: the writes of what was
        fetched from the API and every warm hit's copy to the hot tier (both done after the
        frame is returned; a timing or a test of the tiers may want them done), and a new
        session's frame warm-up."""
        if self._client is not None:
            await self._client.settle()
        await self.frames_warmed()

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
        rows = await client.efficiency_report(now)
        return EfficiencyReport.from_rows(
            rows, generated_at=now, monthly_quota=self.settings.monthly_quota
        )

    async def cleanup(self) -> int:
        """Delete warm-tier rows expired for longer than the grace window; returns the count."""
        client = await self.client()
        return await client.cleanup_expired()


def _fields(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in type(settings).model_fields}


def _progress_bar(total: int, dataset: str, progress: bool | None) -> Any:
    if progress is False or (progress is None and total <= 1):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"sportsframe {dataset}", unit="part", file=sys.stderr)


# -- dataset methods, made from the dataset table ----------------------------------------------
# Their signatures and docstrings come from the dataset table and the frame schemas; type
# checkers read them from DatasetMethods, the declaration both session classes inherit.
def _dataset_method(ds: Dataset) -> Callable[..., Coroutine[Any, Any, Frame]]:
    sig = signature(ds)

    async def method(self: AsyncSession, *args: Any, **kwargs: Any) -> Frame:
        return await self.dataset(ds.name, bind(sig, args, kwargs))

    describe_method(method, "AsyncSession", ds)
    return method


for _ds in DATASETS.values():
    setattr(AsyncSession, _ds.name, _dataset_method(_ds))
