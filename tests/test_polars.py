"""polars frames (``backend="polars"``): the pandas frame's values with polars-native dtypes, built
from the same Arrow data without pandas; served from L0 on a repeat; chosen per call, by
``sf.configure`` or by SPORTSFRAME_BACKEND; with provenance; and, without polars, an error that
names the extra."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import polars.selectors as cs
import pytest
from polars.testing import assert_frame_equal

import sportsframe as sf
from sportsframe import frames
from sportsframe.emulator import EmulatorServer
from sportsframe.errors import InvalidParameterError
from sportsframe.facade import provenance as registry
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.sync import Session
from sportsframe.registry.datasets import DATASETS
from tests.test_facade import dataset_args  # ids from earlier answers, per argument


def make_session(server: EmulatorServer, tmp_path: Path, **extra: Any) -> Session:
    """A session on the emulator over the embedded tiers (in-process hot, SQLite warm)."""
    settings: dict[str, Any] = dict(
        source="emulator",
        base_url=server.base_url,
        rate_limit=1000.0,
        redis_host="",
        l0_max_bytes=64 << 20,
        home=tmp_path,
    )
    return Session(**{**settings, **extra})


def expected_dtype(dtype: Any) -> pl.DataType:
    """The polars-native dtype of a sportsframe pandas column."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pl.Enum(list(dtype.categories))
    return {
        "Int64": pl.Int64(),
        "Float64": pl.Float64(),
        "boolean": pl.Boolean(),
        "str": pl.String(),
        "datetime64[ns, UTC]": pl.Datetime("ns", "UTC"),
    }[str(dtype)]


def same_values(ours: pl.DataFrame, pandas_frame: pd.DataFrame) -> None:
    """``ours`` equals ``pl.from_pandas`` of the pandas frame in values (categories compared as
    text: from_pandas makes a pl.Categorical where sportsframe makes a pl.Enum)."""
    theirs = pl.from_pandas(pandas_frame)
    assert_frame_equal(
        ours.with_columns(cs.enum().cast(pl.String)),
        theirs.with_columns(cs.categorical().cast(pl.String)),
    )


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_polars_frame_is_the_pandas_frame_with_native_dtypes_and_a_repeat_is_from_l0(
    dataset: str, emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_session(emulator, tmp_path) as session:
        args = dataset_args(dataset, session)
        fn = getattr(session, dataset)
        real = frames.to_pandas

        def refuse(*a: Any, **k: Any) -> Any:
            raise AssertionError("a polars frame went through pandas")

        monkeypatch.setattr(frames, "to_pandas", refuse)
        built = fn(*args, backend="polars")  # from the API: built from the entry's table
        monkeypatch.setattr(frames, "to_pandas", real)
        pandas_frame = fn(*args)  # the stored finished frame beside the entry, as pandas
        monkeypatch.setattr(frames, "to_pandas", refuse)
        emulator.clear_requests()
        again = fn(*args, backend="polars")
        monkeypatch.setattr(frames, "to_pandas", real)

    assert type(built) is pl.DataFrame
    assert isinstance(pandas_frame, pd.DataFrame)
    assert built.columns == list(pandas_frame.columns)
    assert dict(built.schema) == {c: expected_dtype(t) for c, t in pandas_frame.dtypes.items()}
    same_values(built, pandas_frame)
    assert_frame_equal(again, built)
    assert sf.provenance(built)["served_from"] == "api"  # type: ignore[index]
    assert sf.provenance(again)["served_from"] == "l0"  # type: ignore[index]
    assert emulator.requests() == []


def test_polars_frames_from_every_tier_are_equal(emulator: EmulatorServer, tmp_path: Path) -> None:
    # L0 off: the repeat calls read the hot tier (the stored Arrow stream) and the warm tier.
    with make_session(emulator, tmp_path, l0_max_bytes=0) as session:
        from_api = session.props(2024, 13, backend="polars")
        session.settle()
        from_hot = session.props(2024, 13, backend="polars")
        key = sf.provenance(from_api)["key"]  # type: ignore[index]
        session.drop_hot(key)
        from_warm = session.props(2024, 13, backend="polars")
    tiers = [sf.provenance(f)["served_from"] for f in (from_api, from_hot, from_warm)]  # type: ignore[index]
    assert tiers == ["api", "hot", "warm"]
    assert_frame_equal(from_api, from_hot)
    assert_frame_equal(from_api, from_warm)


def test_sync_polars_hits_are_read_in_the_callers_thread(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sportsframe.facade.sync as sync_module

    def no_loop(coro: Any, timeout: float | None = None) -> Any:
        coro.close()
        raise AssertionError("a hit waited on the event loop")

    with make_session(
        emulator,
        tmp_path,
        redis_url_override=redis_url,
        redis_host="127.0.0.1",
        namespace=namespace,
    ) as session:
        built = session.props(2024, 13, backend="polars")
        session.settle()
        session.aio.l0.clear()
        monkeypatch.setattr(sync_module, "run_sync", no_loop)
        from_hot = session.props(2024, 13, backend="polars")  # Redis, in this thread
        from_l0 = session.props(2024, 13, backend="polars")
        monkeypatch.undo()
        session.drop_hot(sf.provenance(built)["key"])  # type: ignore[index]
        session.aio.l0.clear()
        monkeypatch.setattr(sync_module, "run_sync", no_loop)
        from_warm = session.props(2024, 13, backend="polars")  # SQLite, in this thread
        monkeypatch.undo()
        session.settle()
    served = [sf.provenance(f)["served_from"] for f in (from_hot, from_l0, from_warm)]  # type: ignore[index]
    assert served == ["hot", "l0", "warm"]
    for frame in (from_hot, from_l0, from_warm):
        assert type(frame) is pl.DataFrame
        assert_frame_equal(frame, built)


async def test_async_session_returns_polars_frames(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    async with AsyncSession(
        source="emulator",
        base_url=emulator.base_url,
        rate_limit=1000.0,
        redis_host="",
        home=tmp_path,
    ) as session:
        first = await session.props(2024, 13, backend="polars")
        again = await session.props(2024, 13, backend="polars")
        pandas_frame = await session.props(2024, 13)
    assert type(first) is pl.DataFrame
    assert sf.provenance(again)["served_from"] == "l0"  # type: ignore[index]
    same_values(first, pandas_frame)


def test_multi_part_polars_frames_carry_provenance(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    with make_session(emulator, tmp_path) as session:
        both = session.props(2024, [12, 13], backend="polars")
        again = session.props(2024, [12, 13], backend="polars")
        pandas_frame = session.props(2024, [12, 13])
    same_values(both, pandas_frame)
    found = sf.provenance(both)
    assert found is not None
    assert found["served_from"] == "api"
    assert [p["key"] for p in found["parts"]] == [p["key"] for p in pandas_frame.attrs["parts"]]
    assert found["fetched_at"] == pandas_frame.attrs["fetched_at"]
    assert found["expires_at"] == pandas_frame.attrs["expires_at"]
    assert found["stale"] is False
    assert sf.provenance(again)["served_from"] == "l0"  # type: ignore[index]


def test_l0_keeps_its_own_polars_copy_counts_it_and_invalidation_drops_it(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    with make_session(emulator, tmp_path) as session:
        l0 = session.aio.l0
        session.props(2024, 13)
        pandas_bytes = l0.nbytes
        first = session.props(2024, 13, backend="polars")
        # One frame per backend under the key, each charged for.
        assert len(l0) == 2
        assert l0.nbytes > pandas_bytes
        rows, columns = first.shape
        first.drop_in_place("player_name")  # in place: must not reach the cached frame
        registry.attrs_of(first)["stale"] = True  # its live provenance, not sf's copy
        hit = session.props(2024, 13, backend="polars")
        assert hit.shape == (rows, columns)
        assert sf.provenance(hit)["stale"] is False  # type: ignore[index]
        session.clear_cache("props", season=2024, week=13)
        assert len(l0) == 0
        refetched = session.props(2024, 13, backend="polars")
        assert sf.provenance(refetched)["served_from"] == "api"  # type: ignore[index]


@pytest.fixture
def module_session() -> Iterator[None]:
    """Restores ``sf``'s default session after a test that configures it."""
    yield
    with sf._lock:
        old, sf._default = sf._default, None
    if old is not None:
        old.close()


def test_configure_and_the_environment_select_polars(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module_session: None,
) -> None:
    where = dict(source="emulator", base_url=emulator.base_url, redis_host="", home=tmp_path)
    sf.configure(backend="polars", **where)
    assert type(sf.props(2024, 13)) is pl.DataFrame
    assert isinstance(sf.props(2024, 13, backend="pandas"), pd.DataFrame)
    monkeypatch.setenv("SPORTSFRAME_BACKEND", "polars")
    sf.configure(**where)
    assert type(sf.scores(2024, 13)) is pl.DataFrame
    monkeypatch.setenv("SPORTSFRAME_BACKEND", "pandas")
    sf.configure(**where)
    assert isinstance(sf.scores(2024, 13), pd.DataFrame)


def test_a_bad_backend_is_an_invalid_parameter_before_any_request(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    refused = pytest.raises(InvalidParameterError, match="backend")
    with make_session(emulator, tmp_path) as session, refused:
        session.props(2024, 13, backend="arrow")  # type: ignore[call-overload]
    assert emulator.requests() == []
    with pytest.raises(sf.ConfigurationError, match="SPORTSFRAME_BACKEND"):
        sf.Settings(backend="arrow")


def test_provenance_is_for_the_frame_returned_and_goes_with_it(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    with make_session(emulator, tmp_path, l0_max_bytes=0) as session:
        frame = session.scores(2024, 13, backend="polars")
    assert sf.provenance(frame) is not None
    assert sf.provenance(frame.head(3)) is None  # a derived frame has none
    assert sf.provenance(pl.DataFrame({"a": [1]})) is None
    assert sf.provenance(pd.DataFrame({"a": [1]})) is None
    held = len(registry._registry)
    del frame
    gc.collect()
    assert len(registry._registry) == held - 1  # never keeps a frame alive, nor its entry


NO_POLARS = """
import sys
sys.modules["polars"] = None  # import polars fails, as without the extra
import sportsframe as sf

def error(call):
    try:
        call()
    except sf.ConfigurationError as exc:
        return str(exc)
    return "no error"

print(error(lambda: sf.Session(backend="polars")))
print(error(lambda: sf.Session(backend="pandas").props(2024, 13, backend="polars")))
print(error(lambda: sf.props(2024, 13)))  # SPORTSFRAME_BACKEND=polars
print(type(sf.Session(backend="pandas")).__name__)
"""


def test_without_polars_asking_for_it_names_the_extra(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(NO_POLARS)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "SPORTSFRAME_BACKEND": "polars",
            "SPORTSFRAME_HOME": str(tmp_path),
            "REDIS_HOST": "",
            "PATH": "",
        },
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 4, run.stdout
    for line in lines[:3]:
        assert 'pip install "sportsframe[polars]"' in line, line
    assert lines[3] == "Session"


def test_import_sportsframe_does_not_import_polars() -> None:
    code = "import sys, sportsframe; print('polars' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "False", run.stderr
