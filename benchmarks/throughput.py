"""Throughput benchmark: warming a season against the rate limit, and many callers on hot keys.

(1) ``sf.warm`` of a whole season (the 2024 regular season, props, odds, injuries and player
    game stats, nothing cached beforehand) against the local emulator at the service's limit
    (2 requests a second). Printed: the API requests the emulator served, the achieved rate
    (over the whole call, and between the first and the last request) against the limit, and
    the quota spent (of 10,000 a month).
(2) Hot keys: props weeks (about 2,300 rows each) that Redis holds, read by 8 threads of one
    process (one shared session, L0 off: every call a Redis hit; then L0 on), and by 4
    processes (a session each, L0 off), each caller in a loop for a fixed time. Printed: calls
    per second in all and p50/p95 per call, beside one caller alone.

Run: ``python benchmarks/throughput.py [--seconds 10] [--weeks 18] [--quick] [--redis-url URL]
[--database-url URL|none]``. ``--quick`` warms one week at 20 requests a second and runs each
hot-key case for half a second. Writes ``benchmarks/results/throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import (
    describe_machine,
    drop_namespace,
    machine,
    new_namespace,
    own_database,
    pct,
    reachable,
    service_options,
    table,
    versions,
    write_results,
)

SEASON = 2024
NOW = datetime(2025, 3, 1, tzinfo=UTC)
MONTHLY_QUOTA = 10_000
HOT_WEEKS = (15, 16, 17, 18)


def session_config(
    base_url: str, ns: str, redis_url: str, db: str | None, home: str, **extra: Any
) -> dict[str, Any]:
    return dict(
        source="emulator",
        base_url=base_url,
        namespace=ns,
        redis_url_override=redis_url,
        database_url=db,
        home=Path(home),
        **extra,
    )


# -- (1) warm-up rate -----------------------------------------------------------------------------
def warm_season(config: dict[str, Any], weeks: int, rate: float, emulator: Any) -> dict[str, Any]:
    from sportsframe.facade.sync import Session

    datasets = ("props", "odds", "injuries", "player_game_stats")
    with Session(**config, rate_limit=rate, monthly_quota=MONTHLY_QUOTA) as session:
        before = len(emulator.log.records)
        outcome: dict[str, Any] = {}

        def warm() -> None:
            try:
                outcome["counts"] = session.warm(
                    SEASON, range(1, weeks + 1), datasets=datasets, progress=False
                )
            except BaseException as exc:  # reported, not raised: the rest still runs
                outcome["error"] = f"{type(exc).__name__}: {exc}"

        # In a thread with a deadline: the measurement ends even if the warm-up never does.
        worker = threading.Thread(target=warm, daemon=True)
        start = time.perf_counter()
        worker.start()
        worker.join(timeout=30 + 1.5 * 20 * weeks / rate)  # about 20 requests a week
        elapsed = time.perf_counter() - start
        if worker.is_alive():
            outcome["error"] = f"did not end within {elapsed:.0f} s"
        records = emulator.log.records[before:]
        counts = outcome.get("counts", {})
    times = sorted(r.time for r in records)
    n = len(times)
    spread = times[-1] - times[0] if n > 1 else 0.0
    # The most requests that arrived within any one second (the service's own count).
    peak, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    return {
        "weeks": weeks,
        "datasets": list(datasets),
        "parts": counts,
        "api_requests": n,
        "seconds": elapsed,
        "limit_per_second": rate,
        "rate_whole_call": n / elapsed if elapsed else 0.0,
        "rate_first_to_last": (n - 1) / spread if spread else 0.0,
        "peak_in_one_second": peak,
        "quota_share": n / MONTHLY_QUOTA,
        "errors": sum(r.status >= 400 for r in records),
        "failure": outcome.get("error"),
    }


# -- (2) hot keys ---------------------------------------------------------------------------------
def hammer(session: Any, seconds: float, offset: int, latencies: list[float]) -> None:
    """Call props weeks in turn for ``seconds``; each call's latency appended."""
    end = time.perf_counter() + seconds
    i = offset
    while time.perf_counter() < end:
        week = HOT_WEEKS[i % len(HOT_WEEKS)]
        start = time.perf_counter()
        session.props(SEASON, week)
        latencies.append(time.perf_counter() - start)
        i += 1


def threads_case(config: dict[str, Any], threads: int, seconds: float, l0: bool) -> dict[str, Any]:
    from sportsframe.facade.sync import Session

    with Session(**config, rate_limit=1000.0, l0_max_bytes=(1 << 30) if l0 else 0) as session:
        hammer(session, 0.3, 0, [])  # warm-up: connections, L0
        per: list[list[float]] = [[] for _ in range(threads)]
        workers = [
            threading.Thread(target=hammer, args=(session, seconds, k, per[k]))
            for k in range(threads)
        ]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - start
    return _summary([x for p in per for x in p], elapsed, threads)


def worker_main(config: dict[str, Any]) -> dict[str, Any]:
    """One process of the process case: a session, a warm-up, then a loop from ``start_at``."""
    from sportsframe.facade.sync import Session

    seconds, start_at = config.pop("seconds"), config.pop("start_at")
    offset = config.pop("offset")
    config["home"] = Path(config["home"])
    with Session(**config, rate_limit=1000.0, l0_max_bytes=0) as session:
        hammer(session, 0.3, offset, [])
        time.sleep(max(0.0, start_at - time.time()))
        latencies: list[float] = []
        hammer(session, seconds, offset, latencies)
    return {"latencies": latencies}


def processes_case(config: dict[str, Any], processes: int, seconds: float) -> dict[str, Any]:
    start_at = time.time() + 3.0  # after every process has imported and warmed up
    plain = {**config, "home": str(config["home"])}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                json.dumps({**plain, "seconds": seconds, "start_at": start_at, "offset": k}),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for k in range(processes)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed:\n{err[-2000:]}")
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    latencies = [x for o in outputs for x in o["latencies"]]
    return _summary(latencies, seconds, processes)


def _summary(latencies: list[float], seconds: float, callers: int) -> dict[str, Any]:
    return {
        "callers": callers,
        "calls": len(latencies),
        "seconds": seconds,
        "calls_per_second": len(latencies) / seconds if seconds else 0.0,
        "p50": pct(latencies, 0.5),
        "p95": pct(latencies, 0.95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per hot-key case")
    parser.add_argument("--weeks", type=int, default=18, help="weeks warmed (the season: 18)")
    parser.add_argument("--rate", type=float, default=2.0, help="the rate limit (requests/s)")
    service_options(parser)
    parser.add_argument("--quick", action="store_true", help="a smoke test (see the docstring)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.weeks, args.rate = 0.5, 1, 20.0
    if not reachable(args.redis_url):
        print(f"skipped: Redis is not reachable at {args.redis_url} (the hot keys live there)")
        return 0
    from sportsframe.emulator import start_emulator
    from sportsframe.facade.sync import Session

    ns = new_namespace()
    home = tempfile.mkdtemp(prefix="sfbench-")
    emulator = start_emulator(now=NOW)
    try:
        with own_database(None if args.database_url == "none" else args.database_url) as db:
            config = session_config(emulator.base_url, ns, args.redis_url, db, home)
            warm = warm_season(config, args.weeks, args.rate, emulator)
            with Session(**config, rate_limit=1000.0) as prep:  # the hot weeks, in Redis
                for week in HOT_WEEKS:
                    prep.props(SEASON, week)
                prep.settle()
            hot = {
                "1 thread, L0 off": threads_case(config, 1, args.seconds, l0=False),
                "8 threads, L0 off": threads_case(config, 8, args.seconds, l0=False),
                "1 thread, L0 on": threads_case(config, 1, args.seconds, l0=True),
                "8 threads, L0 on": threads_case(config, 8, args.seconds, l0=True),
                "4 processes, L0 off": processes_case(config, 4, args.seconds),
            }
    finally:
        emulator.stop()
        drop_namespace(args.redis_url, ns)
        shutil.rmtree(home, ignore_errors=True)
    report = {
        "warm": warm,
        "hot_keys": hot,
        "hot_weeks": list(HOT_WEEKS),
        "targets": {"warm_rate_share_of_limit_min": 0.95},
        "versions": versions("pandas", "pyarrow", "redis", "httpx"),
    }
    _print(report)
    out = write_results("throughput", report)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def _print(report: dict[str, Any]) -> None:
    w = report["warm"]
    print(f"machine: {describe_machine(machine())}")
    print(
        f"(1) sf.warm({SEASON}, weeks 1-{w['weeks']}, {', '.join(w['datasets'])}) from nothing "
        f"cached, limit {w['limit_per_second']:g} req/s"
    )
    share = w["rate_first_to_last"] / w["limit_per_second"]
    rows = [
        ["API requests", w["api_requests"]],
        ["time", f"{w['seconds']:.1f} s"],
        ["rate over the whole call", f"{w['rate_whole_call']:.2f} req/s"],
        ["rate, first to last request", f"{w['rate_first_to_last']:.2f} req/s ({share:.0%})"],
        ["most requests in any one second", w["peak_in_one_second"]],
        ["errors (4xx/5xx)", w["errors"]],
        ["quota spent", f"{w['quota_share']:.1%} of {MONTHLY_QUOTA:,} a month"],
    ]
    if w["failure"]:
        rows.append(["sf.warm failed", w["failure"]])
    print(table(["warm-up", "value"], rows))
    print("target: >= 95 % of the rate limit")
    print(f"\n(2) hot keys: props weeks {report['hot_weeks']} (about 2,300 rows each) in Redis")
    base = report["hot_keys"]["1 thread, L0 off"]["calls_per_second"]
    rows = []
    for name, h in report["hot_keys"].items():
        rows.append(
            [
                name,
                h["calls"],
                f"{h['calls_per_second']:,.0f}",
                f"{h['calls_per_second'] / base:.2f}x" if "L0 off" in name else "",
                h["p50"] * 1e3,
                h["p95"] * 1e3,
            ]
        )
    print(table(["case", "calls", "calls/s", "x 1 thread", "p50 ms", "p95 ms"], rows))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker_main(json.loads(sys.argv[2]))))
    else:
        sys.exit(main())
