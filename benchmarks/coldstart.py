"""Cold-start benchmark: what a restarted kernel or a batch script pays for its first call.

Fresh processes (one ``subprocess`` per sample) read props weeks (about 2,000 rows each) that
Redis or the warm tier already holds. Inside each child, timed with ``perf_counter``:

* the import of sportsframe (pandas and pyarrow with it) and the session's set-up, apart;
* the first call of the process (``props(season, week)``), made at once, as a script makes it
  (it waits for the tiers the session began to open in the background when it was made), or
  one second later, as a notebook's next cell makes it;
* the first call of each further week in the same process, then a repeat of it (an L0 hit).

Two tiers, each with its own processes: ``hot`` (the week is in Redis) and ``warm`` (the parent
drops the week from Redis before the child starts, so the child reads PostgreSQL, or the
embedded SQLite file without a database). Beside them, the frame's own floor in a fresh process:
a bare Redis GET (or one SELECT) of the stored finished frame plus its Arrow IPC read and
``to_pandas``, connection included, after the same imports. p50 and p95 of each are printed.
The emulator serves as the API; a child that reaches it shows up as ``served from api``.

Run: ``python benchmarks/coldstart.py [--processes 20] [--weeks-per-process 3] [--quick]
[--redis-url URL] [--database-url URL|none] [--profile]``. ``--profile`` prints, from one more
child per tier, where the first call's time goes (cProfile, cumulative). Writes
``benchmarks/results/coldstart.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import (
    DATABASE_URL,
    REDIS_URL,
    describe_machine,
    drop_namespace,
    machine,
    new_namespace,
    own_database,
    pct,
    reachable,
    redis_server_version,
    table,
    versions,
    write_results,
)

SEASON = 2024
#: Each tier twice: as a script calls it (at once after making the session, which is opening
#: the tiers in the background), and as a notebook's next cell does (a pause after set-up).
VARIANTS = ("hot", "warm", "hot+cell", "warm+cell")
#: Seconds between making the session and the first call in the ``+cell`` variants.
CELL_PAUSE = 1.0
#: The weeks read (the facade's payload, week 18, first): each about 2,000 rows.
WEEKS = (18, 17, 16, 15, 14, 13, 12, 11, 10, 9)
NOW = datetime(2025, 3, 1, tzinfo=UTC)  # the 2024 season is over: entries stay fresh


# -- the child ------------------------------------------------------------------------------------
def child(config: dict[str, Any]) -> dict[str, Any]:
    """One fresh process's timings (seconds), printed as JSON on stdout."""
    started = time.perf_counter()
    from sportsframe.facade.sync import Session

    imported = time.perf_counter()
    session = Session(
        source="emulator",
        base_url=config["base_url"],
        namespace=config["namespace"],
        rate_limit=1000.0,
        redis_url_override=config["redis_url"],
        database_url=config["database_url"],
        home=Path(config["home"]),
    )
    set_up = time.perf_counter()
    if config.get("cell"):
        time.sleep(CELL_PAUSE)  # the user reads the import cell's output, types the next one
    out: dict[str, Any] = {
        "import": imported - started,
        "setup": set_up - imported,
        "firsts": [],
        "repeats": [],
        "served": [],
        "rows": [],
    }
    profile = bool(config.get("profile"))
    texts: list[str] = []
    try:
        for n, week in enumerate(config["weeks"]):
            profilers = _start_profiling() if profile and n < 2 else None
            start = time.perf_counter()
            frame = session.props(SEASON, week)
            first = time.perf_counter() - start
            if profilers is not None:
                texts.append(_profile_text(profilers, f"week {week}, call {n + 1}", first))
            start = time.perf_counter()
            session.props(SEASON, week)
            repeat = time.perf_counter() - start
            out["firsts"].append(first)
            out["repeats"].append(repeat)
            out["served"].append(frame.attrs["served_from"])
            out["rows"].append(len(frame))
    finally:
        session.close()
    if texts:
        out["profile"] = "\n".join(texts)
    return out


def _start_profiling() -> tuple[Any, Any]:
    """cProfile in this thread and in sportsframe's event-loop thread (where the session opens
    the tiers, and a call that cannot be answered in this thread runs)."""
    import cProfile

    from sportsframe.loop import get_loop

    here, there = cProfile.Profile(), cProfile.Profile()
    loop = get_loop()
    import concurrent.futures

    ready: concurrent.futures.Future[None] = concurrent.futures.Future()

    def enable() -> None:
        there.enable()
        ready.set_result(None)

    loop.call_soon_threadsafe(enable)
    ready.result(timeout=5)
    here.enable()
    return here, there


def _profile_text(profilers: tuple[Any, Any], label: str, took: float) -> str:
    import concurrent.futures
    import io
    import pstats

    from sportsframe.loop import get_loop

    here, there = profilers
    here.disable()
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def disable() -> None:
        there.disable()
        done.set_result(None)

    get_loop().call_soon_threadsafe(disable)
    done.result(timeout=5)
    text = io.StringIO()
    text.write(f"=== {label}: {took * 1e3:.1f} ms ===\n--- caller's thread ---\n")
    pstats.Stats(here, stream=text).sort_stats("cumulative").print_stats(18)
    text.write("--- event-loop thread ---\n")
    pstats.Stats(there, stream=text).sort_stats("cumulative").print_stats(40)
    return text.getvalue()


def floor_child(config: dict[str, Any]) -> dict[str, Any]:
    """The frame's own floor in a fresh process: the stored finished frame read with a bare
    client (connection included) and converted, after the same imports as a session's."""
    started = time.perf_counter()
    import redis

    from sportsframe import frames
    from sportsframe.cache.redis.layout import COMPANION_STAMP_BYTES

    imported = time.perf_counter()
    out: dict[str, Any] = {"import": imported - started, "firsts": [], "repeats": []}
    if config["tier"] == "hot":
        start = time.perf_counter()
        client = redis.Redis.from_url(config["redis_url"])
        for key in config["companion_keys"]:
            start = start if not out["firsts"] else time.perf_counter()
            data = client.get(key)
            assert data is not None, "the stored frame is not in Redis"
            frames.frame_from_ipc(memoryview(data)[COMPANION_STAMP_BYTES:])
            out["firsts"].append(time.perf_counter() - start)
        client.close()
    else:
        import psycopg

        from sportsframe.cache.sql import blob

        start = time.perf_counter()
        conn = psycopg.connect(config["plain_database_url"], autocommit=True)
        sql = "SELECT data FROM cache_companions WHERE key = %s AND name = %s"
        for key in config["storage_keys"]:
            start = start if not out["firsts"] else time.perf_counter()
            with conn.cursor(binary=True) as cur:
                cur.execute(sql, (key, config["companion"]))
                row = cur.fetchone()
            assert row is not None, "the stored frame is not in the warm tier"
            frames.frame_from_ipc(blob.unpack(row[0]))  # stored zstd-packed
            out["firsts"].append(time.perf_counter() - start)
        conn.close()
    return out


def spawn(config: dict[str, Any], mode: str = "--child") -> dict[str, Any]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    proc = subprocess.run(
        [sys.executable, __file__, mode, json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- the parent -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=20, help="fresh processes per case")
    parser.add_argument("--weeks-per-process", type=int, default=3)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--database-url", default=DATABASE_URL, help="PostgreSQL server ('none': SQLite)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test: 1 process per case")
    parser.add_argument("--profile", action="store_true", help="profile one first call per tier")
    args = parser.parse_args(argv)
    if args.quick:
        args.processes, args.weeks_per_process = 1, 2
    if not reachable(args.redis_url):
        print(f"skipped: Redis is not reachable at {args.redis_url} (cold start reads Redis)")
        return 0
    database = None if args.database_url == "none" else args.database_url
    from sportsframe import frames
    from sportsframe.cache.redis.layout import KeyLayout
    from sportsframe.emulator import start_emulator
    from sportsframe.facade.sync import Session

    namespace = new_namespace()
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    emulator = start_emulator(now=NOW)
    weeks = WEEKS[: max(args.weeks_per_process, 2) + 2]
    results: dict[str, Any] = {}
    try:
        with own_database(database) as database_url:
            warm_name = "PostgreSQL" if database_url else "SQLite (embedded)"
            common = {
                "base_url": emulator.base_url,
                "namespace": namespace,
                "redis_url": args.redis_url,
                "database_url": database_url,
                "home": str(home),
            }
            with Session(
                source="emulator",
                base_url=emulator.base_url,
                namespace=namespace,
                rate_limit=1000.0,
                redis_url_override=args.redis_url,
                database_url=database_url,
                home=home,
            ) as parent:
                keys, rows = {}, {}
                for week in weeks:  # cold: fills every tier
                    frame = parent.props(SEASON, week)
                    keys[week], rows[week] = frame.attrs["key"], len(frame)
                parent.settle()
                api_first = _api_first(emulator.base_url, namespace, home, database_url)
                companion = frames.companion_name("player_props")
                samples: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
                floors: dict[str, list[dict[str, Any]]] = {"hot": [], "warm": []}
                for i in range(args.processes):
                    chosen = [weeks[(i + j) % len(weeks)] for j in range(args.weeks_per_process)]
                    for variant in VARIANTS:  # interleaved: drift hits all alike
                        tier, cell = variant.split("+")[0], variant.endswith("+cell")
                        if tier == "warm":
                            for week in chosen:
                                parent.drop_hot(keys[week])
                        samples[variant].append(spawn({**common, "weeks": chosen, "cell": cell}))
                        if not cell and (tier == "hot" or database_url):
                            floors[tier].append(
                                spawn(
                                    {
                                        **common,
                                        "tier": tier,
                                        "companion": companion,
                                        "companion_keys": [
                                            KeyLayout(namespace).companion(companion, keys[w])
                                            for w in chosen
                                        ],
                                        "storage_keys": [keys[w] for w in chosen],
                                        "plain_database_url": (database_url or "").replace(
                                            "postgresql+psycopg://", "postgresql://", 1
                                        ),
                                    },
                                    "--floor-child",
                                )
                            )
                        parent.settle()
                profiles = {}
                if args.profile:
                    for tier in ("hot", "warm"):
                        chosen = list(weeks[:2])
                        if tier == "warm":
                            for week in chosen:
                                parent.drop_hot(keys[week])
                        got = spawn({**common, "weeks": chosen, "profile": True})
                        profiles[tier] = got["profile"]
            results = _report(samples, floors, rows, weeks, api_first, warm_name, args)
            results["profiles"] = profiles
    finally:
        emulator.stop()
        drop_namespace(args.redis_url, namespace)
        shutil.rmtree(home, ignore_errors=True)
    for tier, text in results.get("profiles", {}).items():
        print(f"\n--- where the first {tier} call's time goes (cProfile, cumulative) ---")
        print(text)
    out = write_results("coldstart", results)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def _api_first(base_url: str, namespace: str, home: Path, database_url: str | None) -> float:
    """The first call of a week that no tier holds yet (the emulator answering), for scale."""
    from sportsframe.facade.sync import Session

    with Session(
        source="emulator",
        base_url=base_url,
        namespace=f"{namespace}-api",
        rate_limit=1000.0,
        redis_url_override=REDIS_URL,
        database_url=database_url,
        home=home / "api",
    ) as session:
        start = time.perf_counter()
        session.props(SEASON, 1)
        took = time.perf_counter() - start
    return took


def _report(
    samples: dict[str, list[dict[str, Any]]],
    floors: dict[str, list[dict[str, Any]]],
    rows: dict[int, int],
    weeks: tuple[int, ...],
    api_first: float,
    warm_name: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, float]:
        return {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "n": len(values)}

    summary: dict[str, Any] = {}
    printed = []
    for variant in VARIANTS:
        tier = variant.split("+")[0]
        runs = samples[variant]
        first = [r["firsts"][0] for r in runs]
        later = [f for r in runs for f in r["firsts"][1:]]
        repeats = [f for r in runs for f in r["repeats"]]
        served = sorted({s for r in runs for s in r["served"][:1]})
        served_later = sorted({s for r in runs for s in r["served"][1:]})
        floor_first = [r["firsts"][0] for r in floors[tier]]
        floor_later = [f for r in floors[tier] for f in r["firsts"][1:]]
        summary[variant] = {
            "import": stats([r["import"] for r in runs]),
            "setup": stats([r["setup"] for r in runs]),
            "first_call": stats(first),
            "later_first_calls": stats(later),
            "repeat_l0": stats(repeats),
            "floor_first": stats(floor_first),
            "floor_later": stats(floor_later),
            "served_from_first": served,
            "served_from_later": served_later,
        }
        s = summary[variant]
        label = "Redis" if tier == "hot" else warm_name
        if variant.endswith("+cell"):
            name = f"{tier}, a notebook's next cell"
            printed += [
                [f"{name}: first call", s["first_call"]["p50"] * 1e3,
                 s["first_call"]["p95"] * 1e3, "/".join(served),
                 _ratio(s["first_call"]["p50"], s["floor_first"]["p50"])],
                [f"{name}: later week", s["later_first_calls"]["p50"] * 1e3,
                 s["later_first_calls"]["p95"] * 1e3, "/".join(served_later),
                 _ratio(s["later_first_calls"]["p50"], s["floor_later"]["p50"])],
            ]  # fmt: skip
            continue
        printed += [
            [f"{tier}: first call of the process", s["first_call"]["p50"] * 1e3,
             s["first_call"]["p95"] * 1e3, "/".join(served),
             _ratio(s["first_call"]["p50"], s["floor_first"]["p50"])],
            [f"{tier}: frame floor, first ({label})", s["floor_first"]["p50"] * 1e3,
             s["floor_first"]["p95"] * 1e3, "", ""],
            [f"{tier}: first call of a later week", s["later_first_calls"]["p50"] * 1e3,
             s["later_first_calls"]["p95"] * 1e3, "/".join(served_later),
             _ratio(s["later_first_calls"]["p50"], s["floor_later"]["p50"])],
            [f"{tier}: frame floor, later week", s["floor_later"]["p50"] * 1e3,
             s["floor_later"]["p95"] * 1e3, "", ""],
            [f"{tier}: repeat of a week (L0)", s["repeat_l0"]["p50"] * 1e3,
             s["repeat_l0"]["p95"] * 1e3, "l0", ""],
        ]  # fmt: skip
    imports = [r["import"] for t in samples.values() for r in t]
    setups = [r["setup"] for t in samples.values() for r in t]
    floor_imports = [r["import"] for t in floors.values() for r in t]
    info = machine()
    report = {
        "season": SEASON,
        "weeks": list(weeks),
        "rows": {str(w): n for w, n in rows.items()},
        "processes_per_tier": args.processes,
        "weeks_per_process": args.weeks_per_process,
        "warm_tier": warm_name,
        "seconds": summary,
        "import": stats(imports),
        "setup": stats(setups),
        "floor_import": stats(floor_imports),
        "api_first_call": api_first,
        "targets": {"warm_first_call_p50_ms_max": 5.0},
        "versions": {
            **versions("pandas", "pyarrow", "redis", "psycopg", "SQLAlchemy"),
            "redis_server": redis_server_version(args.redis_url),
        },
    }
    print(
        f"sf.props({SEASON}, week) in fresh processes: weeks {list(weeks)}, "
        f"{min(rows.values()):,}-{max(rows.values()):,} rows; {args.processes} processes per tier, "
        f"{args.weeks_per_process} weeks each; warm tier {warm_name}"
    )
    print(f"machine: {describe_machine(info)}")
    print(table(["figure (fresh process)", "p50 ms", "p95 ms", "served", "x floor"], printed))
    print("\ntarget: a warm first call in a fresh process <= 5 ms p50")
    for label, figure in (
        ("a script's first call (at once after set-up)", summary["warm"]["first_call"]),
        ("a notebook's first call (the next cell)", summary["warm+cell"]["first_call"]),
        ("the first call of each later week", summary["warm"]["later_first_calls"]),
    ):
        p50 = figure["p50"] * 1e3
        verdict = "met" if p50 <= 5.0 else f"missed by {p50 - 5.0:.1f} ms"
        print(f"  {label}: {p50:.2f} ms ({verdict})")
    print(
        f"paid before the first call: import sportsframe {pct(imports, 0.5) * 1e3:.0f} ms p50, "
        f"session set-up {pct(setups, 0.5) * 1e3:.2f} ms p50 "
        f"(the floor's imports: {pct(floor_imports, 0.5) * 1e3:.0f} ms)"
    )
    print(f"for scale: the first call of a week no tier holds (emulator, no latency): "
          f"{api_first * 1e3:.1f} ms")  # fmt: skip
    versions_line = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    print(f"versions: {versions_line}")
    return report


def _ratio(x: float, floor: float) -> str:
    return f"{x / floor:.2f}x" if floor == floor and floor > 0 else ""


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "--floor-child":
        print(json.dumps(floor_child(json.loads(sys.argv[2]))))
    else:
        sys.exit(main())
