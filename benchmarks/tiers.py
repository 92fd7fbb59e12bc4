"""Tier read benchmarks, side by side in one run against the real Redis and PostgreSQL.

For one props week (~2,000 outcomes, from the local emulator):

(a) hot hit returning the Arrow table through the CacheManager, beside its floor: a bare Redis
    GET of the same value plus ``pyarrow.ipc.open_stream(value).read_all()`` (target ≤ 1.3x);
(b) hot hit returning records (``CacheManager.get``), beside the cache spec's design: JSON in
    Redis and ``orjson.loads``;
(c) warm hit returning the Arrow table (a manager with no hot tier, so nothing is promoted),
    beside a plain read of the JSON column (``SELECT data ... ; orjson.loads``) — target p50 ≤ 5 ms.

Prints p50s, ratios, payload sizes and library versions, and writes a JSON result file under
``benchmarks/results/``. Nothing is asserted: speed is reported, not tested.

Usage::

    python benchmarks/tiers.py [--iterations 300] [--redis URL] [--database URL] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sportsframe.cache.manager import CacheManager
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cached_client import CachedSportsDataIOClient
from sportsframe.emulator import start_emulator
from sportsframe.settings import Settings

RESULTS = Path(__file__).parent / "results"
API_KEY = "benchmark-key"
#: After the 2024 season: every game is final, so the week has its full set of markets.
NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


async def _p50(fn: Callable[[], Awaitable[Any]], iterations: int) -> tuple[float, list[float]]:
    for _ in range(max(10, iterations // 10)):  # warm up connections and caches
        await fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples


def _pick_week(sizes: dict[tuple[int, bool], int], target: int = 2000) -> tuple[int, bool]:
    return min(sizes, key=lambda wk: abs(sizes[wk] - target))


def _outcomes(payload: list[Any]) -> int:
    return sum(len(m.get("BettingOutcomes") or []) for m in payload)


async def main(iterations: int, redis_url: str, database_url: str) -> dict[str, Any]:
    from redis.asyncio import Redis

    namespace = f"sfbench:{uuid.uuid4().hex[:8]}"
    schema = f"sfbench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(database_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    server = start_emulator(port=0, key=API_KEY, latency=(0.0, 0.0), now=NOW)
    redis = Redis.from_url(redis_url)
    settings = Settings(
        base_url=server.base_url,
        api_key=API_KEY,
        source="emulator",
        namespace=namespace,
        redis_host="",
        rate_limit=1000.0,
        monthly_quota=1_000_000_000,
        stale_grace=0,
    )
    hot = RedisTier(redis_url, namespace=namespace)
    warm = SqlTier(database_url, schema=schema)
    manager = CacheManager(settings, hot=hot, warm=warm, source="emulator")
    warm_only = CacheManager(
        settings, hot=None, warm=SqlTier(database_url, schema=schema), source="emulator"
    )
    sdio = CachedSportsDataIOClient(settings, manager=manager)
    try:
        # Pick the week whose props (alternates included or not) come closest to 2,000 outcomes.
        sizes: dict[tuple[int, bool], int] = {}
        for week in (1, 9, 18):
            for alternates in (False, True):
                payload = await sdio.get_player_props_by_week(2024, week, alternates)
                sizes[(week, alternates)] = _outcomes(payload)
        week, alternates = _pick_week(sizes)
        lookup = await sdio.fetch_entry("player_props", 2024, week, alternates)
        await sdio.settle()  # the misses' writes land before Redis is read here
        key = lookup.key
        payload = lookup.payload
        (raw_key,) = [
            k
            async for k in redis.scan_iter(match=f"{namespace}:*")
            if k.decode().endswith(key.split("/", 1)[-1])
        ]
        ipc = await redis.get(raw_key)
        json_bytes = orjson.dumps(payload)
        json_key = f"{namespace}-json:{key}"
        await redis.set(json_key, json_bytes)
        table = pa.ipc.open_stream(ipc).read_all()

        async def manager_table() -> Any:
            return (await manager.lookup(key)).table  # type: ignore[union-attr]

        async def floor_table() -> Any:
            return pa.ipc.open_stream(await redis.get(raw_key)).read_all()

        async def manager_records() -> Any:
            return await manager.get(key)

        async def json_records() -> Any:
            return orjson.loads(await redis.get(json_key))

        async def warm_table() -> Any:
            return (await warm_only.lookup(key)).table  # type: ignore[union-attr]

        select = text(f'SELECT data FROM "{schema}".cache_entries WHERE key = :k')
        # The JSON column read gets the same fast parser the warm tier uses (orjson).
        json_engine = create_async_engine(database_url, json_deserializer=orjson.loads)

        async def json_column() -> Any:
            async with json_engine.connect() as conn:
                return (await conn.execute(select, {"k": key})).scalar_one()

        # Interleave the two sides of each comparison in rounds, so drift hits both alike.
        results: dict[str, list[float]] = {}
        pairs = {
            "a": (("manager_table", manager_table), ("floor_get_ipc", floor_table)),
            "b": (("manager_records", manager_records), ("json_redis_orjson", json_records)),
            "c": (("warm_table", warm_table), ("warm_json_column", json_column)),
        }
        rounds = 5
        for _ in range(rounds):
            for (name_x, fn_x), (name_y, fn_y) in pairs.values():
                for name, fn in ((name_x, fn_x), (name_y, fn_y)):
                    _, samples = await _p50(fn, max(1, iterations // rounds))
                    results.setdefault(name, []).extend(samples)
        await json_engine.dispose()
        p50 = {name: statistics.median(s) for name, s in results.items()}
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "payload": {
                "key": key,
                "markets": len(payload),
                "outcomes": _outcomes(payload),
                "table_rows": table.num_rows,
                "ipc_bytes": len(ipc),
                "json_bytes": len(json_bytes),
                "candidates": {f"week {w} alternates={a}": n for (w, a), n in sizes.items()},
            },
            "p50_ms": {name: round(v * 1000, 4) for name, v in p50.items()},
            "ratios": {
                "a_manager_table_over_floor": round(p50["manager_table"] / p50["floor_get_ipc"], 3),
                "b_manager_records_over_json": round(
                    p50["manager_records"] / p50["json_redis_orjson"], 3
                ),
                "c_warm_table_over_json_column": round(
                    p50["warm_table"] / p50["warm_json_column"], 3
                ),
            },
            "targets": {"a_ratio_max": 1.3, "c_warm_table_p50_ms_max": 5.0},
            "iterations": iterations,
            "versions": {
                "python": platform.python_version(),
                **{
                    lib: version(lib)
                    for lib in ("pyarrow", "redis", "SQLAlchemy", "psycopg", "orjson")
                },
                "redis_server": (await redis.info("server"))["redis_version"],
                "postgresql": await _pg_version(admin),
            },
        }
        return report
    finally:
        await sdio.aclose()
        await manager.close()
        await warm_only.close()
        keys = [k async for k in redis.scan_iter(match=f"{namespace}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        server.stop()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _pg_version(engine: Any) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(text("SHOW server_version"))).scalar_one())


def _print(report: dict[str, Any]) -> None:
    p = report["payload"]
    print(
        f"payload {p['key']}: {p['markets']} markets, {p['outcomes']} outcomes, "
        f"{p['table_rows']} table rows; Arrow IPC {p['ipc_bytes']:,} B, JSON {p['json_bytes']:,} B"
    )
    ms = report["p50_ms"]
    r = report["ratios"]
    rows = [
        ("(a) hot hit → Arrow table", "manager", ms["manager_table"],
         "GET + ipc read (floor)", ms["floor_get_ipc"], r["a_manager_table_over_floor"], "≤ 1.3x"),
        ("(b) hot hit → records", "manager.get", ms["manager_records"],
         "JSON in Redis + orjson", ms["json_redis_orjson"], r["b_manager_records_over_json"], ""),
        ("(c) warm hit → Arrow table", "manager (warm)", ms["warm_table"],
         "SELECT data (JSON column)", ms["warm_json_column"], r["c_warm_table_over_json_column"],
         "p50 ≤ 5 ms"),
    ]  # fmt: skip
    print(
        f"\n{'case':<28}{'ours':<16}{'p50 ms':>9}   {'beside':<26}{'p50 ms':>9}{'ratio':>8}  target"
    )
    for case, ours, x, beside, y, ratio, target in rows:
        print(f"{case:<28}{ours:<16}{x:>9.3f}   {beside:<26}{y:>9.3f}{ratio:>7.2f}x  {target}")
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    print(f"\n{report['iterations']} iterations per case; {versions}")


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    # The same option names as every other script here (the older short ones still work).
    parser.add_argument("--redis-url", "--redis", dest="redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database-url",
        "--database",
        dest="database",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test: 10 iterations")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations = 10
    report = asyncio.run(main(args.iterations, args.redis, args.database))
    _print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"tiers-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
