"""The in-process hot tier: :class:`MemoryTier`, an LRU used when Redis is off or unreachable.

It keeps :class:`~sportsframe.cache.redis.tier.RedisTier`'s semantics without a server: entries
are kept past ``expires_at`` for the grace window they were written with (then dropped, as Redis
drops them natively), judged by the injected clock, and a copy never replaces a newer entry
(:meth:`MemoryTier.copy`). It is named ``"hot"`` like the Redis tier it stands in for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sportsframe.cache.entry import MISSING, CacheEntry
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.registry.glob import matches

__all__ = ["MemoryTier"]


@dataclass(slots=True)
class _Slot:
    entry: CacheEntry
    keep_until: datetime


class MemoryTier:
    """An in-process LRU of up to ``max_entries`` entries, with the RedisTier's semantics.

    Entries are kept past ``expires_at`` for the ``grace`` given to :meth:`set` (then dropped, as
    Redis drops them natively), judged by ``clock``. Each ``get`` returns a fresh
    :class:`CacheEntry` sharing the stored (immutable) Arrow table, so a caller that mutates the
    payload it was given cannot change what the next caller reads.
    """

    name = "hot"

    def __init__(self, max_entries: int = 10_000, clock: Clock = SYSTEM_CLOCK) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.clock = clock
        self._slots: OrderedDict[str, _Slot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    def describe(self) -> str:
        """One line naming the tier."""
        return f"in-process LRU ({len(self._slots)}/{self.max_entries} entries)"

    def _live(self, key: str, now: datetime) -> _Slot | None:
        slot = self._slots.get(key)
        if slot is None:
            return None
        if now >= slot.keep_until:
            del self._slots[key]
            return None
        return slot

    def _view(self, slot: _Slot) -> CacheEntry:
        # A new entry per read: it shares the immutable table and bytes, never a payload object.
        return replace(slot.entry, _payload=MISSING, companion=None)

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key``; None if absent, or expired unless ``include_stale``."""
        now = self.clock.now()
        slot = self._live(key, now)
        if slot is None or (not include_stale and now >= slot.entry.expires_at):
            return None
        self._slots.move_to_end(key)
        return self._view(slot)

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys present."""
        out: dict[str, CacheEntry] = {}
        for key in keys:
            entry = await self.get(key, include_stale=include_stale)
            if entry is not None:
                out[key] = entry
        return out

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """Store ``entry`` until ``expires_at + grace`` (evicting the least recently used)."""
        keep_until = entry.expires_at + timedelta(seconds=grace)
        if self.clock.now() >= keep_until:
            self._slots.pop(entry.key, None)
            return
        entry.table  # noqa: B018 - build the immutable form once; views share it
        stored = replace(entry, _payload=MISSING, companion=None)
        self._slots[entry.key] = _Slot(stored, keep_until)
        self._slots.move_to_end(entry.key)
        while len(self._slots) > self.max_entries:
            self._slots.popitem(last=False)

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Store several entries."""
        for entry in entries:
            await self.set(entry, grace=grace)

    async def copy(
        self,
        entry: CacheEntry,
        *,
        grace: float = 0.0,
        companion: tuple[str, bytes | memoryview] | None = None,
    ) -> bool:
        """Store ``entry`` unless the entry held under its key (expired-but-kept included) was
        created later; True when stored. This tier keeps no companions: ``companion`` is
        ignored."""
        now = self.clock.now()
        held = self._live(entry.key, now)
        if held is not None and held.entry.created_at > entry.created_at:
            return False
        if now >= entry.expires_at + timedelta(seconds=grace):
            return False  # past its grace: nothing to copy, and what is held stays
        await self.set(entry, grace=grace)
        return True

    async def copy_many(self, entries: Sequence[CacheEntry], *, grace: float = 0.0) -> int:
        """:meth:`copy` of each entry; returns how many were stored."""
        return sum([await self.copy(entry, grace=grace) for entry in entries])

    async def delete(self, key: str) -> bool:
        """Remove one key; True if it was held."""
        return self._live(key, self.clock.now()) is not None and self._slots.pop(key) is not None

    async def invalidate(self, pattern: str) -> int:
        """Remove the keys matching the glob; returns how many."""
        doomed = await self.keys(pattern)
        for key in doomed:
            del self._slots[key]
        return len(doomed)

    async def keys(self, pattern: str = "*") -> list[str]:
        """Held keys matching the glob (expired-but-kept included), sorted."""
        now = self.clock.now()
        return sorted(k for k in list(self._slots) if matches(pattern, k) and self._live(k, now))

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry expires (negative once expired); None if absent."""
        now = self.clock.now()
        slot = self._live(key, now)
        return None if slot is None else slot.entry.remaining_ttl(now)

    async def cleanup(self, grace: float = 0.0) -> int:
        """Drop entries expired for longer than ``grace`` seconds; returns how many."""
        now = self.clock.now()
        cutoff = now - timedelta(seconds=grace)
        doomed = [
            k
            for k in list(self._slots)
            if self._live(k, now) is not None and self._slots[k].entry.expires_at < cutoff
        ]
        for key in doomed:
            del self._slots[key]
        return len(doomed)

    async def ping(self) -> bool:
        """Always True: the tier is in this process."""
        return True

    async def close(self) -> None:
        """Drop every entry."""
        self._slots.clear()

    def __repr__(self) -> str:
        return f"MemoryTier(max_entries={self.max_entries}, entries={len(self._slots)})"
