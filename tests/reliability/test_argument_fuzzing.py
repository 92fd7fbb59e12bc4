"""Every dataset method of the facade, given one argument of a wrong type or range (the others
valid), raises :class:`InvalidParameterError` naming that argument, before any I/O: the emulator
receives no request and the session's home gets no cache file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sportsframe.emulator import EmulatorServer
from sportsframe.errors import InvalidParameterError
from sportsframe.facade.sync import Session
from sportsframe.league import is_team_key
from sportsframe.registry.datasets import DATASETS
from sportsframe.registry.params import FIRST_SEASON, MAX_ID, SEASON_TYPES, latest_season

EXAMPLES = 500

#: Valid arguments of each dataset kind: (positional, keyword).
VALID: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "week": ((2024, 13), {"season_type": "REG"}),
    "season": ((2024,), {}),
    "team": (("KC",), {}),
    "player": ((1001,), {}),
    "game": ((1001,), {}),
    "none": ((), {}),
}

_not_int = st.one_of(
    st.text(max_size=6),
    st.floats(allow_nan=False),
    st.booleans(),
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_bad_season = st.one_of(
    _not_int,
    st.none(),
    st.integers(max_value=FIRST_SEASON - 1),
    st.integers(min_value=latest_season() + 1),
    st.lists(_not_int, min_size=1, max_size=3).map(lambda xs: [2024, *xs]),
    st.just([]),
)
_bad_week = st.one_of(
    _not_int,
    st.integers(max_value=0),
    st.integers(min_value=23),
    st.lists(st.integers(min_value=23), min_size=1, max_size=3).map(lambda xs: [13, *xs]),
    st.just(range(0)),
)
_bad_season_type = st.one_of(
    st.text(max_size=6).filter(lambda s: s.upper() not in SEASON_TYPES),
    st.integers(),
    st.booleans(),
)
_bad_team = st.one_of(
    st.text(max_size=4).filter(lambda s: not is_team_key(s.upper())),
    st.integers(),
    st.binary(max_size=3),
    st.lists(st.integers(), min_size=1, max_size=2).map(lambda xs: ["KC", *xs]),
)
_bad_id = st.one_of(
    _not_int,
    st.integers(max_value=0),
    st.integers(min_value=MAX_ID + 1),
    st.lists(st.integers(max_value=0), min_size=1, max_size=2).map(lambda xs: [1001, *xs]),
)
_not_bool = st.one_of(st.integers(), st.text(max_size=3), st.none(), st.floats(allow_nan=False))

#: Per dataset kind: the arguments that may be broken, as (parameter, position or None, values).
_TARGETS: dict[str, list[tuple[str, int | None, st.SearchStrategy[Any]]]] = {
    "week": [("season", 0, _bad_season), ("week", 1, _bad_week)],
    "season": [("season", 0, _bad_season)],
    "team": [("team", 0, _bad_team)],
    "player": [("id", 0, _bad_id)],
    "game": [("id", 0, _bad_id)],
    "none": [],
}


def _case(dataset: str, draw: Any) -> tuple[tuple[Any, ...], dict[str, Any], str]:
    ds = DATASETS[dataset]
    args, kwargs = VALID[ds.kind]
    args, kwargs = list(args), dict(kwargs)
    targets = list(_TARGETS[ds.kind])
    targets.append(("refresh", None, _not_bool.filter(lambda v: not isinstance(v, bool))))
    targets.append(("progress", None, _not_bool.filter(lambda v: v is not None)))
    if ds.kind in ("week", "season") and ds.endpoint.typed_season:
        targets.append(("season_type", None, _bad_season_type))
    if dataset == "props":
        # None is every keyword's "the default", so not a bad value here.
        targets.append(("include_alternate", None, _not_bool.filter(lambda v: v is not None)))
    targets.append(("arguments", None, st.just("unknown keyword")))
    name, position, values = draw(st.sampled_from(targets))
    value = draw(values)
    if name == "id":  # player_id, game_id or score_id: the endpoint's own name
        name = ds.endpoint.params[0].name
    if name == "arguments":
        kwargs["no_such_argument"] = 1
    elif position is not None:
        args[position] = value
    else:
        kwargs[name] = value
    return tuple(args), kwargs, name


@pytest.fixture
def session(emulator: EmulatorServer, namespace: str, tmp_path: Path) -> Iterator[Session]:
    """A session over the emulator with no Redis and the default SQLite file under its home."""
    home = tmp_path / "home"
    home.mkdir()
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        redis_host="",
        home=home,
        l0_max_bytes=0,
        retries=0,
    ) as built:
        yield built


def test_every_bad_argument_fails_before_any_io(
    session: Session, emulator: EmulatorServer, tmp_path: Path
) -> None:
    seen: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(dataset=st.sampled_from(sorted(DATASETS)), data=st.data())
    def check(dataset: str, data: st.DataObject) -> None:
        args, kwargs, name = _case(dataset, data.draw)
        with pytest.raises(InvalidParameterError) as err:
            getattr(session, dataset)(*args, **kwargs)
        assert err.value.parameter == name, (dataset, args, kwargs, err.value)
        seen.append(dataset)

    check()
    assert len(seen) >= EXAMPLES
    assert set(seen) == set(DATASETS)
    assert emulator.requests() == []
    assert list((tmp_path / "home").iterdir()) == []
