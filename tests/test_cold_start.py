"""A fresh session's first call, as a restarted kernel or a batch script makes it: the session
opens its tiers in the background when it is made (``open_early``), so the first call of the
process is read in the caller's thread like any later one, and a process whose calls all hit
never loads the API client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

import sportsframe.facade.sync as session_module
from sportsframe import frames
from sportsframe.emulator import EmulatorServer
from sportsframe.facade import opening, shallow
from sportsframe.frames import stored, topandas
from sportsframe.registry.datasets import DATASETS
from tests.scripts import run_script
from tests.test_facade import make_session
from tests.test_frames import FRAME_DATASETS, payload_for


def _filled(emulator: EmulatorServer, namespace: str, home: Path, redis_url: str, tier: str) -> Any:
    """Week 13's props written by another session: in Redis, or (``warm``) only in the warm
    tier (the embedded SQLite file under ``home``)."""
    with make_session(emulator, namespace, home, redis_url=redis_url) as writer:
        built = writer.props(2024, 13)
        writer.settle()
        if tier == "warm":
            writer.drop_hot(built.attrs["key"])
    return built


@pytest.mark.parametrize("tier", ["hot", "warm"])
@pytest.mark.parametrize("open_early", [True, False])
def test_a_new_sessions_first_hit_is_read_in_the_callers_thread(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tier: str,
    open_early: bool,
) -> None:
    built = _filled(emulator, namespace, tmp_path, redis_url, tier)
    session = make_session(
        emulator, namespace, tmp_path, redis_url=redis_url, open_early=open_early
    )

    def no_loop(coro: Any, timeout: float | None = None) -> Any:
        coro.close()
        raise AssertionError("the first call waited on the event loop")

    try:
        monkeypatch.setattr(session_module, "run_sync", no_loop)
        if open_early:
            first = session.props(2024, 13)
            assert first.attrs["served_from"] == tier
            assert_frame_equal(first, built)
        else:  # the first call opens the tiers itself, on the loop
            with pytest.raises(AssertionError, match="waited on the event loop"):
                session.props(2024, 13)
    finally:
        monkeypatch.undo()
        session.close()


def test_a_process_whose_calls_all_hit_never_loads_the_api_client(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    _filled(emulator, namespace, tmp_path, redis_url, "hot")
    script = f"""
import json, sys
from pathlib import Path
from sportsframe.facade.sync import Session
with Session(source="emulator", base_url={emulator.base_url!r}, namespace={namespace!r},
             rate_limit=1000.0, l0_max_bytes=0, redis_url_override={redis_url!r},
             redis_host="127.0.0.1", home=Path({str(tmp_path)!r})) as session:
    served = session.props(2024, 13).attrs["served_from"]
print(json.dumps([served, "httpx" in sys.modules]))
"""
    served, loaded_httpx = run_script(script)
    assert served == "hot"
    assert not loaded_httpx  # the API client (httpx, the limiter) is built on the first miss


def test_an_idle_session_warms_up_every_datasets_frame_in_the_background(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = list(dict.fromkeys(ds.endpoint_name for ds in DATASETS.values()))
    # As in a fresh process: no schema built, no frame warmed up.
    frames.schema.cache_clear()
    frames.warm_up.cache_clear()
    monkeypatch.setattr(opening, "_warmed", set())
    monkeypatch.setattr(shallow, "_manager", shallow._UNCHECKED)  # L0's fast copy unchecked
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        session.settle()  # waits for the warm-up, which goes on while nothing is called
        assert shallow._manager not in (None, shallow._UNCHECKED)  # checked there, not in a call
        misses = frames.schema.cache_info().misses
        for name in names:
            frames.schema(name)
        assert frames.schema.cache_info().misses == misses  # each one built already
        assert opening._warmed == set(names)
        assert session.props(2024, 13).attrs["served_from"] == "api"  # and the session works


def test_the_frame_warm_up_converts_a_row_of_values_and_a_row_of_nulls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A row of nulls alone left the first real frame to pay the converters' first use on values
    # (a categorical's categories, the null masks of a column holding both).
    seen: dict[str, pa.Table] = {}
    convert = stored.frame_from_ipc

    def capture(data: bytes | memoryview) -> Any:
        table = stored.table_from_ipc(data)
        seen[current] = table
        return convert(data)

    monkeypatch.setattr(stored, "frame_from_ipc", capture)
    for current in dict.fromkeys(ds.endpoint_name for ds in DATASETS.values()):
        stored._convert_sample.cache_clear()  # datasets of one shape share a conversion
        stored.warm_up.__wrapped__(current)
        table = seen[current]
        assert table.num_rows == 2
        for name, column in zip(table.column_names, table.columns, strict=True):
            assert column[0].is_valid, (current, name, column.type)
            assert not column[1].is_valid, (current, name)


@pytest.mark.parametrize("dataset", FRAME_DATASETS)
def test_after_the_frame_warm_up_a_real_frame_converts_with_nothing_left_to_build(
    dataset: str,
) -> None:
    # A real frame's categoricals hold the whole declared category set: the pandas dtype of
    # each set is built by the warm-up, not by the first hit; and so is the stored frame's name.
    frame = frames.build_frame_from_payload(dataset, payload_for(dataset, n=40))
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    # As in a fresh process.
    topandas._categorical_dtype.cache_clear()
    frames.companion_name.cache_clear()
    stored._convert_sample.cache_clear()
    stored.warm_up.__wrapped__(dataset)
    built = topandas._categorical_dtype.cache_info().misses
    named = frames.companion_name.cache_info().misses
    converted = frames.to_pandas(table)
    frames.companion_name(dataset)
    assert topandas._categorical_dtype.cache_info().misses == built
    assert frames.companion_name.cache_info().misses == named
    assert_frame_equal(converted, frame)  # the warm-up changes no result


def test_datasets_whose_frames_have_the_same_columns_share_one_warm_up_conversion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Half the datasets repeat another's columns (its operations by week, by game, by team):
    # converting each again made the background warm-up about twice as long, long enough to
    # overlap a notebook's next cell.
    names = list(dict.fromkeys(ds.endpoint_name for ds in DATASETS.values()))
    shapes = {
        tuple((c.name, str(stored.arrow_type(c)), stored._categories(c)) for c in schema.columns)
        for schema in map(frames.schema, names)
    }
    converted: list[bytes | memoryview] = []
    convert = stored.frame_from_ipc

    def counted(data: bytes | memoryview) -> Any:
        converted.append(data)
        return convert(data)

    monkeypatch.setattr(stored, "frame_from_ipc", counted)
    stored._convert_sample.cache_clear()
    for name in names:
        stored.warm_up.__wrapped__(name)
    assert len(shapes) < len(names)
    assert len(converted) == len(shapes)


def test_the_frame_warm_ups_own_pauses_leave_it_done_long_before_a_notebooks_next_cell() -> None:
    # The pause after each dataset is there only to hand the loop and the GIL over; 5 ms each
    # made the warm-up's pauses alone 0.44 s, and the warm-up overlapped the next cell's call.
    datasets = len(dict.fromkeys(ds.endpoint_name for ds in DATASETS.values()))
    assert opening.WARM_UP_PAUSE * datasets <= 0.1
