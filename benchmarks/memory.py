"""Memory and cost benchmark: what a props week costs in Redis and in API quota, and what the
stored finished frame would cost in other encodings.

(1) One props week (``sf.props(2024, 18)``, about 2,300 rows) fetched from nothing cached: every
    key it leaves in Redis, by kind (the week's entry, the finished frame stored beside it, the
    per-game parts, anything else), with its value's length and Redis's own ``MEMORY USAGE``,
    beside the same payload as JSON (the cache spec's design).
(2) API requests per props week (counted at the emulator) and per season (the regular season's
    18 weeks of props, then the rest of ``sf.warm``'s default datasets), as a share of the
    10,000-a-month quota.
(3) The stored frame re-encoded: as stored today (uncompressed Arrow IPC, ``large_string``),
    with lz4 or zstd IPC compression, with dictionary-encoded text columns, and both. For each:
    bytes, and the hit floor (Redis GET + IPC read + back to the very same frame) measured
    interleaved, with the ratio to today's encoding.

Run: ``python benchmarks/memory.py [--rounds 200] [--quick] [--redis-url URL]``. ``--quick``
counts two weeks (the season is then estimated) and times 10 rounds. Writes
``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
from _common import (
    REDIS_URL,
    describe_machine,
    drop_namespace,
    machine,
    new_namespace,
    pct,
    reachable,
    redis_server_version,
    side_by_side_samples,
    table,
    versions,
    write_results,
)

SEASON, WEEK = 2024, 18
NOW = datetime(2025, 3, 1, tzinfo=UTC)
MONTHLY_QUOTA = 10_000


def encode(frame_table: pa.Table, compression: str | None, dictionary: bool) -> bytes:
    """The finished frame table as an IPC stream in the given encoding."""
    t = frame_table
    if dictionary:
        columns = []
        for col in t.columns:
            if pa.types.is_large_string(col.type) or pa.types.is_string(col.type):
                col = col.dictionary_encode()
            columns.append(col)
        t = pa.table(columns, names=t.column_names)
    options = pa.ipc.IpcWriteOptions(compression=compression)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, t.schema, options=options) as writer:
        writer.write_table(t)
    return sink.getvalue().to_pybytes()


def decode(data: bytes, schema: pa.Schema) -> pd.DataFrame:
    """Back to the same frame as today's encoding gives (dictionaries cast back first)."""
    from sportsframe import frames

    t = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    if any(pa.types.is_dictionary(f.type) for f in t.schema):
        t = t.cast(schema)
    return frames.to_pandas(t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    args = parser.parse_args(argv)
    season_weeks = 2 if args.quick else 18
    if args.quick:
        args.rounds = 10
    if not reachable(args.redis_url):
        print(f"skipped: Redis is not reachable at {args.redis_url} (its memory is measured)")
        return 0
    import redis

    from sportsframe import frames
    from sportsframe.cache import codec
    from sportsframe.cache.redis.layout import COMPANION_STAMP_BYTES
    from sportsframe.emulator import start_emulator
    from sportsframe.facade.sync import Session

    ns = new_namespace()
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    emulator = start_emulator(now=NOW)
    r = redis.Redis.from_url(args.redis_url)
    try:
        with Session(
            source="emulator",
            base_url=emulator.base_url,
            namespace=ns,
            rate_limit=1000.0,
            redis_url_override=args.redis_url,
            database_url=None,
            home=home,
        ) as sf:
            before = len(emulator.log.records)
            frame = sf.props(SEASON, WEEK)
            week_requests = len(emulator.log.records) - before
            sf.settle()
            key = frame.attrs["key"]
            kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for raw in r.scan_iter(f"{ns}[:#]*", count=1000):
                name = raw.decode()
                if name == f"{ns}:{key}":
                    kind = "the week's entry (Arrow IPC)"
                elif name.startswith(f"{ns}#") and name.endswith(f":{key}"):
                    kind = "the finished frame beside it"
                elif "player_props_game" in name or "props_game" in name:
                    kind = "per-game parts (entries and frames)"
                else:
                    kind = "other (scores, bookkeeping)"
                kinds[kind]["keys"] += 1
                kinds[kind]["bytes"] += r.strlen(raw) if r.type(raw) == b"string" else 0
                kinds[kind]["memory_usage"] += int(r.memory_usage(raw, samples=0) or 0)
            value = r.get(f"{ns}:{key}")
            assert value is not None
            json_bytes = orjson.dumps(codec.table_to_payload(codec.decode(value)))
            companion = frames.companion_name("player_props")
            stored = r.get(f"{ns}#{companion}:{key}")
            assert stored is not None
            current = pa.ipc.open_stream(memoryview(stored)[COMPANION_STAMP_BYTES:]).read_all()
            # (2) the season's requests: the other weeks of props, then the rest of sf.warm's
            # datasets, one week at a time (throughput.py times sf.warm itself).
            before = len(emulator.log.records)
            for week in range(1, season_weeks + 1):
                sf.props(SEASON, week)
            props_requests = len(emulator.log.records) - before
            if season_weeks >= WEEK:  # week 18 was fetched above (the loop read it cached)
                props_requests += week_requests
            before = len(emulator.log.records)
            for dataset in ("odds", "injuries", "player_game_stats"):
                for week in range(1, season_weeks + 1):
                    getattr(sf, dataset)(SEASON, week)
            other_requests = len(emulator.log.records) - before
            # (3) encodings of the stored frame
            variants = {
                "as stored (uncompressed)": (None, False),
                "lz4": ("lz4", False),
                "zstd": ("zstd", False),
                "dictionary text": (None, True),
                "dictionary text + lz4": ("lz4", True),
            }
            reference = frames.frame_from_ipc(memoryview(stored)[COMPANION_STAMP_BYTES:])
            encoded, fns, equal = {}, {}, {}
            for name, (compression, dictionary) in variants.items():
                data = encode(current, compression, dictionary)
                encoded[name] = len(data)
                rkey = f"{ns}:variant:{name}"
                r.set(rkey, data)
                try:
                    pd.testing.assert_frame_equal(decode(data, current.schema), reference)
                    equal[name] = "equal"
                except AssertionError:
                    equal[name] = "DIFFERS"

                def floor(rkey: str = rkey) -> pd.DataFrame:
                    got = r.get(rkey)
                    assert got is not None
                    return decode(got, current.schema)

                fns[name] = floor
            samples = side_by_side_samples(fns, args.rounds)
    finally:
        emulator.stop()
        drop_namespace(args.redis_url, ns)
        r.close()
        shutil.rmtree(home, ignore_errors=True)
    per_season_props = props_requests * (18 / season_weeks)
    per_season_all = (props_requests + other_requests) * (18 / season_weeks)
    report = {
        "week": {"season": SEASON, "week": WEEK, "rows": len(frame)},
        "redis": {k: dict(v) for k, v in kinds.items()},
        "entry_bytes": len(value),
        "stored_frame_bytes": len(stored),
        "json_bytes": len(json_bytes),
        "api_requests": {
            "props_week": week_requests,
            "props_season": per_season_props,
            "warm_default_season": per_season_all,
            "season_estimated_from_weeks": season_weeks,
        },
        "encodings": {
            name: {
                "bytes": encoded[name],
                "floor_p50": pct(samples[name], 0.5),
                "floor_p95": pct(samples[name], 0.95),
                "frame": equal[name],
            }
            for name in variants
        },
        "versions": {
            **versions("pandas", "pyarrow", "redis"),
            "redis_server": redis_server_version(args.redis_url),
        },
    }
    _print(report)
    out = write_results("memory", report)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def _print(report: dict[str, Any]) -> None:
    w = report["week"]
    print(f"machine: {describe_machine(machine())}")
    print(
        f"(1) Redis after sf.props({w['season']}, {w['week']}) ({w['rows']:,} rows), from nothing"
    )
    rows = [[k, v["keys"], v["bytes"], v["memory_usage"]] for k, v in report["redis"].items()]
    total = [sum(v[i] for v in report["redis"].values()) for i in ("keys", "bytes", "memory_usage")]
    rows.append(["all keys of the week", *total])
    rows.append(["the same payload as JSON (spec)", "", report["json_bytes"], ""])
    print(table(["kind", "keys", "value bytes", "MEMORY USAGE"], rows))
    entry, stored, js = report["entry_bytes"], report["stored_frame_bytes"], report["json_bytes"]
    print(
        f"entry {entry:,} B + stored frame {stored:,} B = {entry + stored:,} B, "
        f"{(entry + stored) / js:.2f}x the JSON's {js:,} B "
        "(issue: about 181 KB + 958 KB vs 1.65 MB)"
    )
    a = report["api_requests"]
    est = (
        ""
        if a["season_estimated_from_weeks"] == 18
        else f" (estimated from {a['season_estimated_from_weeks']} weeks)"
    )
    print(f"\n(2) API requests{est}")
    rows = [
        [what, round(n), f"{n / MONTHLY_QUOTA:.2%}"]
        for what, n in (
            ("a props week", a["props_week"]),
            ("a season of props (18 weeks)", a["props_season"]),
            ("a season of sf.warm's defaults", a["warm_default_season"]),
        )
    ]
    print(table(["what", "requests", "of the monthly quota"], rows))
    print(
        "\n(3) the stored frame in other encodings (hit floor: GET + IPC read + to the same frame)"
    )
    base = report["encodings"]["as stored (uncompressed)"]
    rows = [
        [
            name,
            e["bytes"],
            f"{e['bytes'] / base['bytes']:.2f}x",
            e["floor_p50"] * 1e3,
            e["floor_p95"] * 1e3,
            f"{e['floor_p50'] / base['floor_p50']:.2f}x",
            e["frame"],
        ]
        for name, e in report["encodings"].items()
    ]
    print(table(["encoding", "bytes", "x size", "p50 ms", "p95 ms", "x time", "frame"], rows))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))


if __name__ == "__main__":
    sys.exit(main())
