"""Write races: a copy to the hot tier (a warm hit promoted, written behind the answer) never
replaces a newer entry, on the in-process tier, on real Redis and on a three-node Redis Cluster,
and across two processes whatever the order of the refresh and the copy (forced with events,
never left to luck), on the server and on the cluster. An entry and its companion are copied in
one script call on the cluster too (their keys share a hash tag)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.redis.copies import COPY_SCRIPT
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.tier import copying
from sportsframe.clock import ManualClock
from tests.cache.servers import PATIENT, OwnCluster, OwnRedis

KEY = "player_props:2024:18:True"
T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
TTL = 300.0
GRACE = 3600.0
FRAME = "frame"

#: The tiers that copy (both offer :class:`~sportsframe.cache.tier.Copying`).
Copier = MemoryTier | RedisTier


def _entry(version: int, created_at: datetime, ttl: float = TTL) -> CacheEntry:
    return CacheEntry.from_payload(
        KEY,
        [{"PlayerID": 1, "Version": version}],
        data_type="player_props",
        created_at=created_at,
        expires_at=created_at + timedelta(seconds=ttl),
    )


def _version(entry: CacheEntry | None) -> int | None:
    return None if entry is None else int(entry.payload[0]["Version"])


def _redis(
    request: pytest.FixtureRequest, kind: str, namespace: str, clock: ManualClock
) -> RedisTier:
    if kind == "cluster":  # a three-node cluster of the test session's own
        url = request.getfixturevalue("redis_cluster").url
        return RedisTier(url, namespace=namespace, clock=clock, cluster=True, **PATIENT)
    url = request.getfixturevalue("redis_url")
    return RedisTier(url, namespace=namespace, clock=clock, **PATIENT)


@pytest.fixture(params=["memory", "redis", "cluster"])
async def tier(
    request: pytest.FixtureRequest, clock: ManualClock, namespace: str
) -> AsyncIterator[Copier]:
    """A tier that copies: the in-process one, RedisTier on the real server and on a cluster."""
    built: Copier
    if request.param == "memory":
        built = MemoryTier(clock=clock)
    else:
        built = _redis(request, request.param, namespace, clock)
    try:
        assert copying(built) is built
        yield built
    finally:
        await built.invalidate("*")  # a server, or the session's cluster, keeps nothing of ours
        await built.close()


async def _held(tier: Copier) -> int | None:
    return _version(await tier.get(KEY, include_stale=True))


async def test_a_copy_of_an_older_entry_does_not_replace_a_newer_one(
    tier: Copier, clock: ManualClock
) -> None:
    await tier.set(_entry(2, clock.now()), grace=GRACE)
    older = _entry(1, clock.now() - timedelta(seconds=30))
    assert not await tier.copy(older, grace=GRACE)
    assert await _held(tier) == 2
    assert await tier.copy_many([older], grace=GRACE) == 0
    assert await _held(tier) == 2


async def test_a_copy_replaces_an_equal_or_older_entry_and_fills_an_absent_one(
    tier: Copier, clock: ManualClock
) -> None:
    assert await tier.copy(_entry(1, clock.now() - timedelta(seconds=30)), grace=GRACE)
    assert await _held(tier) == 1  # absent: written
    assert await tier.copy(_entry(2, clock.now()), grace=GRACE)
    assert await _held(tier) == 2  # older held: replaced
    assert await tier.copy_many([_entry(3, clock.now())], grace=GRACE) == 1
    assert await _held(tier) == 3  # the same created_at held: replaced


async def test_a_copy_replaces_an_older_entry_kept_past_its_expiry(
    tier: Copier, clock: ManualClock
) -> None:
    await tier.set(_entry(1, clock.now()), grace=GRACE)
    clock.advance(TTL + 60)  # expired, kept for the grace window
    assert await tier.get(KEY) is None
    assert await _held(tier) == 1
    assert await tier.copy(_entry(2, clock.now() - timedelta(seconds=5)), grace=GRACE)
    assert await _held(tier) == 2


async def test_a_write_through_replaces_a_newer_entry(tier: Copier, clock: ManualClock) -> None:
    # A payload just fetched is the newest by definition: set stays unconditional.
    await tier.set(_entry(2, clock.now()), grace=GRACE)
    await tier.set(_entry(1, clock.now() - timedelta(seconds=30)), grace=GRACE)
    assert await _held(tier) == 1


@pytest.mark.parametrize("kind", ["redis", "cluster"])
async def test_a_companion_is_copied_only_with_its_entry(
    kind: str, request: pytest.FixtureRequest, clock: ManualClock, namespace: str
) -> None:
    # One script call, on a server and on a cluster (where the two keys share one slot).
    tier = _redis(request, kind, namespace, clock)
    try:
        newer, older = _entry(2, clock.now()), _entry(1, clock.now() - timedelta(seconds=30))
        await tier.set(newer, grace=GRACE)  # written through: no companion
        assert not await tier.copy(older, grace=GRACE, companion=(FRAME, b"frame-1"))
        assert await tier.client.exists(tier.layout.companion(FRAME, KEY)) == 0  # none written
        assert await tier.copy(newer, grace=GRACE, companion=(FRAME, b"frame-2"))
        assert not await tier.copy(older, grace=GRACE, companion=(FRAME, b"frame-1"))
        found = await tier.get_with_companion(KEY, FRAME)
        assert found is not None
        assert found.created_at == newer.created_at
        assert found.companion is not None
        assert bytes(found.companion) == b"frame-2"
    finally:
        await tier.invalidate("*")
        await tier.close()


async def test_on_a_cluster_a_copy_with_its_companion_is_one_script_call(
    redis_cluster: OwnCluster, clock: ManualClock, namespace: str
) -> None:
    tier = RedisTier(redis_cluster.url, namespace=namespace, clock=clock, cluster=True, **PATIENT)
    try:
        await tier.ping()  # the client learns the slots before the count starts
        redis_cluster.load_script(COPY_SCRIPT)
        redis_cluster.reset_stats()
        assert await tier.copy(_entry(1, clock.now()), grace=GRACE, companion=(FRAME, b"frame-1"))
        # One EVALSHA, atomic over both keys. (The nodes count the commands a script runs too:
        # its GETRANGE of each key's stamp and its SET of each.)
        names = ("evalsha", "eval", "getrange", "set")
        calls = {name: redis_cluster.calls(name) for name in names}
        assert calls == {"evalsha": 1, "eval": 0, "getrange": 2, "set": 2}
        found = await tier.get_with_companion(KEY, FRAME)
        assert found is not None
        assert bytes(found.companion or b"") == b"frame-1"
    finally:
        await tier.invalidate("*")
        await tier.close()


async def test_stamped_values_read_as_before_and_unstamped_ones_are_replaced(
    clock: ManualClock, namespace: str, redis_url: str
) -> None:
    import pyarrow as pa
    from redis.asyncio import Redis

    tier = RedisTier(redis_url, namespace=namespace, clock=clock, **PATIENT)
    raw = Redis.from_url(redis_url)
    try:
        entry = _entry(2, clock.now())
        await tier.set(entry, grace=GRACE)
        value = await raw.get(f"{namespace}:{KEY}")
        assert value.startswith(entry.ipc)  # the stream, then the stamp Arrow never reads
        assert pa.ipc.open_stream(value).read_all().num_rows == 1
        reader = tier.sync_reader()  # the blocking reader, closed with the tier
        assert reader is not None
        assert _version(reader.read_many([KEY], FRAME)[KEY]) == 2
        # A value written before stamps existed: its age is unknown, so a copy replaces it.
        await raw.set(f"{namespace}:{KEY}", _entry(3, clock.now()).ipc, px=60_000)
        assert await tier.copy(_entry(1, clock.now() - timedelta(seconds=30)), grace=GRACE)
        assert _version(await tier.get(KEY)) == 1
    finally:
        await tier.delete(KEY)
        await tier.close()
        await raw.aclose()


async def test_a_server_that_lost_the_script_is_sent_it_again(
    clock: ManualClock, free_port: int, tmp_path: Path
) -> None:
    from redis.asyncio import Redis

    server = OwnRedis(free_port, tmp_path)
    server.start()
    url = f"redis://127.0.0.1:{free_port}/0"
    tier = RedisTier(url, clock=clock, **PATIENT)
    raw = Redis.from_url(url)
    try:
        assert await tier.copy(_entry(1, clock.now()), grace=GRACE)
        assert await raw.script_exists(_sha()) == [True]  # EVAL cached it
        await raw.script_flush()  # a restart forgets scripts too
        assert await tier.copy_many([_entry(2, clock.now())], grace=GRACE) == 1
        older = _entry(0, clock.now() - timedelta(seconds=30))
        await raw.script_flush()
        assert not await tier.copy(older, grace=GRACE)
        assert _version(await tier.get(KEY)) == 2
    finally:
        await tier.close()
        await raw.aclose()
        server.kill()


def _sha() -> str:
    import hashlib

    return hashlib.sha1(COPY_SCRIPT.encode()).hexdigest()


# -- two processes ---------------------------------------------------------------------------


def _racer(role: str, conf: dict[str, Any], events: dict[str, Any], results: Any) -> None:
    try:
        asyncio.run(_race(role, conf, events))
        results.put((role, None))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((role, repr(exc)))


async def _race(role: str, conf: dict[str, Any], events: dict[str, Any]) -> None:
    from sportsframe.cache.breaker import CircuitBreaker
    from sportsframe.cache.guard import TierGuard
    from sportsframe.cache.promotion import Promoter
    from sportsframe.cache.stats import CacheStats
    from sportsframe.cache.tier import Tier

    clock = ManualClock(T0 + timedelta(seconds=60))
    tier = RedisTier(
        conf["redis_url"],
        namespace=conf["namespace"],
        clock=clock,
        cluster=conf["cluster"],
        **PATIENT,
    )
    stats = CacheStats(clock)
    hot: TierGuard[Tier] = TierGuard("hot", tier, CircuitBreaker("hot", clock=clock), lambda: stats)
    warm: TierGuard[Tier] = TierGuard(
        "warm", None, CircuitBreaker("warm", clock=clock), lambda: stats
    )
    promoter = Promoter(hot, warm, lambda: stats, GRACE)

    def wait(name: str) -> None:
        assert events[name].wait(timeout=30), f"{role} waited for {name} in vain"

    try:
        if role == "copier":
            # A warm hit read before the other process's refresh: version 1, with its frame.
            older = _entry(1, T0)
            older.companion = b"frame-1"
            events["read"].set()
            if conf["order"] == "refresh-first":
                wait("refreshed")
            await promoter.now(older, FRAME)
            events["copied"].set()
        else:
            newer = _entry(2, T0 + timedelta(seconds=30))
            wait("read")
            if conf["order"] == "copy-first":
                wait("copied")
            if conf["refresh"] == "write":  # a payload fetched and written through
                await tier.set(newer, grace=GRACE)
            else:  # another process's copy of the newer warm entry
                newer.companion = b"frame-2"
                await promoter.now(newer, FRAME)
            events["refreshed"].set()
    finally:
        await promoter.close()
        await tier.close()


@pytest.mark.parametrize("kind", ["redis", "cluster"])
@pytest.mark.parametrize(
    ("order", "refresh"),
    [("refresh-first", "write"), ("copy-first", "write"), ("refresh-first", "copy")],
)
async def test_two_processes_leave_the_newer_entry_whatever_the_order(
    order: str, refresh: str, kind: str, namespace: str, request: pytest.FixtureRequest
) -> None:
    cluster = kind == "cluster"
    if cluster:
        redis_url = request.getfixturevalue("redis_cluster").url
    else:
        redis_url = request.getfixturevalue("redis_url")
    ctx = mp.get_context("spawn")
    events = {name: ctx.Event() for name in ("read", "refreshed", "copied")}
    results = ctx.Queue()
    conf = {
        "redis_url": redis_url,
        "cluster": cluster,
        "namespace": namespace,
        "order": order,
        "refresh": refresh,
    }
    procs = [
        ctx.Process(target=_racer, args=(role, conf, events, results))
        for role in ("copier", "refresher")
    ]
    for proc in procs:
        proc.start()
    try:
        reports = dict(results.get(timeout=60) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=30)
    assert reports == {"copier": None, "refresher": None}
    clock = ManualClock(T0 + timedelta(seconds=60))
    tier = RedisTier(redis_url, namespace=namespace, clock=clock, cluster=cluster, **PATIENT)
    try:
        found = await tier.get_with_companion(KEY, FRAME)
        assert _version(found) == 2
        assert found is not None
        expected = b"frame-2" if refresh == "copy" else None
        assert (None if found.companion is None else bytes(found.companion)) == expected
    finally:
        await tier.delete(KEY)
        await tier.close()
