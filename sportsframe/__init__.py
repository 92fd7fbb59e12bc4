"""sportsframe: SportsDataIO NFL data as pandas DataFrames, behind a three-tier cache.

>>> import sportsframe as sf
>>> props = sf.props(2024, 18)              # doctest: +SKIP
>>> props.attrs["served_from"]              # doctest: +SKIP
'api'

One function per dataset (``props``, ``odds``, ``injuries``, ``scores``, ...), each returning a
typed DataFrame (pandas; polars with ``backend="polars"``, ``sf.configure(backend="polars")`` or
``SPORTSFRAME_BACKEND=polars``, given the ``polars`` extra); ``sf.dictionary("props")`` describes
its columns, ``sf.provenance(df)`` where a frame came from. Control: ``configure``, ``warm``,
``clear_cache``, ``cache_stats``, ``quota``, ``cleanup``; charts in ``sf.plots`` (matplotlib,
imported on first use); Prometheus metrics in ``sf.metrics``; explicit sessions: ``Session`` (sync)
and ``AsyncSession`` (``await sf.AsyncSession().props(2024, 18)``).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import pandas as pd

from sportsframe import metrics

if TYPE_CHECKING:
    from sportsframe import plots  # at run time through __getattr__, on first use
from sportsframe.errors import (
    APIError,
    ConfigurationError,
    InvalidParameterError,
    OfflineCacheMissError,
    QuotaExhaustedError,
    SportsFrameError,
)
from sportsframe.facade.provenance import provenance
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.signatures import (
    ByGame,
    ByPlayer,
    ByScore,
    BySeason,
    BySeasonOnly,
    ByTeam,
    ByWeek,
    ByWeekProps,
    NoArguments,
    PolarsFrame,
)
from sportsframe.facade.sync import Session
from sportsframe.registry.datasets import DATASETS
from sportsframe.report import EfficiencyReport
from sportsframe.settings import Settings

__all__ = [
    "APIError",
    "AsyncSession",
    "ConfigurationError",
    "EfficiencyReport",
    "InvalidParameterError",
    "OfflineCacheMissError",
    "QuotaExhaustedError",
    "Session",
    "Settings",
    "SportsFrameError",
    "betting_events",
    "betting_markets",
    "box_score",
    "box_scores",
    "byes",
    "cache_stats",
    "cleanup",
    "clear_cache",
    "configure",
    "current_season",
    "current_week",
    "datasets",
    "depth_charts",
    "dictionary",
    "efficiency",
    "generated_props",
    "get_session",
    "injuries",
    "line_movement",
    "live_odds",
    "metrics",
    "news",
    "news_by_player",
    "news_by_team",
    "odds",
    "play_by_play",
    "player",
    "player_game_stats",
    "player_season_stats",
    "players",
    "plots",
    "props",
    "provenance",
    "quota",
    "schedules",
    "scores",
    "stadiums",
    "standings",
    "team_game_stats",
    "team_season_stats",
    "teams",
    "warm",
    "warm_current",
    "warm_upcoming",
]

__version__ = "0.1.0"

_P = ParamSpec("_P")
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])

_lock = threading.Lock()
_default: Session | None = None


def get_session() -> Session:
    """The default session behind the module functions (created from the environment)."""
    global _default
    with _lock:
        if _default is None:
            _default = Session()
        return _default


def configure(**settings: Any) -> Session:
    """Replace the default session with one built from the environment plus ``settings``.

    ``sf.configure(offline=True)``, ``sf.configure(source="emulator")``,
    ``sf.configure(api_key="...")``. Names are the Python names of the README's table.
    """
    global _default
    new = Session(**settings)
    with _lock:
        old, _default = _default, new
    if old is not None:
        old.close()
    return new


def datasets() -> list[str]:
    """The names of every dataset function."""
    return sorted(DATASETS)


def dictionary(dataset: str) -> pd.DataFrame:
    """The data dictionary of a dataset: column, dtype, source field and a one-line description."""
    from sportsframe import frames

    if dataset not in DATASETS:
        raise InvalidParameterError("dataset", dataset, f"unknown; known: {', '.join(datasets())}")
    return frames.dictionary(DATASETS[dataset].endpoint_name)


def _signed(function: _F, method: Callable[..., Any]) -> _F:
    """``function`` named, documented and signed as ``method`` without its ``self``."""
    signature = inspect.signature(method)
    function.__name__ = function.__qualname__ = method.__name__
    function.__doc__ = method.__doc__
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:]
    )
    function.__module__ = __name__
    return function


def _export(name: str) -> Callable[..., Any]:
    """The module function of the session method ``name``, untyped: declare its type where it
    is assigned (the dataset functions), or use :func:`_forward`."""

    def function(*args: Any, **kwargs: Any) -> Any:
        # Session resolves the call: datasets try L0 in this thread, the rest run on the loop.
        return getattr(get_session(), name)(*args, **kwargs)

    return _signed(function, getattr(AsyncSession, name))


def _forward(method: Callable[Concatenate[Session, _P], _T]) -> Callable[_P, _T]:
    """The module function of a Session method, typed like it, called on the default session."""

    def function(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return method(get_session(), *args, **kwargs)

    return _signed(function, method)


props: ByWeekProps[pd.DataFrame, PolarsFrame] = _export("props")
generated_props: ByWeek[pd.DataFrame, PolarsFrame] = _export("generated_props")
odds: ByWeek[pd.DataFrame, PolarsFrame] = _export("odds")
live_odds: ByWeek[pd.DataFrame, PolarsFrame] = _export("live_odds")
line_movement: ByScore[pd.DataFrame, PolarsFrame] = _export("line_movement")
injuries: ByWeek[pd.DataFrame, PolarsFrame] = _export("injuries")
scores: ByWeek[pd.DataFrame, PolarsFrame] = _export("scores")
box_scores: ByWeek[pd.DataFrame, PolarsFrame] = _export("box_scores")
box_score: ByScore[pd.DataFrame, PolarsFrame] = _export("box_score")
player_game_stats: ByWeek[pd.DataFrame, PolarsFrame] = _export("player_game_stats")
team_game_stats: ByWeek[pd.DataFrame, PolarsFrame] = _export("team_game_stats")
teams: BySeasonOnly[pd.DataFrame, PolarsFrame] = _export("teams")
schedules: BySeason[pd.DataFrame, PolarsFrame] = _export("schedules")
standings: BySeason[pd.DataFrame, PolarsFrame] = _export("standings")
byes: BySeason[pd.DataFrame, PolarsFrame] = _export("byes")
player_season_stats: BySeason[pd.DataFrame, PolarsFrame] = _export("player_season_stats")
team_season_stats: BySeason[pd.DataFrame, PolarsFrame] = _export("team_season_stats")
betting_events: BySeasonOnly[pd.DataFrame, PolarsFrame] = _export("betting_events")
betting_markets: ByScore[pd.DataFrame, PolarsFrame] = _export("betting_markets")
players: ByTeam[pd.DataFrame, PolarsFrame] = _export("players")
player: ByPlayer[pd.DataFrame, PolarsFrame] = _export("player")
news: NoArguments[pd.DataFrame, PolarsFrame] = _export("news")
news_by_team: ByTeam[pd.DataFrame, PolarsFrame] = _export("news_by_team")
news_by_player: ByPlayer[pd.DataFrame, PolarsFrame] = _export("news_by_player")
play_by_play: ByGame[pd.DataFrame, PolarsFrame] = _export("play_by_play")
depth_charts: NoArguments[pd.DataFrame, PolarsFrame] = _export("depth_charts")
stadiums: NoArguments[pd.DataFrame, PolarsFrame] = _export("stadiums")
current_season = _forward(Session.current_season)
current_week = _forward(Session.current_week)
warm = _forward(Session.warm)
warm_current = _forward(Session.warm_current)
warm_upcoming = _forward(Session.warm_upcoming)
clear_cache = _forward(Session.clear_cache)
cache_stats = _forward(Session.cache_stats)
cleanup = _forward(Session.cleanup)
quota = _forward(Session.quota)
efficiency = _forward(Session.efficiency)


def __getattr__(name: str) -> Any:
    # ``sf.plots`` imports matplotlib on first use, not with ``import sportsframe``: every
    # batch script and kernel start would otherwise pay for it.
    if name == "plots":
        import importlib

        return importlib.import_module("sportsframe.plots")
    raise AttributeError(f"module 'sportsframe' has no attribute {name!r}")
