"""The docstring of every dataset function, made from the dataset table and the frame schemas.

Each one has the dataset's summary, its arguments (from its signature), a Returns section that
names the join keys and the key columns of the frame, and an example. The join keys
(:data:`DATASET_JOIN_KEYS`) and the key columns (:data:`KEY_COLUMNS`) are tables rather than read
from the frame schemas, because the docstrings are made at import and building every schema would
add about 25 ms to each new process; the tests check both tables against the schemas, and run the
examples against the emulator.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from sportsframe.facade.signatures import signature
from sportsframe.registry.datasets import Dataset

__all__ = [
    "DATASET_JOIN_KEYS",
    "JOIN_KEYS",
    "KEY_COLUMNS",
    "describe_method",
    "docstring",
    "join_keys",
]

#: The columns that join one dataset to another; the frame schemas put them first.
JOIN_KEYS = (
    "season",
    "season_type",
    "week",
    "score_id",
    "game_id",
    "player_id",
    "team",
    "opponent",
)

#: Each dataset's join keys, in frame order (the frame schemas put them first).
DATASET_JOIN_KEYS: Mapping[str, tuple[str, ...]] = {
    "props": ("season", "season_type", "week", "player_id"),
    "generated_props": (
        "season", "season_type", "week", "score_id", "player_id", "team", "opponent",
    ),
    "odds": ("season", "season_type", "week", "score_id", "game_id"),
    "live_odds": ("season", "season_type", "week", "score_id", "game_id"),
    "line_movement": ("season", "season_type", "week", "score_id", "game_id"),
    "injuries": ("season", "season_type", "week", "player_id", "team", "opponent"),
    "scores": ("season", "season_type", "week", "score_id"),
    "box_scores": ("season", "season_type", "week", "score_id", "player_id", "team", "opponent"),
    "box_score": ("season", "season_type", "week", "score_id", "player_id", "team", "opponent"),
    "player_game_stats": (
        "season", "season_type", "week", "score_id", "player_id", "team", "opponent",
    ),
    "team_game_stats": ("season", "season_type", "week", "score_id", "team", "opponent"),
    "teams": ("player_id",),
    "schedules": ("season", "season_type", "week", "score_id"),
    "standings": ("season", "season_type", "team"),
    "byes": ("season", "week", "team"),
    "player_season_stats": ("season", "season_type", "player_id", "team"),
    "team_season_stats": ("season", "season_type", "team"),
    "betting_events": ("season", "score_id"),
    "betting_markets": ("player_id",),
    "players": ("player_id", "team"),
    "player": ("player_id", "team"),
    "news": ("player_id", "team"),
    "news_by_team": ("player_id", "team"),
    "news_by_player": ("player_id", "team"),
    "play_by_play": ("season", "season_type", "week", "score_id", "team", "opponent"),
    "depth_charts": ("player_id",),
    "stadiums": (),
}  # fmt: skip

#: What a modeller looks at first in each frame, after the join keys.
KEY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "props": (
        "player_name",
        "betting_bet_type",
        "betting_outcome_type",
        "value",
        "payout_american",
        "sportsbook",
    ),
    "generated_props": ("name", "description", "over_under", "over_payout", "under_payout"),
    "odds": ("sportsbook", "home_point_spread", "over_under", "home_money_line", "odds_kind"),
    "live_odds": ("sportsbook", "home_point_spread", "over_under", "home_money_line", "odds_kind"),
    "line_movement": ("sportsbook", "created", "home_point_spread", "over_under", "odds_kind"),
    "injuries": ("name", "position", "body_part", "status", "practice"),
    "scores": ("home_team", "away_team", "home_score", "away_score", "date"),
    "box_scores": ("name", "position", "passing_yards", "rushing_yards", "receiving_yards"),
    "box_score": ("name", "position", "passing_yards", "rushing_yards", "receiving_yards"),
    "player_game_stats": ("name", "position", "passing_yards", "rushing_yards", "receiving_yards"),
    "team_game_stats": ("score", "opponent_score", "offensive_yards", "touchdowns"),
    "teams": ("key", "full_name", "conference", "division", "head_coach"),
    "schedules": ("home_team", "away_team", "date", "point_spread", "over_under"),
    "standings": ("conference", "division", "wins", "losses", "ties", "points_for"),
    "byes": (),
    "player_season_stats": ("name", "position", "passing_yards", "rushing_yards", "receptions"),
    "team_season_stats": ("score", "opponent_score", "offensive_yards", "touchdowns"),
    "betting_events": ("betting_event_id", "name", "betting_event_type", "start_date"),
    "betting_markets": (
        "betting_market_id",
        "betting_market_type",
        "betting_bet_type",
        "betting_outcome_type",
        "value",
        "sportsbook",
    ),
    "players": ("name", "position", "number", "status"),
    "player": ("name", "position", "number", "status"),
    "news": ("news_id", "title", "updated", "source"),
    "news_by_team": ("news_id", "title", "updated", "source"),
    "news_by_player": ("news_id", "title", "updated", "source"),
    "play_by_play": ("play_id", "quarter_name", "down", "distance", "type", "yards_gained"),
    "depth_charts": ("unit", "position", "depth_order", "name"),
    "stadiums": ("stadium_id", "name", "city", "capacity", "playing_surface"),
}

_ARGUMENTS = {
    "season": "a season (2024), or a list or a range of them.",
    "week": "a week, or a list or a range of them; None: every week with data so far.",
    "season_type": '"REG", "PRE" or "POST" (any case).',
    "include_alternate": "keep the alternate lines too (dropped by default).",
    "team": 'a team key such as "KC", or a list of them.',
    "player_id": "a SportsDataIO PlayerID, or a list of them.",
    "score_id": "a SportsDataIO ScoreID (one game), or a list of them.",
    "game_id": "a SportsDataIO GameID (the game's ScoreID in the NFL), or a list of them.",
    "refresh": "bypass every cache and fetch again.",
    "progress": "show a progress bar (default: when more than one part is fetched).",
    "backend": '"pandas" or "polars" (default: the session\'s, SPORTSFRAME_BACKEND).',
}

# How each kind of dataset is called in its example; ``{name}`` is the dataset.
_CALLS = {
    "week": ["df = sf.{name}(2024, 18)"],
    "season": ["df = sf.{name}(2024)"],
    "team": ['df = sf.{name}("KC")'],
    "player": ['roster = sf.players("KC")', 'df = sf.{name}(int(roster["player_id"].iloc[0]))'],
    "game": ["games = sf.scores(2024, 18)", 'df = sf.{name}(int(games["score_id"].iloc[0]))'],
    "none": ["df = sf.{name}()"],
}


def join_keys(ds: Dataset) -> list[str]:
    """The join keys of a dataset's frame, in frame order."""
    return list(DATASET_JOIN_KEYS[ds.name])


def _columns(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"``{n}``" for n in names)


def docstring(ds: Dataset) -> str:
    """The docstring of the dataset function ``ds``: summary, arguments, returns, example."""
    keys, key_columns = join_keys(ds), KEY_COLUMNS[ds.name]
    returns = 'pandas.DataFrame (polars.DataFrame with backend="polars", from the same Arrow data)'
    if keys:
        returns += f" with the join keys first ({_columns(keys)})"
    if key_columns:
        lead = ", then among others" if keys else "; among its columns"
        returns += f"{lead} {_columns(key_columns)}"
    returns += (
        f'. Every column with its dtype and meaning: ``sf.dictionary("{ds.name}")``. '
        "``sf.provenance(df)`` tells where the frame came from (served_from: l0, hot, warm, api "
        "or mixed) and when it expires: a pandas frame's ``df.attrs``; a polars frame has no "
        "attrs, so it is kept beside the very frame returned (not frames derived from it)."
    )
    shown = ", ".join(f'"{c}"' for c in key_columns[:4] or keys)
    example = [*_CALLS[ds.kind], f"df[[{shown}]].head()"]
    lines = [
        ds.summary,
        "",
        "Args:",
        *(f"    {p}: {_ARGUMENTS[p]}" for p in signature(ds).parameters),
        "",
        "Returns:",
        textwrap.fill(returns, 96, initial_indent="    ", subsequent_indent="    "),
        "",
        "Raises:",
        "    InvalidParameterError: a bad argument, before any request is sent.",
        "",
        "Example:",
        *(f"    >>> {line.format(name=ds.name)}" for line in example),
    ]
    return "\n".join(lines)


def describe_method(method: Callable[..., Any], owner: str, ds: Dataset) -> None:
    """Name, document and sign the ``owner`` method made for the dataset ``ds`` (both sessions
    make one per dataset from the dataset table)."""
    sig = signature(ds)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__name__ = ds.name
    method.__qualname__ = f"{owner}.{ds.name}"
    method.__doc__ = docstring(ds)
    method.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *sig.parameters.values()]
    )
