"""Replay benchmark: a modeller's Sunday, replayed on an injected clock, under two cache policies.

Four analysts (four sessions, each with its own L0, sharing Redis and the warm tier) work through
a six-hour Sunday window of the 2024 season (week 10, 12:00-18:00 US Eastern: the early games
kick off at 13:00, the late ones at 16:25) and issue 1,500 requests between them, at seeded
random times:

* about 70 %: re-runs of the current week's cells every few minutes (props, odds, injuries, and
  the play-by-play of a game in progress);
* about 24 %: past weeks' player stats and box scores;
* about 6 %: teams, the schedule and a team's players.

The clock is a :class:`sportsframe.clock.ManualClock` moved to each request's time; the local
emulator's clock moves with it, so games kick off, run and end during the window. API calls are
counted on the emulator's side (every HTTP request it served). The same requests run under

(a) the spec's TTL table alone (every entry expires after its data type's TTL), and
(b) sportsframe's freshness rules (``sportsframe/policy.py``: final games and past seasons keep).

For each: requests, requests that reached the API, API calls, the hit rate, the quota spent
(of 10,000 a month), and the age of every served answer against its data type's spec TTL. An
answer counts as live when it describes a game not yet final at that moment (the current week's
props, odds and injuries; the play-by-play of a game in progress): no live answer may be older
than its spec TTL.

Run: ``python benchmarks/replay.py [--requests 1500] [--analysts 4] [--hours 6] [--seed 13]
[--quick] [--redis-url URL] [--database-url URL|none]``. Writes ``benchmarks/results/replay.json``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from _common import (
    describe_machine,
    drop_namespace,
    machine,
    new_namespace,
    own_database,
    reachable,
    service_options,
    table,
    versions,
    write_results,
)

SEASON, WEEK = 2024, 10
#: 12:00 US Eastern on the Sunday of week 10 (the early games kick off at 13:00).
WINDOW_START = datetime(2024, 11, 10, 17, 0, tzinfo=UTC)
MONTHLY_QUOTA = 10_000
TEAMS = ("KC", "BUF", "DET", "PHI", "SF", "BAL", "DAL", "GB", "MIA", "CIN")


@dataclass(frozen=True)
class Request:
    at: float  # seconds into the window
    analyst: int
    dataset: str
    args: tuple[Any, ...]


def workload(n: int, analysts: int, hours: float, seed: int, games: list[Any]) -> list[Request]:
    """``n`` requests, spread over the analysts, at seeded random times in the window."""
    rnd = random.Random(seed)
    span = hours * 3600
    out: list[Request] = []
    for i in range(n):
        at = rnd.uniform(0, span)
        analyst = i % analysts
        now = WINDOW_START + timedelta(seconds=at)
        live = [g for g in games if g.status(now) == "InProgress"]
        roll = rnd.random()
        if roll < 0.70:
            kinds = ["props", "odds", "injuries"] + (["play_by_play"] * 2 if live else [])
            kind = rnd.choice(kinds)
            if kind == "play_by_play":
                args: tuple[Any, ...] = (rnd.choice(live).score_id,)
            else:
                args = (SEASON, WEEK)
        elif roll < 0.94:
            kind = rnd.choice(["player_game_stats", "box_scores"])
            args = (SEASON, rnd.randint(1, WEEK - 1))
        else:
            kind = rnd.choice(["teams", "schedules", "players"])
            args = (rnd.choice(TEAMS),) if kind == "players" else (SEASON,)
        out.append(Request(at, analyst, kind, args))
    return sorted(out, key=lambda r: r.at)


def ideal_misses(requests: list[Request], answers: list[dict[str, Any]], keep_final: bool) -> int:
    """The fewest requests any shared cache must send to the API for this workload while no
    answer is older than its spec TTL: a key is fetched again only once its last fetch is
    older than the TTL (with ``keep_final``: never again once fetched as final data)."""
    last: dict[tuple[str, tuple[Any, ...]], tuple[float, bool]] = {}
    misses = 0
    for req, answer in zip(requests, answers, strict=True):
        key = (req.dataset, req.args)
        seen = last.get(key)
        if seen is not None:
            at, final = seen
            if (keep_final and final) or req.at - at < answer["ttl"]:
                continue
        misses += 1
        last[key] = (req.at, not answer["live"])
    return misses


def spec_ttl_only(data_type: Any, *, default_ttl: int, **_: Any) -> int:
    """Policy (a): the spec's TTL table, nothing lengthened."""
    from sportsframe.registry.ttl import TTL_POLICIES

    return TTL_POLICIES.get(data_type, default_ttl)


def run(
    policy: str,
    requests: list[Request],
    analysts: int,
    redis_url: str,
    database_url: str | None,
) -> dict[str, Any]:
    """Replay ``requests`` under ``policy`` ("a" or "b") on fresh tiers; the figures."""
    from sportsframe.clock import ManualClock
    from sportsframe.emulator import start_emulator
    from sportsframe.facade.sync import Session
    from sportsframe.registry import ENDPOINTS
    from sportsframe.registry.ttl import TTL_POLICIES

    clock = ManualClock(WINDOW_START)
    emulator = start_emulator(now=WINDOW_START)
    world = emulator.emulator.world
    namespace = new_namespace()
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    default_ttl = 3600
    served = Counter[str]()
    reached = 0
    ages: list[dict[str, Any]] = []
    started = time.perf_counter()
    with ExitStack() as stack:
        if policy == "a":
            stack.enter_context(mock.patch("sportsframe.cache.writes.effective_ttl", spec_ttl_only))
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        stack.callback(drop_namespace, redis_url, namespace)
        stack.callback(emulator.stop)
        sessions = [
            stack.enter_context(
                Session(
                    source="emulator",
                    base_url=emulator.base_url,
                    namespace=namespace,
                    rate_limit=1000.0,  # the injected clock never waits out a limiter
                    monthly_quota=1_000_000,
                    redis_url_override=redis_url,
                    database_url=database_url,
                    home=home,
                    clock=clock,
                )
            )
            for _ in range(analysts)
        ]
        log = emulator.log
        for req in requests:
            now = WINDOW_START + timedelta(seconds=req.at)
            clock.set(now)
            world.now = now
            before = len(log.records)
            frame = getattr(sessions[req.analyst], req.dataset)(*req.args)
            calls = len(log.records) - before
            reached += calls > 0
            served[str(frame.attrs.get("served_from"))] += 1
            data_type = ENDPOINTS[frame.attrs["endpoint"]].data_type
            ttl = TTL_POLICIES.get(data_type, default_ttl)
            fetched = frame.attrs["fetched_at"]
            age = (now - fetched).total_seconds()
            if req.dataset == "play_by_play":
                live = world.game(req.args[0]).status(now) != "Final"
            else:
                live = req.dataset in ("props", "odds", "injuries")
            ages.append(
                {
                    "dataset": req.dataset,
                    "age": age,
                    "ttl": ttl,
                    "live": live,
                    "stale": bool(frame.attrs.get("stale")),
                }
            )
        for session in sessions:
            session.settle()
        api_calls = len(log.records)
    elapsed = time.perf_counter() - started
    n = len(requests)
    per_dataset: dict[str, dict[str, Any]] = {}
    for row in ages:
        d = per_dataset.setdefault(
            row["dataset"],
            {"answers": 0, "spec_ttl_s": row["ttl"], "max_age_s": 0.0, "over_ttl": 0, "live": 0},
        )
        d["answers"] += 1
        d["live"] += row["live"]
        d["max_age_s"] = max(d["max_age_s"], row["age"])
        d["over_ttl"] += row["age"] > row["ttl"]
    live_rows = [r for r in ages if r["live"]]
    ideal = ideal_misses(requests, ages, keep_final=policy == "b")
    return {
        "ideal_reached_api": ideal,
        "ideal_hit_rate": 1 - ideal / n,
        "policy": policy,
        "requests": n,
        "reached_api": reached,
        "api_calls": api_calls,
        "hit_rate": 1 - reached / n,
        "quota_share": api_calls / MONTHLY_QUOTA,
        "served_from": dict(served),
        "live_answers": len(live_rows),
        "live_over_ttl": sum(r["age"] > r["ttl"] for r in live_rows),
        "live_max_age_over_ttl": max((r["age"] / r["ttl"] for r in live_rows), default=0.0),
        "final_over_ttl": sum(r["age"] > r["ttl"] for r in ages if not r["live"]),
        "stale_answers": sum(r["stale"] for r in ages),
        "per_dataset": per_dataset,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--analysts", type=int, default=4)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=13)
    service_options(parser)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: 40 requests over 1 hour"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.hours = 40, 1.0
    if not reachable(args.redis_url):
        print(f"skipped: Redis is not reachable at {args.redis_url} (the analysts share it)")
        return 0
    from sportsframe.emulator.world import World

    games = World(now=WINDOW_START).games(SEASON, "REG", WEEK)
    requests = workload(args.requests, args.analysts, args.hours, args.seed, games)
    results = {}
    for policy in ("a", "b"):
        with own_database(None if args.database_url == "none" else args.database_url) as db:
            results[policy] = run(policy, requests, args.analysts, args.redis_url, db)
    _print(results, requests, args)
    report = {
        "workload": {
            "requests": args.requests,
            "analysts": args.analysts,
            "hours": args.hours,
            "seed": args.seed,
            "window_start": WINDOW_START.isoformat(),
            "mix": dict(Counter(r.dataset for r in requests)),
        },
        "results": results,
        "spec_claim": {"hit_rate": 0.964, "api_calls_avoided": "1,450 / 1,500"},
        "targets": {"hit_rate_b_min": 0.99, "live_answers_over_spec_ttl": 0},
        "versions": versions("pandas", "pyarrow", "redis"),
    }
    out = write_results("replay", report)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def _print(results: dict[str, Any], requests: list[Request], args: argparse.Namespace) -> None:
    mix = Counter(r.dataset for r in requests)
    print(
        f"replay: {args.analysts} analysts, {len(requests):,} requests over {args.hours:g} h "
        f"from {WINDOW_START:%Y-%m-%d %H:%M} UTC (week {WEEK} Sunday), seed {args.seed}"
    )
    print("mix: " + ", ".join(f"{k} {v}" for k, v in mix.most_common()))
    print(f"machine: {describe_machine(machine())}\n")
    labels = {"a": "(a) spec TTL table alone", "b": "(b) sportsframe freshness rules"}
    rows = []
    for policy, r in results.items():
        rows.append(
            [
                labels[policy],
                r["requests"],
                r["reached_api"],
                r["api_calls"],
                f"{r['hit_rate'] * 100:.1f} %",
                f"{r['quota_share'] * 100:.2f} %",
                f"{r['live_over_ttl']} of {r['live_answers']}",
                f"{r['live_max_age_over_ttl']:.2f}",
                r["stale_answers"],
            ]
        )
    print(
        table(
            [
                "policy",
                "requests",
                "reached API",
                "API calls",
                "hit rate",
                "quota/month",
                "live > TTL",
                "live max age/TTL",
                "stale",
            ],
            rows,
        )
    )
    ideal = ", ".join(
        f"({p}) {r['ideal_hit_rate'] * 100:.1f} % ({r['ideal_reached_api']} requests reach the API)"
        for p, r in results.items()
    )
    print(
        "\nbest any cache could do on this workload with no answer older than its spec TTL: "
        + ideal
    )
    print("(under (b), final data fetched once is kept; under (a), every entry expires at its TTL)")
    print("spec claim: 96.4 % hit rate (1,450 of 1,500 requests avoided the API)")
    print("target: hit rate >= 99 % under (b), no live answer older than its spec TTL\n")
    print("age of served answers against the spec TTL, per dataset:")
    per = []
    for dataset in sorted(results["b"]["per_dataset"]):
        a, b = results["a"]["per_dataset"][dataset], results["b"]["per_dataset"][dataset]
        per.append(
            [
                dataset,
                b["answers"],
                b["live"],
                b["spec_ttl_s"],
                f"{a['max_age_s']:.0f}",
                a["over_ttl"],
                f"{b['max_age_s']:.0f}",
                b["over_ttl"],
            ]
        )
    print(
        table(
            [
                "dataset",
                "answers",
                "live",
                "spec TTL s",
                "(a) max age s",
                "(a) > TTL",
                "(b) max age s",
                "(b) > TTL",
            ],
            per,
        )
    )
    print(
        "\n(answers older than the spec TTL under (b) are final or past data the freshness rules "
        "keep; a live one would be a fault)"
    )
    served = {p: r["served_from"] for p, r in results.items()}
    print(f"served from: (a) {served['a']}; (b) {served['b']}")
    print(f"replay time: (a) {results['a']['seconds']:.1f} s, (b) {results['b']['seconds']:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
