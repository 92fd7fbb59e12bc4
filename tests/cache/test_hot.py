"""RedisTier specifics (bytes, PX, garbage repair, namespace, outages, companions) and the
blocking reader. The shared behaviour is in test_tier_contract.py, MemoryTier's in
test_memory.py."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import pyarrow as pa
import pytest

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.redis.blocking import SyncHotReader
from sportsframe.cache.redis.client import probe
from sportsframe.cache.redis.layout import entry_stamp
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock
from sportsframe.settings import Settings
from tests.cache.servers import PATIENT, OwnRedis

Make = Callable[..., CacheEntry]
PAYLOAD = [{"PlayerID": 1, "Outcomes": [{"Value": 1.5}]}, {"PlayerID": 2, "Outcomes": []}]


@pytest.fixture(params=["fakeredis", "redis"])
async def redis_pair(
    request: pytest.FixtureRequest, namespace: str, clock: ManualClock
) -> AsyncIterator[tuple[RedisTier, Any]]:
    """(RedisTier, a raw client on the same server) on fakeredis and on the real server."""
    if request.param == "fakeredis":
        import fakeredis

        client: Any = fakeredis.FakeAsyncRedis()
    else:
        from redis.asyncio import Redis

        client = Redis.from_url(request.getfixturevalue("redis_url"))
    tier = RedisTier(client, namespace=namespace, clock=clock)
    try:
        yield tier, client
    finally:
        doomed = [k async for k in client.scan_iter(match=f"{namespace}*")]
        if doomed:
            await client.delete(*doomed)
        await tier.close()
        await client.aclose()


async def test_value_is_the_entry_ipc_and_its_stamp_under_the_namespace(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str
) -> None:
    tier, client = redis_pair
    entry = make_entry("player_props:2024:18:True", PAYLOAD)
    await tier.set(entry)
    raw = await client.get(f"{namespace}:player_props:2024:18:True")
    assert raw == entry.ipc + entry_stamp(entry.created_at)
    assert pa.ipc.open_stream(raw).read_all().num_rows == 2


async def test_px_is_remaining_ttl_plus_grace(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str, clock: ManualClock
) -> None:
    tier, client = redis_pair
    entry = make_entry("odds:2024:18", PAYLOAD, ttl=300)
    clock.advance(120)  # e.g. a warm hit promoted two minutes after the API call
    await tier.set(entry, grace=1000)
    pttl = await client.pttl(f"{namespace}:odds:2024:18")
    assert abs(pttl - (180 + 1000) * 1000) < 1000
    clock.advance(180 + 1000)  # past expiry and grace: writing it again removes it
    await tier.set(entry, grace=1000)
    assert await client.exists(f"{namespace}:odds:2024:18") == 0


async def test_garbage_value_is_a_miss_deleted_and_logged_once(
    redis_pair: tuple[RedisTier, Any], namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    tier, client = redis_pair
    raw_key = f"{namespace}:player_props:2024:18:True"
    await client.set(raw_key, b"\x00garbage, not an arrow stream")
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        assert await tier.get("player_props:2024:18:True", include_stale=True) is None
        assert await client.exists(raw_key) == 0
        assert await tier.get("player_props:2024:18:True") is None  # gone: no second line
    lines = [r for r in caplog.records if r.name == "sportsframe.cache"]
    assert len(lines) == 1
    assert "undecodable" in lines[0].getMessage()
    assert "garbage" not in lines[0].getMessage()  # the value itself is never logged


async def test_garbage_read_with_a_companion_is_a_miss_deleted_and_logged_once(
    redis_pair: tuple[RedisTier, Any], namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    tier, client = redis_pair
    raw_key = f"{namespace}:odds:2024:18"
    await client.set(raw_key, b"\x00garbage, not an arrow stream")
    await client.set(f"{namespace}#frame-odds-1:odds:2024:18", b"a companion of something")
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        assert await tier.get_with_companion("odds:2024:18", "frame-odds-1") is None
        assert await client.exists(raw_key) == 0
    lines = [r for r in caplog.records if r.name == "sportsframe.cache"]
    assert len(lines) == 1
    assert "undecodable" in lines[0].getMessage()


async def test_garbage_in_get_many_and_ttl(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str
) -> None:
    tier, client = redis_pair
    await tier.set(make_entry("teams:2024", PAYLOAD))
    await client.set(f"{namespace}:teams:2025", b"junk")
    await client.set(f"{namespace}:teams:2026", b"junk")
    assert set(await tier.get_many(["teams:2024", "teams:2025"])) == {"teams:2024"}
    assert await tier.ttl("teams:2026") is None
    assert await tier.keys() == ["teams:2024"]


async def test_invalidate_star_stays_inside_the_namespace(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str
) -> None:
    tier, client = redis_pair
    sibling = f"{namespace}x:teams:2024"  # a namespace that merely starts alike
    await client.set(sibling, b"theirs")
    await tier.set_many([make_entry(f"players:{i}", []) for i in range(1200)])  # > one batch
    assert await tier.invalidate("*") == 1200
    assert await client.get(sibling) == b"theirs"
    assert await tier.keys() == []


async def test_connections_are_pooled_and_counted(
    redis_pair: tuple[RedisTier, Any], make_entry: Make
) -> None:
    tier, _ = redis_pair
    for i in range(5):
        await tier.set(make_entry(f"players:{i}", PAYLOAD))
        assert await tier.get(f"players:{i}") is not None
    assert tier.connection_attempts == 1


async def test_more_commands_at_once_than_the_pool_holds_wait_for_a_connection(
    redis_url: str, namespace: str, clock: ManualClock, make_entry: Make
) -> None:
    # A season's parts locked, read or written together: far more commands at once than
    # connections. They queue for one; none may fail (a failure counts as an outage of Redis).
    tier = RedisTier(redis_url, namespace=namespace, clock=clock, max_connections=4, **PATIENT)
    try:
        keys = [f"players:{i}" for i in range(60)]
        await asyncio.gather(*(tier.set(make_entry(k, PAYLOAD)) for k in keys))
        found = await asyncio.gather(*(tier.get(k) for k in keys))
        assert all(entry is not None for entry in found)
        assert tier.connection_attempts <= 4
    finally:
        await tier.invalidate("*")
        await tier.close()


async def test_dead_port_raises_tier_unavailable(
    free_port: int, clock: ManualClock, make_entry: Make
) -> None:
    tier = RedisTier(f"redis://127.0.0.1:{free_port}/0", namespace="sftest", clock=clock)
    try:
        with pytest.raises(TierUnavailable) as info:
            await tier.get("teams:2024")
        assert info.value.tier == "hot"
        for call in (
            tier.set(make_entry("teams:2024", [])),
            tier.get_many(["teams:2024"]),
            tier.keys(),
            tier.invalidate("*"),
            tier.cleanup(),
        ):
            with pytest.raises(TierUnavailable):
                await call
        assert await tier.ping() is False
        assert tier.connection_attempts >= 1
    finally:
        await tier.close()


@pytest.mark.parametrize("server", ["dead port", "no cluster"])
async def test_a_cluster_that_cannot_be_reached_raises_tier_unavailable(
    server: str, free_port: int, redis_url: str, clock: ManualClock, make_entry: Make
) -> None:
    # redis-py reports an unreachable cluster (no seed answers, or a seed that is no cluster)
    # with RedisClusterException, which is no RedisError: it must not escape the tier either.
    url = f"redis://127.0.0.1:{free_port}/0" if server == "dead port" else redis_url
    tier = RedisTier(url, namespace="sftest", clock=clock, cluster=True)
    entry = make_entry("teams:2024", [])
    try:
        for call in (
            tier.get("teams:2024"),
            tier.get_with_companion("teams:2024", "frame-1"),
            tier.set(entry),
            tier.copy(entry, grace=60),
            tier.copy_many([entry], grace=60),
            tier.get_many(["teams:2024"]),
            tier.keys(),
            tier.invalidate("*"),
        ):
            with pytest.raises(TierUnavailable) as info:
                await call
            assert info.value.tier == "hot"
        assert await tier.ping() is False
    finally:
        await tier.close()


def test_probe(redis_url: str, free_port: int) -> None:
    assert probe(Settings(redis_url_override=redis_url)) is True
    assert probe(Settings(redis_host="127.0.0.1", redis_port=free_port)) is False
    assert probe(Settings(redis_host="")) is False


async def test_frozen_server_times_out_as_unavailable(
    own_redis: OwnRedis, clock: ManualClock, make_entry: Make
) -> None:
    tier = RedisTier(f"redis://127.0.0.1:{own_redis.port}/0", namespace="sftest", clock=clock)
    try:
        await tier.set(make_entry("teams:2024", PAYLOAD))
        own_redis.freeze()
        with pytest.raises(TierUnavailable, match="Timeout"):
            await tier.get("teams:2024")
        os.kill(own_redis.proc.pid, signal.SIGCONT)
        found = await tier.get("teams:2024")
        assert found is not None
        assert found.payload == PAYLOAD
    finally:
        await tier.close()


def test_from_settings_and_describe_hide_the_password(clock: ManualClock) -> None:
    settings = Settings(redis_host="127.0.0.1", redis_password="s3cret-pw", namespace="sftest:abc")
    tier = RedisTier.from_settings(settings, clock)
    assert tier.namespace == "sftest:abc"
    assert not tier.cluster
    assert "s3cret-pw" not in tier.describe()
    assert "s3cret-pw" not in repr(tier)
    assert "127.0.0.1:6379/0" in tier.describe()
    assert tier.client.get_connection_kwargs().get("decode_responses") is False


async def test_companion_is_read_with_its_entry_and_expires_with_it(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str, clock: ManualClock
) -> None:
    tier, client = redis_pair
    entry = make_entry("player_props:2024:18:True", PAYLOAD, ttl=300)
    await tier.set(entry, grace=60)
    await tier.set_companion(entry, "frame-props-1", b"finished frame", grace=60)
    found = await tier.get_with_companion("player_props:2024:18:True", "frame-props-1")
    assert found is not None
    assert found.companion is not None
    assert bytes(found.companion) == b"finished frame"
    assert found.payload == PAYLOAD
    # Same PX as the entry, and outside the namespace's keyspace (SCAN-based ops never see it).
    companion_key = f"{namespace}#frame-props-1:player_props:2024:18:True"
    assert abs(await client.pttl(companion_key) - 360_000) < 1000
    assert await tier.keys("*") == ["player_props:2024:18:True"]
    # Another companion name is another value.
    other = await tier.get_with_companion("player_props:2024:18:True", "frame-props-2")
    assert other is not None
    assert other.companion is None


async def test_a_companion_of_an_older_entry_is_never_served(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, clock: ManualClock
) -> None:
    tier, _ = redis_pair
    old = make_entry("odds:2024:18", PAYLOAD)
    await tier.set(old)
    await tier.set_companion(old, "frame-odds-1", b"old frame")
    clock.advance(1)
    newer = make_entry("odds:2024:18", [{"PlayerID": 3, "Outcomes": []}])
    await tier.set(newer)  # a refresh in another process: the companion was not rewritten
    found = await tier.get_with_companion("odds:2024:18", "frame-odds-1")
    assert found is not None
    assert found.payload == [{"PlayerID": 3, "Outcomes": []}]
    assert found.companion is None


async def test_delete_and_invalidate_remove_companions(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str
) -> None:
    tier, client = redis_pair
    for key in ("odds:2024:17", "odds:2024:18"):
        entry = make_entry(key, PAYLOAD)
        await tier.set(entry)
        await tier.set_companion(entry, "frame-odds-1", b"frame")
    assert await tier.delete("odds:2024:17")
    assert await client.exists(f"{namespace}#frame-odds-1:odds:2024:17") == 0
    assert await tier.invalidate("odds:2024:*") == 1  # entries counted, not companions
    assert [k async for k in client.scan_iter(match=f"{namespace}*")] == []


async def test_companion_of_an_expired_entry_is_not_written(
    redis_pair: tuple[RedisTier, Any], make_entry: Make, namespace: str, clock: ManualClock
) -> None:
    tier, client = redis_pair
    entry = make_entry("teams", PAYLOAD, ttl=10)
    clock.advance(11)
    await tier.set_companion(entry, "frame-teams-1", b"frame", grace=0)
    assert await client.exists(f"{namespace}#frame-teams-1:teams") == 0


# -- the blocking reader of the sync facade ------------------------------------------------------
@pytest.fixture
async def reading(
    redis_url: str, namespace: str, clock: ManualClock
) -> AsyncIterator[tuple[RedisTier, SyncHotReader]]:
    """A Redis tier of the test's own namespace and its blocking reader (emptied and closed
    afterwards)."""
    tier = RedisTier(redis_url, namespace=namespace, clock=clock, **PATIENT)
    reader = tier.sync_reader()
    assert reader is not None
    try:
        yield tier, reader
    finally:
        await tier.invalidate("*")
        await tier.close()


async def test_sync_reader_sets_only_current_companions(
    reading: tuple[RedisTier, SyncHotReader], make_entry: Make, clock: ManualClock
) -> None:
    tier, reader = reading
    week17 = make_entry("player_props:2024:17:True", PAYLOAD, ttl=300)
    week18 = make_entry("player_props:2024:18:True", PAYLOAD, ttl=60)
    for entry in (week17, week18):
        await tier.set(entry, grace=600)
    keys = [week17.key, week18.key]

    def companions() -> dict[str, bytes | None]:
        found = reader.read_many(keys, "frame-1")
        return {k: None if e.companion is None else bytes(e.companion) for k, e in found.items()}

    assert companions() == {week17.key: None, week18.key: None}  # no companions yet
    await tier.set_companion(week17, "frame-1", b"frame 17", grace=600)
    assert companions() == {week17.key: b"frame 17", week18.key: None}
    await tier.set_companion(week18, "frame-1", b"frame 18", grace=600)
    found = reader.read_many(keys, "frame-1")
    assert [bytes(found[k].companion or b"") for k in keys] == [b"frame 17", b"frame 18"]
    assert [found[k].created_at for k in keys] == [week17.created_at, week18.created_at]
    assert found[week17.key].payload == PAYLOAD  # the entry decodes when asked
    clock.advance(61)  # week 18 expired: still stored for the grace window, and still read
    assert reader.read_many(keys, "frame-1")[week18.key].expires_at < clock.now()
    clock.advance(1)
    await tier.set(make_entry(week17.key, PAYLOAD[:1]), grace=600)  # rewritten elsewhere
    assert companions()[week17.key] is None  # the companion is the old entry's


async def test_sync_reader_leaves_out_the_keys_redis_does_not_hold(
    reading: tuple[RedisTier, SyncHotReader], make_entry: Make
) -> None:
    tier, reader = reading
    held = make_entry("player_props:2024:17:True", PAYLOAD)
    await tier.set(held)  # an entry without its companion: present, not absent
    found = reader.read_many([held.key, "player_props:2024:18:True"], "frame-1")
    assert list(found) == [held.key]
    reader.close()
    assert reader.quiet
    with pytest.raises(TierUnavailable, match="closed"):
        reader.read_many(["teams"], "frame-1")  # closed: nothing is known


async def test_a_primed_sync_reader_opens_no_connection_on_its_first_read(
    reading: tuple[RedisTier, SyncHotReader], make_entry: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis.connection

    tier, reader = reading
    entry = make_entry("player_props:2024:17:True", PAYLOAD)
    await tier.set(entry)
    await tier.set_companion(entry, "frame-1", b"frame 17")
    reader.prime()

    def no_socket(self: Any) -> Any:
        raise AssertionError("the first read opened a connection")

    with monkeypatch.context() as patched:  # (the fixtures' own clean-up connects again)
        patched.setattr(redis.connection.Connection, "_connect", no_socket)
        found = reader.read_many([entry.key], "frame-1")
    assert bytes(found[entry.key].companion or b"") == b"frame 17"


async def test_priming_a_sync_reader_echoes_a_frames_size_and_tolerates_a_refusal(
    reading: tuple[RedisTier, SyncHotReader], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A connection's first large reply was read slower than later ones (its socket's buffers
    # grow with traffic): the priming exchanges a frame's size, reading and writing no key.
    import redis
    from redis.exceptions import NoPermissionError

    from sportsframe.cache.redis.blocking import PRIME_ECHO_BYTES

    _, reader = reading
    echoed: list[int] = []
    echo = redis.Redis.echo

    def counted(self: Any, value: Any, **options: Any) -> Any:
        echoed.append(len(value))
        return echo(self, value, **options)

    monkeypatch.setattr(redis.Redis, "echo", counted)
    reader.prime()
    assert echoed == [PRIME_ECHO_BYTES]

    def refused(self: Any, value: Any, **options: Any) -> Any:
        raise NoPermissionError("this user has no permissions to run the 'echo' command")

    monkeypatch.setattr(redis.Redis, "echo", refused)
    reader.prime()  # never raises; the reader reads on
    assert not reader.quiet
    assert reader.read_many(["teams"], "frame-1") == {}


def _unreachable_reader(port: int, namespace: str, clock: ManualClock) -> SyncHotReader:
    """A blocking reader of a Redis that nothing listens for (short timeouts)."""
    return SyncHotReader(
        f"redis://127.0.0.1:{port}/0",
        namespace=namespace,
        clock=clock,
        connect_timeout=0.2,
        socket_timeout=0.2,
    )


def test_priming_an_unreachable_server_neither_raises_nor_rests(
    free_port: int, namespace: str, clock: ManualClock
) -> None:
    reader = _unreachable_reader(free_port, namespace, clock)
    try:
        reader.prime()
        assert not reader.quiet  # the first real read tries at once
        with pytest.raises(TierUnavailable, match="ConnectionError"):
            reader.read_many(["teams"], "frame-1")
    finally:
        reader.close()


def test_sync_reader_goes_quiet_after_a_failure(
    free_port: int, namespace: str, clock: ManualClock
) -> None:
    from sportsframe.cache.breaker import RESET_PERIOD

    reader = _unreachable_reader(free_port, namespace, clock)
    attempts = 0
    connect = reader._connect

    def counted() -> Any:
        nonlocal attempts
        attempts += 1
        return connect()

    reader._connect = counted  # type: ignore[method-assign]
    try:
        with pytest.raises(TierUnavailable, match="ConnectionError"):
            reader.read_many(["teams"], "frame-1")
        assert attempts == 1
        assert reader.quiet
        with pytest.raises(TierUnavailable, match="resting"):
            reader.read_many(["teams"], "frame-1")  # quiet: not even tried
        assert attempts == 1
        clock.advance(RESET_PERIOD)
        assert not reader.quiet
        with pytest.raises(TierUnavailable):
            reader.read_many(["teams"], "frame-1")
        assert attempts == 2
    finally:
        reader.close()


def test_a_tier_given_a_client_has_no_sync_reader(clock: ManualClock) -> None:
    import fakeredis

    tier = RedisTier(fakeredis.FakeAsyncRedis(), namespace="sftest", clock=clock)
    assert tier.sync_reader() is None


def test_sync_reader_on_a_server_that_is_no_cluster_fails_cleanly(
    redis_url: str, namespace: str, clock: ManualClock
) -> None:

    reader = SyncHotReader(
        redis_url,
        namespace=namespace,
        clock=clock,
        cluster=True,  # RedisClusterException is no RedisError: it must not escape either
        connect_timeout=0.2,
        socket_timeout=0.2,
    )
    try:
        with pytest.raises(TierUnavailable):
            reader.read_many(["teams"], "frame-1")
        assert reader._quiet_until > clock.monotonic()
    finally:
        reader.close()
    with pytest.raises(TierUnavailable):
        reader.read_many(["teams"], "frame-1")  # closed: never reconnects
    assert reader._client is None
