"""Redis Cluster: sessions configured with ``REDIS_CLUSTER=true`` against a three-node cluster
of the test session's own. The hot tier and the finished frames kept beside its entries, the
blocking read in the caller's thread, L0's invalidation channel and the shared rate limiter all
work there. (The tier contract suite, the cross-process locks and the two-process limiter test
run against the same cluster as parameters of their own modules.)"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from sportsframe.settings import Settings
from tests.cache.servers import OwnCluster


async def test_the_blocking_reader_reads_entries_and_companions_across_slots(
    redis_cluster: OwnCluster, namespace: str, clock: ManualClock, make_entry: Any
) -> None:
    tier = RedisTier(redis_cluster.url, namespace=namespace, clock=clock, cluster=True)
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
