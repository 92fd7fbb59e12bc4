"""Typed DataFrames: the declared schema of every dataset and the builder that applies it.

Every tier hands over the same Arrow table for an entry (one row per record, nesting as served;
or a one-row ``json`` column for payloads that are not a uniform list of records). The builder
picks the dataset's *grain* (props: one row per sportsbook outcome; odds: one row per game and
sportsbook quote; play-by-play: one row per play ...), flattens with Arrow compute, and applies the
declared schema, so the API, warm and hot paths return identical frames and an empty week is an
empty frame with every column.

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

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as _compute

from sportsframe.frames.topandas import table_to_frame
from sportsframe.league import HISTORICAL_KEYS, TEAM_KEYS

__all__ = [
    "FRAME_BUILD_VERSION",
    "SEASON_TYPE_CATEGORIES",
    "Column",
    "FrameSchema",
    "build_frame",
    "build_frame_from_payload",
    "build_table",
    "companion_name",
    "datasets",
    "dictionary",
    "frame_from_ipc",
    "schema",
    "snake",
    "table_to_ipc",
    "to_pandas",
]

#: Arrow arrays of any type: the column-generic code below is beyond pyarrow-stubs' overloads.
Arr = Any
pc: Any = _compute
_pa: Any = pa

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
#: a call accepts only the first three (:data:`sportsframe.registry.endpoints.SEASON_TYPES`).
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
_JOIN_KEYS = (
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
    level: str  # "parent", "child" or "derived"
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
    parent_model = grain.model
    parent_fields = _scalar_fields(grain.parent_from or parent_model)
    if grain.parent_fields is not None:
        parent_fields = [f for f in parent_fields if f["name"] in grain.parent_fields]
    parent_names = {f["name"] for f in parent_fields}
    model_for_parent = grain.parent_from or parent_model
    for f in parent_fields:
        columns.append(_column(f, model_for_parent, "parent", snake(f["name"])))
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
    order = {k: i for i, k in enumerate(_JOIN_KEYS)}
    keys = sorted((c for c in unique if c.name in order), key=lambda c: order[c.name])
    rest = [c for c in unique if c.name not in order]
    ordered = tuple(keys + rest)
    return FrameSchema(dataset, grain, ordered, {c.name: c.dtype for c in ordered})


def _context_columns(dataset: str, present: set[str]) -> list[Column]:
    """season / season_type / week from the call, for week-keyed payloads that lack them."""
    from sportsframe.registry import ENDPOINTS

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


def _column(f: Mapping[str, Any], model: str, level: str, name: str) -> Column:
    kind = "season_type" if f["name"] == "SeasonType" else f["type"]
    return Column(
        name,
        _dtype(kind, f["name"]),
        f"{model}.{f['name']}",
        kind,
        f["name"],
        level,
        _describe(name, model, f["name"]),
    )


def _grain(dataset: str) -> Grain:
    from sportsframe.registry import ENDPOINTS

    if dataset in _GRAINS:
        return _GRAINS[dataset]
    ep = ENDPOINTS.get(dataset)
    if ep is None or ep.shape == "scalar":
        from sportsframe.errors import InvalidParameterError

        raise InvalidParameterError("dataset", dataset, "has no frame (unknown or a scalar)")
    return Grain(ep.model)


def datasets() -> list[str]:
    """Every endpoint that has a frame."""
    from sportsframe.registry import ENDPOINTS

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


# -- building -------------------------------------------------------------------------------------
def _records_table(table: pa.Table) -> pa.Table:
    """The records table of an entry; JSON-layout entries are decoded to records first."""
    meta = table.schema.metadata or {}
    if meta.get(b"sportsframe.layout") != b"json":
        return table
    payload = orjson.loads(table.column("json")[0].as_py()) if table.num_rows else None
    return _payload_table(payload)


def _payload_table(payload: Any) -> pa.Table:
    if payload is None:
        records: list[Any] = []
    elif isinstance(payload, dict):
        records = [payload]
    elif isinstance(payload, list):
        records = [r for r in payload if isinstance(r, dict)]
    else:
        records = []
    if not records:
        return pa.table({})
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types across records: keep each record's own JSON and decode per field below.
        return pa.Table.from_pylist([orjson.loads(orjson.dumps(r)) for r in records])


def _get(obj: pa.Table | pa.StructArray, name: str) -> Arr | None:
    if isinstance(obj, pa.Table):
        return obj.column(name).combine_chunks() if name in obj.column_names else None
    index = obj.type.get_field_index(name)
    return obj.field(index) if index >= 0 else None


def _nested(obj: pa.Table | pa.StructArray, path: str) -> Arr | None:
    current: Any = obj
    for part in path.split("."):
        if current is None:
            return None
        if isinstance(current, pa.ChunkedArray):
            current = current.combine_chunks()
        if isinstance(current, pa.Table | pa.StructArray):
            current = _get(current, part)
        else:
            return None
    if isinstance(current, pa.ChunkedArray):
        current = current.combine_chunks()
    return current if isinstance(current, pa.Array) else None


def _with_context(
    sch: FrameSchema, data: dict[str, Any], rows: int, params: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Fill the columns that come from the call (season/week of props) rather than the payload."""
    for c in sch.columns:
        if c.level == "context":
            value = (params or {}).get(c.name)
            data[c.name] = pa.array([value] * rows) if value is not None else None
    return data


def _build(dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None) -> pa.Table:
    sch = schema(dataset)
    grain = sch.grain
    root = _records_table(table)
    n_root = root.num_rows
    parent: Any = root
    if grain.parent_from is not None and n_root:
        parent = _nested(root, grain.parent_from)
    data: dict[str, Any] = {}
    if grain.child_model is None:
        for c in sch.columns:
            data[c.name] = _nested(root, c.field) if n_root else None
        return _finish(sch, _with_context(sch, data, n_root, params), n_root)
    pieces: list[tuple[Arr, Arr, str]] = []  # parent index, children, label
    for i, list_name in enumerate(grain.child_lists):
        lists = _nested(root, list_name) if n_root else None
        if lists is None or (
            not pa.types.is_list(lists.type) and not pa.types.is_large_list(lists.type)
        ):
            continue
        flat = pc.list_flatten(lists)
        if not pa.types.is_struct(flat.type):
            continue
        label = grain.label[1][i] if grain.label else ""
        pieces.append((pc.list_parent_indices(lists), flat, label))
    rows = sum(len(p[1]) for p in pieces)
    for c in sch.columns:
        parts: list[Arr] = []
        for idx, flat, label in pieces:
            if c.level == "parent":
                src = _nested(parent, c.field) if parent is not None else None
                parts.append(src.take(idx) if src is not None else None)
            elif c.level == "child":
                parts.append(_nested(flat, c.field))
            elif c.level == "context":
                parts.append(None)
            else:
                parts.append(pa.array([label] * len(flat), pa.string()))
        data[c.name] = _concat_parts(parts, [len(p[1]) for p in pieces])
    return _finish(sch, _with_context(sch, data, rows, params), rows)


def _concat_parts(parts: list[Arr], sizes: list[int]) -> Arr | None:
    if not parts or all(p is None for p in parts):
        return None
    filled = []
    types = [p.type for p in parts if p is not None and not pa.types.is_null(p.type)]
    target = types[0] if types else pa.null()
    for part, size in zip(parts, sizes, strict=True):
        if part is None or pa.types.is_null(part.type):
            filled.append(_pa.nulls(size, target))
        elif part.type != target:
            filled.append(
                part.cast(target) if _castable(part.type, target) else _pa.nulls(size, target)
            )
        else:
            filled.append(part)
    return pa.concat_arrays(filled)


def _castable(a: pa.DataType, b: pa.DataType) -> bool:
    numeric = pa.types.is_integer(a) or pa.types.is_floating(a)
    return numeric and (pa.types.is_integer(b) or pa.types.is_floating(b))


_EASTERN = "America/New_York"
_UTC_NS = pa.timestamp("ns", tz="UTC")
_ARROW_TYPES = {"int": pa.int64(), "dec": pa.float64(), "bool": pa.bool_(), "str": pa.string()}


def _is_string(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _arrow_type(col: Column) -> Any:
    if col.kind == "dt":
        return _UTC_NS
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pa.dictionary(pa.int32(), pa.string())
    return _ARROW_TYPES.get(col.kind, pa.string())


def _typed(col: Column, values: Arr | None, rows: int) -> Arr:
    """``values`` converted to the column's declared Arrow type (all-null when absent)."""
    if values is None or pa.types.is_null(values.type) or len(values) != rows:
        if isinstance(col.dtype, pd.CategoricalDtype):
            # All-null, but with the full declared category set, so frames stay concatenable.
            categories = pa.array(list(col.dtype.categories), pa.string())
            return _pa.DictionaryArray.from_arrays(_pa.nulls(rows, pa.int32()), categories)
        return _pa.nulls(rows, _arrow_type(col))
    kind = col.kind
    if kind == "season_type":
        codes = pc.subtract(pc.cast(values, pa.int32(), safe=False), 1)
        valid = pc.and_(pc.greater_equal(codes, 0), pc.less(codes, len(SEASON_TYPE_CATEGORIES)))
        indices = pc.if_else(valid, codes, pa.scalar(None, pa.int32()))
        return _pa.DictionaryArray.from_arrays(indices, pa.array(SEASON_TYPE_CATEGORIES))
    if kind == "dt":
        # Timestamps repeat a lot (a market's Created/Updated on each of its outcomes): parse
        # the distinct values once and spread them back.
        distinct = pc.unique(values)
        if len(distinct) * 4 < len(values):
            parsed = _timestamps(col, distinct)
            return pc.take(parsed, pc.index_in(values, value_set=distinct))
        return _timestamps(col, values)
    if kind in ("int", "dec", "bool"):
        target = _ARROW_TYPES[kind]
        if values.type == target:
            return values
        if kind == "int" and not pa.types.is_integer(values.type):
            values = pc.cast(values, pa.float64(), safe=False)
        try:
            return pc.cast(values, target, safe=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _pa.nulls(rows, target)
    text = values if _is_string(values.type) else pc.cast(values, pa.string())
    if isinstance(col.dtype, pd.CategoricalDtype):
        categories = pa.array(list(col.dtype.categories), pa.string())
        indices = pc.index_in(text, value_set=categories)
        if indices.null_count != text.null_count:
            # A value outside the declared set: never lose data, keep the column as strings.
            return pc.cast(text, pa.string())
        return _pa.DictionaryArray.from_arrays(pc.cast(indices, pa.int32()), categories)
    return text if text.type == pa.string() else pc.cast(text, pa.string())


def _timestamps(col: Column, values: Arr) -> Arr:
    """Date-time strings of ``col`` as UTC timestamps (Eastern wall clock converted).

    Seconds precision: fractional seconds and a trailing "Z" are cut before parsing.
    """
    text = values if _is_string(values.type) else pc.cast(values, pa.string())
    text = pc.utf8_slice_codeunits(text, 0, 19)
    naive = pc.strptime(text, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    if col.field.endswith("UTC"):
        return pc.cast(pc.assume_timezone(naive, "UTC"), _UTC_NS)
    # Eastern wall clock: an ambiguous hour is read as standard time, a missing one is shifted
    # forward (pandas' ambiguous=False, nonexistent="shift_forward"); pandas' vectorised
    # localisation is far faster than Arrow's assume_timezone here.
    wall = pd.DatetimeIndex(pc.cast(naive, pa.timestamp("ns")).to_numpy(False))
    local = wall.tz_localize(_EASTERN, ambiguous=False, nonexistent="shift_forward")
    return pa.array(local.tz_convert("UTC"), _UTC_NS)


def _finish(sch: FrameSchema, data: Mapping[str, Any], rows: int) -> pa.Table:
    arrays = [_typed(c, data.get(c.name), rows) for c in sch.columns]
    return pa.Table.from_arrays(arrays, names=sch.names)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A finished frame table as pandas with sportsframe's dtypes (see :mod:`.topandas`)."""
    return table_to_frame(table)


def build_table(dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None) -> pa.Table:
    """The finished frame of ``dataset`` as an Arrow table (declared columns and types), from an
    entry's Arrow table (any tier); :func:`to_pandas` turns it into the frame.

    ``params`` are the call's arguments: they fill the season/week columns of datasets whose
    payload does not carry them (props).
    """
    return _build(dataset, table, params)


def build_frame(
    dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The typed frame of ``dataset`` from an entry's Arrow table (any tier); see
    :func:`build_table`."""
    return to_pandas(_build(dataset, table, params))


def build_frame_from_payload(
    dataset: str, payload: Any, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The typed frame of ``dataset`` from a JSON payload (identical to the table path)."""
    return to_pandas(_build(dataset, _payload_table(payload), params))


#: Bump when the builder changes what it makes of the same payload: stored finished frames of
#: an older build are then never read again (their companion name changes).
FRAME_BUILD_VERSION = 1


@cache
def companion_name(dataset: str) -> str:
    """The name under which a finished frame of ``dataset`` is kept beside its cache entry.

    It fingerprints the build version and the declared columns and dtypes, so a frame stored by
    another version of sportsframe is never mistaken for this version's.
    """
    sch = schema(dataset)
    columns = [[c.name, str(c.dtype), str(_arrow_type(c))] for c in sch.columns]
    shape = [FRAME_BUILD_VERSION, columns]
    digest = hashlib.sha256(orjson.dumps(shape)).hexdigest()[:12]
    return f"frame-{dataset}-{digest}"


def table_to_ipc(table: pa.Table) -> bytes:
    """A finished frame table as one uncompressed Arrow IPC stream (any Arrow reader opens it;
    uncompressed because reading it back is the hot path).

    Text columns are stored as ``large_string``: pandas' Arrow-backed ``str`` arrays hold that
    type, so reading them back takes no conversion.
    """
    fields = [
        f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema
    ]
    table = table.cast(pa.schema(fields))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_ipc(data: bytes | memoryview) -> pd.DataFrame:
    """The frame stored by :func:`table_to_ipc` (zero-copy read, then :func:`to_pandas`)."""
    return to_pandas(pa.ipc.open_stream(pa.py_buffer(data)).read_all())
