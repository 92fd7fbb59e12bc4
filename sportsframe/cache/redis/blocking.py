"""Blocking reads of hot-tier entries with their companions, for threads outside the event loop.

The sync facade answers a repeated call from L0 in the caller's thread; when L0 misses (it is
off, another process wrote the entry, the kernel restarted) the next place is Redis. Going
through the event loop for that costs a thread hand-off and asyncio's chunked reads of a
megabyte reply; a plain blocking MGET in the caller's thread does not. This reader does only
that one thing, read-only and all or nothing: :meth:`SyncHotReader.read` returns entries when
every key is stored, fresh by the clock and comes with a current companion, and None for
anything else (a miss, an expired entry, a missing or stale companion, an unreachable server).
The caller then takes the normal path, which decides what to do, counts misses and feeds the
circuit breakers. After a failure the reader stays quiet for the breaker's reset period, so a
server that went away costs one timeout, not one per call.

redis-py's blocking client is thread-safe (one connection per command from its pool), so one
reader serves every thread of the process. The client is built by
:func:`~sportsframe.cache.redis.client.build_client` with the async tier's options, and the
round trip and its decoding are :mod:`sportsframe.cache.redis.pairs`, shared with
:meth:`RedisTier.get_with_companion <sportsframe.cache.redis.tier.RedisTier.get_with_companion>`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from redis.exceptions import RedisClusterException, RedisError

from sportsframe.cache import codec
from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.redis.client import build_client
from sportsframe.cache.redis.pairs import entry_with_companion, fetch_pairs, pair_keys
from sportsframe.clock import Clock

if TYPE_CHECKING:
    import redis
    import redis.cluster

    from sportsframe.cache.tier import CacheEntry

__all__ = ["SyncHotReader"]


class SyncHotReader:
    """Entries plus companions from Redis in one blocking round trip (see the module docstring).

    Args:
        url: the hot tier's Redis URL (may hold a password: never shown).
        namespace: the hot tier's key prefix.
        clock: judges freshness (the same clock as the tier's).
        cluster: the URL names a Redis Cluster seed node.
        connect_timeout, socket_timeout: seconds, as for the async tier.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        clock: Clock,
        cluster: bool = False,
        connect_timeout: float,
        socket_timeout: float,
    ) -> None:
        self.namespace = namespace
        self.clock = clock
        self.cluster = cluster
        self._url = url
        self._timeouts = (connect_timeout, socket_timeout)
        self._client: redis.Redis | redis.cluster.RedisCluster | None = None
        self._lock = threading.Lock()
        self._quiet_until = float("-inf")
        self._closed = False

    def __repr__(self) -> str:
        return f"SyncHotReader(namespace={self.namespace!r}, cluster={self.cluster})"

    def _connect(self) -> redis.Redis | redis.cluster.RedisCluster:
        with self._lock:
            if self._closed:
                raise OSError("the reader is closed")
            if self._client is None:
                self._client = build_client(
                    self._url,
                    blocking=True,
                    cluster=self.cluster,
                    connect_timeout=self._timeouts[0],
                    socket_timeout=self._timeouts[1],
                )
            return self._client

    def read(
        self, keys: Sequence[str], companion: str, absent: set[str] | None = None
    ) -> list[CacheEntry] | None:
        """The entries of ``keys`` (storage keys), each with its current ``companion``, or None
        unless every one of them is there and fresh.

        ``absent``, when given, receives the keys Redis answered it does not hold (only from a
        read that reached it): the caller need not ask Redis for those again.
        """
        if not keys or self._closed or self.clock.monotonic() < self._quiet_until:
            return None
        names = pair_keys(self.namespace, companion, keys)
        try:
            values = fetch_pairs(self._connect(), names, self.cluster)
        except (RedisError, RedisClusterException, OSError):
            # RedisClusterException (slots not covered, no reachable seed) is not a RedisError.
            self._quiet_until = self.clock.monotonic() + RESET_PERIOD
            return None
        if absent is not None:
            absent.update(key for i, key in enumerate(keys) if values[2 * i] is None)
        now = self.clock.now()
        out: list[CacheEntry] = []
        for i in range(len(keys)):
            raw, extra = values[2 * i], values[2 * i + 1]
            if raw is None or extra is None:
                return None
            try:
                entry = entry_with_companion(raw, extra, now)
            except codec.CodecError:
                return None  # the async path repairs it
            if entry is None or entry.companion is None:
                return None
            out.append(entry)
        return out

    def close(self) -> None:
        """Close the pooled connections; the reader answers None from then on."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()
