"""A miss answers before its writes: the entry is written behind the answer, the key's lock is
held until it lands, this process answers the key meanwhile, and nothing is lost or resurrected.

Over the in-process tiers of test_manager.py (a ``Switch`` can hold the write of one entry at a
gate). Two managers over the same tiers stand for two processes: each has its own in-process
state, and they meet only in the tiers and the cross-process (file) lock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sportsframe.cache import writes
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock
from tests.cache import test_manager
from tests.cache.servers import PATIENT
from tests.cache.test_manager import KEY, PROPS, Loader, Switch, _settings

OTHER = "player_props:2024:14:False"

# test_manager.py's fixtures: its Switch-wrapped tiers and a manager over them.
tiers = test_manager.tiers
manager = test_manager.manager


def hold_writes(hot: Switch, clock: ManualClock) -> asyncio.Event:
    """Hold the hot write of the entry created now until the returned gate opens."""
    gate = asyncio.Event()
    hot.held = (gate, clock.now())
    return gate


async def test_a_miss_answers_before_its_writes_land(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, warm = tiers
    gate = hold_writes(hot, clock)
    load = Loader()
    found = await asyncio.wait_for(manager.fetch(KEY, PROPS, load), 5)
    assert found.served_from == "api"
    assert found.payload == load.payload
    await asyncio.wait_for(hot.arrived.wait(), 5)  # the write is under way, held
    assert await warm.tier.get(KEY) is None  # both halves go together: none landed yet
    gate.set()
    await asyncio.wait_for(manager.settle(), 5)
    for tier in (hot.tier, warm.tier):
        stored = await tier.get(KEY)
        assert stored is not None
        assert stored.payload == load.payload


async def test_this_process_answers_a_key_still_being_written_without_another_load(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, _ = tiers
    gate = hold_writes(hot, clock)
    load = Loader()
    first = await asyncio.wait_for(manager.fetch(KEY, PROPS, load), 5)
    await asyncio.wait_for(hot.arrived.wait(), 5)
    reads = hot.calls
    again = await asyncio.wait_for(manager.fetch(KEY, PROPS, load), 5)
    assert again.entry is first.entry
    assert load.calls == 1
    assert hot.calls == reads  # answered in memory: no tier was read for it
    assert await manager.get(KEY) == load.payload  # the spec's API sees it too
    gate.set()
    await manager.settle()
    assert (await manager.fetch(KEY, PROPS, load)).served_from == "hot"
    assert load.calls == 1


async def test_another_process_waits_for_the_lock_until_the_write_lands_and_reads_it(
    tmp_path: Path, manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, warm = tiers
    gate = hold_writes(hot, clock)
    load = Loader()
    await asyncio.wait_for(manager.fetch(KEY, PROPS, load), 5)
    await asyncio.wait_for(hot.arrived.wait(), 5)
    other = CacheManager(_settings(tmp_path), hot=hot, warm=warm, clock=clock)
    try:
        theirs = Loader(payload=[{"PlayerID": 2, "Value": 9.5}])
        waiting = asyncio.create_task(other.fetch(KEY, PROPS, theirs))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the key's lock is still held by the write
        gate.set()
        found = await asyncio.wait_for(waiting, 5)
        assert found.served_from in ("hot", "warm")
        assert found.payload == load.payload
        assert theirs.calls == 0  # no second request paid for
        assert other.lock_counts == {"file": 1}
    finally:
        await other.close()


class Keeper(Switch):
    """A Switch over a tier that keeps companions (the real Redis tier here)."""

    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        self._check()
        return await self.tier.get_with_companion(key, companion, include_stale=include_stale)  # type: ignore[no-any-return]

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        self._check()
        await self.tier.set_companion(entry, companion, data, grace=grace)


async def test_a_companion_kept_while_the_entry_is_written_lands_beside_it(
    tmp_path: Path, redis_url: str, namespace: str, clock: ManualClock
) -> None:
    hot = Keeper(RedisTier(redis_url, namespace=namespace, clock=clock, **PATIENT))
    warm = Switch(SqlTier.from_settings(_settings(tmp_path), clock))
    mgr = CacheManager(_settings(tmp_path), hot=hot, warm=warm, clock=clock)
    gate = hold_writes(hot, clock)
    try:
        found = await asyncio.wait_for(mgr.fetch(KEY, PROPS, Loader()), 5)
        await asyncio.wait_for(hot.arrived.wait(), 5)
        encoded: list[bytes] = []

        def encode() -> bytes:  # the frame's encoding, done only when it is stored
            encoded.append(b"finished frame")
            return encoded[-1]

        assert await mgr.attach(found, "frame", encode)
        assert await mgr.attach(found, "frame", encode)  # a second caller's: kept once
        assert await hot.tier.get(KEY) is None
        assert encoded == []  # not on the caller's time: after the answer, when stored
        gate.set()
        await asyncio.wait_for(mgr.settle(), 5)
        assert len(encoded) == 1
        stored = await hot.get_with_companion(KEY, "frame")
        assert stored is not None
        assert stored.companion is not None
        assert bytes(stored.companion) == b"finished frame"
    finally:
        gate.set()
        await mgr.close()


async def test_a_removal_waits_for_writes_behind_so_nothing_comes_back(
    manager: CacheManager, tiers: tuple[Switch, Switch], clock: ManualClock
) -> None:
    hot, warm = tiers
    gate = hold_writes(hot, clock)
    await asyncio.wait_for(manager.fetch(KEY, PROPS, Loader()), 5)
    await asyncio.wait_for(hot.arrived.wait(), 5)
    removal = asyncio.create_task(manager.invalidate("player_props:*"))
    await asyncio.sleep(0.05)
    assert not removal.done()  # it waits for the write first
    gate.set()
    assert await asyncio.wait_for(removal, 5) == 1
    await manager.settle()
    for tier in (hot.tier, warm.tier):
        assert await tier.get(KEY) is None


async def test_writes_wait_for_the_loads_in_flight(
    manager: CacheManager, tiers: tuple[Switch, Switch]
) -> None:
    hot, _ = tiers
    release = asyncio.Event()

    async def slow() -> list[dict[str, float]]:
        await release.wait()
        return [{"PlayerID": 3, "Value": 0.5}]

    in_flight = asyncio.create_task(manager.fetch(OTHER, PROPS, slow))
    await asyncio.sleep(0.01)
    await manager.fetch(KEY, PROPS, Loader())
    await asyncio.sleep(0.1)
    assert hot.writes == []  # the answered key's write waits for the other load
    release.set()
    await asyncio.wait_for(in_flight, 5)
    await asyncio.wait_for(manager.settle(), 5)
    assert len(hot.writes) == 2
    assert await hot.tier.get(KEY) is not None


async def test_writes_wait_for_loads_in_flight_only_so_long(
    manager: CacheManager, tiers: tuple[Switch, Switch], monkeypatch: pytest.MonkeyPatch
) -> None:
    hot, _ = tiers
    monkeypatch.setattr(writes, "WRITE_DEFER", 0.05)
    release = asyncio.Event()

    async def endless() -> list[dict[str, float]]:
        await release.wait()
        return []

    in_flight = asyncio.create_task(manager.fetch(OTHER, PROPS, endless))
    try:
        await asyncio.sleep(0.01)
        await manager.fetch(KEY, PROPS, Loader())
        await asyncio.wait_for(manager.settle(KEY), 5)
        assert await hot.tier.get(KEY) is not None  # landed while the other load runs on
        assert not in_flight.done()
    finally:
        release.set()
        await asyncio.wait_for(in_flight, 5)
