"""The fast Arrow → pandas conversion gives exactly what pyarrow's general path gives."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from sportsframe import frames
from sportsframe.frames import topandas
from sportsframe.frames.topandas import arrow_types_mapper, table_to_frame
from tests.test_frames import FRAME_DATASETS, payload_for


def general(table: pa.Table) -> pd.DataFrame:
    return table.replace_schema_metadata(None).to_pandas(types_mapper=arrow_types_mapper)


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_every_dataset_frame_converts_like_the_general_path(dataset: str) -> None:
    frame = frames.build_frame_from_payload(dataset, payload_for(dataset, n=40))
    # As stored (pandas round trip: int8 dictionary indices, large strings) ...
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    assert_frame_equal(table_to_frame(table), general(table))
    assert_frame_equal(table_to_frame(table), frame)


def test_sliced_and_chunked_columns_with_nulls_convert_exactly() -> None:
    table = pa.table(
        {
            "i": pa.array([1, None, 3, 4, None, 6, 7, 8, 9, None], pa.int64()),
            "b": pa.array([True, None, False, True, True, None, False, False, True, None]),
            "f": pa.array([0.5, None, float("nan"), 1.0, 2.0, 3.0, None, 4.0, 5.0, 6.0]),
            "s": pa.array(["a", None, "c", "d", "e", None, "g", "h", "i", "j"]),
            "c": pa.array(
                ["KC", "SF", None, "KC", "SF", "KC", None, "SF", "KC", "SF"]
            ).dictionary_encode(),
            "t": pa.array(
                [datetime(2024, 9, 8, 17, tzinfo=UTC), None] * 5, pa.timestamp("ns", tz="UTC")
            ),
        }
    )
    # Offsets not on a byte boundary exercise the bitmap arithmetic.
    sliced = table.slice(3, 6)
    assert_frame_equal(table_to_frame(sliced), general(sliced))
    chunked = pa.concat_tables([table.slice(0, 3), table.slice(3)])
    assert chunked.column("i").num_chunks == 2
    assert_frame_equal(table_to_frame(chunked), general(chunked))


def test_a_type_outside_the_fast_set_takes_the_general_path() -> None:
    table = pa.table({"small": pa.array([1, 2, None], pa.int32()), "i": [1, 2, 3]})
    assert_frame_equal(table_to_frame(table), general(table))


def test_an_empty_table_keeps_its_columns_and_dtypes() -> None:
    frame = frames.build_frame_from_payload("player_props", [])
    table = pa.Table.from_pandas(frame, preserve_index=False)
    out = table_to_frame(table)
    assert len(out) == 0
    assert list(out.columns) == list(frame.columns)


def test_the_frame_owns_writable_data() -> None:
    table = pa.table({"i": pa.array([1, 2, 3], pa.int64()), "b": [True, False, True]})
    frame = table_to_frame(table)
    frame.loc[0, "i"] = 10
    frame.loc[0, "b"] = False
    assert frame["i"].tolist() == [10, 2, 3]
    assert table.column("i").to_pylist() == [1, 2, 3]


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=40),
    offset=st.integers(0, 9),
)
def test_nullable_int_columns_convert_exactly(ints: list[int | None], offset: int) -> None:
    table = pa.table({"i": pa.array(ints, pa.int64()), "b": [v is None for v in ints]})
    sliced = table.slice(min(offset, len(ints)))
    assert_frame_equal(table_to_frame(sliced), general(sliced))


@settings(max_examples=60, deadline=None)
@given(
    stamps=st.lists(
        # Nanoseconds since the epoch, NaT's own integer (a valid Arrow value) among them.
        st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
        max_size=40,
    ),
    offset=st.integers(0, 9),
)
def test_utc_timestamp_columns_convert_exactly(stamps: list[int | None], offset: int) -> None:
    column = pa.array(stamps, pa.int64()).cast(pa.timestamp("ns", tz="UTC"))
    table = pa.table({"t": column})
    sliced = table.slice(min(offset, len(stamps)))
    assert_frame_equal(table_to_frame(sliced), general(sliced))


def test_without_pandas_private_constructors_frames_equal_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The masked and datetime arrays are built by the constructors pandas' own Arrow hooks end
    # in; should a pandas release drop them, the public constructors and hooks give the same.
    table = pa.table(
        {
            "i": pa.array([1, None, 3, 4], pa.int64()),
            "b": pa.array([True, None, False, True]),
            "f": pa.array([0.5, None, 1.5, 2.0]),
            "t": pa.array(
                [datetime(2024, 9, 8, 17, tzinfo=UTC), None] * 2, pa.timestamp("ns", tz="UTC")
            ),
        }
    ).slice(1)
    fast = table_to_frame(table)
    monkeypatch.setattr(topandas, "_new_datetimes", None)
    monkeypatch.setattr(topandas, "_INTS", pd.arrays.IntegerArray)
    monkeypatch.setattr(topandas, "_BOOLS", pd.arrays.BooleanArray)
    monkeypatch.setattr(topandas, "_FLOATS", pd.arrays.FloatingArray)
    public = table_to_frame(table)
    assert_frame_equal(public, fast, check_exact=True)
    assert_frame_equal(public, general(table))


def test_unsigned_dictionary_indices_take_the_general_path() -> None:
    indices = pa.array([0, 1, None, 1], pa.uint8())
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["KC", "SF"]))
    table = pa.table({"team": column})
    assert_frame_equal(table_to_frame(table), general(table))


def test_frames_of_one_schema_share_labels_but_never_each_others_edits() -> None:
    table = pa.table({"a": pa.array([1, 2], pa.int64()), "b": pa.array(["x", "y"])})
    # The labels are built once per schema and shared (an Index is immutable).
    first, second = table_to_frame(table), table_to_frame(table)
    first["c"] = [True, False]
    first.columns = ["renamed", "b", "c"]
    first.loc[0, "b"] = "edited"
    third = table_to_frame(table)
    assert list(second.columns) == list(third.columns) == ["a", "b"]
    assert list(third["b"]) == ["x", "y"]


def test_same_names_with_other_types_convert_by_their_own_types() -> None:
    ints = pa.table({"x": pa.array([1, None], pa.int64())})
    texts = pa.table({"x": pa.array(["1", None])})
    stamps = pa.table({"x": pa.array([0, None], pa.timestamp("ns", tz="UTC"))})
    for table in (ints, texts, stamps, ints):
        assert_frame_equal(table_to_frame(table), general(table))


def test_naming_one_frames_labels_leaves_later_frames_alone() -> None:
    table = pa.table({"a": pa.array([1, 2], pa.int64())})
    first = table_to_frame(table)
    first.columns.name = "stat"
    assert table_to_frame(table).columns.name is None


def test_schemas_whose_text_reads_the_same_convert_apart() -> None:
    # A name holding a newline prints like two fields: the layouts must still differ.
    tricky = pa.table({"a: int64\nb": pa.array(["x"])})
    plain = pa.table({"a": pa.array([1], pa.int64()), "b": pa.array(["x"])})
    assert str(tricky.schema) == str(plain.schema)
    assert_frame_equal(table_to_frame(tricky), general(tricky))
    assert_frame_equal(table_to_frame(plain), general(plain))


def _remove_pandas_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pandas.api.internals`` made unimportable, as a pandas release that moved it would."""
    monkeypatch.delattr(pd.api, "internals", raising=False)
    monkeypatch.setitem(sys.modules, "pandas.api.internals", None)  # import raises ImportError
    monkeypatch.setattr(topandas, "_builder", topandas._UNRESOLVED)


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_without_pandas_internals_frames_equal_the_fast_paths(
    dataset: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    frame = frames.build_frame_from_payload(dataset, payload_for(dataset, n=40))
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    fast = table_to_frame(table)
    assert callable(topandas._builder)  # that was the block constructor's path
    _remove_pandas_internals(monkeypatch)
    caplog.set_level(logging.DEBUG, logger="sportsframe.frames")
    fallback, again = table_to_frame(table), table_to_frame(table)
    assert topandas._builder is None
    # Equal, dtypes included (the frame's own too).
    assert_frame_equal(fallback, fast, check_exact=True)
    assert list(fallback.dtypes) == list(fast.dtypes) == list(frame.dtypes)
    assert_frame_equal(again, fast)
    said = [r for r in caplog.records if "pandas.api.internals" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.DEBUG]


def test_a_changed_block_constructor_falls_back_once_at_debug(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def changed(blocks: Any, *, axes: Any) -> pd.DataFrame:  # a new signature
        raise AssertionError("not called like this")

    table = pa.table({"i": pa.array([1, None], pa.int64()), "s": pa.array(["a", None])})
    monkeypatch.setattr(topandas, "_builder", changed)
    caplog.set_level(logging.DEBUG, logger="sportsframe.frames")
    first, second = table_to_frame(table), table_to_frame(table)
    assert_frame_equal(first, general(table))
    assert_frame_equal(second, general(table))
    assert topandas._builder is None
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_importing_sportsframe_needs_no_pandas_internals() -> None:
    code = (
        "import sys, pandas\n"
        "sys.modules['pandas.api.internals'] = None\n"
        "import sportsframe, pyarrow as pa\n"
        "from sportsframe.frames.topandas import table_to_frame\n"
        "print(table_to_frame(pa.table({'i': pa.array([1, None])}))['i'].dtype)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Int64"
