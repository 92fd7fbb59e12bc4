"""The typed signatures of the dataset functions, for type checkers, IDEs and ``inspect``.

Every dataset function has one of a few call shapes, decided by what its registry endpoint
takes: a season and weeks, a season, a team, an id, or nothing. Each shape is a callable
:class:`~typing.Protocol`, generic in what a call returns: a ``pd.DataFrame`` for ``sf.props``
and ``Session.props``, an awaitable frame for ``AsyncSession.props``. :class:`DatasetMethods`
declares every dataset method with its shape, once for both sessions; ``sportsframe/__init__.py``
declares the module functions. :func:`signature` gives the run-time signature of a dataset from
the same shapes, so ``inspect.signature(sf.props)`` and the argument binding agree with what
mypy sees; the tests check the declarations against the registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import pandas as pd

from sportsframe.registry.datasets import Dataset

__all__ = [
    "AsyncFrame",
    "ByGame",
    "ByPlayer",
    "ByScore",
    "BySeason",
    "BySeasonOnly",
    "ByTeam",
    "ByWeek",
    "ByWeekProps",
    "DatasetMethods",
    "Ids",
    "NoArguments",
    "Seasons",
    "Teams",
    "Weeks",
    "shape",
    "signature",
]

#: A season (2024), or several: ``[2023, 2024]``, ``range(2020, 2025)``.
Seasons: TypeAlias = int | Sequence[int] | range
#: A week (18), or several: ``[17, 18]``, ``range(1, 19)``.
Weeks: TypeAlias = int | Sequence[int] | range
#: A team key ("KC"), or several.
Teams: TypeAlias = str | Sequence[str]
#: A SportsDataIO id (PlayerID, ScoreID, GameID), or several.
Ids: TypeAlias = int | Sequence[int]
#: What an AsyncSession dataset method returns: ``await`` it for the frame.
AsyncFrame: TypeAlias = Coroutine[Any, Any, pd.DataFrame]

R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")

# season_type is a plain str: the registry accepts "REG", "PRE" and "POST" in any case.


class ByWeek(Protocol[R_co]):
    """``f(season, week=None, *, season_type="REG")``: one part per (season, week)."""

    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
    ) -> R_co: ...


class ByWeekProps(Protocol[R_co]):
    """:class:`ByWeek` with ``include_alternate`` (alternate lines are dropped by default)."""

    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        include_alternate: bool = False,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
    ) -> R_co: ...


class BySeason(Protocol[R_co]):
    """``f(season, *, season_type="REG")``: one part per season."""

    def __call__(
        self,
        season: Seasons,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
    ) -> R_co: ...


class BySeasonOnly(Protocol[R_co]):
    """``f(season)``: one part per season, no season type (teams, betting events)."""

    def __call__(
        self, season: Seasons, *, refresh: bool = False, progress: bool | None = None
    ) -> R_co: ...


class ByTeam(Protocol[R_co]):
    """``f(team)``: one part per team key."""

    def __call__(
        self, team: Teams, *, refresh: bool = False, progress: bool | None = None
    ) -> R_co: ...


class ByPlayer(Protocol[R_co]):
    """``f(player_id)``: one part per SportsDataIO PlayerID."""

    def __call__(
        self, player_id: Ids, *, refresh: bool = False, progress: bool | None = None
    ) -> R_co: ...


class ByScore(Protocol[R_co]):
    """``f(score_id)``: one part per SportsDataIO ScoreID (a game)."""

    def __call__(
        self, score_id: Ids, *, refresh: bool = False, progress: bool | None = None
    ) -> R_co: ...


class ByGame(Protocol[R_co]):
    """``f(game_id)``: one part per SportsDataIO GameID (equal to the ScoreID in the NFL)."""

    def __call__(
        self, game_id: Ids, *, refresh: bool = False, progress: bool | None = None
    ) -> R_co: ...


class NoArguments(Protocol[R_co]):
    """``f()``: one part, the dataset as a whole."""

    def __call__(self, *, refresh: bool = False, progress: bool | None = None) -> R_co: ...


class DatasetMethods(Generic[R]):
    """The dataset methods of a session, declared for type checkers (``R``: what a call
    returns). The methods themselves are made from the dataset table, one per row."""

    props: ByWeekProps[R]
    generated_props: ByWeek[R]
    odds: ByWeek[R]
    live_odds: ByWeek[R]
    line_movement: ByScore[R]
    injuries: ByWeek[R]
    scores: ByWeek[R]
    box_scores: ByWeek[R]
    box_score: ByScore[R]
    player_game_stats: ByWeek[R]
    team_game_stats: ByWeek[R]
    teams: BySeasonOnly[R]
    schedules: BySeason[R]
    standings: BySeason[R]
    byes: BySeason[R]
    player_season_stats: BySeason[R]
    team_season_stats: BySeason[R]
    betting_events: BySeasonOnly[R]
    betting_markets: ByScore[R]
    players: ByTeam[R]
    player: ByPlayer[R]
    news: NoArguments[R]
    news_by_team: ByTeam[R]
    news_by_player: ByPlayer[R]
    play_by_play: ByGame[R]
    depth_charts: NoArguments[R]
    stadiums: NoArguments[R]


_BY_ID: Mapping[str, type[Any]] = {
    "team": ByTeam,
    "player_id": ByPlayer,
    "score_id": ByScore,
    "game_id": ByGame,
}


def shape(ds: Dataset) -> type[Any]:
    """The call shape of a dataset, from what its endpoint takes."""
    ep = ds.endpoint
    if ds.kind == "week":
        alternates = any(p.name == "include_alternate" for p in ep.params)
        return ByWeekProps if alternates else ByWeek
    if ds.kind == "season":
        return BySeason if ep.typed_season else BySeasonOnly
    if ds.kind == "none":
        return NoArguments
    return _BY_ID[ep.params[0].name]


def signature(ds: Dataset) -> inspect.Signature:
    """The run-time signature of a dataset function: its shape's, without ``self``, returning a
    ``pd.DataFrame``."""
    return _SIGNATURES[shape(ds)]


def _unbound(protocol: type[Any]) -> inspect.Signature:
    sig = inspect.signature(protocol.__call__, eval_str=True)
    return sig.replace(parameters=list(sig.parameters.values())[1:], return_annotation=pd.DataFrame)


_SHAPES: tuple[type[Any], ...] = (
    ByWeek,
    ByWeekProps,
    BySeason,
    BySeasonOnly,
    *_BY_ID.values(),
    NoArguments,
)
_SIGNATURES = {protocol: _unbound(protocol) for protocol in _SHAPES}
