"""Rate limiter and quota: in-process logic on a manual clock, the Redis-shared window across
processes, and the quota persisted in SQL across restarts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event

from sportsframe.api.quota import MemoryQuota, SqlQuota
from sportsframe.api.ratelimit import RedisRateLimiter, SlidingWindowLimiter, key_fingerprint
from sportsframe.clock import ManualClock
from sportsframe.emulator import start_emulator
from sportsframe.errors import QuotaExhaustedError


def test_sliding_window_allows_rate_then_waits_for_the_oldest(clock: ManualClock) -> None:
    limiter = SlidingWindowLimiter(2.0, clock=clock, margin=0.05)
    assert limiter.delay() == 0
    limiter.take()
    assert limiter.delay() == 0
    limiter.take()
    assert limiter.delay() == pytest.approx(1.05)
    clock.advance(0.5)
    assert limiter.delay() == pytest.approx(0.55)
    clock.advance(0.55)
    assert limiter.delay() == 0


def test_fractional_rate_spaces_requests(clock: ManualClock) -> None:
    limiter = SlidingWindowLimiter(0.5, clock=clock, margin=0.0)
    limiter.take()
    assert limiter.delay() == pytest.approx(2.0)


def test_key_fingerprint_never_contains_the_key() -> None:
    key = "abcdef0123456789abcdef0123456789"
    fingerprint = key_fingerprint(key)
    assert key not in fingerprint
    assert len(fingerprint) == 16
    assert fingerprint == key_fingerprint(key)


async def test_memory_quota_resets_with_the_month(clock: ManualClock) -> None:
    quota = MemoryQuota(2, clock=clock)
    await quota.reserve()
    await quota.reserve()
    with pytest.raises(QuotaExhaustedError):
        await quota.reserve("teams")
    clock.advance(timedelta(days=31).total_seconds())
    await quota.reserve()
    assert await quota.used() == 1


class _FlakyScriptRedis:
    """Stands in for redis.asyncio.Redis: the limiter's script grants every slot asked for at
    once until ``failing``."""

    def __init__(self) -> None:
        self.failing = False

    def register_script(self, lua: str) -> Any:
        async def script(keys: list[str], args: list[Any]) -> list[int]:
            if self.failing:
                raise RedisConnectionError("Too many connections")
            return [int(args[2]), 0]

        return script


async def test_falling_back_from_redis_keeps_the_starts_redis_granted() -> None:
    redis = _FlakyScriptRedis()
    limiter = RedisRateLimiter(redis, "sftest:limit", 2.0, margin=0.1)  # type: ignore[arg-type]
    await limiter.acquire()
    await limiter.acquire()
    # Redis granted this second's two slots; were it to fail now, the local window it falls
    # back to must make the third request wait instead of letting it straight through.
    redis.failing = True
    assert limiter._local.delay() > 0.5
    assert len(limiter._local._starts) == 2


async def test_a_start_granted_while_redis_failed_holds_back_what_redis_grants_next() -> None:
    redis = _FlakyScriptRedis()
    limiter = RedisRateLimiter(redis, "sftest:limit", 2.0, margin=0.1)  # type: ignore[arg-type]
    redis.failing = True
    await limiter.acquire()  # granted by the local window: Redis never saw it
    redis.failing = False
    await limiter.acquire()  # Redis grants at once (its window is empty)
    started = time.monotonic()
    await limiter.acquire()  # Redis would grant again; this process has two starts already
    assert time.monotonic() - started > 0.9


async def test_slots_asked_together_take_one_script_call_and_the_rest_wait(
    redis_url: str, namespace: str
) -> None:
    # Sixteen requests at once against a window of 4: one script call grants four, the others
    # wait for the window and ask again together. One call each would be sixteen round trips,
    # the requests leaving one round trip apart.
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    limiter = RedisRateLimiter(client, f"{namespace}:limit", 4.0, margin=0.0)
    calls: list[int] = []
    script = limiter._script

    async def counted(keys: list[str], args: list[Any]) -> Any:
        calls.append(int(args[2]))
        return await script(keys=keys, args=args)

    limiter._script = counted  # type: ignore[assignment]
    started = time.monotonic()
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        granted.append(time.monotonic() - started)

    try:
        await asyncio.gather(*(one() for _ in range(16)))
    finally:
        await client.delete(f"{namespace}:limit")
        await client.aclose()
    assert calls[0] == 16  # every first ask in one call
    assert len(calls) <= 8  # and the waiters together again: far fewer than one per request
    granted.sort()
    # Four per window, as the server's clock grants them: the fifth a window after the first.
    assert granted[3] < 0.5 <= granted[4]
    assert granted[-1] >= 2.9


WORKER = """
import asyncio, sys
import redis.asyncio as redis
from sportsframe.api.client import SportsDataIOClient
from sportsframe.registry import ENDPOINTS
from sportsframe.api.ratelimit import RedisRateLimiter
from sportsframe.settings import Settings

async def main(base_url, redis_url, key, barrier, cluster):
    factory = redis.RedisCluster if cluster == "cluster" else redis.Redis
    r = factory.from_url(redis_url)
    # A wider margin than the default: the emulator stamps arrival, which a busy 2-core test
    # machine can delay by a few hundred ms after the limiter's grant.
    limiter = RedisRateLimiter(r, key, 2.0, margin=0.35)
    client = SportsDataIOClient(Settings(), base_url=base_url, api_key="k", limiter=limiter)
    await r.incr(barrier)
    while int(await r.get(barrier)) < 2:
        await asyncio.sleep(0.01)
    await asyncio.gather(*(client.fetch(ENDPOINTS["stadiums"].bind()) for _ in range(5)))
    await client.aclose()
    await r.aclose()

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.parametrize("server_kind", ["server", "cluster"])
def test_two_processes_share_the_redis_limiter(
    server_kind: str, namespace: str, request: pytest.FixtureRequest
) -> None:
    if server_kind == "cluster":
        url = request.getfixturevalue("redis_cluster").url
    else:
        url = request.getfixturevalue("redis_url")
    server = start_emulator()
    try:
        key = f"{namespace}:ratelimit"
        args = [server.base_url, url, key, f"{key}:barrier", server_kind]
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, *args]) for _ in range(2)]
        for proc in procs:
            assert proc.wait(120) == 0
        times = sorted(r.time for r in server.requests())
    finally:
        server.stop()
    assert len(times) == 10
    # At most two requests in any one-second window as the emulator saw them; two unshared
    # limiters would land four at once.
    most = max(sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times))
    assert most <= 2
    # Ten requests at 2 per second take at least four full windows end to end.
    assert times[-1] - times[0] >= 3.5


async def _quota_persists(url: str, schema: str | None) -> None:
    clock = ManualClock(datetime(2024, 11, 5, tzinfo=UTC))
    source = f"test-{uuid.uuid4().hex[:8]}"
    first = SqlQuota(url, 3, source=source, fingerprint="f1", clock=clock, schema=schema)
    await first.reserve()
    await first.reserve()
    await first.aclose()
    restarted = SqlQuota(url, 3, source=source, fingerprint="f1", clock=clock, schema=schema)
    assert await restarted.used() == 2
    await restarted.reserve()
    with pytest.raises(QuotaExhaustedError):
        await restarted.reserve()
    other_key = SqlQuota(url, 3, source=source, fingerprint="f2", clock=clock, schema=schema)
    await other_key.reserve()  # a different key has its own budget
    await other_key.aclose()
    await restarted.aclose()


async def test_sql_quota_survives_a_restart_on_sqlite(tmp_path: Path) -> None:
    await _quota_persists(f"sqlite+aiosqlite:///{tmp_path / 'quota.sqlite3'}", None)


async def test_sql_quota_survives_a_restart_on_postgres(postgres_url: str, schema: str) -> None:
    await _quota_persists(postgres_url, schema)


async def test_concurrent_reservations_never_overspend(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'quota.sqlite3'}"
    quota = SqlQuota(url, 10, source="s", fingerprint="f")
    results = await asyncio.gather(*(quota.reserve() for _ in range(25)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, QuotaExhaustedError)]
    assert len(refused) == 15
    assert await quota.used() == 10
    await quota.aclose()


async def test_fresh_postgres_quota_shared_by_concurrent_clients(
    postgres_url: str, schema: str
) -> None:
    """Clients starting together on a fresh schema: no creation race, no false exhaustion."""
    quotas = [
        SqlQuota(postgres_url, 100, source="race", fingerprint="f", schema=schema) for _ in range(4)
    ]
    try:
        await asyncio.gather(*(q.reserve() for q in quotas for _ in range(5)))
        assert await quotas[0].used() == 20
    finally:
        for quota in quotas:
            await quota.aclose()


def _quota_database(
    kind: str, tmp_path: Path, postgres_url: str, schema: str
) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'quota.sqlite3'}", None
    return postgres_url, schema


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_reservations_made_together_share_one_statement(
    kind: str, tmp_path: Path, postgres_url: str, schema: str
) -> None:
    # A props week's sixteen games reserve at once: one UPDATE for all of them, where one each
    # had queued behind each other's row lock and commit; and no BEGIN or COMMIT around it
    # (the statement is atomic alone), so the requests leave one round trip sooner.
    url, where = _quota_database(kind, tmp_path, postgres_url, schema)
    quota = SqlQuota(url, 100, source=f"b-{uuid.uuid4().hex[:8]}", fingerprint="f", schema=where)
    updates: list[bool] = []

    def count(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            driver = conn.connection.driver_connection
            alone = driver.autocommit if kind == "postgres" else driver.isolation_level is None
            updates.append(alone)

    try:
        await quota.reserve()  # the month's row exists from here
        event.listen(quota.engine.sync_engine, "before_cursor_execute", count)
        await asyncio.gather(*(quota.reserve() for _ in range(16)))
        assert updates == [True]
        assert await quota.used() == 17
    finally:
        await quota.aclose()


async def test_on_postgres_reservations_made_together_run_on_the_warm_tiers_own_connections(
    postgres_url: str, schema: str
) -> None:
    # Through SQLAlchemy's pool the batched UPDATE also paid a pre-ping and the isolation
    # level's switch and reset (about 1.3 of its 2.5 ms before a miss's requests could leave);
    # on the warm tier's own autocommit connections it is the one round trip. Near the limit,
    # where the batch does not fit, each request is still answered for itself.
    from sportsframe.cache.sql.tier import SqlTier

    tier = SqlTier(postgres_url, schema=schema)
    runner = tier.statement_runner()
    assert runner is not None
    quota = SqlQuota(
        tier.engine, 20, source=f"r-{uuid.uuid4().hex[:8]}", fingerprint="f", schema=schema,
        statement=runner,
    )  # fmt: skip
    checkouts: list[object] = []
    event.listen(tier.engine.sync_engine.pool, "checkout", lambda *a: checkouts.append(a))
    try:
        await quota.reserve()  # the table and the month's row exist from here
        checkouts.clear()
        await asyncio.gather(*(quota.reserve() for _ in range(16)))
        assert checkouts == []
        assert await quota.used() == 17
        results = await asyncio.gather(*(quota.reserve() for _ in range(5)), return_exceptions=True)
        assert [r is None for r in results].count(True) == 3
        assert [type(r) for r in results if r is not None] == [QuotaExhaustedError] * 2
        assert await quota.used() == 20
    finally:
        await tier.close()


async def test_a_batch_the_own_connections_fail_is_reserved_through_the_pool() -> None:
    # The warm tier's own connections failing (TierUnavailable) is not the database being
    # down: the batch goes SQLAlchemy's way, counted in the table, not in this process.
    from sportsframe.cache.tier import TierUnavailable

    async def down(sql: str, params: Any) -> Any:
        raise TierUnavailable("warm", "no reader free in time")

    quota = SqlQuota("sqlite+aiosqlite:///:memory:", 3, source="d", fingerprint="f", statement=down)
    try:
        await quota.reserve()  # the month's row
        await asyncio.gather(quota.reserve(), quota.reserve())
        assert quota._fallback is None
        assert await quota.used() == 3
    finally:
        await quota.aclose()


async def test_a_batch_whose_own_connection_gives_up_behind_a_row_lock_never_overspends(
    postgres_url: str, schema: str
) -> None:
    # Another process holds the month's row in a transaction longer than the warm tier's
    # operation timeout. The batch's statement on the tier's own connection gives up (and may
    # still commit later, on the server); were the batch then counted in this process, it could
    # pass a limit the database refuses. It waits for the database's answer instead.
    from sqlalchemy import text as sql_text

    from sportsframe.cache.sql.tier import SqlTier

    tier = SqlTier(postgres_url, schema=schema, operation_timeout=1.0)
    source = f"o-{uuid.uuid4().hex[:8]}"
    quota = SqlQuota(
        tier.engine, 3, source=source, fingerprint="f", schema=schema,
        statement=tier.statement_runner(),
    )  # fmt: skip
    try:
        await quota.reserve()  # count 1; the table exists
        holder = await tier.engine.connect()
        transaction = await holder.begin()
        await holder.execute(
            sql_text(f'UPDATE "{schema}".api_usage SET count = count + 2 WHERE source = :s'),
            {"s": source},
        )  # the other process's two requests, its row lock held

        async def commit_later() -> None:
            await asyncio.sleep(2.0)
            await transaction.commit()
            await holder.close()

        committing = asyncio.create_task(commit_later())
        results = await asyncio.gather(quota.reserve(), quota.reserve(), return_exceptions=True)
        await committing
        let_through = 1 + 2 + sum(r is None for r in results)
        assert let_through <= 3
        assert [type(r) for r in results] == [QuotaExhaustedError] * 2
        assert quota._fallback is None
        assert await quota.used() == 3
    finally:
        await tier.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_reservations_made_together_near_the_limit_are_answered_each(
    kind: str, tmp_path: Path, postgres_url: str, schema: str
) -> None:
    url, where = _quota_database(kind, tmp_path, postgres_url, schema)
    quota = SqlQuota(url, 5, source=f"n-{uuid.uuid4().hex[:8]}", fingerprint="f", schema=where)
    try:
        for _ in range(3):
            await quota.reserve()
        results = await asyncio.gather(*(quota.reserve() for _ in range(4)), return_exceptions=True)
        # Four do not fit where two are left: two go through, two are refused, none overspends.
        assert [r is None for r in results].count(True) == 2
        assert [type(r) for r in results if r is not None] == [QuotaExhaustedError] * 2
        assert await quota.used() == 5
    finally:
        await quota.aclose()
