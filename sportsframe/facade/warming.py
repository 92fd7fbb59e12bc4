"""Warming: fetch ahead of need, so that the calls of a modelling session are cache hits.

``sf.warm(2024, range(1, 19))`` pre-caches a range of weeks (resumable: fresh entries are
skipped by the cache), ``sf.warm_current()`` the current week and ``sf.warm_upcoming()`` the games
kicking off within the next hours. They are methods of both sessions through :class:`Warming`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from sportsframe.errors import InvalidParameterError
from sportsframe.registry.datasets import DATASETS, Dataset, expand

if TYPE_CHECKING:
    from sportsframe.clock import Clock
    from sportsframe.facade.calltypes import Seasons, Weeks
    from sportsframe.facade.provenance import Backend, Frame
    from sportsframe.registry import BoundCall
    from sportsframe.settings import Settings

__all__ = ["WARM_DATASETS", "Warming"]

#: What ``warm`` fetches unless told otherwise: what a props model reads every week.
WARM_DATASETS = ("props", "odds", "injuries", "player_game_stats")


class Warming:
    """The warming methods of :class:`~sportsframe.facade.session.AsyncSession` (a mixin: the
    primitives below are the session's)."""

    clock: Clock
    settings: Settings

    if TYPE_CHECKING:

        async def current_season(self) -> int: ...

        async def current_week(self) -> int | None: ...

        async def _calls(
            self, ds: Dataset, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> list[BoundCall]: ...

        async def frame(
            self,
            dataset: str,
            calls: Sequence[BoundCall],
            *,
            progress: bool | None = None,
            backend: Backend = "pandas",
        ) -> Frame: ...

    async def warm(
        self,
        season: Seasons,
        weeks: Weeks | None = None,
        *,
        datasets: Sequence[str] = WARM_DATASETS,
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
            if DATASETS[name].kind not in ("week", "season"):
                raise InvalidParameterError(
                    "datasets", name, "takes more than a season and weeks: call it to cache it"
                )
        for name in datasets:
            ds = DATASETS[name]
            typed = any(p.name == "season_type" for p in ds.options)
            kwargs: dict[str, Any] = {"season_type": season_type} if typed else {}
            args: tuple[Any, ...] = (season,) if ds.kind == "season" else (season, weeks)
            calls = await self._calls(ds, args, kwargs)
            # In the session's backend: its L0 then holds the frames its calls will ask for.
            await self.frame(name, calls, progress=progress, backend=self.settings.backend)
            counts[name] = len(calls)
        return counts

    async def warm_current(self, *, progress: bool | None = None) -> dict[str, int]:
        """Teams, the schedule and the current week's props, odds and injuries."""
        season = await self.current_season()
        week = await self.current_week()
        counts = {
            "teams": len(
                await self.frame("teams", expand(DATASETS["teams"], {"season": [season]}))
            ),
            "schedules": len(
                await self.frame("schedules", expand(DATASETS["schedules"], {"season": [season]}))
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
        schedule = await self.frame(
            "schedules", expand(DATASETS["schedules"], {"season": [season]})
        )
        assert isinstance(schedule, pd.DataFrame)  # the default backend
        now: datetime = self.clock.now()
        horizon = now + pd.Timedelta(hours=hours)
        kick = schedule["date_time_utc"] if "date_time_utc" in schedule else schedule["date_time"]
        soon = schedule[(kick >= now) & (kick <= horizon)]
        weeks = sorted({int(w) for w in soon["week"].dropna()})
        if not weeks:
            return 0
        await self.warm(season, weeks, datasets=("props", "injuries"), progress=progress)
        return len(soon)
