"""Miss benchmark: what a miss of a props week costs beyond fetching and parsing its JSON.

``sf.props(2024, 18)`` with nothing cached (every tier cleared first, not timed) makes 16 API
requests, one per game (the week's scores stay cached), and answers with the week's frame. Set
beside it, interleaved round by round, are what a hand-rolled script pays for the same requests
with a plain keep-alive ``httpx`` client:

* *bare fetch + parse*: each GET in turn and its ``orjson.loads`` (the target's floor);
* *bare fetch + parse + frame*: the same, then the week's DataFrame built from the payloads;
* *no cache, requests at once*: the same requests and frame with no cache at all (no tiers,
  lock, quota or rate limit): the 16 GETs sent together over one aiohttp session, each body
  parsed as it lands, then the week's Arrow table (one conversion, as sportsframe's) and its
  frame. What sportsframe adds to this is the cache's own cost.

The service runs twice: in this process (the emulator's thread shares the GIL with the caller,
as in the test suite), and in a process of its own, as the real API is. sportsframe's rate
limit is raised to 1,000 req/s: the real service allows 2, which would make every miss take
eight seconds whatever the cache does.

Run: ``python benchmarks/miss.py [--samples 15] [--quick] [--redis-url URL]
[--database-url URL|none]``. Writes ``benchmarks/results/miss.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from _common import (
    drop_namespace,
    emulator_session,
    new_namespace,
    own_database,
    pct,
    reachable,
    service_options,
    table,
    versions,
    write_results,
)

from sportsframe import frames
from sportsframe.loop import run_sync
from sportsframe.registry.props import filter_alternates

NOW = datetime(2025, 3, 1, tzinfo=UTC)  # after the 2024 season: every week complete
SEASON, WEEK = 2024, 18
PARAMS = {"season": SEASON, "week": WEEK}


@contextlib.contextmanager
def service_process() -> Iterator[str]:
    """The emulator in a process of its own (``sportsframe emulator``); yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = Path(sys.executable).with_name("sportsframe")
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "sportsframe.cli"]
    proc = subprocess.Popen(
        [*argv, "emulator", "--port", str(port), "--now", NOW.isoformat()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not reachable(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator process did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def week_paths(emulator: Any, session: Any) -> list[str]:
    """The API paths a miss of the week requests (the scores cached first, as in every round)."""
    session.scores(SEASON, WEEK)
    session.clear_cache("props", season=SEASON, week=WEEK)
    session.settle()
    before = len(emulator.log.records)
    session.props(SEASON, WEEK)
    session.settle()
    return [r.path for r in emulator.log.records[before:]]


def fetch_all(http: Any, base_url: str, paths: list[str]) -> list[Any]:
    """Each GET in turn, as a plain script does, and its JSON parse."""
    return [orjson.loads(http.get(f"{base_url}{p}", params={"key": "x"}).content) for p in paths]


class AtOnce:
    """The week's requests sent together over one keep-alive aiohttp session on sportsframe's
    background loop (where its own requests run), each body parsed as it lands; then the
    week's table and frame, built as a miss builds them. No cache, no lock, no quota."""

    def __init__(self, base_url: str, paths: list[str]) -> None:
        self.urls = [f"{base_url}{p}" for p in paths]
        self.http = run_sync(self._open())

    @staticmethod
    async def _open() -> Any:
        import aiohttp

        return aiohttp.ClientSession()

    async def _get(self, url: str) -> Any:
        async with self.http.get(url, params={"key": "x"}) as response:
            return orjson.loads(await response.read())

    async def _all(self) -> list[Any]:
        return await asyncio.gather(*(self._get(url) for url in self.urls))

    def frame(self) -> Any:
        bodies = run_sync(self._all())
        payload = [row for body in bodies for row in filter_alternates(body, {})]
        table = pa.Table.from_struct_array(pa.array(payload))
        return frames.to_pandas(frames.build_table("player_props", table, PARAMS))

    def close(self) -> None:
        run_sync(self.http.close())


def measure(session: Any, base_url: str, paths: list[str], http: Any, samples: int) -> dict:
    """sportsframe's miss and the bare floors, interleaved; the first round warms all."""
    ours: list[float] = []
    bare: list[float] = []
    framed: list[float] = []
    ideal: list[float] = []
    at_once = AtOnce(base_url, paths)
    rows = 0
    for i in range(samples + 1):
        session.clear_cache("props", season=SEASON, week=WEEK)
        session.settle()
        start = time.perf_counter()
        rows = len(session.props(SEASON, WEEK))
        took = time.perf_counter() - start
        session.settle()  # its writes land before the floors are timed
        start = time.perf_counter()
        bodies = fetch_all(http, base_url, paths)
        fetched = time.perf_counter() - start
        start = time.perf_counter()
        bodies = fetch_all(http, base_url, paths)
        # The same rows as sportsframe's: alternate lines dropped, as props() does by default.
        payload = [row for body in bodies for row in filter_alternates(body, {})]
        frame = frames.build_frame_from_payload("player_props", payload, PARAMS)
        built = time.perf_counter() - start
        assert len(frame) == rows, (len(frame), rows)  # the same frame, or the floor is off
        del bodies, payload, frame
        start = time.perf_counter()
        frame = at_once.frame()
        least = time.perf_counter() - start
        assert len(frame) == rows, (len(frame), rows)
        if i:
            ours.append(took)
            bare.append(fetched)
            framed.append(built)
            ideal.append(least)
        del frame
    at_once.close()
    summary = {
        name: {"p50": pct(v, 0.5), "p95": pct(v, 0.95)}
        for name, v in (("sportsframe miss", ours), ("bare fetch + parse", bare),
                        ("bare fetch + parse + frame", framed),
                        ("no cache, requests at once", ideal))
    }  # fmt: skip
    return {"api_requests": len(paths), "rows": rows, "samples": samples, "seconds": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help="misses per service placement")
    service_options(parser)
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 samples")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples = 2
    if not reachable(args.redis_url):
        print(f"skipped: Redis is not reachable at {args.redis_url} (sportsframe's tiers need it)")
        return 0
    import httpx

    from sportsframe.emulator import start_emulator

    report: dict[str, Any] = {"week": f"props({SEASON}, {WEEK})", "placements": {}}
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    namespaces: list[str] = []
    emulator = start_emulator(now=NOW)
    try:
        with (
            own_database(None if args.database_url == "none" else args.database_url) as db,
            httpx.Client(timeout=30) as http,
        ):
            ns = new_namespace()
            namespaces.append(ns)
            with emulator_session(
                emulator.base_url, ns, args.redis_url, db, home / "a", l0_max_bytes=0
            ) as session:
                paths = week_paths(emulator, session)
                report["placements"]["service in this process"] = measure(
                    session, emulator.base_url, paths, http, args.samples
                )
                warm = session.describe_tiers()[1]
            with service_process() as url:
                ns = new_namespace()
                namespaces.append(ns)
                with emulator_session(
                    url, ns, args.redis_url, db, home / "b", l0_max_bytes=0
                ) as session:
                    session.scores(SEASON, WEEK)
                    report["placements"]["service in its own process"] = measure(
                        session, url, paths, http, args.samples
                    )
    finally:
        emulator.stop()
        for ns in namespaces:
            drop_namespace(args.redis_url, ns)
        shutil.rmtree(home, ignore_errors=True)
    report["warm_tier"] = "PostgreSQL" if warm.startswith("PostgreSQL") else "SQLite"
    report["versions"] = versions("pandas", "pyarrow", "redis", "orjson", "httpx", "aiohttp")
    report["target_overhead_ms_max"] = 2.0
    _print(report)
    out = write_results("miss", report)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def _print(report: dict[str, Any]) -> None:
    print(f"a miss of {report['week']} (warm tier: {report['warm_tier']}); p50 / p95 in ms")
    rows = []
    for placement, r in report["placements"].items():
        s = r["seconds"]
        ours = s["sportsframe miss"]["p50"]
        for name, v in s.items():
            over = "" if name == "sportsframe miss" else f"{(ours - v['p50']) * 1e3:+.1f}"
            rows.append([placement, name, v["p50"] * 1e3, v["p95"] * 1e3, over])
    print(table(["service", "what", "p50 ms", "p95 ms", "miss beyond it"], rows))
    first = next(iter(report["placements"].values()))
    print(
        f"{first['api_requests']} API requests, {first['rows']:,} rows; target: a miss "
        f"<= {report['target_overhead_ms_max']:.0f} ms beyond the bare fetch + parse"
    )
    for placement, r in report["placements"].items():
        s = r["seconds"]
        floor = s["no cache, requests at once"]["p50"]
        least, added = floor - s["bare fetch + parse"]["p50"], s["sportsframe miss"]["p50"] - floor
        print(
            f"{placement}: the same requests and frame with no cache at all (requests at once) "
            f"cost {least * 1e3:+.1f} ms beyond the bare fetch + parse; sportsframe's cache "
            f"adds {added * 1e3:+.1f} ms to that"
        )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))


if __name__ == "__main__":
    sys.exit(main())
