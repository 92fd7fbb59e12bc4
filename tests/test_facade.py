"""The DataFrame facade: same frames from every tier, provenance, multi-week calls, offline mode,
sync use from anywhere, argument and key errors."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

import sportsframe as sf
from sportsframe import frames
from sportsframe.cache.entry import entry_from_ipc
from sportsframe.emulator import EmulatorServer
from sportsframe.errors import ConfigurationError, InvalidParameterError, OfflineCacheMissError
from sportsframe.facade.sync import Session
from sportsframe.loop import run_sync
from sportsframe.registry.datasets import DATASETS, Variant
from tests.filters import filters_of
from tests.samples import SAMPLE_VALUES

# A moment after the 2024 season: every 2024 week is final and has data.
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def api_paths(server: EmulatorServer) -> list[str]:
    return [r.path for r in server.requests()]


def make_session(
    server: EmulatorServer,
    namespace: str,
    tmp_path: Path,
    *,
    redis_url: str | None = None,
    postgres_url: str | None = None,
    l0: bool = False,
    **extra: Any,
) -> Session:
    return Session(
        source="emulator",
        base_url=server.base_url,
        namespace=namespace,
        rate_limit=1000.0,
        l0_max_bytes=(64 << 20) if l0 else 0,
        redis_url_override=redis_url,
        redis_host="127.0.0.1" if redis_url else "",
        database_url=postgres_url,
        home=tmp_path,
        **extra,
    )


def _positive(value: Any) -> int:
    """An id read from a frame; 1 where the frame has none (the emulator answers any id)."""
    return int(value) if pd.notna(value) and int(value) > 0 else 1


def _first(frame: pd.DataFrame, column: str) -> Any:
    return frame[column].iloc[0] if column in frame and len(frame) else None


def argument(name: str, session: Session) -> Any:
    """A value of the positional argument ``name`` for which the emulator's 2024 league has
    data: ids come from earlier answers (players, games, events, markets, slates), the rest
    from ``tests/samples.py``."""
    if name == "season":
        return 2024
    if name == "week":
        return 13
    if name == "player_id":
        return _positive(_first(session.players("KC"), "player_id"))
    if name in ("score_id", "game_id"):
        return _positive(_first(session.scores(2024, 13), "score_id"))
    if name == "date":
        day = _first(session.scores(2024, 13), "day")
        return day.date() if day is not None and pd.notna(day) else SAMPLE_VALUES["date"]
    if name == "event_id":
        return _positive(_first(session.betting_events(2024), "betting_event_id"))
    if name in ("market_id", "market_type_id"):
        markets = session.betting_markets(argument("score_id", session))
        column = "betting_market_id" if name == "market_id" else "betting_market_type_id"
        return _positive(_first(markets, column))
    if name == "slate_id":
        return _positive(_first(session.dfs_slates(2024, 13), "slate_id"))
    return SAMPLE_VALUES[name]


def dataset_args(name: str, session: Session) -> tuple[Any, ...]:
    """Arguments that give the dataset ``name`` some rows in the emulator's 2024 season."""
    return tuple(argument(n, session) for n in DATASETS[name].positional)


#: Every dataset with no filter set, then each other variant by its filters.
CASES = [
    pytest.param(
        ds.name,
        variant.endpoint_name,
        id=ds.name if variant is ds.primary else f"{ds.name}-{variant.endpoint_name}",
    )
    for ds in DATASETS.values()
    for variant in ds.variants
]


def _variant(dataset: str, endpoint_name: str) -> Variant:
    return next(v for v in DATASETS[dataset].variants if v.endpoint_name == endpoint_name)


@pytest.mark.parametrize(("dataset", "endpoint_name"), CASES)
def test_api_warm_and_hot_frames_are_equal(
    dataset: str,
    endpoint_name: str,
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    ds = DATASETS[dataset]
    filters = filters_of(ds, _variant(dataset, endpoint_name))
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        args = dataset_args(dataset, session)
        fn = getattr(session, dataset)
        from_api = fn(*args, **filters, refresh=True)
        session.settle()  # the entry and its frame are written behind the answer
        from_hot = fn(*args, **filters)
        session.drop_hot(from_api.attrs["key"])
        from_warm = fn(*args, **filters)
        # The operation the filters chose keys the entry (after the source's prefix).
        assert from_api.attrs["key"].split("/", 1)[-1].split(":")[0] == endpoint_name
        assert from_api.attrs["served_from"] == "api"
        assert from_hot.attrs["served_from"] == "hot"
        assert from_warm.attrs["served_from"] == "warm"
        assert_frame_equal(from_api, from_hot)
        assert_frame_equal(from_api, from_warm)
        dictionary = sf.dictionary(dataset)
        assert list(dictionary["column"]) == list(from_api.columns)
        assert list(dictionary["dtype"]) == [str(t) for t in from_api.dtypes]


def _operation_of(path: str) -> str:
    return path.split("/json/")[1].split("/")[0]


@pytest.mark.parametrize(
    ("dataset", "endpoint_name"),
    [
        pytest.param(ds.name, v.endpoint_name, id=f"{ds.name}-{v.endpoint_name}")
        for ds in DATASETS.values()
        if len(ds.variants) > 1
        for v in ds.variants
    ],
)
def test_each_filter_combination_requests_the_narrowest_operation(
    dataset: str, endpoint_name: str, emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    ds = DATASETS[dataset]
    variant = _variant(dataset, endpoint_name)
    with make_session(emulator, namespace, tmp_path) as session:
        args = dataset_args(dataset, session)
        emulator.clear_requests()
        getattr(session, dataset)(*args, **filters_of(ds, variant), refresh=True)
    paths = api_paths(emulator)
    assert len(paths) == 1, paths
    template = variant.endpoint.path
    assert template is not None
    # The operation's own path: its name and as many segments as its template has.
    assert _operation_of(paths[0]) == _operation_of(template)
    assert paths[0].count("/") == template.count("/")


@pytest.fixture
def pg_session(
    emulator: EmulatorServer,
    redis_url: str,
    postgres_url: str,
    schema: str,
    namespace: str,
    tmp_path: Path,
) -> Iterator[Session]:
    """A session over the real Redis and PostgreSQL (a schema of the test's own)."""
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    with make_session(
        emulator, namespace, tmp_path, redis_url=redis_url, postgres_url=url
    ) as session:
        yield session


def test_hot_and_warm_hits_serve_the_stored_finished_frame(
    pg_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_session as session:
        built = session.props(2024, 13)
        assert built.attrs["served_from"] == "api"
        session.settle()

        def no_rebuild(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a hit rebuilt the frame instead of reading the stored one")

        monkeypatch.setattr(frames, "build_table", no_rebuild)
        from_hot = session.props(2024, 13)
        session.drop_hot(built.attrs["key"])
        from_warm = session.props(2024, 13)
    assert (from_hot.attrs["served_from"], from_warm.attrs["served_from"]) == ("hot", "warm")
    assert_frame_equal(from_hot, built)
    assert_frame_equal(from_warm, built)


def test_sync_hot_hit_is_read_in_the_callers_thread(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sportsframe.facade.sync as session_module

    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        built = session.props(2024, 13)
        session.settle()
        before = session.cache_stats()["hot_cache"]["hits"]
        real_run_sync = session_module.run_sync

        def no_loop(coro: Any, timeout: float | None = None) -> Any:
            coro.close()
            raise AssertionError("a hot hit waited on the event loop")

        monkeypatch.setattr(session_module, "run_sync", no_loop)
        from_hot = session.props(2024, 13)
        monkeypatch.setattr(session_module, "run_sync", real_run_sync)
        after = session.cache_stats()["hot_cache"]["hits"]
    assert from_hot.attrs["served_from"] == "hot"
    assert from_hot.attrs == {**built.attrs, "served_from": "hot"}
    assert_frame_equal(from_hot, built)
    assert after == before + 1  # counted on the loop, like every other hit


def test_sync_hot_path_never_serves_a_frame_of_an_older_entry(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[str] = []
    real_build = frames.build_table

    def counting_build(dataset: str, *args: Any, **kwargs: Any) -> Any:
        builds.append(dataset)
        return real_build(dataset, *args, **kwargs)

    monkeypatch.setattr(frames, "build_table", counting_build)
    with (
        make_session(emulator, namespace, tmp_path / "a", redis_url=redis_url) as reader,
        make_session(emulator, namespace, tmp_path / "b", redis_url=redis_url) as writer,
    ):
        first = reader.props(2024, 13)
        reader.settle()
        # Another process reloads the entry through the cache alone (no frame stored beside).
        client = writer.client()
        params = first.attrs["params"]
        reloaded = run_sync(
            client.fetch_entry("player_props", params["season"], params["week"], refresh=True)
        )
        writer.settle()  # its entry lands behind its answer
        builds.clear()
        again = reader.props(2024, 13)
    # The frame stored beside the old entry was refused: this one was built from the new entry.
    assert builds == ["player_props"]
    assert reloaded.entry.created_at > first.attrs["fetched_at"]
    assert again.attrs["served_from"] == "hot"
    assert again.attrs["fetched_at"] == reloaded.entry.created_at
    assert_frame_equal(again, first)


def test_future_week_is_an_empty_frame_with_the_full_schema(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        frame = session.props(2025, 18)  # after NOW: no props yet
    assert len(frame) == 0
    assert list(frame.columns) == frames.schema("player_props").names
    assert (frame.dtypes == frames.build_frame_from_payload("player_props", []).dtypes).all()


@pytest.mark.parametrize(
    ("dataset", "endpoint_name"),
    [
        pytest.param(ds.name, v.endpoint_name, id=f"{ds.name}-{v.endpoint_name}")
        for ds in DATASETS.values()
        if ds.kind == "week"
        for v in ds.variants
    ],
)
def test_every_week_dataset_answers_a_future_week_with_the_full_schema(
    dataset: str, endpoint_name: str, emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    # A future week is empty for what is played (stats, injuries) and holds what is known ahead
    # (the schedule's games, projections, slates): either way the frame has every column with
    # its declared dtype, the same as an empty answer's.
    ds = DATASETS[dataset]
    filters = filters_of(ds, _variant(dataset, endpoint_name))
    with make_session(emulator, namespace, tmp_path) as session:
        frame = getattr(session, dataset)(2025, 18, **filters)  # after NOW: nothing played
    empty = frames.build_frame_from_payload(ds.endpoint_name, [])
    assert len(empty) == 0
    assert list(frame.columns) == list(empty.columns) == list(sf.dictionary(dataset)["column"])
    assert list(frame.dtypes) == list(empty.dtypes)


def test_multi_week_fetches_only_missing_weeks_once(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        week17 = session.props(2024, 17)
        session.settle()
        emulator.clear_requests()
        both = session.props(2024, [17, 18])
        paths = [p.lower() for p in api_paths(emulator)]
        assert not any("/2024reg/17" in p for p in paths)
        assert len(paths) == len(set(paths))  # each path once
        assert any("scoresbyweek/2024reg/18" in p for p in paths)
        assert sum("bettingplayerpropsbyscoreid" in p for p in paths) == len(
            session.scores(2024, 18)
        )
    assert set(both["week"].dropna()) <= {17, 18}
    assert len(both) == len(week17) + len(both[both["week"] == 18])
    assert both.attrs["served_from"] == "mixed"
    assert [p["served_from"] for p in both.attrs["parts"]] == ["hot", "api"]


def test_attrs_tell_where_each_frame_came_from(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        first = session.injuries(2024, 10)
        session.settle()
        second = session.injuries(2024, 10)
        session.drop_hot(first.attrs["key"])
        third = session.injuries(2024, 10)
    assert [f.attrs["served_from"] for f in (first, second, third)] == ["api", "hot", "warm"]
    attrs = first.attrs
    assert attrs["key"] == "emulator/injuries:2024:10"
    assert attrs["endpoint"] == "injuries"
    assert attrs["params"]["week"] == 10
    assert attrs["source"] == "emulator"
    assert attrs["stale"] is False
    assert attrs["expires_at"] > attrs["fetched_at"]
    with make_session(emulator, namespace + "l0", tmp_path / "b", l0=True) as session:
        api = session.injuries(2024, 11)
        l0 = session.injuries(2024, 11)
    assert (api.attrs["served_from"], l0.attrs["served_from"]) == ("api", "l0")
    assert_frame_equal(api, l0)


def test_l0_hit_is_a_shallow_copy_safe_from_edits(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path, l0=True) as session:
        first = session.injuries(2024, 9)
        built = dict(first.attrs)
        first.loc[0, "name"] = "edited"
        first.attrs["params"]["week"] = 99  # attrs too, nested ones included
        first.attrs["stale"] = True
        second = session.injuries(2024, 9)
        second.attrs["params"]["week"] = 98
        third = session.injuries(2024, 9)
    assert second.attrs["served_from"] == "l0"
    assert second.loc[0, "name"] != "edited"
    assert third.attrs == {**built, "params": {**built["params"], "week": 9}, "served_from": "l0"}


def test_offline_serves_cached_weeks_and_raises_on_a_miss(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as online:
        cached = online.injuries(2024, 5)
    emulator.clear_requests()
    with make_session(emulator, namespace, tmp_path, offline=True) as offline:
        again = offline.injuries(2024, 5)
        with pytest.raises(OfflineCacheMissError):
            offline.injuries(2024, 6)
    assert emulator.requests() == []
    assert_frame_equal(cached, again)


def test_sync_facade_inside_a_running_loop_and_from_threads(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    session = make_session(emulator, namespace, tmp_path)

    async def inside_loop() -> pd.DataFrame:
        return session.injuries(2024, 3)  # a sync call from inside a running loop

    try:
        frame = asyncio.run(inside_loop())
        assert len(frame) > 0
        results: list[pd.DataFrame] = []
        errors: list[BaseException] = []

        def worker(week: int) -> None:
            try:
                results.append(session.injuries(2024, week))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert sorted(int(f["week"].iloc[0]) for f in results) == list(range(1, 9))
    finally:
        session.close()


def test_no_nest_asyncio_anywhere() -> None:
    package = Path(sf.__file__).parent
    for path in package.rglob("*.py"):
        assert "nest_asyncio" not in path.read_text(), path


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda s: s.props(2024, 0), "week"),
        (lambda s: s.props(2024, 24), "week"),
        (lambda s: s.props(1899, 1), "season"),
        (lambda s: s.props("abc", 1), "season"),
        (lambda s: s.props(2024, True), "week"),
        (lambda s: s.props(2024, [17, True]), "week"),
        (lambda s: s.players("XXX"), "team"),
        (lambda s: s.play_by_play(-5), "game_id"),
        (lambda s: s.props(2024, 1, season_type="XYZ"), "season_type"),
    ],
)
def test_bad_arguments_name_the_argument_before_any_request(
    call: Any, argument: str, emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        with pytest.raises(InvalidParameterError) as err:
            call(session)
        assert err.value.parameter == argument
        assert argument in str(err.value)
    assert emulator.requests() == []


def test_missing_key_names_the_variable(tmp_path: Path) -> None:
    with (
        Session(home=tmp_path, redis_host="") as session,
        pytest.raises(ConfigurationError, match="SPORTSDATAIO_API_KEY"),
    ):
        session.props(2024, 18)


def test_every_dataset_is_exported() -> None:
    for name in DATASETS:
        assert callable(getattr(sf, name))
        assert name in sf.__all__


def test_invalidation_reaches_other_processes_l0_within_100ms(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import time

    with make_session(emulator, namespace, tmp_path, redis_url=redis_url, l0=True) as session:
        session.injuries(2024, 4)
        assert session.injuries(2024, 4).attrs["served_from"] == "l0"
        script = (
            "import sys\n"
            "from sportsframe.facade.sync import Session\n"
            "with Session(source='emulator', base_url=sys.argv[1], namespace=sys.argv[2],\n"
            "             redis_url_override=sys.argv[3], home=sys.argv[4],\n"
            "             rate_limit=1000.0) as s:\n"
            "    s.clear_cache('injuries', season=2024, week=4)\n"
        )
        subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                emulator.base_url,
                namespace,
                redis_url,
                str(tmp_path / "other"),
            ],
            check=True,
            timeout=60,
        )
        time.sleep(0.1)  # the coherence window under test, not a TTL
        assert session.injuries(2024, 4).attrs["served_from"] != "l0"
        # In the invalidating process itself: at once.
        session.injuries(2024, 4)
        assert session.injuries(2024, 4).attrs["served_from"] == "l0"
        session.clear_cache("injuries", season=2024, week=4)
        assert session.injuries(2024, 4).attrs["served_from"] != "l0"


def test_dead_redis_and_postgres_still_answer_without_leaking_the_password(
    emulator: EmulatorServer, namespace: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        rate_limit=1000.0,
        redis_port=1,  # nothing listens there
        database_url="postgresql+psycopg://user:hunter2-secret@127.0.0.1:1/db",
        home=tmp_path,
    ) as session:
        first = session.injuries(2024, 2)
        second = session.injuries(2024, 2)
        stats = session.cache_stats()
    assert first.attrs["served_from"] == "api"
    assert second.attrs["served_from"] in ("l0", "hot")
    assert stats["warm_cache"]["errors"] >= 1
    messages = [r.getMessage() for r in caplog.records]
    assert any("warm" in m and "unavailable" in m for m in messages)
    assert any("quota" in m for m in messages)
    assert not any("hunter2-secret" in m for m in messages)


def test_l0_refuses_a_frame_read_before_an_invalidation() -> None:
    from sportsframe.facade.l0 import FrameCache

    cache = FrameCache(1 << 20)
    expires = datetime(2100, 1, 1, tzinfo=UTC)
    frame = pd.DataFrame({"a": [1, 2]})
    generation = cache.generation
    cache.invalidate("odds:*")  # lands while the frame was being read and converted
    cache.put("odds:2024:18", frame, expires, generation=generation)
    assert cache.get("odds:2024:18") is None
    cache.put("odds:2024:18", frame, expires, generation=cache.generation)
    assert cache.get("odds:2024:18") is not None


def test_clear_cache_during_a_sync_hot_read_wins(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with make_session(emulator, namespace, tmp_path, redis_url=redis_url, l0=True) as session:
        session.props(2024, 13)
        session.settle()
        session.aio.l0.clear()  # this process's L0 forgets; Redis still has the week
        real = frames.table_from_ipc
        cleared: list[int] = []

        def clear_while_converting(data: Any) -> pa.Table:
            if not cleared:
                cleared.append(session.clear_cache("props", season=2024, week=13))
            return real(data)

        monkeypatch.setattr(frames, "table_from_ipc", clear_while_converting)
        during = session.props(2024, 13)
        monkeypatch.setattr(frames, "table_from_ipc", real)
        emulator.clear_requests()
        after = session.props(2024, 13)
    assert during.attrs["served_from"] == "hot"
    assert cleared
    assert cleared[0] > 0
    assert after.attrs["served_from"] == "api"  # not the cleared frame, kept in L0
    assert api_paths(emulator)


def test_an_unreadable_stored_frame_is_rebuilt(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis

    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        built = session.props(2024, 13)
        session.settle()
        raw = redis.Redis.from_url(redis_url)
        try:
            (stored_key,) = raw.keys(f"{namespace}#frame-player_props-*")
            stamp = raw.getrange(stored_key, 0, 11)
            raw.set(stored_key, stamp + b"not an arrow stream", keepttl=True)
        finally:
            raw.close()
        with caplog.at_level(logging.WARNING, logger="sportsframe"):
            again = session.props(2024, 13)
    assert again.attrs["served_from"] == "hot"
    assert_frame_equal(again, built)
    assert any("unreadable stored frame" in r.getMessage() for r in caplog.records)


def test_an_unreadable_stored_frame_in_postgres_is_rebuilt_from_the_entry(
    pg_session: Session, postgres_url: str, schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    from sportsframe.cache.sql import blob

    with pg_session as session:
        built = session.props(2024, 14)
        session.settle()
        dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            # Packed well, but not a frame: the warm hit's entry came without its payload
            # (deferred), so rebuilding the frame must read the payload first.
            conn.execute(
                f'UPDATE "{schema}".cache_companions SET data = %s',
                (blob.pack(b"not an arrow stream"),),
            )
        session.drop_hot(built.attrs["key"])
        with caplog.at_level(logging.WARNING, logger="sportsframe"):
            again = session.props(2024, 14)
    assert again.attrs["served_from"] == "warm"
    assert_frame_equal(again, built)
    assert any("unreadable stored frame" in r.getMessage() for r in caplog.records)


def test_l0_is_bounded_by_the_size_the_caller_reports() -> None:
    from sportsframe.facade.l0 import FrameCache

    cache = FrameCache(10_000)
    expires = datetime(2100, 1, 1, tzinfo=UTC)
    small = pd.DataFrame({"a": [1, 2]})
    cache.put("a", small, expires, nbytes=6_000)
    cache.put("b", small, expires, nbytes=6_000)  # the two do not fit: "a" goes
    assert cache.get("a") is None
    assert cache.get("b") is not None
    assert cache.nbytes == 6_000
    cache.put("c", small, expires, nbytes=20_000)  # larger than the whole cache: not kept
    assert cache.get("c") is None


def test_a_script_that_never_closes_its_session_exits_without_task_warnings(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    # A warm hit leaves its copy to Redis pending; the script then simply ends.
    script = (
        "import sys\n"
        "from sportsframe.facade.sync import Session\n"
        "s = Session(source='emulator', base_url=sys.argv[1], namespace=sys.argv[2],\n"
        "            redis_url_override=sys.argv[3], home=sys.argv[4], rate_limit=1000.0,\n"
        "            l0_max_bytes=0)\n"
        "key = s.injuries(2024, 4).attrs['key']\n"
        "s.drop_hot(key)\n"
        "print(s.injuries(2024, 4).attrs['served_from'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, emulator.base_url, namespace, redis_url, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "warm"
    assert "Task was destroyed" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_sync_warm_hit_asks_redis_once(
    emulator: EmulatorServer, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    from sportsframe.cache.redis.tier import RedisTier

    calls: list[str] = []
    original = RedisTier.get_with_companion

    async def counted(self: RedisTier, key: str, companion: str, **kw: Any) -> Any:
        calls.append(key)
        return await original(self, key, companion, **kw)

    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        first = session.injuries(2024, 12)
        session.drop_hot(first.attrs["key"])
        before = session.cache_stats()["hot_cache"]["misses"]
        RedisTier.get_with_companion = counted  # type: ignore[method-assign]
        try:
            warm = session.injuries(2024, 12)
        finally:
            RedisTier.get_with_companion = original  # type: ignore[method-assign]
        assert warm.attrs["served_from"] == "warm"
        # The caller's thread found the key absent from Redis; the loop went straight to the
        # warm tier, and the miss was still counted once.
        assert calls == []
        assert session.cache_stats()["hot_cache"]["misses"] == before + 1
        session.settle()
        assert session.injuries(2024, 12).attrs["served_from"] == "hot"


@pytest.fixture(params=["sqlite", "postgres"])
def warm_session(
    request: pytest.FixtureRequest,
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
) -> Iterator[Session]:
    """A session over the real Redis and each warm tier: the embedded SQLite file, and the real
    PostgreSQL (a schema of the test's own)."""
    if request.param == "sqlite":
        with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
            yield session
    else:
        yield request.getfixturevalue("pg_session")


def test_sync_warm_hit_is_read_in_the_callers_thread(
    warm_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sportsframe.facade.sync as session_module

    with warm_session as session:
        built = session.props(2024, 13)
        session.settle()
        session.drop_hot(built.attrs["key"])
        stats = session.cache_stats()
        real_run_sync = session_module.run_sync

        def no_loop(coro: Any, timeout: float | None = None) -> Any:
            coro.close()
            raise AssertionError("a warm hit waited on the event loop")

        monkeypatch.setattr(session_module, "run_sync", no_loop)
        from_warm = session.props(2024, 13)
        monkeypatch.setattr(session_module, "run_sync", real_run_sync)
        assert from_warm.attrs == {**built.attrs, "served_from": "warm"}
        assert_frame_equal(from_warm, built)
        session.settle()  # the count and the copy to Redis happen on the loop, behind it
        after = session.cache_stats()
        assert after["warm_cache"]["hits"] == stats["warm_cache"]["hits"] + 1
        assert after["hot_cache"]["misses"] == stats["hot_cache"]["misses"] + 1
        assert session.props(2024, 13).attrs["served_from"] == "hot"  # copied


def test_a_sync_warm_hit_overlapped_by_a_write_is_not_copied_over_it(
    warm_session: Session, redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    from sportsframe.cache.sql.pool import SyncWarmReader

    with warm_session as session:
        built = session.props(2024, 15)
        session.settle()
        key = built.attrs["key"]
        session.drop_hot(key)
        original = SyncWarmReader.read_many
        refreshed: list[pd.DataFrame] = []

        def read_then_refresh(self: SyncWarmReader, *args: Any) -> Any:
            entries = original(self, *args)
            # Another caller refreshes the week while this read's answer is on its way.
            refreshed.append(session.props(2024, 15, refresh=True))
            return entries

        monkeypatch.setattr(SyncWarmReader, "read_many", read_then_refresh)
        stale = session.props(2024, 15)
        monkeypatch.setattr(SyncWarmReader, "read_many", original)
        session.settle()
        assert stale.attrs["served_from"] == "warm"
        assert stale.attrs["fetched_at"] == built.attrs["fetched_at"]
        newer = refreshed[0].attrs["fetched_at"]
        assert newer > built.attrs["fetched_at"]
        raw = redis.Redis.from_url(redis_url)
        try:
            value = raw.get(f"{namespace}:{key}")
        finally:
            raw.close()
        assert value is not None
        # Redis keeps the refreshed entry: the older one read before it was not copied over it.
        assert entry_from_ipc(value, lazy=True).created_at == newer


def test_a_failing_sync_warm_read_falls_back_to_the_loop(
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sqlite3

    from sportsframe.cache.sql.sqlite import SqliteBackend

    with make_session(emulator, namespace, tmp_path, redis_url=redis_url) as session:
        built = session.props(2024, 16)
        session.settle()
        session.drop_hot(built.attrs["key"])

        def broken(*args: Any) -> Any:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(SqliteBackend, "fetch", broken)
        again = session.props(2024, 16)
        assert again.attrs["served_from"] == "warm"  # through the loop's own read
        assert_frame_equal(again, built)
        warm = session.aio._client.manager.warm  # type: ignore[union-attr]
        reader = warm.sync_reader()  # type: ignore[union-attr]
        assert reader is not None
        assert reader.quiet  # one failure, then the loop's path alone for a while
