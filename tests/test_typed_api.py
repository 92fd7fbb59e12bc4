"""The typed, discoverable API: the dataset functions and methods carry the signatures type
checkers read, sessions list their methods, docstrings name real columns and their examples run,
and a user's script is checked by ``mypy --strict``."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import sportsframe as sf
from sportsframe import frames
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.facade import shapes, signatures
from sportsframe.facade.catalog import human_ttl, operation
from sportsframe.facade.docstrings import JOIN_KEYS, join_keys
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.sync import Session
from sportsframe.registry.datasets import DATASETS
from sportsframe.registry.ttl import TTL_POLICIES

NAMES = sorted(DATASETS)
HELPERS = [
    "current_season",
    "current_week",
    "games_in_progress",
    "last_completed_season",
    "last_completed_week",
    "upcoming_season",
    "upcoming_week",
    "warm",
    "warm_current",
    "warm_upcoming",
    "clear_cache",
    "cache_stats",
    "cleanup",
]


def _surfaces() -> dict[str, typing.Any]:
    """Where a dataset function is found: the module, a Session (looked at, never called: it
    opens nothing), an AsyncSession."""
    return {"sf": sf, "Session": Session(open_early=False), "AsyncSession": AsyncSession()}


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_is_declared_with_the_shape_its_endpoint_takes(name: str) -> None:
    shape = signatures.shape(DATASETS[name])
    module = typing.get_type_hints(sf)[name]
    method = typing.get_type_hints(shapes.DatasetMethods)[name]
    polars = signatures.PolarsFrame
    assert (typing.get_origin(module), typing.get_args(module)) == (shape, (pd.DataFrame, polars))
    assert typing.get_origin(method) is shape
    # ...and the two sessions bind what their methods return (pandas, and with polars).
    sync = shapes.DatasetMethods[pd.DataFrame, polars]
    aio = shapes.DatasetMethods[signatures.AsyncFrame, signatures.AsyncPolarsFrame]
    assert sync in Session.__orig_bases__  # type: ignore[attr-defined]
    assert aio in AsyncSession.__orig_bases__  # type: ignore[attr-defined]


def test_nothing_is_declared_that_is_not_a_dataset() -> None:
    assert set(typing.get_type_hints(shapes.DatasetMethods)) == set(DATASETS)


@pytest.mark.parametrize("name", NAMES)
def test_run_time_signatures_are_the_declared_ones(name: str) -> None:
    shape = signatures.shape(DATASETS[name])
    declared = inspect.signature(shape.__call__, eval_str=True)
    expected = declared.replace(
        parameters=list(declared.parameters.values())[1:], return_annotation=pd.DataFrame
    )
    for where, surface in _surfaces().items():
        assert inspect.signature(getattr(surface, name)) == expected, where


@pytest.mark.parametrize("name", NAMES)
def test_a_signature_takes_what_the_operations_take(name: str) -> None:
    ds = DATASETS[name]
    params = dict(signatures.signature(ds).parameters)
    assert list(params)[-3:] == ["refresh", "progress", "backend"]
    del params["refresh"], params["progress"], params["backend"]
    filters = {f.name: f for f in ds.filters}
    # Every parameter of every operation behind it is an argument, a filter or an option.
    for variant in ds.variants:
        for param in variant.endpoint.params:
            taken = {variant.param_name(n) for n in params}
            assert param.name in taken, (variant.endpoint_name, param.name)
    positional = [n for n, p in params.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert positional == list(ds.positional)
    endpoint = {p.name: p for p in ds.endpoint.params}
    for pname, param in params.items():
        if pname in filters:
            # A filter left at its default selects today's operation.
            assert param.kind is inspect.Parameter.KEYWORD_ONLY
            assert param.default == filters[pname].default
        elif pname == "week" and ds.week_optional:
            assert param.default is None  # None: every week with data so far
        elif pname in ds.positional:
            assert param.default is inspect.Parameter.empty
        else:
            assert param.kind is inspect.Parameter.KEYWORD_ONLY
            assert param.default == next(p.default for p in ds.options if p.name == pname)
            assert pname not in endpoint or not endpoint[pname].required


@pytest.mark.parametrize("name", HELPERS)
def test_helpers_are_typed_like_their_async_twins(name: str) -> None:
    def parameters(function: typing.Any) -> list[tuple[str, typing.Any, typing.Any]]:
        # Names, kinds and defaults (annotations may be resolved or left as written).
        params = inspect.signature(function).parameters.values()
        return [(p.name, p.kind, p.default) for p in params]

    unbound = parameters(getattr(AsyncSession(), name))
    assert parameters(getattr(sf, name)) == unbound
    assert parameters(getattr(Session(open_early=False), name)) == unbound
    assert getattr(sf, name).__doc__ == getattr(AsyncSession, name).__doc__


def test_sessions_list_their_dataset_methods() -> None:
    session = sf.Session(open_early=False)  # (looked at, never called: nothing to open)
    assert "props" in dir(session)
    assert set(DATASETS) <= set(dir(session))
    assert set(DATASETS) <= set(dir(sf.AsyncSession()))
    assert set(HELPERS) <= set(dir(session))
    # What __getattr__ serves is listed too (it has no declaration of its own).
    assert {"settle", "drop_hot", "describe_tiers"} <= set(dir(session))
    assert list(inspect.signature(session.props).parameters) == [
        "season",
        "week",
        "include_alternate",
        "season_type",
        "refresh",
        "progress",
        "backend",
    ]


# -- docstrings --------------------------------------------------------------------------------
def _section(doc: str, title: str) -> str:
    match = re.search(rf"^{title}:\n((?:    .*\n?)+)", doc, re.MULTILINE)
    assert match, f"no {title} section"
    return match.group(1)


@pytest.mark.parametrize("name", NAMES)
def test_docstrings_name_columns_the_frame_has(name: str) -> None:
    doc = sf.Session.__dict__[name].__doc__
    assert doc == getattr(sf, name).__doc__ == getattr(AsyncSession, name).__doc__
    columns = list(sf.dictionary(name)["column"])
    named = re.findall(r"``(\w+)``", _section(doc, "Returns"))
    assert named, "the Returns section names no column"
    assert set(named) <= set(columns), set(named) - set(columns)
    # The join keys the docstring names are the frame's first columns ("join keys first").
    keys = join_keys(DATASETS[name])
    assert columns[: len(keys)] == keys
    assert not set(columns[len(keys) :]) & set(JOIN_KEYS)
    arguments = re.findall(r"^    (\w+): ", _section(doc, "Args"), re.MULTILINE)
    assert arguments == list(inspect.signature(getattr(sf, name)).parameters)


@pytest.mark.parametrize("name", NAMES)
def test_docstrings_say_which_operation_answers_which_filters_and_how_rows_are_made(
    name: str,
) -> None:
    ds = DATASETS[name]
    doc = getattr(sf, name).__doc__
    operations = re.search(r"^Operations .*:\n((?:    .*\n)+)", doc, re.MULTILINE)
    assert operations, "no Operations section"
    listed = operations.group(1).splitlines()
    assert len(listed) == len(ds.variants)
    for line, variant in zip(listed, ds.variants, strict=True):
        assert line.startswith(f"    ``{variant.endpoint_name}`` ({operation(variant)}): ")
        for token in variant.filters:
            assert token.split("=")[0] in line
        if not variant.filters:
            assert line.endswith("no filter.")
    returns = " ".join(_section(doc, "Returns").split())
    assert " ".join(frames.row_rule(ds.endpoint_name).split()) in returns
    data_type = ds.endpoint.data_type
    assert f"Cached as {data_type.value} data" in returns
    if data_type in TTL_POLICIES:
        assert f"(TTL {human_ttl(TTL_POLICIES[data_type])})" in returns


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with start_emulator(now=NOW) as server:
        yield server


@pytest.mark.parametrize("name", NAMES)
def test_every_docstring_example_runs(
    name: str, emulator: EmulatorServer, tmp_path: Path, namespace: str
) -> None:
    session = Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        rate_limit=1000.0,
        redis_host="",
        home=tmp_path,
    )
    with session:
        lines = _section(getattr(sf, name).__doc__, "Example").splitlines()
        code = [line.strip().removeprefix(">>> ") for line in lines]
        scope: dict[str, typing.Any] = {"sf": session}  # the same methods as the module
        exec("\n".join(code[:-1]), scope)
        shown = eval(code[-1], scope)
        assert isinstance(shown, pd.DataFrame), name
        assert scope["df"].attrs["endpoint"] == DATASETS[name].endpoint_name, name


# -- acceptance 5 of the notebook toolkit: a user's script under mypy --strict -------------------
USER_SCRIPT = """\
import pandas as pd
import polars as pl

import sportsframe as sf


async def later(session: sf.AsyncSession) -> pd.DataFrame:
    return await session.props(2024, range(1, 19), season_type="POST")


async def later_polars(session: sf.AsyncSession) -> pl.DataFrame:
    return await session.props(2024, 18, backend="polars")


frame: pd.DataFrame = sf.props(2024, 18)
reveal_type(sf.props(2024, 18))
reveal_type(sf.Session().props(2024, [17, 18]))
reveal_type(sf.AsyncSession().injuries)
reveal_type(sf.current_season())
reveal_type(sf.current_week())
reveal_type(sf.warm(2024, 18))
reveal_type(sf.props(2024, 18, backend="polars"))
reveal_type(sf.Session().scores(2024, 18, backend="pandas"))
reveal_type(sf.player_game_projections(2024, 13, team="KC"))
reveal_type(sf.player_game_stats(2024, 13, team="KC", final=True, backend="polars"))
reveal_type(sf.games_in_progress())
sf.props("2024", week="x")
sf.players(17)
sf.Session().odds(2024, 18, "REG")
sf.props(2024, 18, backend="arrow")
sf.player_game_projections(2024, 13, team=16)
sf.player_game_red_zone_stats(2024, 13, inside=20)
"""


def _mypy(script: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "user_script.py"
    path.write_text(script)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file=",  # the user's settings, not this project's
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--no-error-summary",
            "--hide-error-context",
            path.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr
    return [line.removeprefix(f"{path.name}:") for line in run.stdout.splitlines()]


def _line(script: str, text: str) -> int:
    return next(i for i, line in enumerate(script.splitlines(), 1) if line.startswith(text))


@pytest.mark.slow
def test_a_users_script_is_checked_by_mypy_strict(tmp_path: Path) -> None:
    report = _mypy(USER_SCRIPT, tmp_path)
    revealed = {
        int(m.group(1)): m.group(2)
        for m in map(re.compile(r'(\d+): note: Revealed type is "(.*)"').match, report)
        if m
    }
    texts = ("reveal_type", "sf.props(", "sf.players", 'sf.props(2024, 18, backend="arrow")')
    at = {text: _line(USER_SCRIPT, text) for text in texts}
    first = at["reveal_type"]
    frame = "pandas.core.frame.DataFrame"  # not Any: the script uses it as a DataFrame
    polars = "polars.dataframe.frame.DataFrame"
    injuries = signatures.shape(DATASETS["injuries"])
    assert revealed == dict(
        enumerate(
            [
                frame,
                frame,
                f"{injuries.__module__}.{injuries.__name__}[typing.Coroutine[Any, Any, "
                f"{frame}], typing.Coroutine[Any, Any, {polars}]]",
                "int",
                "int | None",
                "dict[str, int]",
                polars,  # backend="polars"
                frame,
                frame,  # a filter
                polars,  # two filters and backend="polars"
                "bool",
            ],
            start=first,
        )
    )
    errors = [line for line in report if ": error: " in line]
    bad_call = at["sf.props("]
    props = signatures.shape_name(DATASETS["props"])
    players = signatures.shape_name(DATASETS["players"])
    odds = signatures.shape_name(DATASETS["odds"])
    projections = signatures.shape_name(DATASETS["player_game_projections"])
    red_zone = signatures.shape_name(DATASETS["player_game_red_zone_stats"])
    assert errors == [
        f'{bad_call}: error: Argument 1 to "__call__" of "{props}" has incompatible type '
        '"str"; expected "int | Sequence[int] | range"  [arg-type]',
        f'{bad_call}: error: Argument "week" to "__call__" of "{props}" has incompatible type '
        '"str"; expected "int | Sequence[int] | range | None"  [arg-type]',
        # Overloaded by backend: a bad call names the shape (its variants follow as notes).
        f'{at["sf.players"]}: error: No overload variant of "__call__" of "{players}" matches '
        'argument type "int"  [call-overload]',
        f'{at["sf.players"] + 1}: error: No overload variant of "__call__" of "{odds}" matches '
        'argument types "int", "int", "str"  [call-overload]',
        f'{at[texts[3]]}: error: No overload variant of "__call__" of "{props}" matches '
        'argument types "int", "int", "str"  [call-overload]',
        # Filters are typed: a team is a key, ``inside`` is 10 or 5.
        f'{at[texts[3]] + 1}: error: No overload variant of "__call__" of "{projections}" '
        'matches argument types "int", "int", "int"  [call-overload]',
        f'{at[texts[3]] + 2}: error: No overload variant of "__call__" of "{red_zone}" '
        'matches argument types "int", "int", "int"  [call-overload]',
    ]
