"""Facade benchmark: ``sf.props(2024, 18)`` (about 2,000 rows) from each tier, side by side.

Printed, never asserted. Measures in one run, against the real Redis and the embedded or given
warm tier, with a local emulator as the API:

(a) the L0 hit beside a pickled DataFrame read back from local disk with diskcache;
(b) the Redis hit with L0 off beside its floor (Redis GET + IPC read of the entry's value +
    ``to_pandas`` of the finished frame's Arrow table), beside the floor of the finished frame
    the hot tier keeps beside the entry (GET of it + IPC read + ``to_pandas``), and beside
    building the same frame from JSON held in Redis (GET + orjson + frame build);
(c) the warm hit with Redis flushed (p50 of the caller's wait; the copy back to Redis,
    written after the answer, is reported apart).

Run: ``python benchmarks/facade.py [--redis-url URL] [--database-url URL] [--rounds N] [--quick]``.
The warm tier's tables are created in the database given (and left there): give it a database of
its own. Without one, the embedded SQLite file serves (removed afterwards).
Writes ``benchmarks/results/facade.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import redis
from _common import back_to_back, drop_namespace, ms, side_by_side

from sportsframe import frames
from sportsframe.cache import codec
from sportsframe.cache.redis.layout import COMPANION_STAMP_BYTES, KeyLayout
from sportsframe.emulator import start_emulator
from sportsframe.facade.sync import Session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="a smoke test: 10 rounds")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 10
    namespace = f"sfbench:{uuid.uuid4().hex[:8]}"
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    emulator = start_emulator(now=datetime(2025, 3, 1, tzinfo=UTC))
    raw = redis.Redis.from_url(args.redis_url)
    results: dict[str, Any] = {}
    try:
        common = dict(
            source="emulator",
            base_url=emulator.base_url,
            namespace=namespace,
            rate_limit=1000.0,
            redis_url_override=args.redis_url,
            database_url=args.database_url,
            home=home,
        )
        with (
            Session(**common, l0_max_bytes=256 << 20) as with_l0,
            Session(**common, l0_max_bytes=0) as no_l0,
        ):
            frame = with_l0.props(2024, 18)  # cold: fills every tier
            with_l0.settle()  # (a warm hit from an earlier run is copied to Redis behind it)
            key = frame.attrs["key"]
            redis_key = f"{namespace}:{key}"
            value = raw.get(redis_key)
            assert value is not None, "the props week is not in Redis"
            rows = len(frame)

            # (a) L0 hit vs diskcache pickled DataFrame
            import diskcache

            disk = diskcache.Cache(str(home / "diskcache"))
            disk.set("props", frame)
            a = side_by_side(
                {"l0": lambda: with_l0.props(2024, 18), "disk": lambda: disk.get("props")},
                args.rounds,
            )
            l0_hit, disk_read = a["l0"], a["disk"]
            disk.close()

            # (b) Redis hit with L0 off vs its floor and vs frame from JSON in Redis. The
            # finished frame's Arrow table is the one stored beside the entry (after its stamp).
            companion_key = KeyLayout(namespace).companion(
                frames.companion_name("player_props"), key
            )
            stored = raw.get(companion_key)
            assert stored is not None, "the finished frame is not in Redis"
            finished = pa.ipc.open_stream(memoryview(stored)[COMPANION_STAMP_BYTES:]).read_all()

            def floor() -> pd.DataFrame:
                data = raw.get(redis_key)
                assert data is not None
                pa.ipc.open_stream(data).read_all()
                return frames.to_pandas(finished)

            def stored_floor() -> pd.DataFrame:
                data = raw.get(companion_key)
                assert data is not None
                return frames.frame_from_ipc(memoryview(data)[COMPANION_STAMP_BYTES:])

            json_key = f"{namespace}:json-props"
            json_value = orjson.dumps(codec.table_to_payload(codec.decode(value)))
            raw.set(json_key, json_value)
            json_bytes = len(json_value)
            del json_value  # (the decoded payload, a million objects, is not kept alive)

            def from_json() -> pd.DataFrame:
                data = raw.get(json_key)
                assert data is not None
                return frames.build_frame_from_payload("player_props", orjson.loads(data))

            b = side_by_side(
                {"hot": lambda: no_l0.props(2024, 18), "floor": floor, "stored": stored_floor},
                args.rounds,
            )
            hot_hit, hot_floor, frame_floor = b["hot"], b["floor"], b["stored"]
            j = back_to_back(
                {
                    "hot": (lambda: no_l0.props(2024, 18), args.rounds),
                    "json": (from_json, max(args.rounds // 5, 30)),  # 25-40 ms a call
                }
            )
            json_build, hot_for_json = j["json"], j["hot"]
            served = no_l0.props(2024, 18).attrs["served_from"]

            # (c) warm hit with Redis flushed: the caller's wait is timed; the copy back to
            # Redis, written after the answer, is timed apart.
            warm_samples: list[float] = []
            copy_samples: list[float] = []
            warm_served = ""
            for i in range(max(args.rounds // 3, 30) + 3):
                no_l0.drop_hot(key)
                start = time.perf_counter()
                served_warm = no_l0.props(2024, 18)
                answered = time.perf_counter()
                no_l0.settle()
                settled = time.perf_counter()
                warm_served = served_warm.attrs["served_from"]
                if i >= 3:  # warm-up rounds
                    warm_samples.append(answered - start)
                    copy_samples.append(settled - answered)
            warm_net = statistics.median(warm_samples)
            copy_after = statistics.median(copy_samples)
            hot_desc, warm_desc = no_l0.describe_tiers()
    finally:
        raw.close()
        emulator.stop()
        drop_namespace(args.redis_url, namespace)  # entries, stored frames, limiter, locks
        shutil.rmtree(home, ignore_errors=True)

    results = {
        "rows": rows,
        "redis_value_bytes": len(value),
        "stored_frame_bytes": len(stored),
        "json_bytes": json_bytes,
        "p50_seconds": {
            "l0_hit": l0_hit,
            "diskcache_pickle_read": disk_read,
            "hot_hit_l0_off": hot_hit,
            "hot_floor": hot_floor,
            "stored_frame_floor": frame_floor,
            "frame_from_json_in_redis": json_build,
            "warm_hit": warm_net,
            "warm_hit_copy_to_redis_after_answer": copy_after,
        },
        "ratios": {
            "diskcache_over_l0": disk_read / l0_hit,
            "hot_over_floor": hot_hit / hot_floor,
            "hot_over_stored_frame_floor": hot_hit / frame_floor,
            "json_build_over_hot": json_build / hot_for_json,
        },
        "served_from": {"hot": served, "warm": warm_served},
        "tiers": {"hot": hot_desc, "warm": warm_desc},
        "versions": {
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "redis-py": redis.__version__,
        },
    }
    print(
        f"sf.props(2024, 18): {rows} rows; Redis value {len(value):,} bytes (Arrow IPC), "
        f"finished frame {len(stored):,} bytes, JSON {results['json_bytes']:,} bytes"
    )
    print(f"hot tier: {hot_desc}; warm tier: {warm_desc}")
    print(f"(a) L0 hit                      {ms(l0_hit)}")
    print(
        f"    diskcache pickled frame     {ms(disk_read)}   -> L0 is "
        f"{disk_read / l0_hit:.1f}x faster (target >= 3x)"
    )
    print(f"(b) Redis hit, L0 off           {ms(hot_hit)}   (served from {served})")
    print(
        f"    floor (GET+IPC+to_pandas)   {ms(hot_floor)}   -> {hot_hit / hot_floor:.2f}x "
        f"the floor (target <= 1.5x)"
    )
    print(
        f"    stored-frame floor          {ms(frame_floor)}   -> {hot_hit / frame_floor:.2f}x "
        f"(GET of the {len(stored):,}-byte finished frame + IPC + to_pandas)"
    )
    print(
        f"    frame from JSON in Redis    {ms(json_build)}   -> the hot hit is "
        f"{json_build / hot_for_json:.1f}x faster (target >= 10x; hot hit {ms(hot_for_json)} "
        "in that run)"
    )
    print(
        f"(c) warm hit, Redis flushed     {ms(warm_net)}   p50 (target <= 5 ms; served from "
        f"{warm_served})"
    )
    print(
        f"    then the copy to Redis      {ms(copy_after)}   (written after the frame is returned; "
        "p50 of the wait that remained)"
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "facade.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
