"""The typed frames: declared schemas, identical frames from every representation, flattening."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from sportsframe import frames
from sportsframe.frames.schema import _CATEGORY_SETS, _TEAM_FIELDS, _models
from sportsframe.registry import ENDPOINTS


def make_record(model: str, rnd: random.Random, depth: int = 0) -> dict[str, Any]:
    """A record with every field of ``model``, typed per the models JSON, some nulls."""
    out: dict[str, Any] = {}
    for f in _models()[model]:
        kind, name = f["type"], f["name"]

        def one(kind: str = kind, name: str = name) -> Any:
            if kind == "int":
                return rnd.randint(1, 5)
            if kind == "dec":
                return round(rnd.random() * 100, 2)
            if kind == "bool":
                return rnd.random() < 0.5
            if kind == "dt":
                return f"2024-10-{rnd.randint(10, 28)}T13:{rnd.randint(10, 59)}:00"
            if kind == "str":
                if name in _TEAM_FIELDS:
                    return rnd.choice(["KC", "SF", "PHI"])
                if name in _CATEGORY_SETS:
                    return _CATEGORY_SETS[name][0]
                return f"{name}-{rnd.randint(1, 9)}"
            return make_record(kind, rnd, depth + 1) if depth < 2 else None

        if f["array"]:
            out[name] = [one() for _ in range(3)] if depth < 2 else []
        elif f["nullable"] and rnd.random() < 0.15:
            out[name] = None
        else:
            out[name] = one()
    return out


def payload_for(dataset: str, seed: int = 1, n: int = 4) -> Any:
    ep = ENDPOINTS[dataset]
    rnd = random.Random(seed)
    if ep.shape == "object":
        return make_record(ep.model, rnd)
    return [make_record(ep.model, rnd) for _ in range(n)]


def ipc_round_trip(table: pa.Table) -> pa.Table:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


FRAME_DATASETS = frames.datasets()


def test_every_non_scalar_endpoint_has_a_frame() -> None:
    scalars = {n for n, e in ENDPOINTS.items() if e.shape == "scalar"}
    assert set(FRAME_DATASETS) == set(ENDPOINTS) - scalars


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_frame_matches_declared_schema_and_dictionary(dataset: str) -> None:
    frame = frames.build_frame_from_payload(dataset, payload_for(dataset))
    declared = frames.schema(dataset)
    assert list(frame.columns) == declared.names
    assert len(frame) > 0
    for column in declared.columns:
        assert frame[column.name].dtype == column.dtype, column.name
    dictionary = frames.dictionary(dataset)
    assert list(dictionary["column"]) == list(frame.columns)
    assert list(dictionary["dtype"]) == [str(t) for t in frame.dtypes]
    assert dictionary["description"].str.len().min() > 0
    assert dictionary["source_field"].str.contains(".", regex=False).all()


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_empty_payload_gives_empty_frame_with_full_schema(dataset: str) -> None:
    full = frames.build_frame_from_payload(dataset, payload_for(dataset))
    empty = frames.build_frame_from_payload(dataset, [])
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert (empty.dtypes == full.dtypes).all()


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_same_frame_from_payload_table_and_ipc(dataset: str) -> None:
    payload = payload_for(dataset, seed=7)
    from_payload = frames.build_frame_from_payload(dataset, payload)
    if isinstance(payload, dict):
        import orjson

        table = pa.table({"json": pa.array([orjson.dumps(payload)], pa.binary())})
        table = table.replace_schema_metadata({"sportsframe.layout": "json"})
    else:
        table = pa.Table.from_pylist(payload)
        table = table.replace_schema_metadata({"sportsframe.layout": "records"})
    assert_frame_equal(frames.build_frame(dataset, ipc_round_trip(table)), from_payload)


def test_int_versus_double_and_all_null_inference_give_the_same_frame() -> None:
    base = payload_for("injuries", seed=3)
    whole = [{**r, "Number": 12, "Updated": None} for r in base]
    floats = [{**r, "Number": 12.0, "Updated": None} for r in base]
    a = frames.build_frame(
        "injuries", pa.Table.from_pylist(whole).drop_columns(["DeclaredInactive"])
    )
    b = frames.build_frame_from_payload(
        "injuries", [{**r, "DeclaredInactive": None} for r in floats]
    )
    assert_frame_equal(a, b)
    assert a["number"].dtype == "Int64"
    assert a["updated"].isna().all()


def test_eastern_wall_clock_converted_to_utc_across_dst() -> None:
    record = payload_for("injuries", n=1)[0]
    rows = [
        {**record, "Updated": "2024-09-08T13:00:00"},  # EDT: UTC-4
        {**record, "Updated": "2024-12-01T13:00:00"},  # EST: UTC-5
        {**record, "Updated": "2024-11-03T01:30:00"},  # ambiguous: read as standard time
        {**record, "Updated": "2024-03-10T02:30:00"},  # missing hour: shifted forward
        {**record, "Updated": "2024-09-08T13:00:00.517"},  # fractional seconds
    ]
    got = frames.build_frame_from_payload("injuries", rows)["updated"]
    want = pd.to_datetime(
        [
            "2024-09-08T17:00:00Z",
            "2024-12-01T18:00:00Z",
            "2024-11-03T06:30:00Z",
            "2024-03-10T07:00:00Z",
            "2024-09-08T17:00:00Z",
        ],
        utc=True,
    )
    assert list(got) == list(want)
    assert str(got.dtype) == "datetime64[ns, UTC]"


def test_utc_fields_are_not_shifted() -> None:
    record = {**payload_for("scores", n=1)[0], "DateTimeUTC": "2024-09-08T17:00:00"}
    frame = frames.build_frame_from_payload("scores", [record])
    assert frame["date_time_utc"][0] == pd.Timestamp("2024-09-08T17:00:00Z")


def test_props_have_one_row_per_outcome_with_sportsbook_flattened() -> None:
    markets = payload_for("player_props", n=3)
    for i, market in enumerate(markets):
        for j, outcome in enumerate(market["BettingOutcomes"]):
            outcome["SportsBook"] = {"SportsbookID": 10 * i + j, "Name": f"Book {i}{j}"}
    frame = frames.build_frame_from_payload("player_props", markets)
    outcomes = [o for m in markets for o in m["BettingOutcomes"]]
    assert len(frame) == len(outcomes)
    assert list(frame["sportsbook"]) == [o["SportsBook"]["Name"] for o in outcomes]
    assert list(frame["sportsbook_id"]) == [o["SportsBook"]["SportsbookID"] for o in outcomes]
    # market fields repeat on each of its outcomes
    want = [m["BettingMarketID"] for m in markets for _ in m["BettingOutcomes"]]
    assert list(frame["betting_market_id"]) == want
    assert "outcome_created" in frame.columns  # child field colliding with the market's


def test_season_type_is_a_category_from_the_int() -> None:
    rows = [
        {**r, "SeasonType": st}
        for r, st in zip(payload_for("injuries", n=3), [1, 2, 3], strict=False)
    ]
    frame = frames.build_frame_from_payload("injuries", rows)
    assert list(frame["season_type"]) == ["REG", "PRE", "POST"]
    assert list(frame["season_type"].cat.categories) == list(frames.SEASON_TYPE_CATEGORIES)


def test_concatenating_weeks_keeps_categorical_dtypes() -> None:
    a = frames.build_frame_from_payload("injuries", payload_for("injuries", seed=1))
    b = frames.build_frame_from_payload("injuries", payload_for("injuries", seed=2))
    both = pd.concat([a, b], ignore_index=True)
    assert both["team"].dtype == a["team"].dtype
    assert isinstance(both["team"].dtype, pd.CategoricalDtype)


def test_join_keys_come_first_and_names_are_snake_case() -> None:
    columns = frames.schema("player_game_stats").names
    assert columns[:4] == ["season", "season_type", "week", "score_id"]
    assert frames.snake("PlayerID") == "player_id"
    assert frames.snake("DateTimeUTC") == "date_time_utc"
    assert frames.snake("HomeTeamMoneyLine") == "home_team_money_line"
    for dataset in FRAME_DATASETS:
        names = frames.schema(dataset).names
        assert len(names) == len(set(names)), dataset


def test_a_value_outside_a_category_set_is_kept_not_lost() -> None:
    rows = [{**r, "Team": "XYZ"} for r in payload_for("injuries", n=2)]
    frame = frames.build_frame_from_payload("injuries", rows)
    assert list(frame["team"]) == ["XYZ", "XYZ"]
