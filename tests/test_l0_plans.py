"""The sync session remembers how it planned a call (its bound calls and their keys): a repeat,
the L0 hit of a notebook cell run again, is not bound, validated and keyed again. A remembered
plan must answer exactly what planning again would."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import sportsframe.facade.plan as plan_module
import sportsframe.facade.sync as sync_module
from sportsframe.emulator import EmulatorServer
from sportsframe.errors import InvalidParameterError
from sportsframe.facade.sync import _plan_key
from tests.test_facade import make_session


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The datasets planned from now on (each call of ``planned``)."""
    seen: list[str] = []
    real = plan_module.planned

    def planned(dataset: str, values: dict[str, Any]) -> Any:
        seen.append(dataset)
        return real(dataset, values)

    monkeypatch.setattr(sync_module, "planned", planned)
    return seen


def test_a_repeated_call_is_planned_once(
    emulator: EmulatorServer, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = _counted(monkeypatch)
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        first = session.props(2024, 4, season_type="POST", progress=False)
        again = [session.props(2024, 4, season_type="POST", progress=False) for _ in range(3)]
        assert planned == ["props"]
        assert [f.attrs["served_from"] for f in again] == ["l0"] * 3
        assert all(f.attrs == {**first.attrs, "served_from": "l0"} for f in again)
        # Another call, another plan (and its own frame).
        other = session.props(2024, [3, 4], season_type="POST", progress=False)
        assert planned == ["props", "props"]
        assert len(other) > len(first)


def test_calls_planning_tells_apart_are_remembered_apart(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        one = session.injuries(2024, 4)
        assert session.injuries(2024, 4).attrs["key"] == one.attrs["key"]
        # True == 1 and hash(True) == hash(1), but True is no week: it must still be refused.
        with pytest.raises(InvalidParameterError):
            session.injuries(2024, True)
        with pytest.raises(InvalidParameterError):
            session.injuries(2024, [True])
        two = session.injuries(2024, [4, 5])
        assert [p["key"] for p in two.attrs["parts"]] == [
            "emulator/injuries:2024:4",
            "emulator/injuries:2024:5",
        ]


def test_a_call_that_fails_to_plan_fails_every_time(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        for _ in range(2):
            with pytest.raises(InvalidParameterError):
                session.props(2024, 22, season_type="POST")


def test_plan_keys_keep_types_and_refuse_what_they_cannot_tell_apart() -> None:
    base = {"season": 2024, "week": 1}
    assert _plan_key("props", base) == _plan_key("props", dict(base))
    assert _plan_key("props", base) != _plan_key("injuries", base)
    assert _plan_key("props", base) != _plan_key("props", {**base, "week": True})
    assert _plan_key("props", base) != _plan_key("props", {**base, "week": 1.0})
    assert _plan_key("props", base) != _plan_key("props", {**base, "week": [1]})
    assert _plan_key("props", {**base, "week": [1]}) != _plan_key("props", {**base, "week": [True]})
    assert _plan_key("props", {**base, "week": [1]}) != _plan_key("props", {**base, "week": (1,)})
    assert _plan_key("x", {"date": date(2024, 9, 8)}) is not None
    # Equal aware datetimes may name two dates; objects of other types may change.
    assert _plan_key("x", {"date": datetime(2024, 9, 8, tzinfo=UTC)}) is None
    assert _plan_key("x", {"ids": [object()]}) is None
    assert _plan_key("x", {"week": {1}}) is None


def test_the_remembered_plans_are_bounded(
    emulator: EmulatorServer, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "_PLANS_MAX", 3)
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        for week in range(1, 9):
            session.injuries(2024, week)
            assert len(session._plans) <= 3


def test_a_repeated_call_of_scalars_is_bound_once(
    emulator: EmulatorServer, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, ...]] = []
    real = plan_module.bind

    def bind(sig: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        seen.append(args)
        return real(sig, args, kwargs)

    monkeypatch.setattr(sync_module, "bind", bind)
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        frames = [session.injuries(2023, 6, progress=False) for _ in range(4)]
        # (At most once: another test may have bound this call already.)
        assert len(seen) <= 1
        assert [f.attrs["served_from"] for f in frames[1:]] == ["l0"] * 3
        # Another value, another binding; a list is bound every time.
        session.injuries(2023, 7, progress=False)
        assert seen[-1] == (2023, 7)
        count = len(seen)
        session.injuries(2023, [6, 7], progress=False)
        session.injuries(2023, [6, 7], progress=False)
        assert len(seen) == count + 2


def test_a_list_changed_between_two_calls_is_read_again(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    weeks = [3]
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        one = session.props(2024, weeks, season_type="POST", progress=False)
        weeks.append(4)
        two = session.props(2024, weeks, season_type="POST", progress=False)
        weeks.remove(4)
        three = session.props(2024, weeks, season_type="POST", progress=False)
    assert "parts" not in one.attrs
    assert [p["key"] for p in two.attrs["parts"]] == [
        "emulator/player_props:2024POST:3:False",
        "emulator/player_props:2024POST:4:False",
    ]
    assert three.attrs["key"] == one.attrs["key"]
    assert three.attrs["served_from"] == "l0"
