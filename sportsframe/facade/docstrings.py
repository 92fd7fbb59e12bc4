"""The docstring of every dataset function, made from the dataset table and the frame schemas.

Each one has the dataset's summary, the operations behind it and the filters choosing each, its
arguments (from its signature), a Returns section that names the join keys and the key columns of
the frame, its row rule and TTL, and an example. The join keys and first columns are generated
tables (:mod:`sportsframe.facade.shapes.columns`) and the chosen key columns (:data:`KEY_COLUMNS`)
a hand table, rather than read from the frame schemas, because the docstrings are made at import
and building every schema would slow each new process; the tests check the tables against the
schemas, and run the examples against the emulator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from sportsframe import frames
from sportsframe.facade.catalog import human_ttl, operation
from sportsframe.facade.shapes.columns import DATASET_JOIN_KEYS, FIRST_COLUMNS
from sportsframe.facade.signatures import signature
from sportsframe.frames.schema import JOIN_KEYS
from sportsframe.registry.datasets import Dataset
from sportsframe.registry.ttl import TTL_POLICIES, CacheDataType

__all__ = [
    "DATASET_JOIN_KEYS",
    "JOIN_KEYS",
    "KEY_COLUMNS",
    "describe_method",
    "docstring",
    "join_keys",
    "key_columns",
]


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
    "opponent": 'the opponent\'s team key such as "BUF", or a list of them.',
    "player_id": "a SportsDataIO PlayerID, or a list of them.",
    "score_id": "a SportsDataIO ScoreID (one game), or a list of them.",
    "game_id": "a SportsDataIO GameID (the game's ScoreID in the NFL), or a list of them.",
    "team_id": "a SportsDataIO TeamID, or a list of them.",
    "event_id": "a SportsDataIO BettingEventID, or a list of them.",
    "market_id": "a SportsDataIO BettingMarketID, or a list of them.",
    "market_type_id": "a SportsDataIO BettingMarketTypeID, or a list of them.",
    "slate_id": "a SportsDataIO SlateID (a daily fantasy slate), or a list of them.",
    "date": 'a day (a date or "YYYY-MM-DD"), or a list of them.',
    "minutes": "changes of the last so many minutes, or a list of such counts.",
    "plays": "how many plays of the simulated replay, or a list of such counts.",
    "sportsbook_group": 'a sportsbook group such as "G1100", or a list of them.',
    "games": '"all", or the number of most recent games.',
    "timeframe": "which timeframes: current, upcoming, completed, recent or all.",
    "players": "whose box-score lines: all, fantasy or idp players.",
    "refresh": "bypass every cache and fetch again.",
    "progress": "show a progress bar (default: when more than one part is fetched).",
    "backend": '"pandas" or "polars" (default: the session\'s, SPORTSFRAME_BACKEND).',
}

_MARKETS = [
    "games = sf.scores(2024, 13)",
    'markets = sf.betting_markets(int(games["score_id"].iloc[0]))',
]
#: How each positional argument is written in the examples (ids come from another frame).
_SAMPLES = {
    "season": ("2024", []),
    "week": ("13", []),
    "team": ('"KC"', []),
    "opponent": ('"BUF"', []),
    "date": ('"2024-12-01"', []),
    "minutes": ("2", []),
    "plays": ("10", []),
    "sportsbook_group": ('"G1100"', []),
    "team_id": ("16", []),
    "player_id": ('int(roster["player_id"].iloc[0])', ['roster = sf.players("KC")']),
    "score_id": ('int(games["score_id"].iloc[0])', ["games = sf.scores(2024, 13)"]),
    "game_id": ('int(games["score_id"].iloc[0])', ["games = sf.scores(2024, 13)"]),
    "event_id": ('int(events["betting_event_id"].iloc[0])', ["events = sf.betting_events(2024)"]),
    "market_id": ('int(markets["betting_market_id"].iloc[0])', _MARKETS),
    "market_type_id": ('int(markets["betting_market_type_id"].iloc[0])', _MARKETS),
    "slate_id": ('int(slates["slate_id"].iloc[0])', ["slates = sf.dfs_slates(2024, 13)"]),
}


def join_keys(ds: Dataset) -> list[str]:
    """The join keys of a dataset's frame, in frame order."""
    return list(DATASET_JOIN_KEYS.get(ds.name, ()))


def key_columns(ds: Dataset) -> tuple[str, ...]:
    """What a modeller looks at first in the frame of ``ds``, after the join keys."""
    return KEY_COLUMNS.get(ds.name) or FIRST_COLUMNS.get(ds.name, ())


def _columns(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"``{n}``" for n in names)


def _example(ds: Dataset) -> list[str]:
    setup: list[str] = []
    args = []
    for name in ds.positional:
        text, needs = _SAMPLES[name]
        setup += [line for line in needs if line not in setup]
        args.append(text)
    return [*setup, f"df = sf.{ds.name}({', '.join(args)})"]


def _operations(ds: Dataset) -> list[str]:
    filters = {f.name: f for f in ds.filters}
    lines = []
    for v in ds.variants:
        chosen = []
        for token in sorted(v.filters):
            name = token.split("=")[0]
            if "=" in token:
                chosen.append(token)
            else:
                chosen.append(f"{name}=True" if filters[name].kind == "flag" else f"{name} given")
        when = ", ".join(chosen) or "no filter"
        lines.append(f"    ``{v.endpoint_name}`` ({operation(v)}): {when}.")
    return lines


def docstring(ds: Dataset) -> str:
    """The docstring of the dataset function ``ds``: summary, the operations behind it, its
    arguments, what it returns (join keys, key columns, row rule, TTL), an example (made once
    per dataset: both sessions and the module function share it)."""
    if ds.name not in _DOCSTRINGS:
        _DOCSTRINGS[ds.name] = _docstring(ds)
    return _DOCSTRINGS[ds.name]


_DOCSTRINGS: dict[str, str] = {}


def _docstring(ds: Dataset) -> str:
    keys, key_cols = join_keys(ds), key_columns(ds)
    data_type = ds.endpoint.data_type
    returns = 'pandas.DataFrame (polars.DataFrame with backend="polars", from the same Arrow data)'
    if keys:
        returns += f" with the join keys first ({_columns(keys)})"
    if key_cols:
        lead = ", then among others" if keys else "; among its columns"
        returns += f"{lead} {_columns(key_cols)}"
    returns += (
        f". {frames.row_rule(ds.endpoint_name)} Cached as {data_type.value} data "
        f"(TTL {_ttl(data_type)}). Every column with its dtype and meaning: "
        f'``sf.dictionary("{ds.name}")``. ``sf.provenance(df)`` tells where the frame came from '
        "(served_from: l0, hot, warm, api or mixed) and when it expires: a pandas frame's "
        "``df.attrs``; a polars frame has no attrs, so it is kept beside the very frame "
        "returned (not frames derived from it)."
    )
    shown = ", ".join(f'"{c}"' for c in (key_cols[:4] or keys))
    example = [*_example(ds), f"df[[{shown}]].head()" if shown else "df.head()"]
    filters = {f.name: f.doc for f in ds.filters}
    operations = ["Operations (the narrowest one answering the filters given is used):"]
    lines = [
        ds.summary,
        "",
        *operations,
        *_operations(ds),
        "",
        "Args:",
        *(f"    {p}: {filters.get(p) or _ARGUMENTS[p]}" for p in signature(ds).parameters),
        "",
        "Returns:",
        *_wrap(returns, 96, "    "),
        "",
        "Raises:",
        "    InvalidParameterError: a bad argument, or filters no operation answers, before any",
        "        request is sent.",
        "",
        "Example:",
        *(f"    >>> {line}" for line in example),
    ]
    return "\n".join(lines)


def _wrap(text: str, width: int, indent: str) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces (textwrap would take
    about 20 ms for every docstring at import)."""
    lines: list[str] = []
    line = indent
    for word in text.split(" "):
        if line.strip() and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent
        line = f"{line} {word}" if line.strip() else f"{indent}{word}"
    return [*lines, line]


def _ttl(data_type: CacheDataType) -> str:
    seconds = TTL_POLICIES.get(data_type)
    return human_ttl(seconds) if seconds is not None else "CACHE_DEFAULT_TTL"


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
