"""sportsframe: SportsDataIO NFL data as pandas DataFrames, behind a three-tier cache.

>>> import sportsframe as sf
>>> props = sf.props(2024, 18)              # doctest: +SKIP
>>> props.attrs["served_from"]              # doctest: +SKIP
'api'

One function per dataset (``props``, ``odds``, ``injuries``, ``scores``, ...; ``sf.datasets()``
lists them), whose keyword filters (``team="KC"``, ``final=True`` ...) choose the narrowest
SportsDataIO operation that answers the call, each returning a typed DataFrame (pandas; polars
with ``backend="polars"``, ``sf.configure(backend="polars")`` or ``SPORTSFRAME_BACKEND=polars``,
given the ``polars`` extra); ``sf.dictionary("props")`` describes its columns,
``sf.provenance(df)`` where a frame came from. The timeframe scalars are functions
(``current_season``, ``current_week``, ``games_in_progress``, ``upcoming_week`` ...). Control:
``configure``, ``warm``, ``clear_cache``, ``cache_stats``, ``quota``, ``cleanup``; charts in
``sf.plots`` (matplotlib, imported on first use); Prometheus metrics in ``sf.metrics``; explicit
sessions: ``Session`` (sync) and ``AsyncSession`` (``await sf.AsyncSession().props(2024, 18)``).
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
from sportsframe.facade import shapes as _shapes  # the call shapes (generated)
from sportsframe.facade.provenance import provenance
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.signatures import PolarsFrame
from sportsframe.facade.sync import Session
from sportsframe.registry.datasets import DATASETS
from sportsframe.report import EfficiencyReport
from sportsframe.settings import Settings

# <generated: __all__>
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
    "active_teams",
    "all_players",
    "all_teams",
    "alternate_line_movement",
    "alternate_odds",
    "betting_events",
    "betting_events_by_date",
    "betting_futures",
    "betting_market",
    "betting_market_results",
    "betting_markets",
    "betting_markets_by_event",
    "betting_markets_by_market_type",
    "betting_metadata",
    "betting_splits_by_game",
    "betting_splits_by_market",
    "box_score",
    "box_score_by_team",
    "box_scores",
    "box_scores_delta",
    "byes",
    "cache_stats",
    "cleanup",
    "clear_cache",
    "configure",
    "current_season",
    "current_week",
    "datasets",
    "depth_charts",
    "depth_charts_by_week",
    "dfs_slate_ownership",
    "dfs_slates",
    "dfs_slates_by_date",
    "dictionary",
    "efficiency",
    "fantasy_defense_game_projections",
    "fantasy_defense_game_stats",
    "fantasy_defense_season_projections",
    "fantasy_defense_season_stats",
    "fantasy_game_stats",
    "free_agents",
    "game_props",
    "game_props_by_group",
    "games_in_progress",
    "generated_props",
    "get_session",
    "injured_players",
    "injuries",
    "last_completed_season",
    "last_completed_week",
    "line_movement",
    "line_movement_results",
    "live_line_movement",
    "live_line_movement_results",
    "live_odds",
    "matchup_trends",
    "metrics",
    "news",
    "news_by_player",
    "news_by_team",
    "odds",
    "play_by_play",
    "play_by_play_by_team",
    "play_by_play_delta",
    "player",
    "player_game_logs",
    "player_game_projections",
    "player_game_red_zone_stats",
    "player_game_stats",
    "player_game_stats_delta",
    "player_ownership",
    "player_profiles",
    "player_season_projections",
    "player_season_red_zone_stats",
    "player_season_stats",
    "player_season_third_down_stats",
    "players",
    "plots",
    "pro_bowlers",
    "props",
    "provenance",
    "quota",
    "referees",
    "rookies",
    "schedules",
    "schedules_basic",
    "scores",
    "scores_basic",
    "scores_by_date",
    "season_scores",
    "simulated_box_scores",
    "simulated_play_by_play",
    "simulated_scores",
    "sportsbooks",
    "stadiums",
    "standings",
    "team_game_logs",
    "team_game_stats",
    "team_season_stats",
    "team_trends",
    "teams",
    "teams_basic",
    "timeframes",
    "transactions",
    "upcoming_dfs_slate_ownership",
    "upcoming_season",
    "upcoming_week",
    "warm",
    "warm_current",
    "warm_upcoming",
]
# </generated: __all__>

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


# <generated: dataset functions>
props: _shapes.ByWeekWithIncludeAlternateSeasonType[pd.DataFrame, PolarsFrame] = _export("props")
game_props: _shapes.BySeasonWeekScoreIdWithIncludeAlternateSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("game_props")
)
game_props_by_group: _shapes.ByScoreIdSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "game_props_by_group"
)
generated_props: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "generated_props"
)
odds: _shapes.ByWeekWithSportsbookGroupSeasonType[pd.DataFrame, PolarsFrame] = _export("odds")
live_odds: _shapes.ByWeekWithSportsbookGroupSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "live_odds"
)
alternate_odds: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export("alternate_odds")
line_movement: _shapes.ByScoreIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "line_movement"
)
live_line_movement: _shapes.ByScoreIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "live_line_movement"
)
alternate_line_movement: _shapes.ByScoreId[pd.DataFrame, PolarsFrame] = _export(
    "alternate_line_movement"
)
line_movement_results: _shapes.ByScoreIdSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "line_movement_results"
)
live_line_movement_results: _shapes.ByScoreIdSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "live_line_movement_results"
)
betting_events: _shapes.BySeason[pd.DataFrame, PolarsFrame] = _export("betting_events")
betting_events_by_date: _shapes.ByDate[pd.DataFrame, PolarsFrame] = _export(
    "betting_events_by_date"
)
betting_futures: _shapes.BySeasonWithSportsbookGroupSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "betting_futures"
)
betting_markets: _shapes.ByScoreIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "betting_markets"
)
betting_markets_by_event: _shapes.ByEventIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "betting_markets_by_event"
)
betting_markets_by_market_type: _shapes.ByEventIdMarketTypeIdWithSportsbookGroup[
    pd.DataFrame, PolarsFrame
] = _export("betting_markets_by_market_type")
betting_market: _shapes.ByMarketIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "betting_market"
)
betting_market_results: _shapes.ByMarketIdWithSportsbookGroup[pd.DataFrame, PolarsFrame] = _export(
    "betting_market_results"
)
betting_splits_by_game: _shapes.ByScoreId[pd.DataFrame, PolarsFrame] = _export(
    "betting_splits_by_game"
)
betting_splits_by_market: _shapes.ByMarketId[pd.DataFrame, PolarsFrame] = _export(
    "betting_splits_by_market"
)
betting_metadata: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("betting_metadata")
sportsbooks: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("sportsbooks")
team_trends: _shapes.ByTeam[pd.DataFrame, PolarsFrame] = _export("team_trends")
matchup_trends: _shapes.ByTeamOpponent[pd.DataFrame, PolarsFrame] = _export("matchup_trends")
scores: _shapes.ByWeekWithFinalSeasonType[pd.DataFrame, PolarsFrame] = _export("scores")
season_scores: _shapes.BySeasonWithFinalSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "season_scores"
)
scores_by_date: _shapes.ByDateWithFinal[pd.DataFrame, PolarsFrame] = _export("scores_by_date")
scores_basic: _shapes.ByWeekWithFinalSeasonType[pd.DataFrame, PolarsFrame] = _export("scores_basic")
schedules: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export("schedules")
schedules_basic: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "schedules_basic"
)
standings: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export("standings")
byes: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export("byes")
timeframes: _shapes.ByNothingWithTimeframe[pd.DataFrame, PolarsFrame] = _export("timeframes")
simulated_scores: _shapes.ByPlays[pd.DataFrame, PolarsFrame] = _export("simulated_scores")
box_scores: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export("box_scores")
box_score: _shapes.ByScoreIdWithFinal[pd.DataFrame, PolarsFrame] = _export("box_score")
box_score_by_team: _shapes.BySeasonWeekTeamWithFinalSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "box_score_by_team"
)
box_scores_delta: _shapes.BySeasonWeekMinutesWithPlayersSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("box_scores_delta")
)
simulated_box_scores: _shapes.ByPlays[pd.DataFrame, PolarsFrame] = _export("simulated_box_scores")
player_game_stats: _shapes.ByWeekWithTeamFinalSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_game_stats"
)
player_game_stats_delta: _shapes.ByMinutesWithSeasonWeekSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("player_game_stats_delta")
)
player_game_logs: _shapes.BySeasonPlayerIdWithGamesSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_game_logs"
)
team_game_stats: _shapes.ByWeekWithFinalSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "team_game_stats"
)
team_game_logs: _shapes.BySeasonTeamIdWithGamesSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "team_game_logs"
)
player_season_stats: _shapes.BySeasonWithTeamSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_season_stats"
)
team_season_stats: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "team_season_stats"
)
fantasy_defense_game_stats: _shapes.ByWeekWithTeamSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "fantasy_defense_game_stats"
)
fantasy_defense_season_stats: _shapes.BySeasonWithTeamSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("fantasy_defense_season_stats")
)
fantasy_game_stats: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "fantasy_game_stats"
)
player_game_red_zone_stats: _shapes.ByWeekWithInsideSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_game_red_zone_stats"
)
player_season_red_zone_stats: _shapes.BySeasonWithInsideSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("player_season_red_zone_stats")
)
player_season_third_down_stats: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_season_third_down_stats"
)
player_ownership: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_ownership"
)
pro_bowlers: _shapes.BySeason[pd.DataFrame, PolarsFrame] = _export("pro_bowlers")
play_by_play: _shapes.ByGameIdWithFinal[pd.DataFrame, PolarsFrame] = _export("play_by_play")
play_by_play_by_team: _shapes.BySeasonWeekTeamWithFinalSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("play_by_play_by_team")
)
play_by_play_delta: _shapes.BySeasonWeekMinutesWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "play_by_play_delta"
)
simulated_play_by_play: _shapes.ByPlays[pd.DataFrame, PolarsFrame] = _export(
    "simulated_play_by_play"
)
player_game_projections: _shapes.ByWeekWithTeamIdpSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_game_projections"
)
player_season_projections: _shapes.BySeasonWithTeamSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "player_season_projections"
)
fantasy_defense_game_projections: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "fantasy_defense_game_projections"
)
fantasy_defense_season_projections: _shapes.BySeasonWithSeasonType[pd.DataFrame, PolarsFrame] = (
    _export("fantasy_defense_season_projections")
)
dfs_slates: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export("dfs_slates")
dfs_slates_by_date: _shapes.ByDate[pd.DataFrame, PolarsFrame] = _export("dfs_slates_by_date")
dfs_slate_ownership: _shapes.BySlateId[pd.DataFrame, PolarsFrame] = _export("dfs_slate_ownership")
upcoming_dfs_slate_ownership: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export(
    "upcoming_dfs_slate_ownership"
)
teams: _shapes.BySeason[pd.DataFrame, PolarsFrame] = _export("teams")
active_teams: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("active_teams")
all_teams: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("all_teams")
teams_basic: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("teams_basic")
players: _shapes.ByTeam[pd.DataFrame, PolarsFrame] = _export("players")
player: _shapes.ByPlayerId[pd.DataFrame, PolarsFrame] = _export("player")
all_players: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("all_players")
free_agents: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("free_agents")
rookies: _shapes.BySeason[pd.DataFrame, PolarsFrame] = _export("rookies")
injuries: _shapes.ByWeekWithTeamSeasonType[pd.DataFrame, PolarsFrame] = _export("injuries")
injured_players: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("injured_players")
player_profiles: _shapes.ByNothingWithTeamFreeAgentsRookieYear[pd.DataFrame, PolarsFrame] = _export(
    "player_profiles"
)
referees: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("referees")
stadiums: _shapes.ByNothing[pd.DataFrame, PolarsFrame] = _export("stadiums")
news: _shapes.ByNothingWithDate[pd.DataFrame, PolarsFrame] = _export("news")
news_by_team: _shapes.ByTeam[pd.DataFrame, PolarsFrame] = _export("news_by_team")
news_by_player: _shapes.ByPlayerId[pd.DataFrame, PolarsFrame] = _export("news_by_player")
transactions: _shapes.ByDate[pd.DataFrame, PolarsFrame] = _export("transactions")
depth_charts: _shapes.ByNothingWithIncludeInactive[pd.DataFrame, PolarsFrame] = _export(
    "depth_charts"
)
depth_charts_by_week: _shapes.ByWeekWithSeasonType[pd.DataFrame, PolarsFrame] = _export(
    "depth_charts_by_week"
)
# </generated: dataset functions>
current_season = _forward(Session.current_season)
current_week = _forward(Session.current_week)
games_in_progress = _forward(Session.games_in_progress)
last_completed_season = _forward(Session.last_completed_season)
last_completed_week = _forward(Session.last_completed_week)
upcoming_season = _forward(Session.upcoming_season)
upcoming_week = _forward(Session.upcoming_week)
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
