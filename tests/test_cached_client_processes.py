"""Cross-process single-flight: four processes started together ask for the same cold props
week; the emulator (latency ~300 ms, so the processes really overlap) sees each upstream path
once. Run with the Redis lock (on one server, and on a three-node Redis Cluster configured with
``REDIS_CLUSTER=true``), and with Redis unreachable (PostgreSQL advisory lock)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.registry import ENDPOINTS

API_KEY = "test-key-0123456789abcdef"
NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
PROCESSES = 4


def _worker(conf: dict[str, Any], barrier: Any, results: Any) -> None:
    asyncio.run(_work(conf, barrier, results))


async def _work(conf: dict[str, Any], barrier: Any, results: Any) -> None:
    from sportsframe.cache.manager import CacheManager
    from sportsframe.cache.redis.tier import RedisTier
    from sportsframe.cache.sql.tier import SqlTier
    from sportsframe.cached_client import CachedSportsDataIOClient
    from sportsframe.clock import SYSTEM_CLOCK
    from sportsframe.settings import Settings

    settings = Settings(**conf["settings"])
    if conf["mode"] == "redis":  # the hot tier from REDIS_URL and REDIS_CLUSTER
        manager = CacheManager(
            settings,
            hot=RedisTier.from_settings(settings, clock=SYSTEM_CLOCK),
            warm=SqlTier(conf["postgres_url"], clock=SYSTEM_CLOCK, schema=conf["schema"]),
            source=settings.source,
        )
    else:  # Redis at a dead port: from_settings falls back to the in-process hot tier
        manager = CacheManager.from_settings(settings)
    try:
        async with CachedSportsDataIOClient(settings, manager=manager) as sdio:
            barrier.wait(timeout=60)  # start together
            payload = await sdio.get_player_props_by_week(2024, 18)
            results.put((len(payload), dict(manager.lock_counts), type(manager.hot).__name__, None))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((0, {}, "", repr(exc)))
    finally:
        await manager.close()


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(port=0, key=API_KEY, latency=(0.3, 0.3), now=NOW)
    yield server
    server.stop()


def _run(conf: dict[str, Any]) -> list[tuple[int, dict[str, int], str, str | None]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(conf, barrier, results)) for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    out = []
    try:
        for _ in procs:
            out.append(results.get(timeout=90))
    except queue.Empty:
        pytest.fail("a worker process did not report")
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        results.close()
        results.join_thread()
    return out


def _settings(server: EmulatorServer, tmp_path: Path, namespace: str, **kw: Any) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "api_key": API_KEY,
        "source": "emulator",
        "namespace": namespace,
        "home": str(tmp_path),
        "rate_limit": 1000.0,
        "retries": 0,
        "monthly_quota": 1_000_000_000,
        **kw,
    }


def _assert_each_path_once(server: EmulatorServer, sizes: list[int]) -> None:
    paths = Counter(r.path for r in server.requests())
    assert paths[ENDPOINTS["scores"].bind(2024, 18).path] == 1
    assert len(paths) >= 2
    assert set(paths.values()) == {1}, paths
    assert len(set(sizes)) == 1
    assert sizes[0] > 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["server", "cluster"])
async def test_four_processes_share_one_flight_through_redis(
    kind: str,
    request: pytest.FixtureRequest,
    slow_emulator: EmulatorServer,
    tmp_path: Path,
    namespace: str,
    postgres_url: str,
    schema: str,
) -> None:
    from redis.asyncio import Redis, RedisCluster

    cluster = kind == "cluster"
    fixture = "redis_cluster" if cluster else "redis_url"
    url = request.getfixturevalue(fixture)
    redis_url: str = url.url if cluster else url
    settings = _settings(
        slow_emulator, tmp_path, namespace, redis_url_override=redis_url, redis_cluster=cluster
    )
    conf = {
        "mode": "redis",
        "settings": settings,
        "postgres_url": postgres_url,
        "schema": schema,
    }
    try:
        out = await asyncio.to_thread(_run, conf)
    finally:
        # Entries, locks and the limiter's windows: on a cluster, each key on its own node.
        client = RedisCluster.from_url(redis_url) if cluster else Redis.from_url(redis_url)
        async for key in client.scan_iter(match=f"{namespace}*"):
            await client.delete(key)
        await client.aclose()
    assert [error for *_, error in out] == [None] * PROCESSES
    _assert_each_path_once(slow_emulator, [size for size, *_ in out])
    assert all(locks.get("redis", 0) >= 1 for _, locks, _, _ in out)


@pytest.mark.slow
async def test_four_processes_with_redis_down_use_the_advisory_lock(
    slow_emulator: EmulatorServer,
    tmp_path: Path,
    namespace: str,
    free_port: int,
    postgres_url: str,
    schema: str,
) -> None:
    # DATABASE_URL whose search_path is the test's own schema, so from_settings builds it all.
    url = f"{postgres_url}?options={quote(f'-csearch_path={schema}')}"
    conf = {
        "mode": "from_settings",
        "settings": _settings(
            slow_emulator,
            tmp_path,
            namespace,
            redis_host="127.0.0.1",
            redis_port=free_port,
            database_url=url,
        ),
    }
    out = await asyncio.to_thread(_run, conf)
    assert [error for *_, error in out] == [None] * PROCESSES
    assert {hot for _, _, hot, _ in out} == {"MemoryTier"}
    _assert_each_path_once(slow_emulator, [size for size, *_ in out])
    assert all(locks.get("advisory", 0) >= 1 and "file" not in locks for _, locks, _, _ in out)
