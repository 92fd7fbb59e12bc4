"""An L0 hit is a shallow copy made block by block (:mod:`sportsframe.facade.shallow`), not through
``DataFrame.copy(deep=False)``: it must stay as independent of the cached frame as that copy is.

Every edit a caller can make of a hit (a cell set in place, a column assigned or dropped, an
Arrow-backed array set through ``.array``, the attrs) must leave the cached frame, and so the next
hit, as it was; so must an edit of the frame that was put (the frame a miss returned).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from sportsframe import frames
from sportsframe.facade import shallow
from sportsframe.facade.l0 import FrameCache

FAR = datetime(2100, 1, 1, tzinfo=UTC)
KEY = "props:2024POST:4"
ATTRS: dict[Hashable, Any] = {
    "key": KEY,
    "params": {"season": 2024, "week": 4},
    "served_from": "hot",
}


def _frame() -> pd.DataFrame:
    """A frame as sportsframe builds it (one block per column, extension arrays: topandas), with
    a two-column numpy block beside them."""
    table = pa.table(
        {
            "id": pa.array([1, None, 3], pa.int64()),
            "line": pa.array([1.5, None, 2.5], pa.float64()),
            "over": pa.array([True, None, False], pa.bool_()),
            "name": pa.array(["a", None, "c"], pa.string()),
            "team": pa.array(["KC", "PHI", None], pa.string()).dictionary_encode(),
            "at": pa.array([1, 2, None], pa.timestamp("ns", tz="UTC")),
        }
    )
    frame = frames.to_pandas(table)
    frame["x"] = np.arange(3.0)
    frame["y"] = np.arange(3.0) * 2  # (numpy columns of one dtype share a block)
    return frame


@pytest.fixture(params=["block copies", "public copy"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test on both paths: the block-by-block copy, and the public ``copy(deep=False)``
    that serves where pandas' internals do not."""
    if request.param == "public copy":
        monkeypatch.setattr(shallow, "_manager", None)
    else:
        assert shallow.prepare()  # as a session's background warm-up does
    return str(request.param)


def _cached(frame: pd.DataFrame) -> FrameCache:
    cache = FrameCache(1 << 20)
    cache.put(KEY, frame, FAR, attrs=ATTRS)
    return cache


def _hit(cache: FrameCache) -> pd.DataFrame:
    out = cache.get(KEY)
    assert isinstance(out, pd.DataFrame)
    return out


def _set_in_column(frame: pd.DataFrame, column: str, value: Any) -> None:
    series = frame[column]  # (held: not a chained assignment)
    series.iloc[0] = value


EDITS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "iloc Int64": lambda f: f.iloc.__setitem__((0, 0), 99),
    "loc Float64": lambda f: f.loc.__setitem__((0, "line"), 9.5),
    "loc boolean": lambda f: f.loc.__setitem__((0, "over"), False),
    "loc str": lambda f: f.loc.__setitem__((0, "name"), "edited"),
    "loc category": lambda f: f.loc.__setitem__((1, "team"), "KC"),
    "loc datetime": lambda f: f.loc.__setitem__((0, "at"), pd.Timestamp("2000-01-01", tz="UTC")),
    "loc numpy block": lambda f: f.loc.__setitem__((0, "y"), -1.0),
    "a column taken, then set in place": lambda f: _set_in_column(f, "id", 42),
    "whole column assigned": lambda f: f.__setitem__("id", 0),
    "new column": lambda f: f.__setitem__("new", 1),
    "column deleted": lambda f: f.__delitem__("line"),
    "str array set in place": lambda f: f["name"].array.__setitem__(0, "edited"),
    "fillna in place": lambda f: f.fillna({"id": 0, "line": 0.0}, inplace=True),
    "update in place": lambda f: f.update(pd.DataFrame({"line": [7.0]})),
    "attrs": lambda f: f.attrs.__setitem__("served_from", "edited"),
    "nested attrs": lambda f: f.attrs["params"].__setitem__("week", 99),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_of_a_hit_never_reaches_the_cached_frame(path: str, edit: str) -> None:
    reference = _frame()
    cache = _cached(_frame())
    first = _hit(cache)
    EDITS[edit](first)
    second = _hit(cache)
    assert_frame_equal(second, reference)
    assert second.attrs == ATTRS


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_of_the_frame_put_never_reaches_the_cached_frame(path: str, edit: str) -> None:
    frame = _frame()
    frame.attrs = {"params": {"week": 4}}  # a miss's frame has its attrs already
    cache = _cached(frame)
    EDITS[edit](frame)
    assert_frame_equal(_hit(cache), _frame())
    assert _hit(cache).attrs == ATTRS


def test_a_hit_shares_the_cached_data_and_is_a_plain_frame(path: str) -> None:
    cache = _cached(_frame())
    first, second = _hit(cache), _hit(cache)
    assert first is not second
    assert type(first) is pd.DataFrame
    assert_frame_equal(first, _frame())
    # Shallow: the values are the cached frame's (no data copied), in new array objects.
    assert np.shares_memory(first["id"].array._data, second["id"].array._data)
    assert first["id"].array is not second["id"].array
    assert first.attrs is not second.attrs
    assert first.attrs["params"] is not second.attrs["params"]
    first.attrs["params"]["week"] = 1
    assert second.attrs == ATTRS


def test_a_hit_takes_the_block_copies_not_dataframe_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert shallow.prepare()
    cache = _cached(_frame())

    def public_copy(*_: Any, **__: Any) -> Any:
        raise AssertionError("DataFrame.copy was called")

    monkeypatch.setattr(pd.DataFrame, "copy", public_copy)
    hit = _hit(cache)
    assert hit.shape == (3, 8)
    hit.iloc[0, 0] = 5  # (in place, still under copy-on-write)
    assert _hit(cache).iloc[0, 0] == 1


def test_block_copies_not_independent_of_their_source_are_never_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A pandas whose blocks came without their copy-on-write references: the self-check sees the
    # edit of the copy reach the source, and the public copy serves.
    def unreferenced(manager: Any, frame: pd.DataFrame) -> pd.DataFrame:
        mgr: Any = frame._mgr
        blocks = tuple(type(b)(b.values, placement=b._mgr_locs, ndim=2) for b in mgr.blocks)
        new = manager(blocks, list(mgr.axes), verify_integrity=False)
        return pd.DataFrame._from_mgr(new, new.axes)  # type: ignore[attr-defined, no-any-return]

    monkeypatch.setattr(shallow, "_manager", shallow._UNCHECKED)
    monkeypatch.setattr(shallow, "_from_block_copies", unreferenced)
    assert not shallow.prepare()
    cache = _cached(_frame())
    hit = _hit(cache)
    hit.iloc[0, 0] = 99
    assert shallow._manager is None
    assert _hit(cache).iloc[0, 0] == 1


def test_until_prepared_a_hit_takes_the_public_copy_and_no_check_is_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The self-check costs a fresh process about 2 ms: no caller's call may pay it.
    monkeypatch.setattr(shallow, "_manager", shallow._UNCHECKED)
    checks: list[int] = []
    monkeypatch.setattr(shallow, "_check", lambda: checks.append(1))
    copies: list[int] = []
    public = pd.DataFrame.copy

    def counted(self: pd.DataFrame, deep: bool = True) -> pd.DataFrame:
        copies.append(1)
        return public(self, deep=deep)

    monkeypatch.setattr(pd.DataFrame, "copy", counted)
    cache = _cached(_frame())
    hit = _hit(cache)
    hit.iloc[0, 0] = 99
    assert _hit(cache).iloc[0, 0] == 1
    assert copies  # the public copy served
    assert checks == []
    assert shallow._manager is shallow._UNCHECKED


def test_the_self_check_passes_on_this_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shallow, "_manager", shallow._UNCHECKED)
    assert shallow._check() is not None
