"""Helpers the benchmark scripts share: side-by-side timing, percentiles, the machine and library
versions, results files, and services of their own (a Redis namespace, a PostgreSQL database)
that are removed afterwards.

Not a benchmark itself: the scripts beside it import it (``python benchmarks/<name>.py`` puts
this folder first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import socket
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

RESULTS = Path(__file__).parent / "results"
REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# -- timing -------------------------------------------------------------------------------------
def side_by_side(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds of each function, measured interleaved: every round calls each function
    once, in an order shuffled each round (seeded: the same every run), so a noisy neighbour
    slows all of them alike and the ratios stay fair. A fixed rotation would keep each
    function behind the same one, whose leftovers in the CPU caches would then weigh on it
    alone."""
    samples = side_by_side_samples(fns, rounds)
    return {name: statistics.median(values) for name, values in samples.items()}


def side_by_side_samples(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Every sample (seconds) of :func:`side_by_side`, for percentiles other than the median."""
    for fn in fns.values():
        for _ in range(3):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    order = random.Random(0)
    for _ in range(rounds):
        order.shuffle(names)
        for name in names:
            start = time.perf_counter()
            fns[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


def back_to_back(
    fns: dict[str, tuple[Callable[[], Any], int]], blocks: int = 5
) -> dict[str, float]:
    """Median seconds of each function, measured in alternating blocks: each block runs every
    function in turn, each for its share of the calls given beside it.

    For a baseline that allocates heavily (the JSON path makes about a million objects): run
    interleaved call by call, the collections its garbage owes would land in the next
    function's calls. In blocks (a collection before each), both still sample every phase of
    a machine whose speed drifts, so their ratio stays fair.
    """
    samples = back_to_back_samples(fns, blocks)
    return {name: statistics.median(values) for name, values in samples.items()}


def back_to_back_samples(
    fns: dict[str, tuple[Callable[[], Any], int]], blocks: int = 5
) -> dict[str, list[float]]:
    """Every sample (seconds) of :func:`back_to_back`."""
    for fn, _ in fns.values():
        for _ in range(3):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(blocks):
        for name, (fn, rounds) in fns.items():
            gc.collect()
            for _ in range(max(1, rounds // blocks)):
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
    return samples


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linear between the two nearest samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain text table (right-aligned numbers), the form every script prints."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# -- the machine and the versions ---------------------------------------------------------------
def machine() -> dict[str, Any]:
    """CPU model, cores and memory of this machine (no paths, no host names)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "system": platform.system(),
    }


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages`` (absent ones say so)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Python {info['python']}"
    )


def write_results(name: str, report: dict[str, Any]) -> Path:
    """Write ``report`` (with the time, machine and command) under ``benchmarks/results/``
    (``<name>.json``; ``<name>-quick.json`` for a ``--quick`` run)."""
    import sys

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
        "machine": machine(),
        **report,
    }
    if "--quick" in sys.argv:  # a smoke test never overwrites a full run's figures
        name = f"{name}-quick"
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    return out


# -- services of our own ----------------------------------------------------------------------
def emulator_session(
    base_url: str, ns: str, redis_url: str, database_url: str | None, home: Path, **extra: Any
) -> Any:
    """A sync sportsframe Session against the emulator at ``base_url``, its rate limit raised
    (a benchmark measures the cache, not the service's 2 requests a second)."""
    from sportsframe.facade.sync import Session

    return Session(
        source="emulator",
        base_url=base_url,
        namespace=ns,
        rate_limit=1000.0,
        redis_url_override=redis_url,
        database_url=database_url,
        home=home,
        **extra,
    )


def service_options(parser: argparse.ArgumentParser) -> None:
    """The options every script takes for the servers it measures against."""
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--database-url", default=DATABASE_URL, help="PostgreSQL server ('none': SQLite)"
    )


def reachable(url: str) -> bool:
    """True when the host and port of ``url`` accept a connection."""
    parts = urlsplit(url)
    default = 6379 if parts.scheme.startswith("redis") else 5432
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default), 0.5):
            return True
    except OSError:
        return False


def new_namespace(prefix: str = "sfbench") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:8]}"


def drop_namespace(redis_url: str, namespace: str) -> int:
    """Delete the keys this run wrote under ``namespace`` (entries, stored frames, channels)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{namespace}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


@contextlib.contextmanager
def own_database(base_url: str | None) -> Iterator[str | None]:
    """A PostgreSQL database of this run's own (dropped afterwards), as a SQLAlchemy URL;
    None when ``base_url`` is None or unreachable (the embedded SQLite warm tier serves)."""
    if base_url is None or not reachable(base_url):
        yield None
        return
    import psycopg

    parts = urlsplit(base_url)
    name = f"sfbench_{uuid.uuid4().hex[:8]}"
    plain = base_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_server_version(redis_url: str) -> str:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()
