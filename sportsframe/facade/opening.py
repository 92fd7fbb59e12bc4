"""Opening: what a session opens ahead of its first call, so that the first call of a fresh
process (a restarted kernel, a batch script) costs what any later one does.

:meth:`Opening.prepare` opens the cached client and makes the tiers' blocking readers ready (the
warm tier's tables checked, one primed connection each); :meth:`Opening.prepare_frames` then
warms up the frame of every dataset, only while the callers are idle. A sync
:class:`~sportsframe.facade.sync.Session` runs both in the background when it is made
(``open_early``); they are methods of both sessions through this mixin.
"""

from __future__ import annotations

import asyncio
import logging
from time import perf_counter
from typing import TYPE_CHECKING

from sportsframe import frames
from sportsframe.facade import shallow
from sportsframe.loop import until_quiet
from sportsframe.registry.datasets import DATASETS

if TYPE_CHECKING:
    from sportsframe.cached_client import CachedSportsDataIOClient

__all__ = ["WARM_UP_PAUSE", "WARM_UP_QUIET", "Opening", "note_call"]

log = logging.getLogger("sportsframe")

#: Seconds the background frame warm-up leaves the loop to its other work after each dataset. A
#: pause this short still hands the GIL to a caller's thread waiting for it (the loop blocks), and
#: keeps the whole warm-up short: at 5 ms the pauses alone were 0.44 s of its 1.1 s on a 2-core
#: machine, and a notebook's next cell, a second after the session was made, met it still going.
WARM_UP_PAUSE = 0.001
#: Seconds without a call before the background frame warm-up goes on (it holds the GIL).
WARM_UP_QUIET = 0.02

#: When a sync call last started, in any session of the process (``perf_counter``): the
#: warm-up waits for a gap in all of them, since it holds the one GIL they share.
_last_call = float("-inf")
#: The datasets whose frames this process has warmed up.
_warmed: set[str] = set()


def note_call() -> None:
    """Mark a sync call starting now (the sync session does, on every dataset call)."""
    global _last_call
    _last_call = perf_counter()


class Opening:
    """The opening methods of :class:`~sportsframe.facade.session.AsyncSession` (a mixin: the
    primitives below are the session's)."""

    _preparing: asyncio.Task[None] | None

    if TYPE_CHECKING:

        async def client(self) -> CachedSportsDataIOClient: ...

    async def prepare(self) -> None:
        """Open the cached client and make the tiers' blocking readers ready, ahead of the
        first call (a sync :class:`~sportsframe.facade.sync.Session` does this in the
        background when it is created, unless ``open_early`` is off)."""
        client = await self.client()
        await client.prepare()

    async def prepare_frames(self) -> None:
        """Warm up the frame of every dataset (:func:`sportsframe.frames.warm_up`: its schema,
        and a row of values and a row of nulls through the conversion), one at a time and only
        in the gaps between calls, so that the first call of each dataset pays neither (about
        0.2 s of work in all on two cores, once per process, which a script's calls never wait
        behind). A sync session runs this in the background once its tiers are open;
        :meth:`frames_warmed` waits for it."""
        client = await self.client()
        await self._between_calls()
        shallow.prepare()  # L0's fast copy, checked once (about 2 ms)
        for name in dict.fromkeys(ds.endpoint_name for ds in DATASETS.values()):
            if name in _warmed:  # by an earlier session of the process
                continue
            await self._between_calls()
            await client.idle()
            try:
                frames.warm_up(name)  # a few milliseconds at most: then the loop's other work
            except Exception as exc:  # only a shortcut: the first real call builds it anyway
                log.debug("warming up the %s frame failed: %s", name, type(exc).__name__)
            _warmed.add(name)
            await asyncio.sleep(WARM_UP_PAUSE)

    async def frames_warmed(self) -> None:
        """Wait until the background frame warm-up, if one is under way, is done."""
        preparing = self._preparing
        if preparing is not None and not preparing.done():
            await asyncio.shield(preparing)

    async def _between_calls(self) -> None:
        """Return once no sync call of any session has started for :data:`WARM_UP_QUIET`
        seconds (an L0 hit counts: it never reaches the tiers, whose own idleness the cached
        client tells)."""
        await until_quiet(lambda: perf_counter() - _last_call, WARM_UP_QUIET)

    def prepare_frames_soon(self) -> None:
        """Start :meth:`prepare_frames` in the background on the running loop (stopped by
        :meth:`~sportsframe.facade.session.AsyncSession.aclose`)."""
        if self._preparing is None or self._preparing.done():
            self._preparing = asyncio.get_running_loop().create_task(self.prepare_frames())
