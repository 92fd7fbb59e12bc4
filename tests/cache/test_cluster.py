"""Redis Cluster: sessions configured with ``REDIS_CLUSTER=true`` against a three-node cluster
of the test session's own. The hot tier and the finished frames kept beside its entries, the
blocking read in the caller's thread, L0's invalidation channel and the shared rate limiter all
work there. An entry and its companions share a hash tag, so one slot: they are read in one MGET
(counted by the nodes' own command statistics) whatever the key holds. (The tier contract suite,
the cross-process locks, the copies, the single-flight processes and the two-process limiter
test run against the same cluster as parameters of their own modules.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from sportsframe.registry.glob import escape
from sportsframe.settings import Settings
from tests.cache.servers import PATIENT, OwnCluster

#: Public keys a cluster must keep beside their companions: plain ones, braces (which would set
#: a hash tag of their own), unicode, ':', glob characters and a long one.
KEYS = [
    "odds:2024:18",
    "player_props:2024:7:True",
    "{odds}:2024",
    "a}b{c",
    "{}",
    "☃:é:𝄞",
    "props:*:[a-z]?\\",
    "k" * 300,
]
FRAME = "frame-x"


@pytest.fixture
async def tier(
    redis_cluster: OwnCluster, namespace: str, clock: ManualClock
) -> AsyncIterator[RedisTier]:
    """The hot tier on the cluster (emptied of this test's keys at the end)."""
    built = RedisTier(redis_cluster.url, namespace=namespace, clock=clock, cluster=True, **PATIENT)
    try:
        yield built
    finally:
        await built.invalidate("*")
        await built.close()


async def test_an_entry_and_its_companions_hash_to_one_slot(tier: RedisTier) -> None:
    slots: set[int] = set()
    for key in KEYS:
        names = [
            tier.layout.entry(key),
            tier.layout.companion(FRAME, key),
            tier.layout.companion("frame-y", key),
        ]
        # The servers' own hashing (CLUSTER KEYSLOT), not the client's.
        found = {int(await tier.client.cluster_keyslot(name)) for name in names}
        assert len(found) == 1, (key, found)
        slots |= found
    assert len(slots) > 1  # the tags spread the keys over the slots


async def test_an_entry_and_its_companion_are_read_in_one_mget(
    tier: RedisTier, redis_cluster: OwnCluster, make_entry: Any
) -> None:
    entries = [make_entry(key, [{"k": key}]) for key in KEYS]
    for entry in entries:
        await tier.set(entry, grace=60)
        await tier.set_companion(entry, FRAME, b"frame " + entry.key.encode(), grace=60)
    reader = tier.sync_reader()
    assert reader is not None
    reader.read_many(["warm-up"], FRAME)  # the blocking client learns the slots now
    redis_cluster.reset_stats()
    for entry in entries:
        found = await tier.get_with_companion(entry.key, FRAME)
        assert found is not None
        assert bytes(found.companion or b"") == b"frame " + entry.key.encode()
    assert (redis_cluster.calls("mget"), redis_cluster.calls("get")) == (len(KEYS), 0)
    redis_cluster.reset_stats()
    many = reader.read_many(KEYS, FRAME)  # one MGET per slot, each pair whole
    assert {k: bytes(e.companion or b"") for k, e in many.items()} == {
        k: b"frame " + k.encode() for k in KEYS
    }
    slots = {int(await tier.client.cluster_keyslot(tier.layout.entry(k))) for k in KEYS}
    assert (redis_cluster.calls("mget"), redis_cluster.calls("get")) == (len(slots), 0)


async def test_odd_keys_keep_their_public_names_ttls_and_companions_on_a_cluster(
    tier: RedisTier, make_entry: Any
) -> None:
    for key in KEYS:
        entry = make_entry(key, [{"k": key}], ttl=120)
        await tier.set(entry, grace=60)
        await tier.set_companion(entry, FRAME, b"frame", grace=60)
    assert await tier.keys() == sorted(KEYS)
    for key in KEYS:
        assert await tier.keys(escape(key)) == [key]
        assert await tier.ttl(key) == 120
        entry_ms = await tier.client.pttl(tier.layout.entry(key))
        companion_ms = await tier.client.pttl(tier.layout.companion(FRAME, key))
        assert abs(entry_ms - 180_000) < 1000
        assert abs(companion_ms - 180_000) < 1000
    # delete takes the companions beside the key; invalidate those of the keys it matches.
    assert await tier.delete("{odds}:2024")
    assert await tier.client.exists(tier.layout.companion(FRAME, "{odds}:2024")) == 0
    assert await tier.invalidate("*[{]*") == 2  # "a}b{c", "{}"
    for key in ("a}b{c", "{}"):
        assert await tier.get_with_companion(key, FRAME) is None
        assert await tier.client.exists(tier.layout.companion(FRAME, key)) == 0
    left = sorted(set(KEYS) - {"{odds}:2024", "a}b{c", "{}"})
    assert await tier.keys() == left
    for key in left:
        found = await tier.get_with_companion(key, FRAME)
        assert found is not None
        assert found.companion is not None


async def test_the_blocking_reader_reads_entries_and_companions_across_slots(
    redis_cluster: OwnCluster, namespace: str, clock: ManualClock, make_entry: Any
) -> None:
    tier = RedisTier(redis_cluster.url, namespace=namespace, clock=clock, cluster=True, **PATIENT)
    try:
        # Keys chosen to land in different slots (and so, most likely, on different nodes).
        entries: list[CacheEntry] = [
            make_entry(f"player_props:2024:{week}:True", [{"w": week}]) for week in range(1, 7)
        ]
        for entry in entries:
            await tier.set(entry, grace=60)
            await tier.set_companion(entry, "frame-x", f"frame {entry.key}".encode(), grace=60)
        reader = tier.sync_reader()
        assert reader is not None
        found = reader.read_many([e.key for e in entries], "frame-x")
        assert {k: bytes(e.companion or b"") for k, e in found.items()} == {
            e.key: f"frame {e.key}".encode() for e in entries
        }
        assert [found[e.key].created_at for e in entries] == [e.created_at for e in entries]
    finally:
        await tier.invalidate("*")
        await tier.close()


def test_sessions_on_a_cluster_share_hot_frames_and_l0_invalidation(
    redis_cluster: OwnCluster, emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    import redis

    settings = Settings(
        source="emulator",
        base_url=emulator.base_url,
        redis_url_override=SecretStr(redis_cluster.url),
        redis_cluster=True,
        namespace=namespace,
        home=tmp_path / "a",
        rate_limit=1000.0,
    )
    other_settings = settings.model_copy(update={"home": tmp_path / "b"})
    with Session(settings) as first, Session(other_settings) as other:
        hot, _ = first.describe_tiers()
        assert "cluster" in hot.lower()
        built = first.props(2024, 16)
        first.settle()
        again = other.props(2024, 16)  # its own L0 is empty: the cluster in this thread
        assert again.attrs["served_from"] == "hot"
        assert again.equals(built)
        assert other.props(2024, 16).attrs["served_from"] == "l0"
        first.clear_cache("props", season=2024, week=16)
        key = again.attrs["key"]
        deadline = time.monotonic() + 5
        while other.aio.l0.get(key) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.aio.l0.get(key) is None  # the invalidation reached the other session
        assert other.props(2024, 16).attrs["served_from"] == "api"
        assert first.cache_stats()["hot_cache"]["errors"] == 0
    cluster = redis.RedisCluster.from_url(redis_cluster.url)
    try:
        # The shared limiter paced the key's requests in the cluster.
        assert list(cluster.scan_iter(match=f"{namespace}~ratelimit:*", target_nodes="all"))
        for key in cluster.scan_iter(match=f"{namespace}*", target_nodes="all"):
            cluster.delete(key)
    finally:
        cluster.close()
