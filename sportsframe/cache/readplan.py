"""The read of keys through the tiers, as a plan without I/O.

Every cache read walks the same steps: ask the hot tier for the keys, then the warm tier for the
keys the hot tier did not answer fresh; a fresh entry is a hit (and a warm hit is copied to the
hot tier), an expired entry still held is a stale candidate (stale-if-error and offline serve
it), a tier whose breaker is open is skipped, a tier that fails is counted against its breaker.
:class:`ReadPlan` holds those rules once. It performs no I/O: a *driver* asks it for the next
:class:`TierRead`, reads the tier its own way and hands the answer back. There are two drivers:

* the async one (:meth:`sportsframe.cache.manager.CacheManager.read`) on the event loop, over
  the tiers' async methods;
* the blocking one (:mod:`sportsframe.cache.blocking`) in the caller's thread, over the tiers'
  blocking readers, so that a hit never waits on the loop.

The outcome is the entries found (:attr:`ReadPlan.found`, :attr:`ReadPlan.stale`) and a list of
:class:`ReadEvent` (hit, miss, skip, down, promote) that the manager applies to its statistics,
breakers, hit counts and copies in one call
(:meth:`~sportsframe.cache.manager.CacheManager.record`): on the loop directly, or handed over
from the caller's thread in one ``call_soon_threadsafe``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sportsframe.cache.entry import CacheTier, Lookup

if TYPE_CHECKING:
    from sportsframe.cache.entry import CacheEntry

__all__ = ["HOT", "WARM", "EventKind", "ReadEvent", "ReadPlan", "TierRead"]

#: The tiers' names (as in ``Lookup.served_from``), in the order a read asks them.
HOT, WARM = CacheTier.HOT.value, CacheTier.WARM.value


class EventKind(StrEnum):
    """What happened at one tier during a read."""

    #: The tier answered (its breaker records a success).
    ANSWERED = "answered"
    #: The tier held the key fresh.
    HIT = "hit"
    #: The tier answered without a fresh entry (absent, expired or undecodable).
    MISS = "miss"
    #: The tier was not asked: its breaker is open (a miss, degraded).
    SKIP = "skip"
    #: The tier failed or did not answer in time (a miss, an error; its breaker records it).
    DOWN = "down"
    #: A warm hit to copy to the hot tier, behind the answer.
    PROMOTE = "promote"


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """One thing a read found out. ``seconds`` (the tier's time, shared out over the keys of one
    tier read), ``reason`` (a failure's message, in the words of the driver's client) and
    ``entry`` (the entry a promotion copies) do not take part in equality: two drivers of the
    same read give equal events."""

    kind: EventKind
    tier: str
    key: str = ""
    seconds: float = field(default=0.0, compare=False)
    reason: str = field(default="", compare=False)
    entry: CacheEntry | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TierRead:
    """One step of a plan: read ``keys`` from ``tier``, each with ``companion`` when not None,
    expired entries still held included."""

    tier: str
    keys: tuple[str, ...]
    companion: str | None


class ReadPlan:
    """The rules of a cache read for ``keys`` (storage keys), judged at ``now``.

    Args:
        keys: the keys to read.
        now: the time freshness is judged at (the manager's clock).
        tiers: the tiers present, in reading order (a subset of ``("hot", "warm")``).
        companion: on a hit, bring this companion too where a tier keeps it current.
        count_misses: False for the read after a load lock, which repeats a read already
            counted: its misses and skips then leave no event (its hits still do).

    Drive it with :meth:`next_read` and one of :meth:`answer`, :meth:`fail` or :meth:`skip` per
    step, until :meth:`next_read` returns None.
    """

    __slots__ = (
        "_hot_failed",
        "_next",
        "_remaining",
        "companion",
        "count_misses",
        "events",
        "found",
        "now",
        "stale",
        "tiers",
    )

    def __init__(
        self,
        keys: Sequence[str],
        now: datetime,
        *,
        tiers: Sequence[str] = (HOT, WARM),
        companion: str | None = None,
        count_misses: bool = True,
    ) -> None:
        self.now = now
        self.tiers = tuple(tiers)
        self.companion = companion
        self.count_misses = count_misses
        #: Fresh hits by key.
        self.found: dict[str, Lookup] = {}
        #: The newest expired entry still held, by key (for keys not found fresh).
        self.stale: dict[str, Lookup] = {}
        #: What the read found out, in order.
        self.events: list[ReadEvent] = []
        self._remaining = tuple(dict.fromkeys(keys))
        self._next = 0
        # A warm hit is not copied to a hot tier that has just failed: the copy would fail too.
        self._hot_failed = False

    def known(self, lookups: Mapping[str, Lookup]) -> None:
        """Answer keys before any tier is read: entries this process has just fetched and is
        still writing behind their answer (no tier may hold them yet). One expired by now is
        left to the tiers, as any expired entry is."""
        fresh = {k: found for k, found in lookups.items() if self.now < found.entry.expires_at}
        if fresh:
            self.found.update(fresh)
            self._remaining = tuple(k for k in self._remaining if k not in self.found)

    def next_read(self) -> TierRead | None:
        """The next tier to read and the keys still unanswered, or None when the read is over."""
        if not self._remaining or self._next >= len(self.tiers):
            return None
        tier = self.tiers[self._next]
        self._next += 1
        return TierRead(tier, self._remaining, self.companion)

    def answer(self, read: TierRead, entries: Mapping[str, CacheEntry], seconds: float) -> None:
        """The tier answered ``read`` with ``entries`` (the keys it holds, expired ones within
        their grace included) in ``seconds``."""
        tier, now, events = read.tier, self.now, self.events
        each = seconds / len(read.keys)
        promote = tier == WARM and HOT in self.tiers and not self._hot_failed
        events.append(ReadEvent(EventKind.ANSWERED, tier))
        for key in read.keys:
            entry = entries.get(key)
            if entry is not None and now < entry.expires_at:
                self.found[key] = Lookup(key, entry, tier)
                events.append(ReadEvent(EventKind.HIT, tier, key, each))
                if promote:
                    events.append(ReadEvent(EventKind.PROMOTE, tier, key, entry=entry))
                continue
            if self.count_misses:
                events.append(ReadEvent(EventKind.MISS, tier, key, each))
            if entry is not None:
                held = self.stale.get(key)
                if held is None or entry.expires_at > held.entry.expires_at:
                    self.stale[key] = Lookup(key, entry, tier, stale=True)
        self._remaining = tuple(k for k in read.keys if k not in self.found)

    def fail(self, read: TierRead, reason: str) -> None:
        """The tier failed ``read`` (``reason``: one line, no secrets). One failure is one
        error, however many keys the read asked for."""
        self._hot_failed = self._hot_failed or read.tier == HOT
        self.events.append(ReadEvent(EventKind.DOWN, read.tier, read.keys[0], reason=reason))

    def skip(self, read: TierRead) -> None:
        """The tier was not asked (its breaker is open)."""
        if self.count_misses:
            self.events.extend(ReadEvent(EventKind.SKIP, read.tier, key) for key in read.keys)

    @property
    def missing(self) -> tuple[str, ...]:
        """The keys no tier held fresh (once the read is over)."""
        return self._remaining

    def fresh(self, key: str) -> Lookup | None:
        """The fresh hit of ``key``, or None."""
        return self.found.get(key)
