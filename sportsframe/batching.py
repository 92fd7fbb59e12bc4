"""Group commit: calls that arrive while a batch is being written go together in the next one.

A props week's miss fetches its games' parts at once, and each part reserves a request of the
monthly quota and writes its entry to the warm tier's database. One transaction each queues them
behind one another (a row lock on the month's count, a commit each), so the caller waited for
sixteen commits in a row. A :class:`Batcher` hands its runner everything submitted since the
last batch began, so they share one statement and one commit. A lone call is not delayed: the
runner starts on the loop's next turn, and a batch holds whatever arrived before it.

Every submitter gets its own outcome (a result or an exception). A submitter that is cancelled
leaves its item in the batch: once submitted, the work is done (a write to the end, a reservation
that counts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Batcher"]

T = TypeVar("T")
R = TypeVar("R")

#: The runner of a batch: one outcome per item, in order (an exception is that item's failure).
Runner = Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    """Runs ``runner`` on the items submitted while the previous batch ran (see the module
    docstring). One batch at a time; for use on one event loop."""

    def __init__(self, runner: Runner[T, R]) -> None:
        self._runner = runner
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"Batcher(queued={len(self._queue)}, running={self._draining is not None})"

    async def submit(self, item: T) -> R:
        """``item``'s outcome, once the batch holding it has run."""
        # Shielded: the batch runs for every item in it, whoever stops waiting.
        return await asyncio.shield(self.enqueue(item))

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """Queue ``item`` and return the future of its outcome, for a caller that must act on
        an outcome it stopped waiting for (undo a lock it took, say): the item runs either way,
        and the future is cancelled only if its batch never runs."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._draining is None:
            self._draining = asyncio.ensure_future(self._drain())
        return future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._run(batch)
        finally:
            self._draining = None
            # Stopped early (cancelled, the loop going down): nobody is left waiting.
            leftover, self._queue = self._queue, []
            for _, future in leftover:
                future.cancel()

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        futures = [future for _, future in batch]
        try:
            outcomes = await self._runner([item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} had {len(outcomes)} outcomes")
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        except BaseException as exc:  # every item of the batch failed alike
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # (KeyboardInterrupt, SystemExit: the waiters have heard)
            return
        for future, outcome in zip(futures, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
