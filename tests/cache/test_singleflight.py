"""Single-flight in one process and the cross-process lock backends (Redis, PostgreSQL, file)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from sportsframe.cache.breaker import BreakerState, CircuitBreaker
from sportsframe.cache.locks import (
    AdvisoryLock,
    CrossProcessLock,
    FileLockBackend,
    LockBackend,
    LockUnavailable,
    RedisLock,
)
from sportsframe.cache.singleflight import SingleFlight
from sportsframe.clock import ManualClock


async def test_concurrent_identical_calls_run_once() -> None:
    flights: SingleFlight[int] = SingleFlight()
    calls = 0
    gate = asyncio.Event()

    async def work() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.ensure_future(flights.run("k", work)) for _ in range(50)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert [r for r, _ in results] == [42] * 50
    assert sum(1 for _, shared in results if not shared) == 1
    assert len(flights) == 0


async def test_quiet_returns_once_the_last_flight_ends_whether_done_or_cancelled() -> None:
    flights: SingleFlight[int] = SingleFlight()
    await asyncio.wait_for(flights.quiet(), 1)  # none running: at once
    gates = {"a": asyncio.Event(), "b": asyncio.Event()}

    def work(key: str) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            await gates[key].wait()
            return 1

        return run

    first = asyncio.ensure_future(flights.run("a", work("a")))
    second = asyncio.ensure_future(flights.run("b", work("b")))
    await asyncio.sleep(0)
    quiet = asyncio.ensure_future(flights.quiet())
    gates["a"].set()
    await first
    await asyncio.sleep(0.01)
    assert not quiet.done()  # "b" still runs
    second.cancel()  # its only caller leaves: the flight is dropped
    await asyncio.wait_for(quiet, 1)
    assert len(flights) == 0


async def test_different_keys_do_not_share() -> None:
    flights: SingleFlight[str] = SingleFlight()

    async def work(value: str) -> str:
        await asyncio.sleep(0)
        return value

    a, b = await asyncio.gather(
        flights.run("a", lambda: work("a")), flights.run("b", lambda: work("b"))
    )
    assert a == ("a", False)
    assert b == ("b", False)


async def test_a_cancelled_caller_does_not_cancel_the_flight() -> None:
    flights: SingleFlight[int] = SingleFlight()
    gate = asyncio.Event()

    async def work() -> int:
        await gate.wait()
        return 7

    leader = asyncio.ensure_future(flights.run("k", work))
    follower = asyncio.ensure_future(flights.run("k", work))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert await follower == (7, True)
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_the_last_cancelled_caller_cancels_the_flight() -> None:
    flights: SingleFlight[int] = SingleFlight()
    started, stopped = asyncio.Event(), asyncio.Event()

    async def work() -> int:
        started.set()
        try:
            await asyncio.sleep(30)  # an upstream call nobody waits for any more
        except asyncio.CancelledError:
            stopped.set()
            raise
        return 7

    leader = asyncio.ensure_future(flights.run("k", work))
    follower = asyncio.ensure_future(flights.run("k", work))
    await started.wait()
    leader.cancel()
    await asyncio.sleep(0.01)
    assert not stopped.is_set()  # the follower still waits for it
    follower.cancel()
    await asyncio.wait_for(stopped.wait(), timeout=2)
    for caller in (leader, follower):
        with pytest.raises(asyncio.CancelledError):
            await caller
    await asyncio.sleep(0)
    assert len(flights) == 0


async def test_a_caller_after_a_cancelled_flight_starts_a_new_one() -> None:
    flights: SingleFlight[int] = SingleFlight()
    runs = 0
    started = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        started.set()
        await asyncio.sleep(0.05 if runs == 1 else 0)
        return runs

    first = asyncio.ensure_future(flights.run("k", work))
    await started.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await flights.run("k", work) == (2, False)


async def test_errors_reach_every_caller() -> None:
    flights: SingleFlight[int] = SingleFlight()

    async def work() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("upstream down")

    results = await asyncio.gather(
        *(flights.run("k", work) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(flights) == 0


async def _assert_excludes(first: LockBackend, second: LockBackend, key: str) -> None:
    """``second`` cannot take ``key`` while ``first`` holds it, and gets it once released."""
    token = await first.acquire(key)
    waiter = asyncio.ensure_future(second.acquire(key))
    await asyncio.sleep(0.15)
    assert not waiter.done()
    other = await second.acquire(key + ":other")  # other keys are independent
    await second.release(key + ":other", other)
    await first.release(key, token)
    token2 = await asyncio.wait_for(waiter, 2)
    await second.release(key, token2)
    # released: the first backend can take it again at once
    token3 = await asyncio.wait_for(first.acquire(key), 1)
    await first.release(key, token3)


async def test_file_locks_exclude(tmp_path: Path) -> None:
    await _assert_excludes(
        FileLockBackend(tmp_path / "locks", "ns:"), FileLockBackend(tmp_path / "locks", "ns:"), "k"
    )


async def test_file_lock_unusable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LockUnavailable):
        await FileLockBackend(blocker / "locks", "ns:").acquire("k")


@pytest.fixture(params=["server", "cluster"])
async def redis_clients(request: pytest.FixtureRequest) -> AsyncIterator[tuple[object, object]]:
    """Two clients of one Redis: the shared server, then the three-node cluster."""
    from redis.asyncio import Redis, RedisCluster

    if request.param == "cluster":
        url = request.getfixturevalue("redis_cluster").url
        a, b = RedisCluster.from_url(url), RedisCluster.from_url(url)
    else:
        url = request.getfixturevalue("redis_url")
        a, b = Redis.from_url(url), Redis.from_url(url)
    yield a, b
    await a.aclose()
    await b.aclose()


@pytest.fixture
async def redis_locks(
    redis_clients: tuple[object, object], namespace: str
) -> AsyncIterator[tuple[RedisLock, RedisLock]]:
    """A Redis lock on each of the two clients, under one prefix (two processes' locks)."""
    a, b = redis_clients
    first = RedisLock(a, f"{namespace}~lock:")  # type: ignore[arg-type]
    second = RedisLock(b, f"{namespace}~lock:")  # type: ignore[arg-type]
    yield first, second
    await first.close()
    await second.close()


async def test_redis_locks_exclude(redis_locks: tuple[RedisLock, RedisLock]) -> None:
    await _assert_excludes(*redis_locks, "player_props:2024:18:False")


async def test_redis_locks_taken_together_share_one_round_trip(
    redis_clients: tuple[object, object],
    redis_locks: tuple[RedisLock, RedisLock],
    namespace: str,
) -> None:
    a, b = redis_clients
    first, second = redis_locks
    busy = await second.acquire("k5")  # held elsewhere: that one must wait, the rest not
    sets: list[str] = []
    pipelines: list[object] = []
    plain_set, plain_pipeline = a.set, a.pipeline  # type: ignore[attr-defined]

    def counting_set(name: str, *args: object, **kwargs: object) -> object:
        sets.append(name)
        return plain_set(name, *args, **kwargs)

    def counting_pipeline(*args: object, **kwargs: object) -> object:
        pipe = plain_pipeline(*args, **kwargs)
        pipelines.append(pipe)
        return pipe

    a.set, a.pipeline = counting_set, counting_pipeline  # type: ignore[attr-defined]
    keys = [f"k{i}" for i in range(16)]
    tasks = {k: asyncio.ensure_future(first.acquire(k)) for k in keys}
    await asyncio.sleep(0.3)
    # Every first attempt went in one pipeline; only the busy key tried again on its own.
    assert len(pipelines) == 1
    assert set(sets) <= {f"{namespace}~lock:k5"}
    assert [k for k, t in tasks.items() if not t.done()] == ["k5"]
    await second.release("k5", busy)
    tokens = {k: await asyncio.wait_for(t, 2) for k, t in tasks.items()}
    for k, token in tokens.items():
        assert await b.get(f"{namespace}~lock:{k}") == str(token).encode()  # type: ignore[attr-defined]
        await first.release(k, token)


async def test_a_lock_attempt_whose_caller_left_is_released_once_taken(
    redis_locks: tuple[RedisLock, RedisLock],
) -> None:
    first, second = redis_locks
    attempt = asyncio.ensure_future(first.acquire("k"))
    await asyncio.sleep(0)  # its SET NX is queued for the next pipeline, which runs regardless
    attempt.cancel()  # Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await attempt
    # Had the orphaned attempt kept the lock, the other process would wait out its TTL (15 s).
    token = await asyncio.wait_for(second.acquire("k"), 2)
    await second.release("k", token)


async def test_redis_lock_is_renewed_while_held(
    redis_clients: tuple[object, object], namespace: str
) -> None:
    a, b = redis_clients
    # A TTL a loaded machine can keep renewing (a renewal is a round trip, on a cluster too).
    first = RedisLock(a, f"{namespace}~lock:", ttl=0.6)  # type: ignore[arg-type]
    second = RedisLock(b, f"{namespace}~lock:", ttl=0.6)  # type: ignore[arg-type]
    token = await first.acquire("k")
    waiter = asyncio.ensure_future(second.acquire("k"))
    await asyncio.sleep(1.5)  # 2.5 TTLs: only renewal keeps the lock
    assert not waiter.done()
    await first.release("k", token)
    await second.release("k", await asyncio.wait_for(waiter, 1))


async def test_redis_lock_release_needs_the_token(
    redis_clients: tuple[object, object], namespace: str
) -> None:
    a, _ = redis_clients
    lock = RedisLock(a, f"{namespace}~lock:")  # type: ignore[arg-type]
    token = await lock.acquire("k")
    await lock.release("k", "not-the-token")
    assert await a.exists(f"{namespace}~lock:k")  # type: ignore[attr-defined]
    await lock.release("k", token)
    assert not await a.exists(f"{namespace}~lock:k")  # type: ignore[attr-defined]


async def test_redis_lock_on_a_dead_server(free_port: int) -> None:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = Redis(
        host="127.0.0.1", port=free_port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    try:
        with pytest.raises(LockUnavailable):
            await RedisLock(client, "x~lock:").acquire("k")
    finally:
        await client.aclose()


async def test_postgres_advisory_locks_exclude(postgres_url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    e1, e2 = create_async_engine(postgres_url), create_async_engine(postgres_url)
    prefix = f"sftest-{uuid.uuid4().hex}:"
    first, second = AdvisoryLock(e1, prefix), AdvisoryLock(e2, prefix)
    try:
        await _assert_excludes(first, second, "scores:2024:18")
    finally:
        await first.close()
        await second.close()
        await e1.dispose()
        await e2.dispose()


async def test_advisory_lock_on_a_dead_server(free_port: int) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port}/test")
    lock = AdvisoryLock(engine, "x:")
    try:
        with pytest.raises(LockUnavailable):
            await lock.acquire("k")
    finally:
        await lock.close()
        await engine.dispose()


class _Down:
    name = "down"

    def __init__(self) -> None:
        self.attempts = 0

    async def acquire(self, key: str) -> object:
        self.attempts += 1
        raise LockUnavailable("refused")

    async def release(self, key: str, token: object) -> None:
        raise AssertionError("never acquired")

    async def close(self) -> None:
        return None


async def test_falls_back_to_the_next_backend(tmp_path: Path, clock: ManualClock) -> None:
    down = _Down()
    breaker = CircuitBreaker("hot", threshold=1, clock=clock)
    locks = CrossProcessLock([(down, breaker), (FileLockBackend(tmp_path, "ns:"), None)])
    async with locks.hold("k") as used:
        assert used == "file"
    assert breaker.state is BreakerState.OPEN
    async with locks.hold("k") as used:  # breaker open: the dead backend is not even tried
        assert used == "file"
    assert down.attempts == 1


async def test_no_backend_left_runs_unlocked(clock: ManualClock) -> None:
    locks = CrossProcessLock([(_Down(), None)])
    async with locks.hold("k") as used:
        assert used is None


async def test_holders_in_one_process_are_serialised(tmp_path: Path) -> None:
    """Even over a backend that re-enters in its own process (a PostgreSQL session)."""

    class Reentrant:
        name = "reentrant"

        async def acquire(self, key: str) -> object:
            return key

        async def release(self, key: str, token: object) -> None:
            return None

        async def close(self) -> None:
            return None

    locks = CrossProcessLock([(Reentrant(), None)])
    inside = 0
    most = 0

    async def hold() -> None:
        nonlocal inside, most
        async with locks.hold("k"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(5)))
    assert most == 1
    assert locks._local == {}
