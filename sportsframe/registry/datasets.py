"""The facade's datasets: which endpoint each public function reads and how its arguments expand.

One row per public dataset function (``props``, ``injuries``, ...). ``kind`` says what the function
takes: a season and weeks (``week``), a season (``season``), a team, a player id, a game id, or
nothing. Season and week arguments accept an int, a list or a range and expand into one bound
call per (season, week); every element is validated before any I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sportsframe.errors import InvalidParameterError
from sportsframe.registry.endpoint import BoundCall, Endpoint
from sportsframe.registry.nfl import ENDPOINTS

__all__ = ["DATASETS", "Dataset", "expand", "values_of"]

Kind = Literal["week", "season", "team", "player", "game", "none"]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A public dataset function and the registry endpoint behind it."""

    name: str
    endpoint_name: str
    kind: Kind
    summary: str

    @property
    def endpoint(self) -> Endpoint:
        return ENDPOINTS[self.endpoint_name]


_ROWS = [
    Dataset("props", "player_props", "week", "Sportsbook player props, one row per outcome."),
    Dataset("generated_props", "generated_props", "week", "Legacy generated player props."),
    Dataset("odds", "odds", "week", "Pre-game odds, one row per game and sportsbook."),
    Dataset("live_odds", "live_odds", "week", "In-game odds, one row per game and sportsbook."),
    Dataset("injuries", "injuries", "week", "The injury report, one row per player."),
    Dataset("scores", "scores", "week", "Games of the week, live and final."),
    Dataset("box_scores", "box_scores", "week", "Box scores of the week's final games."),
    Dataset("player_game_stats", "player_game_stats", "week", "Player stat lines per game."),
    Dataset("team_game_stats", "team_game_stats", "week", "Team stat lines per game."),
    Dataset("teams", "teams", "season", "Teams of a season."),
    Dataset("schedules", "schedules", "season", "The season's schedule."),
    Dataset("standings", "standings", "season", "Standings."),
    Dataset("byes", "byes", "season", "Bye weeks."),
    Dataset("player_season_stats", "player_season_stats", "season", "Player season totals."),
    Dataset("team_season_stats", "team_season_stats", "season", "Team season totals."),
    Dataset("betting_events", "betting_events", "season", "Betting events of a season."),
    Dataset("players", "players", "team", "A team's roster."),
    Dataset("news_by_team", "news_by_team", "team", "Latest news of a team."),
    Dataset("player", "player", "player", "One player's details (a one-row frame)."),
    Dataset("news_by_player", "news_by_player", "player", "Latest news of a player."),
    Dataset("play_by_play", "play_by_play", "game", "Every play of a game."),
    Dataset("box_score", "box_score", "game", "One game's box score."),
    Dataset("line_movement", "line_movement", "game", "Odds history of a game."),
    Dataset("betting_markets", "betting_markets", "game", "Every betting market of a game."),
    Dataset("news", "news", "none", "The latest news."),
    Dataset("depth_charts", "depth_charts", "none", "Every team's depth chart."),
    Dataset("stadiums", "stadiums", "none", "Every stadium."),
]

#: Every public dataset by function name.
DATASETS: Mapping[str, Dataset] = {d.name: d for d in _ROWS}


def values_of(name: str, value: Any) -> list[Any]:
    """``value`` as a non-empty list of values: one value, or a list, tuple, range or other
    iterable of them (each is checked when the call is bound). A string is one value, not the
    characters in it."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = list(value)
        if not items:
            raise InvalidParameterError(name, value, "must not be empty")
        return items
    return [value]


def expand(
    dataset: Dataset,
    *,
    seasons: list[Any] | None = None,
    weeks: list[Any] | None = None,
    values: list[Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> list[BoundCall]:
    """Bind one call per (season, week) or per value, validating every one before any I/O."""
    ep = dataset.endpoint
    extra = dict(extra or {})
    calls: list[BoundCall] = []
    if dataset.kind == "week":
        for season in seasons or []:
            for week in weeks or []:
                calls.append(ep.bind(season=season, week=week, **extra))
    elif dataset.kind == "season":
        for season in seasons or []:
            calls.append(ep.bind(season=season, **extra))
    elif dataset.kind == "none":
        calls.append(ep.bind(**extra))
    else:
        param = ep.params[0].name
        for value in values or []:
            calls.append(ep.bind(**{param: value}, **extra))
    # The same call twice (week=[18, 18]) is fetched once.
    unique: dict[str, BoundCall] = {}
    for call in calls:
        unique.setdefault(call.key, call)
    return list(unique.values())
