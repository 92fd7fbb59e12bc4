"""Single-flight: concurrent identical cache misses make one upstream call in this process.

:class:`SingleFlight` keeps one task per key: the first caller starts it, every concurrent caller
awaits the same task, and nobody's cancellation cancels the work the others wait for (the last
caller's does: nobody wants it then). Across processes the leaders of each process are serialised
by :class:`~sportsframe.cache.locks.CrossProcessLock`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class _Flight(Generic[T]):
    """One key's work in flight and how many callers await it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Future[T]) -> None:
        self.task = task
        self.waiters = 0


class SingleFlight(Generic[T]):
    """One in-flight task per key; concurrent callers of :meth:`run` share its result."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[T]] = {}
        self._quiet: asyncio.Event | None = None  # set when the last flight ends

    def __len__(self) -> int:
        return len(self._flights)

    async def quiet(self) -> None:
        """Return once no flight is running (at once when none is)."""
        while self._flights:
            if self._quiet is None:
                self._quiet = asyncio.Event()
            await self._quiet.wait()

    def _drop(self, key: Hashable) -> None:
        del self._flights[key]
        if not self._flights and self._quiet is not None:
            self._quiet.set()
            self._quiet = None

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """Run ``work()`` unless a flight for ``key`` is already running; join it then.

        Returns ``(result, shared)`` where ``shared`` is True for callers that joined another
        caller's flight. The work runs in a task of its own: a cancelled caller leaves it
        running while another caller still waits for it, and cancels it when it was the last
        (a Ctrl-C must stop the fetches nobody wants any more; they spend the API quota).
        """
        flight = self._flights.get(key)
        shared = flight is not None
        if flight is None:
            flight = _Flight(asyncio.ensure_future(work()))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda t: self._done(key, t))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task), shared
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # Only a cancelled caller leaves before the task is done. A caller arriving
                # while the task unwinds starts a flight of its own.
                flight.task.cancel()
                if self._flights.get(key) is flight:
                    self._drop(key)

    def _done(self, key: Hashable, task: asyncio.Future[T]) -> None:
        flight = self._flights.get(key)
        if flight is not None and flight.task is task:
            self._drop(key)
        if not task.cancelled():
            task.exception()  # mark retrieved: every caller may have gone away
