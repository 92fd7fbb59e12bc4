"""MemoryTier specifics (LRU, grace, isolation). The shared behaviour is in
test_tier_contract.py."""

from __future__ import annotations

from collections.abc import Callable

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.memory import MemoryTier
from sportsframe.clock import ManualClock

Make = Callable[..., CacheEntry]
PAYLOAD = [{"PlayerID": 1, "Outcomes": [{"Value": 1.5}]}, {"PlayerID": 2, "Outcomes": []}]


async def test_memory_lru_evicts_the_least_recently_used(
    make_entry: Make, clock: ManualClock
) -> None:
    tier = MemoryTier(3, clock)
    for key in ("a", "b", "c"):
        await tier.set(make_entry(key, []))
    assert await tier.get("a") is not None  # a is now the most recent
    await tier.set(make_entry("d", []))
    assert await tier.keys() == ["a", "c", "d"]
    assert len(tier) == 3


async def test_memory_drops_entries_after_expiry_plus_grace(
    make_entry: Make, clock: ManualClock
) -> None:
    tier = MemoryTier(10, clock)
    await tier.set(make_entry("odds:2024:18", PAYLOAD, ttl=60), grace=100)
    clock.advance(159)
    assert await tier.get("odds:2024:18", include_stale=True) is not None
    clock.advance(1)  # like Redis's own PX expiry, judged by the tier's clock
    assert await tier.get("odds:2024:18", include_stale=True) is None
    assert await tier.keys() == []


async def test_memory_readers_cannot_change_the_cached_payload(
    make_entry: Make, clock: ManualClock
) -> None:
    tier = MemoryTier(10, clock)
    payload = [{"PlayerID": 1}]
    await tier.set(make_entry("players:SF", payload))
    payload.append({"PlayerID": 99})  # the writer's object
    first = await tier.get("players:SF")
    assert first is not None
    assert first.payload == [{"PlayerID": 1}]
    first.payload.clear()  # a reader's object
    second = await tier.get("players:SF")
    assert second is not None
    assert second.payload == [{"PlayerID": 1}]


async def test_memory_tier_never_carries_a_companion_over(
    make_entry: Make, clock: ManualClock
) -> None:
    tier = MemoryTier(clock=clock)
    entry = make_entry("teams", PAYLOAD)
    entry.companion = b"from elsewhere"
    await tier.set(entry)
    found = await tier.get("teams")
    assert found is not None
    assert found.companion is None
