"""The typed signatures of the dataset functions, for type checkers, IDEs and ``inspect``.

Every dataset function has one of a few call shapes, decided by what its registry endpoint takes: a
season and weeks, a season, a team, an id, or nothing. Each shape is a callable
:class:`~typing.Protocol`, generic in what a call returns: a ``pd.DataFrame`` for ``sf.props`` and
``Session.props``, an awaitable frame for ``AsyncSession.props``; and what it returns with
``backend="polars"`` (a ``polars.DataFrame``, or an awaitable one), told apart by overloads.
:class:`DatasetMethods` declares every dataset method with its shape, once for both sessions;
``sportsframe/__init__.py`` declares the module functions. :func:`signature` gives the run-time
signature of a dataset from the same shapes, so ``inspect.signature(sf.props)`` and the argument
binding agree with what mypy sees; the tests check the declarations against the registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeAlias, TypeVar, overload

import pandas as pd

from sportsframe.facade.provenance import Backend
from sportsframe.registry.datasets import Dataset

if TYPE_CHECKING:
    from polars import DataFrame as PolarsFrame
else:

    class PolarsFrame:
        """``polars.DataFrame`` for type checkers; this stand-in at run time, so that neither
        ``import sportsframe`` nor ``typing.get_type_hints`` needs polars."""


__all__ = [
    "AsyncFrame",
    "AsyncPolarsFrame",
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
    "PolarsFrame",
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
#: What an AsyncSession dataset method returns with ``backend="polars"``.
AsyncPolarsFrame: TypeAlias = Coroutine[Any, Any, PolarsFrame]

#: What a call returns by default (pandas), and with ``backend="polars"``. A call that leaves
#: ``backend`` out is typed by the default; a session configured for polars returns polars
#: frames there too, which type checkers see only when ``backend="polars"`` is written.
R_co = TypeVar("R_co", covariant=True)
RL_co = TypeVar("RL_co", covariant=True)
R = TypeVar("R")
RL = TypeVar("RL")

# season_type is a plain str: the registry accepts "REG", "PRE" and "POST" in any case.


class ByWeek(Protocol[R_co, RL_co]):
    """``f(season, week=None, *, season_type="REG")``: one part per (season, week)."""

    @overload
    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class ByWeekProps(Protocol[R_co, RL_co]):
    """:class:`ByWeek` with ``include_alternate`` (alternate lines are dropped by default)."""

    @overload
    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        include_alternate: bool = False,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        include_alternate: bool = False,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        season: Seasons,
        week: Weeks | None = None,
        *,
        include_alternate: bool = False,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class BySeason(Protocol[R_co, RL_co]):
    """``f(season, *, season_type="REG")``: one part per season."""

    @overload
    def __call__(
        self,
        season: Seasons,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        season: Seasons,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        season: Seasons,
        *,
        season_type: str = "REG",
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class BySeasonOnly(Protocol[R_co, RL_co]):
    """``f(season)``: one part per season, no season type (teams, betting events)."""

    @overload
    def __call__(
        self,
        season: Seasons,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        season: Seasons,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        season: Seasons,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class ByTeam(Protocol[R_co, RL_co]):
    """``f(team)``: one part per team key."""

    @overload
    def __call__(
        self,
        team: Teams,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        team: Teams,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        team: Teams,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class ByPlayer(Protocol[R_co, RL_co]):
    """``f(player_id)``: one part per SportsDataIO PlayerID."""

    @overload
    def __call__(
        self,
        player_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        player_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        player_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class ByScore(Protocol[R_co, RL_co]):
    """``f(score_id)``: one part per SportsDataIO ScoreID (a game)."""

    @overload
    def __call__(
        self,
        score_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        score_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        score_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class ByGame(Protocol[R_co, RL_co]):
    """``f(game_id)``: one part per SportsDataIO GameID (equal to the ScoreID in the NFL)."""

    @overload
    def __call__(
        self,
        game_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        game_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        game_id: Ids,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class NoArguments(Protocol[R_co, RL_co]):
    """``f()``: one part, the dataset as a whole."""

    @overload
    def __call__(
        self,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["pandas"] | None = None,
    ) -> R_co: ...

    @overload
    def __call__(
        self,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Literal["polars"],
    ) -> RL_co: ...

    def __call__(
        self,
        *,
        refresh: bool = False,
        progress: bool | None = None,
        backend: Backend | None = None,
    ) -> R_co | RL_co: ...


class DatasetMethods(Generic[R, RL]):
    """The dataset methods of a session, declared for type checkers (``R``: what a call
    returns, ``RL``: what it returns with ``backend="polars"``). The methods themselves are made
    from the dataset table, one per row."""

    props: ByWeekProps[R, RL]
    generated_props: ByWeek[R, RL]
    odds: ByWeek[R, RL]
    live_odds: ByWeek[R, RL]
    line_movement: ByScore[R, RL]
    injuries: ByWeek[R, RL]
    scores: ByWeek[R, RL]
    box_scores: ByWeek[R, RL]
    box_score: ByScore[R, RL]
    player_game_stats: ByWeek[R, RL]
    team_game_stats: ByWeek[R, RL]
    teams: BySeasonOnly[R, RL]
    schedules: BySeason[R, RL]
    standings: BySeason[R, RL]
    byes: BySeason[R, RL]
    player_season_stats: BySeason[R, RL]
    team_season_stats: BySeason[R, RL]
    betting_events: BySeasonOnly[R, RL]
    betting_markets: ByScore[R, RL]
    players: ByTeam[R, RL]
    player: ByPlayer[R, RL]
    news: NoArguments[R, RL]
    news_by_team: ByTeam[R, RL]
    news_by_player: ByPlayer[R, RL]
    play_by_play: ByGame[R, RL]
    depth_charts: NoArguments[R, RL]
    stadiums: NoArguments[R, RL]


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
