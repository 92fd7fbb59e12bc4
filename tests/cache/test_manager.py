"""CacheManager behaviour over in-process tiers: read-through, write-through, promotion with the
remaining TTL, single-flight, stale-if-error, offline mode, breakers, stats, sources.

The tiers here are the real MemoryTier (hot) and SqlTier on SQLite (warm), each wrapped in a
``Switch`` that can make it unreachable (raising TierUnavailable like a dead server) and counts
the calls that reach it. Service-backed cases (real Redis / PostgreSQL) are in
test_manager_services.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.breaker import FAILURE_THRESHOLD, RESET_PERIOD
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import ManualClock
from sportsframe.errors import (
    NotFoundError,
    OfflineCacheMissError,
    RateLimitedError,
    UpstreamError,
    UpstreamTimeoutError,
)
from sportsframe.metrics import REGISTRY
from sportsframe.registry import ENDPOINTS
from sportsframe.registry.ttl import FINAL_TTL, TTL_POLICIES, CacheDataType
from sportsframe.settings import Settings

PROPS = CacheDataType.PLAYER_PROPS
KEY = "player_props:2024:13:False"


class Switch:
    """Wraps a tier: ``down = True`` makes every call raise TierUnavailable; ``calls`` counts
    the calls that reached the tier (attempts included)."""

    def __init__(self, tier: Any) -> None:
        self.tier = tier
        self.name = tier.name
        self.down = False
        self.calls = 0
        #: (gate, created_at): writes of the entry created then wait for the gate (a slow write,
        #: to catch what runs behind it).
        self.held: tuple[asyncio.Event, datetime] | None = None
        #: Set when a held write has arrived and waits.
        self.arrived = asyncio.Event()
        #: When set, a read returns only once this gate opens (what it read stays as read).
        self.read_gate: asyncio.Event | None = None
        #: How many entries each write call carried, in order.
        self.writes: list[int] = []
        #: A key this tier refuses to write (as a database refuses a row it cannot take).
        self.refuse: str | None = None

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise TierUnavailable(self.name, "connection refused")

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        self._check()
        found = await self.tier.get(key, include_stale=include_stale)
        if self.read_gate is not None:
            await self.read_gate.wait()
        return found  # type: ignore[no-any-return]

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        self._check()
        return await self.tier.get_many(keys, include_stale=include_stale)  # type: ignore[no-any-return]

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        self._check()
        self.writes.append(1)
        self._refused([entry])
        if self.held is not None and entry.created_at == self.held[1]:
            self.arrived.set()
            await self.held[0].wait()
        await self.tier.set(entry, grace=grace)

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        self._check()
        entries = list(entries)
        self.writes.append(len(entries))
        self._refused(entries)
        await self.tier.set_many(entries, grace=grace)

    def _refused(self, entries: list[CacheEntry]) -> None:
        if any(e.key == self.refuse for e in entries):
            raise ValueError("a row this database cannot take")

    async def delete(self, key: str) -> bool:
        self._check()
        return await self.tier.delete(key)  # type: ignore[no-any-return]

    async def invalidate(self, pattern: str) -> int:
        self._check()
        return await self.tier.invalidate(pattern)  # type: ignore[no-any-return]

    async def keys(self, pattern: str = "*") -> list[str]:
        self._check()
        return await self.tier.keys(pattern)  # type: ignore[no-any-return]

    async def ttl(self, key: str) -> float | None:
        self._check()
        return await self.tier.ttl(key)  # type: ignore[no-any-return]

    async def cleanup(self, grace: float = 0.0) -> int:
        self._check()
        return await self.tier.cleanup(grace)  # type: ignore[no-any-return]

    async def ping(self) -> bool:
        return not self.down

    def describe(self) -> str:
        return f"switch over {self.tier.describe()}"

    async def record_hits(self, hits: Mapping[str, tuple[int, datetime]]) -> None:
        self._check()
        await self.tier.record_hits(hits)

    async def enforce_max_size(self, n: int, *, grace: float = 0.0) -> int:
        self._check()
        return await self.tier.enforce_max_size(n, grace=grace)  # type: ignore[no-any-return]

    async def analyze_efficiency(self) -> Any:
        self._check()
        return await self.tier.analyze_efficiency()

    async def efficiency_report(self, now: datetime | None = None) -> Any:
        self._check()
        return await self.tier.efficiency_report(now)

    async def close(self) -> None:
        await self.tier.close()


class Loader:
    """An upstream stand-in: returns ``payload`` (or raises ``error``), counting calls."""

    def __init__(self, payload: Any = None, *, delay: float = 0.0) -> None:
        self.payload = payload if payload is not None else [{"PlayerID": 1, "Value": 1.5}]
        self.error: BaseException | None = None
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.payload


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'warm.sqlite3'}",
        redis_host="",
        **kw,
    )


@pytest.fixture
async def tiers(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Switch, Switch]]:
    settings = _settings(tmp_path)
    hot = Switch(MemoryTier(1000, clock))
    warm = Switch(SqlTier.from_settings(settings, clock))
    yield hot, warm
    await hot.close()
    await warm.close()


@pytest.fixture
async def manager(
    tmp_path: Path, clock: ManualClock, tiers: tuple[Switch, Switch]
) -> AsyncIterator[CacheManager]:
    hot, warm = tiers
    mgr = CacheManager(_settings(tmp_path), hot=hot, warm=warm, clock=clock)  # type: ignore[arg-type]
    yield mgr
    if hot.held is not None:
        hot.held[0].set()  # a failed test must not leave close() waiting on a held write
    await mgr.close()


# -- read-through / write-through ----------------------------------------------------------------
async def test_miss_loads_once_and_writes_through_both_tiers(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, warm = tiers
    load = Loader()
    first = await manager.fetch(KEY, PROPS, load)
    assert first.served_from == "api"
    assert load.calls == 1
    assert first.expires_at == clock.now() + timedelta(seconds=TTL_POLICIES[PROPS])
    await manager.settle()  # the writes follow the answer (see test_write_behind.py)
    for tier in (hot.tier, warm.tier):
        stored = await tier.get(KEY)
        assert stored is not None
        assert stored.payload == load.payload
        assert stored.expires_at == first.expires_at
    second = await manager.fetch(KEY, PROPS, load)
    assert second.served_from == "hot"
    assert second.payload == load.payload
    assert load.calls == 1


async def test_a_cancelled_load_leaves_no_upstream_call_running(manager: CacheManager) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def upstream() -> Any:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.set()
            raise

    caller = asyncio.create_task(manager.fetch(KEY, PROPS, upstream))
    await asyncio.wait_for(started.wait(), 5)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(stopped.wait(), 5)  # the request itself was cancelled
    # Nobody waits for the flight any more: it is gone, and a new call starts afresh.
    assert len(manager._flights) == 0
    load = Loader()
    assert (await manager.fetch(KEY, PROPS, load)).served_from == "api"
    assert load.calls == 1


async def test_an_answered_load_is_written_whole_though_its_caller_is_cancelled(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, warm = tiers
    gate = asyncio.Event()
    hot.held = (gate, clock.now())  # the write of what is fetched now waits here
    load = Loader()
    caller = asyncio.create_task(manager.fetch(KEY, PROPS, load))
    await asyncio.wait_for(hot.arrived.wait(), 5)
    caller.cancel()  # a Ctrl-C after the request was paid for, mid-write: too late to matter
    await asyncio.sleep(0.01)
    assert manager._writing  # still under way, behind the gate
    gate.set()
    await asyncio.wait_for(asyncio.wait(list(manager._writing)), 5)
    for tier in (hot.tier, warm.tier):
        stored = await tier.get(KEY)
        assert stored is not None
        assert stored.payload == load.payload
    assert load.calls == 1


async def test_default_ttl_for_types_outside_the_table(
    manager: CacheManager, clock: ManualClock
) -> None:
    found = await manager.fetch("standings:2024", CacheDataType.STANDINGS, Loader())
    assert found.expires_at - clock.now() == timedelta(seconds=manager.settings.cache_default_ttl)


async def test_freshness_rules_lengthen_final_games(
    manager: CacheManager, clock: ManualClock
) -> None:
    final = [{"ScoreID": 1, "Status": "Final", "IsClosed": True}]
    found = await manager.fetch("scores:2024:10", CacheDataType.SCORES, Loader(final))
    assert found.expires_at - clock.now() == timedelta(seconds=FINAL_TTL)


async def test_bound_call_gives_key_and_data_type(
    manager: CacheManager, clock: ManualClock
) -> None:
    call = ENDPOINTS["injuries"].bind(2024, 13)
    found = await manager.fetch(call, loader=Loader())
    assert found.key == "injuries:2024:13"
    assert found.expires_at - clock.now() == timedelta(seconds=TTL_POLICIES[CacheDataType.INJURIES])


async def test_empty_payload_is_cached(manager: CacheManager) -> None:
    load = Loader([])
    load.payload = []
    assert (await manager.fetch(KEY, PROPS, load)).payload == []
    await manager.settle()
    again = await manager.fetch(KEY, PROPS, load)
    assert again.payload == []
    assert again.served_from == "hot"
    assert load.calls == 1
    assert await manager.get(KEY, PROPS) == []


async def test_expired_entry_is_reloaded(manager: CacheManager, clock: ManualClock) -> None:
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    clock.advance(TTL_POLICIES[PROPS])
    assert (await manager.fetch(KEY, PROPS, load)).served_from == "api"
    assert load.calls == 2


async def test_refresh_skips_the_cache(manager: CacheManager) -> None:
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    assert (await manager.fetch(KEY, PROPS, load, refresh=True)).served_from == "api"
    assert load.calls == 2


async def test_warm_hit_promotes_with_the_remaining_ttl(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, _ = tiers
    await manager.set(KEY, [{"a": 1}], PROPS)
    clock.advance(100)
    await hot.tier.delete(KEY)
    found = await manager.fetch(KEY, PROPS, Loader())
    assert found.served_from == "warm"
    await manager.settle()  # the copy is written behind the answer
    remaining = await hot.tier.ttl(KEY)
    assert remaining is not None
    assert abs(remaining - (TTL_POLICIES[PROPS] - 100)) < 1
    assert (await manager.fetch(KEY, PROPS, Loader())).served_from == "hot"
    assert manager.get_stats()["writes"]["promotions"] == 1


async def _warm_hit_with_the_copy_held(
    manager: CacheManager, hot: Switch, payload: Any = None
) -> asyncio.Event:
    """A warm hit of KEY whose copy to the hot tier waits on the returned gate."""
    await manager.set(KEY, payload or [{"a": 1}], PROPS)
    await hot.tier.delete(KEY)
    gate = asyncio.Event()
    hot.held = (gate, manager.clock.now())
    found = await asyncio.wait_for(manager.fetch(KEY, PROPS, Loader()), 5)
    assert found.served_from == "warm"
    await asyncio.wait_for(hot.arrived.wait(), 5)  # the copy is under way
    return gate


async def test_a_warm_hit_answers_before_its_copy_to_the_hot_tier_is_written(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, _ = tiers
    gate = await _warm_hit_with_the_copy_held(manager, hot)  # answered with the copy held
    assert await hot.tier.get(KEY) is None
    # A second warm hit while the copy is pending does not start another.
    assert (await manager.fetch(KEY, PROPS, Loader())).served_from == "warm"
    gate.set()
    await asyncio.wait_for(manager.settle(KEY), 5)
    assert await hot.tier.get(KEY) is not None
    assert manager.get_stats()["writes"]["promotions"] == 1


@pytest.mark.parametrize("removal", ["invalidate", "drop_hot"])
async def test_removals_wait_for_a_pending_copy_to_the_hot_tier(
    manager: CacheManager, tiers: tuple[Switch, Switch], removal: str
) -> None:
    hot, _ = tiers
    gate = await _warm_hit_with_the_copy_held(manager, hot)
    removing = asyncio.create_task(getattr(manager, removal)(KEY))
    await asyncio.sleep(0.01)
    assert not removing.done()  # it waits for the copy ...
    gate.set()
    assert await asyncio.wait_for(removing, 5)
    assert await hot.tier.get(KEY) is None  # ... which therefore cannot land after the delete


async def test_a_new_entry_is_never_overwritten_by_a_pending_copy_of_the_old(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, _ = tiers
    gate = await _warm_hit_with_the_copy_held(manager, hot, [{"v": "old"}])
    clock.advance(10)
    refreshing = asyncio.create_task(
        manager.fetch(KEY, PROPS, Loader([{"v": "new"}]), refresh=True)
    )
    await asyncio.sleep(0.01)
    gate.set()
    assert (await asyncio.wait_for(refreshing, 5)).payload == [{"v": "new"}]
    await manager.settle()
    stored = await hot.tier.get(KEY)
    assert stored is not None
    assert stored.payload == [{"v": "new"}]


@pytest.mark.parametrize("change", ["refresh", "invalidate"])
async def test_a_warm_read_that_overlapped_a_change_is_not_copied(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock, change: str
) -> None:
    hot, warm = tiers
    await manager.set(KEY, [{"v": "old"}], PROPS)
    await hot.tier.delete(KEY)
    warm.read_gate = asyncio.Event()
    reading = asyncio.create_task(manager.fetch(KEY, PROPS, Loader()))
    await asyncio.sleep(0.05)  # the warm tier has read the old row and is slow to answer
    clock.advance(10)
    if change == "refresh":
        await manager.fetch(KEY, PROPS, Loader([{"v": "new"}]), refresh=True)
    else:
        await manager.invalidate(KEY)
    warm.read_gate.set()
    assert (await asyncio.wait_for(reading, 5)).payload == [{"v": "old"}]
    await asyncio.sleep(0.05)
    await manager.settle()
    stored = await hot.tier.get(KEY)
    if change == "refresh":
        assert stored is not None
        assert stored.payload == [{"v": "new"}]  # not overwritten by the old row's copy
    else:
        assert stored is None  # not brought back by it
    assert manager.get_stats()["writes"]["promotions"] == 0


async def test_a_warm_hit_is_not_copied_to_a_hot_tier_that_just_failed(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, _ = tiers
    await manager.set(KEY, [{"a": 1}], PROPS)
    hot.down, hot.calls = True, 0
    assert (await manager.fetch(KEY, PROPS, Loader())).served_from == "warm"
    await manager.settle()
    assert hot.calls == 1  # the read that failed; no write after it
    assert manager.get_stats()["writes"]["promotions"] == 0


async def test_single_key_reads_made_together_share_one_read_of_each_tier(
    manager: CacheManager, tiers: tuple[Switch, Switch], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A week's games fetched at once: their reads (before the load, and again under each
    # key's lock) go to each tier together, not one round trip per key.
    hot, _ = tiers
    reads: list[int] = []  # how many keys each read of the hot tier asked for
    get, get_many = hot.get, hot.get_many

    async def one(key: str, *, include_stale: bool = False) -> CacheEntry | None:
        reads.append(1)
        return await get(key, include_stale=include_stale)

    async def many(keys: Iterable[str], *, include_stale: bool = False) -> dict[str, CacheEntry]:
        keys = list(keys)
        reads.append(len(keys))
        return await get_many(keys, include_stale=include_stale)

    monkeypatch.setattr(hot, "get", one)
    monkeypatch.setattr(hot, "get_many", many)
    keys = [f"player_props_game:2024:13:{game}:False" for game in range(8)]
    found = await asyncio.gather(*(manager.fetch(key, PROPS, Loader()) for key in keys))
    assert [f.served_from for f in found] == ["api"] * len(keys)
    assert sum(reads) == 2 * len(keys)  # each key read before its load and under its lock
    assert len(reads) <= 4, reads  # in a few reads, where there were sixteen
    assert manager.get_stats()["hot_cache"]["misses"] == len(keys)  # counted once each


async def test_write_throughs_made_together_share_a_warm_transaction(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    # A week's games fetched at once: their warm writes go in one transaction per batch, not
    # one each queued behind each other's commit.
    hot, warm = tiers
    keys = [f"player_props_game:2024:13:{game}:False" for game in range(8)]
    found = await asyncio.gather(
        *(manager.fetch(key, PROPS, Loader([{"PlayerID": i}])) for i, key in enumerate(keys))
    )
    assert [f.served_from for f in found] == ["api"] * len(keys)
    await manager.settle()
    assert sum(warm.writes) == len(keys)
    assert len(warm.writes) < len(keys), warm.writes
    for i, key in enumerate(keys):
        stored = await warm.tier.get(key)
        assert stored is not None
        assert stored.payload == [{"PlayerID": i}]
        assert await hot.tier.get(key) is not None


async def test_an_entry_the_warm_tier_refuses_fails_no_other_in_its_batch(
    manager: CacheManager, tiers: tuple[Switch, Switch], caplog: pytest.LogCaptureFixture
) -> None:
    _, warm = tiers
    keys = [f"player_props_game:2024:13:{game}:False" for game in range(4)]
    warm.refuse = keys[2]
    with caplog.at_level(logging.ERROR, logger="sportsframe.cache"):
        found = await asyncio.gather(*(manager.fetch(key, PROPS, Loader()) for key in keys))
        await manager.settle()
    assert [f.served_from for f in found] == ["api"] * len(keys)  # each caller has its answer
    for i in (0, 1, 3):
        assert await warm.tier.get(keys[i]) is not None
    assert await warm.tier.get(keys[2]) is None
    # The refused write alone failed, and said so (its caller had gone on with the answer).
    failures = [r for r in caplog.records if "writing a fetched entry failed" in r.getMessage()]
    assert len(failures) == 1
    assert "ValueError" in failures[0].getMessage()


async def test_a_warm_tier_down_under_a_batch_of_writes_costs_no_answer(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    warm.down = True
    keys = [f"player_props_game:2024:13:{game}:False" for game in range(4)]
    found = await asyncio.gather(*(manager.fetch(key, PROPS, Loader()) for key in keys))
    assert [f.served_from for f in found] == ["api"] * len(keys)
    await manager.settle()
    for key in keys:
        assert await hot.tier.get(key) is not None  # the hot tier has every one
    assert manager.stats.warm.errors >= 1


async def test_close_writes_pending_copies_first(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, _ = tiers
    gate = await _warm_hit_with_the_copy_held(manager, hot)
    closing = asyncio.create_task(manager.close())
    await asyncio.sleep(0.01)
    assert not closing.done()
    gate.set()
    await asyncio.wait_for(closing, 5)
    assert manager.get_stats()["writes"]["promotions"] == 1


# -- the spec's API -----------------------------------------------------------------------------
async def test_get_set_invalidate(manager: CacheManager) -> None:
    assert await manager.get("players:SF", CacheDataType.PLAYERS) is None
    await manager.set("players:SF", [{"PlayerID": 1}], CacheDataType.PLAYERS)
    await manager.set("players:KC", [{"PlayerID": 2}], CacheDataType.PLAYERS)
    await manager.set("teams:2024", [], CacheDataType.TEAMS)
    assert await manager.get("players:SF", CacheDataType.PLAYERS) == [{"PlayerID": 1}]
    assert await manager.invalidate("players:*") == 2
    assert await manager.get("players:SF") is None
    assert await manager.get("teams:2024") == []


async def test_get_multiple_reads_each_tier_once_and_promotes(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    await manager.set("players:SF", [{"PlayerID": 1}], CacheDataType.PLAYERS)
    await manager.set("players:KC", [{"PlayerID": 2}], CacheDataType.PLAYERS)
    await hot.tier.delete("players:KC")
    hot.calls = warm.calls = 0
    got = await manager.get_multiple(["players:SF", "players:KC", "players:NE"])
    assert got == {"players:SF": [{"PlayerID": 1}], "players:KC": [{"PlayerID": 2}]}
    assert warm.calls == 1  # one batched read for the two keys the hot tier lacked
    assert await hot.tier.get("players:KC") is not None


async def test_stats_follow_the_spec_flow(manager: CacheManager) -> None:
    load = Loader()
    first = await manager.fetch(KEY, PROPS, load)
    await manager.settle()
    stats = manager.get_stats()
    assert stats["overall"]["api_calls_avoided"] == 0
    second = await manager.fetch(KEY, PROPS, load)
    stats = manager.get_stats()
    assert stats["overall"]["api_calls_avoided"] == 1
    assert first.payload == second.payload
    assert set(stats) >= {"hot_cache", "warm_cache", "overall"}
    for section in ("hot_cache", "warm_cache"):
        assert set(stats[section]) >= {"hits", "misses", "hit_rate"}
    assert set(stats["overall"]) >= {"hits", "misses", "hit_rate", "api_calls_avoided"}
    assert (stats["hot_cache"]["hits"], stats["hot_cache"]["misses"]) == (1, 1)
    assert (stats["warm_cache"]["hits"], stats["warm_cache"]["misses"]) == (0, 1)
    # overall misses are the calls that reached the API; hit_rate = hits / (hits + misses)
    assert (stats["overall"]["hits"], stats["overall"]["misses"]) == (1, 1)
    assert stats["overall"]["hit_rate"] == 0.5
    assert stats["api"]["calls"] == 1
    # Latency is summarised (hits apart from misses), with no raw samples.
    assert stats["hot_cache"]["latency"]["count"] == 1
    assert stats["hot_cache"]["miss_latency"]["count"] == 1
    assert stats["warm_cache"]["miss_latency"]["count"] == 1
    assert stats["api"]["latency"]["count"] == 1
    assert "latency_samples_ms" not in stats


async def test_prometheus_counters_move(manager: CacheManager) -> None:
    def value(name: str, tier: str) -> float:
        return REGISTRY.get_sample_value(f"sportsframe_{name}", {"tier": tier}) or 0.0

    before = (value("cache_hits_total", "hot"), value("cache_misses_total", "hot"))
    latency_before = value("cache_latency_seconds_count", "hot")
    await manager.fetch(KEY, PROPS, Loader())
    await manager.settle()
    await manager.fetch(KEY, PROPS, Loader())
    assert value("cache_hits_total", "hot") == before[0] + 1
    assert value("cache_misses_total", "hot") == before[1] + 1
    assert value("cache_latency_seconds_count", "hot") == latency_before + 2


# -- single-flight ----------------------------------------------------------------------------
async def test_concurrent_identical_misses_load_once(manager: CacheManager) -> None:
    load = Loader(delay=0.05)
    results = await asyncio.gather(*(manager.fetch(KEY, PROPS, load) for _ in range(50)))
    assert load.calls == 1
    assert all(r.payload == load.payload for r in results)
    stats = manager.get_stats()
    assert stats["overall"]["misses"] == 1
    assert stats["overall"]["coalesced"] == 49
    assert stats["locks"] == {"file": 1}


async def test_a_failed_flight_fails_every_waiter(manager: CacheManager) -> None:
    load = Loader(delay=0.02)
    load.error = NotFoundError(endpoint="player_props", params={})
    results = await asyncio.gather(
        *(manager.fetch(KEY, PROPS, load) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, NotFoundError) for r in results)
    assert load.calls == 1
    assert manager.get_stats()["overall"]["misses"] == 5


# -- stale-if-error -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        UpstreamError(status=503),
        UpstreamTimeoutError(),
        RateLimitedError(retry_after=1.0),
        TimeoutError(),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_stale_entry_served_within_grace(
    manager: CacheManager, clock: ManualClock, error: BaseException
) -> None:
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    clock.advance(TTL_POLICIES[PROPS] + 3600)
    load.error = error
    found = await manager.fetch(KEY, PROPS, load)
    assert found.stale
    assert found.payload == load.payload
    assert found.served_from in ("hot", "warm")
    assert manager.get_stats()["overall"]["stale_served"] == 1


async def test_past_the_grace_window_the_typed_error(
    manager: CacheManager, clock: ManualClock
) -> None:
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    clock.advance(TTL_POLICIES[PROPS] + manager.settings.stale_grace + 1)
    load.error = UpstreamError(status=503)
    with pytest.raises(UpstreamError):
        await manager.fetch(KEY, PROPS, load)


async def test_stale_not_served_when_not_allowed_or_for_other_errors(
    manager: CacheManager, clock: ManualClock
) -> None:
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    clock.advance(TTL_POLICIES[PROPS] + 1)
    load.error = UpstreamError(status=503)
    with pytest.raises(UpstreamError):
        await manager.fetch(KEY, PROPS, load, allow_stale=False)
    load.error = NotFoundError()
    with pytest.raises(NotFoundError):
        await manager.fetch(KEY, PROPS, load)


# -- offline ------------------------------------------------------------------------------------
async def test_offline_serves_what_the_tiers_hold_and_never_loads(
    manager: CacheManager, clock: ManualClock
) -> None:
    await manager.set(KEY, [{"a": 1}], PROPS)
    load = Loader()
    fresh = await manager.fetch(KEY, PROPS, load, offline=True)
    assert not fresh.stale
    assert fresh.payload == [{"a": 1}]
    clock.advance(TTL_POLICIES[PROPS] + manager.settings.stale_grace + 10)  # past grace too
    old = await manager.fetch(KEY, PROPS, load, offline=True)
    assert old.stale
    assert old.payload == [{"a": 1}]
    call = ENDPOINTS["injuries"].bind(2024, 13)
    with pytest.raises(OfflineCacheMissError, match="injuries"):
        await manager.fetch(call, loader=load, offline=True)
    assert load.calls == 0


async def test_offline_setting_is_the_default(
    tmp_path: Path, clock: ManualClock, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    mgr = CacheManager(_settings(tmp_path, offline=True), hot=hot, warm=warm, clock=clock)  # type: ignore[arg-type]
    load = Loader()
    with pytest.raises(OfflineCacheMissError):
        await mgr.fetch(KEY, PROPS, load)
    assert load.calls == 0
    await mgr.close()


# -- failure rules ------------------------------------------------------------------------------
async def test_hot_tier_down_is_a_miss_and_the_breaker_stops_calls(
    manager: CacheManager,
    tiers: tuple[Switch, Switch],
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hot, _ = tiers
    load = Loader()
    await manager.fetch(KEY, PROPS, load)
    await manager.settle()
    hot.down = True
    hot.calls = 0
    with caplog.at_level(logging.WARNING, logger="sportsframe.cache"):
        for _ in range(20):
            found = await manager.fetch(KEY, PROPS, load)
            assert found.served_from == "warm"
            assert found.payload == load.payload
    assert hot.calls == FAILURE_THRESHOLD  # then the breaker is open: no more calls
    assert len([r for r in caplog.records if "hot cache tier unavailable" in r.message]) == 1
    stats = manager.get_stats()["hot_cache"]
    assert stats["errors"] == FAILURE_THRESHOLD
    assert stats["degraded"] > 0
    assert stats["state"] == "open"
    # one probe per reset period
    clock.advance(RESET_PERIOD)
    await manager.fetch(KEY, PROPS, load)
    await manager.fetch(KEY, PROPS, load)
    assert hot.calls == FAILURE_THRESHOLD + 1
    # back: the probe closes the breaker and the hot tier serves again
    hot.down = False
    clock.advance(RESET_PERIOD)
    await manager.fetch(KEY, PROPS, load)  # probe: warm hit promoted to hot
    assert (await manager.fetch(KEY, PROPS, load)).served_from == "hot"
    assert manager.get_stats()["hot_cache"]["state"] == "closed"
    assert load.calls == 1


async def test_both_tiers_down_still_answers_from_the_api(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    hot.down = warm.down = True
    load = Loader()
    for _ in range(3):
        assert (await manager.fetch(KEY, PROPS, load)).served_from == "api"
        await manager.settle()  # its writes failed: nothing holds it now
    assert load.calls == 3
    assert await manager.get(KEY) is None
    assert await manager.invalidate("*") == 0
    assert await manager.cleanup_expired() == 0


# -- maintenance ----------------------------------------------------------------------------
async def test_hits_are_written_behind(manager: CacheManager, tiers: tuple[Switch, Switch]) -> None:
    _, warm = tiers
    await manager.set(KEY, [{"a": 1}], PROPS)
    for _ in range(10):
        assert await manager.get(KEY) == [{"a": 1}]
    assert manager.get_stats()["writes"]["pending_hits"] == 10
    await manager.close()
    # Read back on a tier of its own: the manager's is closed with it.
    reopened = SqlTier(warm.tier.url, clock=manager.clock)
    try:
        row = await reopened.get(KEY)
    finally:
        await reopened.close()
    assert row is not None
    assert row.hit_count == 10
    assert row.last_hit_at is not None


async def test_cleanup_expired_counts_rows_past_grace(
    manager: CacheManager, clock: ManualClock
) -> None:
    await manager.set("players:SF", [{"PlayerID": 1}], CacheDataType.PLAYERS)
    await manager.set(KEY, [{"a": 1}], PROPS)
    clock.advance(TTL_POLICIES[PROPS] + manager.settings.stale_grace + 1)
    assert await manager.cleanup_expired() == 1
    # players expired 24 h after writing, which is still inside the 7-day grace window
    assert await manager.lookup("players:SF", allow_expired=True) is not None
    assert await manager.lookup(KEY, allow_expired=True) is None


async def test_max_size_is_enforced_after_writes(
    tmp_path: Path, clock: ManualClock, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    mgr = CacheManager(_settings(tmp_path, cache_max_size=5), hot=hot, warm=warm, clock=clock)  # type: ignore[arg-type]
    for i in range(12):
        await mgr.set(f"players:{i}", [{"PlayerID": i}], CacheDataType.PLAYERS)
        clock.advance(1)
    assert len(await warm.tier.keys("*")) <= 5
    assert await mgr.enforce_max_size() == 0
    await mgr.close()


async def test_analyze_cache_efficiency(manager: CacheManager) -> None:
    await manager.set(KEY, [{"a": 1}], PROPS)
    await manager.get(KEY)
    report = await manager.analyze_cache_efficiency()
    assert report


# -- sources ----------------------------------------------------------------------------------
async def test_sources_never_mix(
    tmp_path: Path, clock: ManualClock, tiers: tuple[Switch, Switch]
) -> None:
    hot, warm = tiers
    real = CacheManager(_settings(tmp_path), hot=hot, warm=warm, clock=clock)  # type: ignore[arg-type]
    demo = CacheManager(_settings(tmp_path), hot=hot, warm=warm, clock=clock, source="emulator")  # type: ignore[arg-type]
    await demo.set(KEY, [{"demo": True}], PROPS)
    assert await real.get(KEY) is None
    found = await demo.lookup(KEY)
    assert found is not None
    assert found.key == f"emulator/{KEY}"
    assert found.source == "emulator"
    assert await demo.get(f"emulator/{KEY}") == [{"demo": True}]  # prefixed keys accepted
    with pytest.raises(ValueError, match="another source"):
        await real.get(f"emulator/{KEY}")
    await real.set(KEY, [{"demo": False}], PROPS)
    assert await real.invalidate("*") == 1
    assert await demo.get(KEY) == [{"demo": True}]
    assert await demo.invalidate("*") == 1
    await real.close()


def test_sync_twin(tmp_path: Path, clock: ManualClock) -> None:
    settings = _settings(tmp_path)
    mgr = CacheManager(
        settings,
        hot=MemoryTier(100, clock),
        warm=SqlTier.from_settings(settings, clock),
        clock=clock,
    )
    try:
        mgr.sync.set(KEY, [{"a": 1}], PROPS)
        assert mgr.sync.get(KEY) == [{"a": 1}]
        assert mgr.sync.fetch(KEY, PROPS, Loader()).served_from == "hot"
        assert mgr.sync.invalidate("player_props:*") == 1
        assert mgr.sync.get_stats()["overall"]["hits"] == 2
    finally:
        mgr.sync.close()


async def test_settle_on_another_loop_does_not_wait_for_this_loops_copies(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, _ = tiers
    gate = await _warm_hit_with_the_copy_held(manager, hot)
    started = asyncio.get_running_loop().time()
    # From a thread with a loop of its own: the copy belongs to this loop, not to that one.
    await asyncio.to_thread(lambda: asyncio.run(asyncio.wait_for(manager.settle(), 2)))
    assert asyncio.get_running_loop().time() - started < 1
    gate.set()
    await asyncio.wait_for(manager.settle(), 5)
    assert manager.get_stats()["writes"]["promotions"] == 1
