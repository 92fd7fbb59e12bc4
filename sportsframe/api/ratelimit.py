"""Rate limiting: at most ``rate`` requests in any one-second window, as the server sees them.

A sliding window, not a token bucket with bursts: the service counts requests per second on its
side, so a burst that a bucket allows would be throttled. Both limiters keep a small safety
margin (the window is stretched by ``margin`` seconds) so that network jitter between our clock
and the server's never puts one request too many into a server-side second.

:class:`SlidingWindowLimiter` serves one process; :class:`RedisRateLimiter` keeps the window in
Redis (one key, one Lua script, the server's clock), so several kernels and scripts sharing an API
key stay under the limit together.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from redis.exceptions import RedisError

from sportsframe.batching import Batcher
from sportsframe.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "DEFAULT_MARGIN",
    "RateLimiter",
    "RedisRateLimiter",
    "SlidingWindowLimiter",
    "key_fingerprint",
]

#: Seconds added to the one-second window: absorbs jitter between our clock and the server's.
#: It also caps the rate a long warm-up reaches, at ``rate / (1 + margin)``: 0.08 s held it to
#: 92.6 % of the limit; 0.04 s allows 96 % and still keeps two requests more than 0.95 s apart
#: with 90 ms of jitter to spare (a 429 would be retried after its Retry-After anyway).
DEFAULT_MARGIN = 0.04


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible fingerprint of an API key (for shared state; never the key)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@runtime_checkable
class RateLimiter(Protocol):
    """Waits until one more request may be sent."""

    async def acquire(self) -> None:
        """Return when a request may be sent now (the slot is taken)."""
        ...


class SlidingWindowLimiter:
    """In-process sliding window: at most ``rate`` starts in any ``1 + margin`` seconds."""

    def __init__(
        self, rate: float, *, clock: Clock = SYSTEM_CLOCK, margin: float = DEFAULT_MARGIN
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.clock = clock
        self.window = 1.0 + margin
        # A fractional rate (0.5/s) means one request per 2 s: scale the window, keep one slot.
        self.slots = max(int(rate), 1)
        if rate < 1:
            self.window = 1.0 / rate + margin
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds to wait before the next request may start (0 if it may start now)."""
        now = self.clock.monotonic()
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        if len(self._starts) < self.slots:
            return 0.0
        return self._starts[0] + self.window - now

    def take(self) -> None:
        """Record a request starting now."""
        self._starts.append(self.clock.monotonic())

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                wait = self.delay()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self.take()


# KEYS[1] = the window's sorted set; ARGV = slots, window (ms), slots wanted, member prefix.
# Uses the server's TIME so every client shares one clock. Grants as many of the wanted slots as
# the window has free, and returns {granted, milliseconds until the next slot frees} (0 when all
# were granted).
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local granted = math.min(wanted, math.max(slots - count, 0))
for i = 1, granted do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
end
if granted > 0 then
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
if granted == wanted then
  return {granted, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return {granted, wait}
"""


class RedisRateLimiter:
    """A sliding window shared through Redis by every process using the same ``key``.

    The key should name the API key by its fingerprint (:func:`key_fingerprint`), never the key.
    One key per limiter keeps it Redis Cluster safe. Slots asked for together (a props week's
    games, fetched at once) are asked for in one script call: the requests the window allows
    leave together instead of one Redis round trip apart.
    """

    def __init__(
        self, redis: Redis, key: str, rate: float, *, margin: float = DEFAULT_MARGIN
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.redis = redis
        self.key = key
        self.slots = max(int(rate), 1)
        window = (1.0 / rate if rate < 1 else 1.0) + margin
        self.window_ms = int(window * 1000)
        self._script = redis.register_script(_SLIDING_WINDOW_LUA)
        self._asks: Batcher[None, int] = Batcher(self._ask_together)
        # Without Redis the limit still holds for this process (a down Redis is not an error).
        self._local = SlidingWindowLimiter(rate, margin=margin)

    async def acquire(self) -> None:
        while True:
            try:
                wait_ms = await self._asks.submit(None)
            except (RedisError, OSError):
                await self._local.acquire()
                return
            if wait_ms <= 0:
                # The local window holds every start of this process, Redis's grants too, and
                # this one must fit there as well: a start granted locally while Redis failed
                # (down, its pool exhausted, a reply too slow on a busy machine) is one Redis
                # never saw, and would otherwise let it grant two more within the same second.
                await self._local.acquire()
                return
            await asyncio.sleep(wait_ms / 1000)

    async def _ask_together(self, asks: list[None]) -> list[int]:
        """One script call for every slot asked for since the last: 0 for each granted (the
        first ones, in the order asked), the wait in milliseconds for the others."""
        granted, wait_ms = await self._script(
            keys=[self.key], args=[self.slots, self.window_ms, len(asks), uuid.uuid4().hex]
        )
        granted, wait_ms = int(granted), max(int(wait_ms), 1)
        return [0 if i < granted else wait_ms for i in range(len(asks))]

    def __repr__(self) -> str:
        return f"RedisRateLimiter(key={self.key!r}, slots={self.slots}, window={self.window_ms}ms)"
