"""A fetched entry written behind its answer.

A miss answers its caller as soon as the payload is parsed; the writes to both tiers follow in a
task of their own (:meth:`~sportsframe.cache.writes.WritePath._write_behind`). Until they land,
the key's cross-process lock stays held, so another process waiting for it reads the entry
instead of paying for it again, and this process answers the key from the :class:`Behind` record
(:meth:`~sportsframe.cache.core.ManagerCore.read`). Companions kept meanwhile (the finished frame)
queue here and are written once the entry is stored, because a tier keeps a companion only
beside the very entry it was made from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from sportsframe.cache.entry import Lookup

__all__ = ["Behind", "CompanionData"]

#: A companion's bytes, or a function making them (called only when it is stored).
CompanionData: TypeAlias = bytes | memoryview | Callable[[], bytes | memoryview]


class Behind:
    """One entry on its way to the tiers: its lookup, the companions waiting for it and the
    task writing them (set once started)."""

    __slots__ = ("companions", "lookup", "task")

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.companions: list[tuple[str, CompanionData]] = []
        self.task: asyncio.Future[None] | None = None

    def holds(self, lookup: Lookup) -> bool:
        """True when ``lookup`` is this very entry (a caller's copy of it included)."""
        return lookup.entry is self.lookup.entry
