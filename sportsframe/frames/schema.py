"""The declared schema of every dataset: its grain, its columns with their dtypes, and the data
dictionary.

Column names come mechanically from the PascalCase fields: an underscore goes before an upper-case
letter that follows a lower-case letter or digit, and before the last capital of an acronym that
starts a new word; then everything is lower-cased (``PlayerID`` → ``player_id``, ``DateTimeUTC``
→ ``date_time_utc``, ``Has1stQuarterStarted`` → ``has1st_quarter_started``). A child field whose
name collides with a parent field is prefixed with the child's label (``outcome_created``);
a duplicated id is dropped.

Dtypes: ints ``Int64``, decimals ``Float64``, bools ``boolean``, strings ``str``, date-times
tz-aware UTC (Eastern wall-clock fields converted explicitly), categories only where the set is
known up front (teams, season_type, positions, home/away), with the full set declared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from sportsframe.errors import InvalidParameterError
from sportsframe.league import HISTORICAL_KEYS, TEAM_KEYS
from sportsframe.registry import ENDPOINTS

__all__ = [
    "ARROW_TYPES",
    "JOIN_KEYS",
    "POSITIONS",
    "SEASON_TYPE_CATEGORIES",
    "TEAMS_CATEGORIES",
    "UTC_NS",
    "Column",
    "FrameSchema",
    "Grain",
    "arrow_type",
    "datasets",
    "dictionary",
    "row_rule",
    "schema",
    "snake",
]

_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """The mechanical snake_case of a PascalCase SportsDataIO field name."""
    return _SNAKE.sub("_", name).lower()


@cache
def _models() -> dict[str, list[dict[str, Any]]]:
    raw = resources.files("sportsframe").joinpath("sportsdataio-models.json").read_bytes()
    return {name: m["fields"] for name, m in orjson.loads(raw)["models"].items()}


_SCALARS = {"int", "dec", "str", "bool", "dt"}

#: The five values of SportsDataIO's SeasonType (1..5), the categories of ``season_type``;
#: a call accepts only the first three (:data:`sportsframe.registry.SEASON_TYPES`).
SEASON_TYPE_CATEGORIES = ("REG", "PRE", "POST", "OFF", "STAR")
TEAMS_CATEGORIES = (*tuple(sorted(TEAM_KEYS | HISTORICAL_KEYS)), "BYE")
POSITIONS = (
    "QB", "RB", "FB", "WR", "TE", "OL", "OT", "T", "G", "OG", "C", "LS", "DL", "DE", "DT", "NT",
    "LB", "ILB", "OLB", "MLB", "DB", "CB", "S", "FS", "SS", "K", "P", "KR", "PR", "DST", "DEF",
)  # fmt: skip
_TEAM_FIELDS = {"Team", "Opponent", "HomeTeam", "AwayTeam", "TeamKey", "Team2", "Possession"}
_CATEGORY_SETS: dict[str, tuple[str, ...]] = {
    "Position": POSITIONS,
    "FantasyPosition": POSITIONS,
    "PositionCategory": ("OFF", "DEF", "ST"),
    "HomeOrAway": ("HOME", "AWAY"),
}
#: The columns that join one dataset to another, first in every frame in this order.
JOIN_KEYS = (
    "season", "season_type", "week", "score_id", "game_id", "player_id", "team", "opponent",
)  # fmt: skip

_DESCRIPTIONS = {
    "season": "Season year (the year the season starts in).",
    "season_type": "REG, PRE, POST, OFF or STAR (from SportsDataIO's SeasonType 1-5).",
    "week": "Week of the season (PRE 0-4, REG 1-18, POST 1-4).",
    "score_id": "SportsDataIO ScoreID: the game's id (equal to GameID for the NFL).",
    "game_id": "SportsDataIO GameID of the game.",
    "player_id": "SportsDataIO PlayerID.",
    "team": "Team key, e.g. KC.",
    "opponent": "Opponent's team key.",
    "sportsbook": "Sportsbook name, e.g. DraftKings.",
    "sportsbook_id": "SportsDataIO SportsbookID.",
    "betting_market_id": "Id of the betting market (one player, one bet type, one period).",
    "betting_bet_type": "What the market is on, e.g. Passing Yards.",
    "betting_outcome_type": "Side of the outcome, e.g. Over or Under.",
    "value": "The line: yards, receptions, points ... the outcome is priced at.",
    "payout_american": "American odds of the outcome, e.g. -110.",
    "payout_decimal": "Decimal odds of the outcome, e.g. 1.91.",
    "is_alternate": "True for an alternate line (dropped unless include_alternate=True).",
    "player_name": "Player the market is on.",
    "odds_kind": "pregame, live or alternate (which odds list the quote came from).",
    "unit": "offense, defense or special_teams.",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One declared column: its name, dtype, source field (``Model.Field``) and meaning."""

    name: str
    dtype: Any
    source: str
    kind: str  # int | dec | str | bool | dt | season_type | label
    field: str  # the JSON field name within its model ("" for derived columns)
    level: str  # "parent", "middle" (a via grain's list), "child", "derived" or "context"
    description: str = ""


@dataclass(frozen=True)
class Grain:
    """How a dataset's payload becomes rows: the root model and the list(s) to explode."""

    model: str
    child_model: str | None = None
    child_lists: tuple[str, ...] = ()
    #: Label column for several child lists (e.g. odds_kind) and the value per list.
    label: tuple[str, tuple[str, ...]] | None = None
    #: Prefix for child fields colliding with parent ones.
    child_prefix: str = ""
    #: Parent fields kept (None: every scalar field of the parent model).
    parent_fields: tuple[str, ...] | None = None
    #: For objects whose identity lives in a nested record (PlayByPlay.Score).
    parent_from: str | None = None
    #: A list between the root and the child lists (GameBettingSplit.BettingMarketSplits, whose
    #: records hold the BettingSplits), and its model: its scalar fields become columns too.
    via: str | None = None
    via_model: str | None = None


_GRAINS: dict[str, Grain] = {
    "player_props": Grain(
        "BettingMarket", "BettingOutcome", ("BettingOutcomes",), None, "outcome_"
    ),
    "player_props_game": Grain(
        "BettingMarket", "BettingOutcome", ("BettingOutcomes",), None, "outcome_"
    ),
    "betting_markets": Grain(
        "BettingMarket", "BettingOutcome", ("BettingOutcomes",), None, "outcome_"
    ),
    "odds": Grain(
        "GameInfo", "GameOdd", ("PregameOdds", "LiveOdds", "AlternateMarketPregameOdds"),
        ("odds_kind", ("pregame", "live", "alternate")), "odd_",
    ),
    "depth_charts": Grain(
        "TeamDepthChart", "DepthChart", ("Offense", "Defense", "SpecialTeams"),
        ("unit", ("offense", "defense", "special_teams")), "",
    ),
    "box_scores": Grain("BoxScoreV3", "PlayerGame", ("PlayerGames",), None, "", ()),
    "box_score": Grain("BoxScoreV3", "PlayerGame", ("PlayerGames",), None, "", ()),
    "play_by_play": Grain(
        "PlayByPlay", "Play", ("Plays",), None, "",
        ("ScoreID", "Season", "SeasonType", "Week"), parent_from="Score",
    ),
}  # fmt: skip
for _name in ("live_odds", "line_movement"):
    _GRAINS[_name] = _GRAINS["odds"]

_DEPTH_UNITS = ("Offense", "Defense", "SpecialTeams")
_ODDS_LISTS = ("PregameOdds", "LiveOdds", "AlternateMarketPregameOdds")
_ODDS_LABEL = ("odds_kind", ("pregame", "live", "alternate"))
_METADATA_LISTS = (
    "BettingBetTypes", "BettingMarketTypes", "BettingPeriodTypes", "BettingEventTypes",
    "BettingOutcomeTypes", "BettingResultTypes",
)  # fmt: skip
#: The grain of every dataset whose model is one of these (the operations the official specs
#: added answer the same models in new ways: by event, by sportsbook group, final only ...).
_MODEL_GRAINS: dict[str, Grain] = {
    "BettingMarket": _GRAINS["betting_markets"],
    "GameInfo": _GRAINS["odds"],
    "TeamDepthChart": _GRAINS["depth_charts"],
    "BoxScoreV3": _GRAINS["box_scores"],
    "PlayByPlay": _GRAINS["play_by_play"],
    "GameInfoResult": Grain("GameInfoResult", "GameOddResult", _ODDS_LISTS, _ODDS_LABEL, "odd_"),
    "TeamDepthChartWeekly": Grain(
        "TeamDepthChartWeekly", "DepthChartWeekly", _DEPTH_UNITS,
        ("unit", ("offense", "defense", "special_teams")), "",
    ),
    # The trend lines (last 10 games, home, as favourite ...); the upcoming game is in scores.
    "TeamTrends": Grain("TeamTrends", "TeamGameTrends", ("TeamGameTrends",), None, "", ()),
    # Both teams' lines against each other, ``side`` telling whose; the upcoming game's id and
    # teams on every row. Each team's overall trends are team_trends, the previous games scores.
    "MatchupTrends": Grain(
        "MatchupTrends", "TeamGameTrends", ("TeamMatchupTrends", "OpponentMatchupTrends"),
        ("side", ("team", "opponent")), "",
        ("ScoreID", "Season", "SeasonType", "Week", "AwayTeam", "HomeTeam"),
        parent_from="UpcomingGame",
    ),
    # The id/name tables of bet, market, period, event, outcome and result types, ``entity``
    # telling which (ResultedMarketMetaData is another model: which markets are resulted).
    "BettingEntityMetadataCollection": Grain(
        "BettingEntityMetadataCollection", "BettingEntityMetadata", _METADATA_LISTS,
        ("entity", ("bet_type", "market_type", "period_type", "event_type", "outcome_type",
                    "result_type")),
        "", (),
    ),
    "BettingMarketResult": Grain(
        "BettingMarketResult", "BettingOutcomeResult", ("BettingOutcomeResults",), None, "outcome_"
    ),
    "BettingMarketSplit": Grain(
        "BettingMarketSplit", "BettingSplit", ("BettingSplits",), None, "split_"
    ),
    "GameBettingSplit": Grain(
        "GameBettingSplit", "BettingSplit", ("BettingSplits",), None, "split_",
        via="BettingMarketSplits", via_model="BettingMarketSplit",
    ),
    # One row per player of the slate (salary, positions); the slate's games join on
    # slate_game_id to the schedule.
    "DfsSlate": Grain("DfsSlate", "DfsSlatePlayer", ("DfsSlatePlayers",), None, "player_"),
    "DfsSlateWithOwnershipProjection": Grain(
        "DfsSlateWithOwnershipProjection", "DfsSlatePlayerOwnershipProjection",
        ("SlateOwnershipProjections",), None, "",
    ),
}  # fmt: skip


def _parent_model(grain: Grain) -> str:
    """The model whose fields are the parent columns: the root's, or its ``parent_from``
    field's (PlayByPlay.Score is a Score, MatchupTrends.UpcomingGame too)."""
    if grain.parent_from is None:
        return grain.model
    field = next(f for f in _fields_of(grain.model) if f["name"] == grain.parent_from)
    return str(field["type"])


def _fields_of(model: str) -> list[dict[str, Any]]:
    return _models()[model]


def _scalar_fields(model: str) -> list[dict[str, Any]]:
    return [f for f in _fields_of(model) if f["type"] in _SCALARS and not f["array"]]


def _dtype(kind: str, field_name: str) -> Any:
    if field_name == "SeasonType" or kind == "season_type":
        return pd.CategoricalDtype(list(SEASON_TYPE_CATEGORIES))
    if kind == "label":
        return pd.StringDtype(na_value=float("nan"))
    if kind == "str" and field_name in _TEAM_FIELDS:
        return pd.CategoricalDtype(list(TEAMS_CATEGORIES))
    if kind == "str" and field_name in _CATEGORY_SETS:
        return pd.CategoricalDtype(list(_CATEGORY_SETS[field_name]))
    return {
        "int": pd.Int64Dtype(),
        "dec": pd.Float64Dtype(),
        "bool": pd.BooleanDtype(),
        "str": pd.StringDtype(na_value=float("nan")),
        "dt": pd.DatetimeTZDtype("ns", "UTC"),
    }[kind]


def _describe(name: str, model: str, field_name: str) -> str:
    if name in _DESCRIPTIONS:
        return _DESCRIPTIONS[name]
    words = snake(field_name).replace("_", " ")
    return f"{words[:1].upper()}{words[1:]} ({model}.{field_name})."


@dataclass(frozen=True)
class FrameSchema:
    """The declared columns of one dataset, in frame order."""

    dataset: str
    grain: Grain
    columns: tuple[Column, ...]
    dtypes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


@cache
def schema(dataset: str) -> FrameSchema:
    """The declared schema of ``dataset`` (an endpoint name such as ``player_props``)."""
    grain = _grain(dataset)
    columns: list[Column] = []
    model_for_parent = _parent_model(grain)
    parent_fields = _scalar_fields(model_for_parent)
    if grain.parent_fields is not None:
        parent_fields = [f for f in parent_fields if f["name"] in grain.parent_fields]
    parent_names = {f["name"] for f in parent_fields}
    for f in parent_fields:
        columns.append(_column(f, model_for_parent, "parent", snake(f["name"])))
    if grain.via_model is not None:
        for f in _scalar_fields(grain.via_model):
            if f["name"] not in parent_names:
                columns.append(_column(f, grain.via_model, "middle", snake(f["name"])))
        parent_names |= {f["name"] for f in _scalar_fields(grain.via_model)}
    if grain.label is not None:
        label = grain.label[0]
        columns.append(
            Column(
                label,
                _dtype("label", label),
                f"{grain.model}.{'|'.join(grain.child_lists)}",
                "label",
                "",
                "derived",
                _DESCRIPTIONS.get(label, label),
            )
        )
    if grain.child_model is not None:
        for f in _fields_of(grain.child_model):
            name = f["name"]
            if f["array"] or f["type"] not in _SCALARS:
                if name == "SportsBook":  # BettingOutcome.SportsBook: {SportsbookID, Name}
                    columns.append(
                        Column(
                            "sportsbook_id",
                            pd.Int64Dtype(),
                            "BettingOutcome.SportsBook.SportsbookID",
                            "int",
                            "SportsBook.SportsbookID",
                            "child",
                            _DESCRIPTIONS["sportsbook_id"],
                        )
                    )
                    columns.append(
                        Column(
                            "sportsbook",
                            _dtype("str", ""),
                            "BettingOutcome.SportsBook.Name",
                            "str",
                            "SportsBook.Name",
                            "child",
                            _DESCRIPTIONS["sportsbook"],
                        )
                    )
                continue
            if name in parent_names:
                if name.endswith(("ID", "Id")):
                    continue  # the same id as the parent's
                col = grain.child_prefix + snake(name)
            else:
                col = snake(name)
            columns.append(_column(f, grain.child_model, "child", col))
    columns += _context_columns(dataset, {c.name for c in columns})
    seen: set[str] = set()
    unique = []
    for c in columns:
        if c.name not in seen:
            seen.add(c.name)
            unique.append(c)
    order = {k: i for i, k in enumerate(JOIN_KEYS)}
    keys = sorted((c for c in unique if c.name in order), key=lambda c: order[c.name])
    rest = [c for c in unique if c.name not in order]
    ordered = tuple(keys + rest)
    return FrameSchema(dataset, grain, ordered, {c.name: c.dtype for c in ordered})


def _context_columns(dataset: str, present: set[str]) -> list[Column]:
    """season / season_type / week from the call, for week-keyed payloads that lack them."""
    ep = ENDPOINTS.get(dataset)
    if ep is None or not ep.has_week or "week" in present:
        return []
    return [
        Column("season", pd.Int64Dtype(), "call.season", "int", "", "context",
               _DESCRIPTIONS["season"]),
        Column("season_type", pd.CategoricalDtype(list(SEASON_TYPE_CATEGORIES)), "call.season_type",
               "str", "", "context", _DESCRIPTIONS["season_type"]),
        Column("week", pd.Int64Dtype(), "call.week", "int", "", "context",
               _DESCRIPTIONS["week"]),
    ]  # fmt: skip


#: Fields that share a name with a categorised one but hold other values: a referee's Position
#: is an officiating crew position (Referee, Umpire ...), not a player's.
_UNCATEGORISED = {("Referee", "Position")}


def _column(f: Mapping[str, Any], model: str, level: str, name: str) -> Column:
    kind = "season_type" if f["name"] == "SeasonType" else f["type"]
    plain = (model, f["name"]) in _UNCATEGORISED
    return Column(
        name,
        _dtype(kind, "" if plain else f["name"]),
        f"{model}.{f['name']}",
        kind,
        f["name"],
        level,
        _describe(name, model, f["name"]),
    )


def _grain(dataset: str) -> Grain:
    if dataset in _GRAINS:
        return _GRAINS[dataset]
    ep = ENDPOINTS.get(dataset)
    if ep is None or ep.shape == "scalar":
        raise InvalidParameterError("dataset", dataset, "has no frame (unknown or a scalar)")
    return _MODEL_GRAINS.get(ep.model) or Grain(ep.model)


def row_rule(dataset: str) -> str:
    """How ``dataset``'s payload becomes rows, in a sentence (for docstrings and the README)."""
    grain = _grain(dataset)
    parent = grain.model
    if grain.child_model is None:
        return f"One row per {parent} record."
    lists = " / ".join(grain.child_lists)
    where = f"{grain.model}.{lists}" if len(grain.child_lists) == 1 else f"{grain.model}: {lists}"
    label = f"; ``{grain.label[0]}`` says which list" if grain.label else ""
    if grain.parent_from is not None:
        label += f"; the game's columns come from {grain.model}.{grain.parent_from}"
    if grain.via_model is not None:
        where = f"{grain.model}.{grain.via}[].{lists}"
        parent = f"{grain.via_model} of each {parent}"
    return f"One row per {grain.child_model} of each {parent} ({where}{label})."


def datasets() -> list[str]:
    """Every endpoint that has a frame."""
    return sorted(n for n, e in ENDPOINTS.items() if e.shape != "scalar")


def dictionary(dataset: str) -> pd.DataFrame:
    """The data dictionary: ``column``, ``dtype``, ``source_field`` and ``description``."""
    sch = schema(dataset)
    return pd.DataFrame(
        {
            "column": [c.name for c in sch.columns],
            "dtype": [str(c.dtype) for c in sch.columns],
            "source_field": [c.source for c in sch.columns],
            "description": [c.description for c in sch.columns],
        }
    )


#: The Arrow type of each scalar column kind (categories are dictionaries, date-times UTC).
ARROW_TYPES = {"int": pa.int64(), "dec": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
#: The Arrow type of every date-time column.
UTC_NS = pa.timestamp("ns", tz="UTC")


def arrow_type(col: Column) -> Any:
    """The Arrow type of ``col`` in a finished frame table."""
    if col.kind == "dt":
        return UTC_NS
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pa.dictionary(pa.int32(), pa.string())
    return ARROW_TYPES.get(col.kind, pa.string())
