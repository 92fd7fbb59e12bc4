"""L0: the in-process cache of finished DataFrames, in front of the shared tiers.

Notebook users re-run cells all day; this is their hot path. A hit returns a *shallow* copy of the
frame already built: under pandas copy-on-write the caller's edits never reach the cached frame, and
no data is copied. polars frames are kept the same way, beside the pandas ones (a key holds one
frame per backend): a hit is a ``clone()``, which shares the data, so the caller's in-place edits
(``insert_column``, ``drop_in_place``) never reach the cached frame either. The cache is bounded in
bytes (SPORTSFRAME_L0_MAX_BYTES; 0 turns it off), honours each entry's expiry, and is kept coherent
across processes: invalidations are published on a Redis channel and every process drops matching
frames on receipt (see :class:`L0Coherence`). Without Redis there is nobody to tell, so L0 entries
simply live no longer than their TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.facade.provenance import Backend, Frame, attach
from sportsframe.facade.shallow import shallow_copy
from sportsframe.registry.glob import matches

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["FrameCache", "L0Coherence", "frame_nbytes"]

log = logging.getLogger("sportsframe.l0")


def frame_nbytes(frame: Frame) -> int:
    """Approximate memory of a frame (shallow: string payloads counted by pandas' estimate;
    polars' own estimate for a polars frame)."""
    if isinstance(frame, pd.DataFrame):
        return int(frame.memory_usage(index=True, deep=False).sum()) + 1024
    return int(frame.estimated_size()) + 1024


def _backend(frame: Frame) -> Backend:
    return "pandas" if isinstance(frame, pd.DataFrame) else "polars"


def _shallow(frame: Frame) -> Frame:
    """A copy sharing the data, without attrs: the caller's edits of one never reach the other.
    For pandas, the block-by-block copy of :mod:`~sportsframe.facade.shallow` (most of a small
    frame's hit was ``copy(deep=False)``'s general machinery around the same block copies)."""
    if isinstance(frame, pd.DataFrame):
        return shallow_copy(frame)
    return frame.clone()


@dataclass(slots=True)
class _Slot:
    frame: Frame  # without attrs: see _own_attrs
    attrs: dict[Hashable, Any]
    expires_at: datetime
    nbytes: int
    #: The keys of the parts a joined frame was made of (empty for a single key's frame).
    parts: tuple[str, ...] = ()


def _joined_key(keys: Sequence[str]) -> str:
    """The slot name of the frame joined from ``keys`` (never a cache key: they hold no NUL)."""
    return "\0".join(("joined", *keys))


def _own_attrs(attrs: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
    """A copy of ``attrs`` whose dicts and lists (a call's params) are copies too.

    pandas deep-copies a frame's attrs on every ``copy()``: for a provenance dict that is most
    of an L0 hit. Cached frames hold none; their attrs live beside them and are copied this
    much cheaper way (the values are strings, numbers, datetimes and flat containers).
    """
    return {k: _own(v) for k, v in attrs.items()}


def _own(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):  # a joined frame's parts: a list of dicts
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


class FrameCache:
    """A byte-bounded LRU of finished frames keyed by cache key and backend (thread-safe)."""

    def __init__(self, max_bytes: int, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self._slots: OrderedDict[tuple[str, Backend], _Slot] = OrderedDict()
        self._bytes = 0
        #: Bumped by every invalidate and clear: a frame read before a bump must not be put
        #: after it (see :meth:`put`).
        self.generation = 0
        self._lock = threading.Lock()
        #: Set to False while coherence cannot be guaranteed (Redis configured, channel down).
        self.serving = True

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._slots)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: str, backend: Backend = "pandas") -> Frame | None:
        """A shallow copy of the cached ``backend`` frame of ``key`` (its provenance included),
        or None if absent or expired."""
        return self._get(key, backend)

    def get_joined(self, keys: Sequence[str], backend: Backend = "pandas") -> Frame | None:
        """A shallow copy of the frame joined from the parts ``keys`` (in that order) kept by
        :meth:`put_joined`, or None. A call of many parts (a season of weeks) then costs what
        one part costs, where joining the parts again costs milliseconds."""
        return self._get(_joined_key(keys), backend)

    def _get(self, name: str, backend: Backend) -> Frame | None:
        if not self.enabled or not self.serving:
            return None
        slot_key = (name, backend)
        with self._lock:
            slot = self._slots.get(slot_key)
            if slot is None:
                return None
            if self.clock.now() >= slot.expires_at:
                self._drop(slot_key)
                return None
            self._slots.move_to_end(slot_key)
        out = _shallow(slot.frame)
        attach(out, _own_attrs(slot.attrs))
        return out

    def put(
        self,
        key: str,
        frame: Frame,
        expires_at: datetime,
        *,
        attrs: Mapping[Hashable, Any] | None = None,
        generation: int | None = None,
        nbytes: int | None = None,
    ) -> None:
        """Keep ``frame`` until ``expires_at`` (evicting least-recently-used frames to fit),
        beside any frame of the other backend kept for ``key``.

        ``attrs``: the attrs hits get (default: a pandas frame's own; required for polars). Putting
        a frame before giving it its attrs saves pandas a deep copy of them.
        ``generation``: the value of :attr:`generation` when the frame's data was read. If an
        invalidation came in since, the frame may be what it removed, so it is not kept.
        ``nbytes``: the frame's size when the caller knows it (the Arrow table it came from);
        asking pandas costs milliseconds for a frame of a few hundred columns.
        """
        self._put(key, frame, expires_at, attrs, generation, nbytes, ())

    def put_joined(
        self,
        keys: Sequence[str],
        frame: Frame,
        expires_at: datetime,
        *,
        attrs: Mapping[Hashable, Any] | None = None,
        generation: int | None = None,
    ) -> None:
        """Keep ``frame``, joined from the parts ``keys``, as :meth:`put` keeps one key's
        frame; an invalidation matching any one of ``keys`` drops it."""
        self._put(_joined_key(keys), frame, expires_at, attrs, generation, None, tuple(keys))

    def _put(
        self,
        name: str,
        frame: Frame,
        expires_at: datetime,
        attrs: Mapping[Hashable, Any] | None,
        generation: int | None,
        nbytes: int | None,
        parts: tuple[str, ...],
    ) -> None:
        if not self.enabled:
            return
        if nbytes is None:
            nbytes = frame_nbytes(frame)
        if nbytes > self.max_bytes:
            return
        if attrs is None:
            attrs = frame.attrs if isinstance(frame, pd.DataFrame) else {}
        kept = _own_attrs(attrs)
        stored = _shallow(frame)  # (a pandas frame without its attrs: they are kept beside it)
        slot_key = (name, _backend(frame))
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            if slot_key in self._slots:
                self._drop(slot_key)
            self._slots[slot_key] = _Slot(stored, kept, expires_at, nbytes, parts)
            self._bytes += nbytes
            while self._bytes > self.max_bytes and self._slots:
                self._drop(next(iter(self._slots)))

    def invalidate(self, pattern: str) -> int:
        """Drop every frame whose key matches the Redis-style glob, and every joined frame
        with such a part; returns how many."""
        with self._lock:
            self.generation += 1
            doomed = [
                k
                for k, slot in self._slots.items()
                if any(matches(pattern, part) for part in slot.parts or (k[0],))
            ]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self.generation += 1
            self._slots.clear()
            self._bytes = 0

    def _drop(self, key: tuple[str, Backend]) -> None:
        slot = self._slots.pop(key)
        self._bytes -= slot.nbytes


class L0Coherence:
    """Publishes invalidations on a Redis channel and applies everyone's to a :class:`FrameCache`.

    The listener runs as a task on sportsframe's background loop. While it is not subscribed (Redis
    went away), the frame cache stops serving, because another process's invalidation could be
    missed; it serves again once the subscription is back (and drops everything, since messages
    may have been lost meanwhile).
    """

    def __init__(self, redis: Redis, channel: str, cache: FrameCache) -> None:
        self.redis = redis
        self.channel = channel
        self.cache = cache
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        cache.serving = False

    async def start(self, wait: float = 1.0) -> bool:
        """Start listening; True once subscribed within ``wait`` seconds."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="sportsframe-l0-listener")
        try:
            await asyncio.wait_for(self._subscribed.wait(), wait)
        except TimeoutError:
            return False
        return True

    async def publish(self, pattern: str) -> None:
        """Tell every process (this one included) to drop frames matching ``pattern``."""
        self.cache.invalidate(pattern)
        try:
            await self.redis.publish(self.channel, pattern.encode())
        except Exception as exc:  # a down Redis must not fail the invalidation itself
            log.warning("could not publish L0 invalidation: %s", type(exc).__name__)

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.cache.clear()
                self.cache.serving = True
                self._subscribed.set()
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        data: Any = message["data"]
                        pattern = data.decode() if isinstance(data, bytes) else str(data)
                        self.cache.invalidate(pattern)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.cache.serving = False
                self._subscribed.clear()
                log.warning("L0 invalidation channel lost (%s); L0 paused", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]

    async def close(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
