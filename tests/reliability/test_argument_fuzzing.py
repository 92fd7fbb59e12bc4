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
from sportsframe.registry.params import (
    FIRST_SEASON,
    MAX_COUNT,
    MAX_ID,
    SEASON_TYPES,
    latest_season,
)

#: Enough examples that every dataset function is drawn (the test checks that it was).
EXAMPLES = 12 * len(DATASETS)

#: A valid value of each positional argument, by name (every id is 1001).
VALID: dict[str, Any] = {
    "season": 2024,
    "week": 13,
    "team": "KC",
    "opponent": "BUF",
    "date": "2024-12-01",
    "minutes": 5,
    "plays": 10,
    "sportsbook_group": "G1100",
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
_bad_date = st.one_of(
    st.text(max_size=8).filter(lambda s: not s[:1].isdigit()),
    st.integers(),
    st.just("2024-02-30"),
    st.just("2024-13-01"),
)
_bad_count = st.one_of(
    _not_int.filter(lambda v: not isinstance(v, str) or not v.strip().isdigit()),
    st.integers(max_value=0),
    st.integers(min_value=MAX_COUNT + 1),
)
_bad_token = st.one_of(
    st.text(min_size=1, max_size=6).filter(lambda s: not s.isalnum()),
    st.just(""),
    st.integers(),
)
_bad_games = st.one_of(st.integers(max_value=0), st.just("some"), st.floats(allow_nan=False))
_not_bool = st.one_of(st.integers(), st.text(max_size=3), st.floats(allow_nan=False))
#: A bad value of a positional argument, by name (an id of any kind ends in ``_id``).
_BAD: dict[str, st.SearchStrategy[Any]] = {
    "season": _bad_season,
    "week": _bad_week,
    "team": _bad_team,
    "opponent": _bad_team,
    "date": _bad_date,
    "minutes": _bad_count,
    "plays": _bad_count,
    "sportsbook_group": _bad_token,
}
#: A bad value of a value filter (one that is passed on to its operation).
_BAD_FILTER: dict[str, st.SearchStrategy[Any]] = {
    "team": _bad_team.filter(lambda v: not isinstance(v, list)),
    "sportsbook_group": _bad_token,
    "date": _bad_date,
    "rookie_year": _bad_season.filter(lambda v: v is not None and not isinstance(v, list)),
}


def _case(dataset: str, draw: Any) -> tuple[tuple[Any, ...], dict[str, Any], str]:
    ds = DATASETS[dataset]
    args = [VALID.get(name, 1001) for name in ds.positional]
    kwargs: dict[str, Any] = {}
    targets: list[tuple[str, int | None, st.SearchStrategy[Any]]] = [
        (name, i, _BAD.get(name, _bad_id)) for i, name in enumerate(ds.positional)
    ]
    targets.append(("refresh", None, _not_bool))
    targets.append(("progress", None, _not_bool))
    for option in ds.options:
        # None is every keyword's "the default", so not a bad value here.
        if option.name == "season_type":
            targets.append(("season_type", None, _bad_season_type))
        elif option.name == "include_alternate":
            targets.append(("include_alternate", None, _not_bool))
        elif option.name == "games":
            targets.append(("games", None, _bad_games))
        else:  # a choice (taken in any case, so no casing of a choice is a bad value)
            choices = option.choices
            bad_choice = st.text(max_size=5).filter(lambda s, c=choices: s.lower() not in c)
            targets.append((option.name, None, bad_choice))
    for f in ds.filters:
        if f.kind == "flag":
            targets.append((f.name, None, _not_bool))
        elif f.kind == "choice":
            bad = st.integers().filter(lambda v, allowed=f.choices: v not in allowed)
            targets.append((f.name, None, bad))
        elif f.name in _BAD_FILTER:
            targets.append((f.name, None, _BAD_FILTER[f.name]))
    targets.append(("arguments", None, st.just("unknown keyword")))
    name, position, values = draw(st.sampled_from(targets))
    value = draw(values)
    if name == "arguments":
        kwargs["no_such_argument"] = 1
    elif position is not None:
        args[position] = value
    else:
        kwargs[name] = value
    # A value filter is checked as the parameter of the operation it chose (rookie_year is the
    # season of RookieProfiles); every other argument by its own name.
    variant = next((v for v in ds.variants if name in v.filters), ds.primary)
    return tuple(args), kwargs, variant.param_name(name)


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
        # The session opens no tier of its own accord: any file or request below would be the
        # bad call's doing (tests/test_cold_start.py covers the opening at creation).
        open_early=False,
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
