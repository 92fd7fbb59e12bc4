"""One tier with its circuit breaker and statistics: every call to a tier goes through its guard.

A tier that is down must cost a miss, never an error, and its breaker must hear of every failure
and every success, while a cancelled call must give back a half-open breaker's probe. Those rules
are written here once (:meth:`TierGuard.call`) for every write, removal and maintenance call of
the cache manager; reads follow the same rules through the read plan's events
(:mod:`sportsframe.cache.readplan`). A breaker logs a failure by the TierUnavailable's message,
which the tiers write without secrets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from sportsframe.cache.tier import Tier, TierUnavailable

if TYPE_CHECKING:
    from sportsframe.cache.breaker import CircuitBreaker
    from sportsframe.cache.stats import CacheStats, TierStats

__all__ = ["TierGuard"]

T = TypeVar("T")
TierT = TypeVar("TierT", bound=Tier)


class TierGuard(Generic[TierT]):
    """``tier`` (None: the manager has no such tier) behind ``breaker``, counted in the section
    ``name`` of the manager's current statistics (``stats()``: they are replaced on reset)."""

    __slots__ = ("_stats", "breaker", "name", "tier")

    def __init__(
        self,
        name: str,
        tier: TierT | None,
        breaker: CircuitBreaker,
        stats: Callable[[], CacheStats],
    ) -> None:
        self.name = name
        self.tier = tier
        self.breaker = breaker
        self._stats = stats

    @property
    def stats(self) -> TierStats:
        """This tier's section of the manager's statistics."""
        stats = self._stats()
        return stats.hot if self.name == "hot" else stats.warm

    async def call(self, operation: Callable[[TierT], Awaitable[T]]) -> tuple[bool, T | None]:
        """Run ``operation`` (a write, a removal, maintenance) on the tier behind its breaker:
        ``(True, result)``, or ``(False, None)`` when there is no tier, its breaker is open
        (counted ``degraded``) or it is down (counted in ``errors`` and against the breaker).
        Never raises TierUnavailable."""
        return await self._guarded(operation, read=False)

    async def read(self, operation: Callable[[TierT], Awaitable[T]]) -> tuple[bool, T | None]:
        """As :meth:`call`, for a read: a tier that is down counts as a miss and an error
        (:meth:`down`), and an open breaker is not counted here (the read plan counts skips)."""
        return await self._guarded(operation, read=True)

    async def attempt(self, operation: Callable[[TierT], Awaitable[object]]) -> bool:
        """:meth:`call` for an operation whose result does not matter: True if it ran."""
        done, _ = await self.call(operation)
        return done

    async def _guarded(
        self, operation: Callable[[TierT], Awaitable[T]], *, read: bool
    ) -> tuple[bool, T | None]:
        if self.tier is None:
            return False, None
        if not self.breaker.allow():
            if not read:
                self.stats.degraded += 1
            return False, None
        return await self.allowed(operation, read=read)

    async def allowed(
        self, operation: Callable[[TierT], Awaitable[T]], *, read: bool = False
    ) -> tuple[bool, T | None]:
        """As :meth:`call` (or :meth:`read`) for a caller that has asked the breaker itself
        (and had its answer before other work)."""
        tier = self.tier
        if tier is None:
            return False, None
        try:
            result = await operation(tier)
        except TierUnavailable as exc:
            if read:
                self.down(exc)
            else:
                self.breaker.failure(str(exc))
                self.stats.errors += 1
            return False, None
        except BaseException:
            self.breaker.release_probe()
            raise
        self.breaker.success()
        return True, result

    def down(self, exc: BaseException) -> None:
        """A read of the tier failed: a miss and an error, and the breaker hears of it."""
        self.breaker.failure(str(exc))
        self.stats.error()

    def __repr__(self) -> str:
        return f"TierGuard({self.name!r}, {type(self.tier).__name__}, {self.breaker.state.value})"
