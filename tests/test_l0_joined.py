"""L0 keeps the frame of a call of several parts as joined, beside its parts: a repeat of a season
query is one L0 hit, not a concatenation of its weeks on every call."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import sportsframe.facade.session as session_module
import sportsframe.facade.sync as sync_module
from sportsframe import provenance
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.l0 import FrameCache
from tests.test_facade import make_session

FAR = datetime(2100, 1, 1, tzinfo=UTC)
PARTS = ["odds:2024:1", "odds:2024:2"]


def _never_joined_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def concat(*_: Any, **__: Any) -> Any:
        raise AssertionError("the parts were joined again")

    monkeypatch.setattr(sync_module, "concat", concat)
    monkeypatch.setattr(session_module, "concat", concat)


def test_a_repeat_of_a_call_of_many_parts_is_one_l0_hit(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url, l0=True) as session:
        first = session.props(2024, [12, 13], progress=False)
        assert len(first.attrs["parts"]) == 2
        _never_joined_again(monkeypatch)
        again = session.props(2024, [12, 13], progress=False)
        assert_frame_equal(again, first)
        assert again.attrs["served_from"] == "l0"
        assert [p["served_from"] for p in again.attrs["parts"]] == ["l0", "l0"]
        assert again.attrs["expires_at"] == first.attrs["expires_at"]
        # The caller's edits, of the data and of the provenance, never reach the kept frame.
        again.iloc[0, again.columns.get_loc("value")] = -1.0
        again.attrs["parts"][0]["key"] = "edited"
        third = session.props(2024, [12, 13], progress=False)
        assert_frame_equal(third, first)
        assert third.attrs["parts"][0]["key"] == first.attrs["parts"][0]["key"]
        # In another order the call is another frame (the rows follow the weeks' order).
        monkeypatch.undo()
        other = session.props(2024, [13, 12], progress=False)
        assert [p["key"] for p in other.attrs["parts"]] == [
            p["key"] for p in reversed(first.attrs["parts"])
        ]


def test_invalidating_one_part_drops_the_joined_frame(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url, l0=True) as session:
        session.props(2024, [12, 13], progress=False)
        session.clear_cache("props", season=2024, week=13)
        after = session.props(2024, [12, 13], progress=False)
        # Week 12 still from L0, week 13 read again: not the joined frame of before.
        assert [p["served_from"] for p in after.attrs["parts"]] == ["l0", "api"]
        assert after.attrs["served_from"] == "mixed"
        assert session.props(2024, [12, 13], progress=False).attrs["served_from"] == "l0"


def test_a_polars_call_of_many_parts_is_kept_joined_too(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("polars")
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url, l0=True) as session:
        first = session.props(2024, [12, 13], progress=False, backend="polars")
        _never_joined_again(monkeypatch)
        again = session.props(2024, [12, 13], progress=False, backend="polars")
        assert again.equals(first)
        found = provenance(again)
        assert found is not None
        assert found["served_from"] == "l0"


def test_the_joined_frame_goes_with_an_invalidation_of_any_part() -> None:
    cache = FrameCache(1 << 20)
    frame = pd.DataFrame({"a": [1, 2, 3, 4]})
    cache.put_joined(PARTS, frame, FAR, attrs={"parts": [{"key": k} for k in PARTS]})
    joined = cache.get_joined(PARTS)
    assert joined is not None
    assert_frame_equal(joined, frame)
    assert cache.get_joined(list(reversed(PARTS))) is None  # another order, another frame
    assert cache.get(PARTS[0]) is None  # not a part's own frame
    assert cache.invalidate("teams:*") == 0
    assert cache.get_joined(PARTS) is not None
    assert cache.invalidate("odds:2024:2") == 1  # one part matches
    assert cache.get_joined(PARTS) is None


def test_a_joined_frame_read_before_an_invalidation_is_not_kept() -> None:
    cache = FrameCache(1 << 20)
    generation = cache.generation
    cache.invalidate("odds:*")
    cache.put_joined(PARTS, pd.DataFrame({"a": [1]}), FAR, attrs={}, generation=generation)
    assert cache.get_joined(PARTS) is None


def test_a_joined_frame_expires_and_counts_against_the_byte_budget() -> None:
    from sportsframe.clock import ManualClock

    clock = ManualClock(datetime(2024, 11, 5, tzinfo=UTC))
    frame = pd.DataFrame({"a": range(1000)})
    cache = FrameCache(20_000, clock=clock)
    cache.put_joined(PARTS, frame, clock.now().replace(hour=1), attrs={})
    assert cache.nbytes > 8_000
    assert cache.get_joined(PARTS) is not None
    cache.put("teams:2024", frame, FAR, attrs={})
    cache.put("players:2024", frame, FAR, attrs={})  # over budget: the oldest goes
    assert cache.get_joined(PARTS) is None
    assert cache.nbytes <= 20_000
    cache.put_joined(PARTS, frame, clock.now().replace(hour=1), attrs={})
    clock.advance(3600)
    assert cache.get_joined(PARTS) is None  # expired with its earliest part
