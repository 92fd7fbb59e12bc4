"""Blocking reads of hot-tier entries with their companions, for threads outside the event loop.

The read plan's blocking driver (:mod:`sportsframe.cache.blocking`) reads Redis in the caller's
thread: going through the event loop costs a thread hand-off and asyncio's chunked reads of a
megabyte reply; a plain blocking MGET in the caller's thread does not. This reader does only
that one thing, read-only: :meth:`SyncHotReader.read_many` returns what Redis holds, as the async
tier's ``get_with_companion`` does, and the plan decides what is fresh. After a failure the reader
stays quiet for the breaker's reset period, so a server that went away costs one timeout, not one
per call.

redis-py's blocking client is thread-safe (one connection per command from its pool), so one
reader serves every thread of the process. The client is built by
:func:`~sportsframe.cache.redis.client.build_client` with the async tier's options, and the
round trip and its decoding are :mod:`sportsframe.cache.redis.pairs`, shared with
:meth:`RedisTier.get_with_companion <sportsframe.cache.redis.tier.RedisTier.get_with_companion>`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from redis.exceptions import RedisClusterException, RedisError

from sportsframe.cache import codec
from sportsframe.cache.breaker import RESET_PERIOD
from sportsframe.cache.redis.client import build_client
from sportsframe.cache.redis.layout import KeyLayout
from sportsframe.cache.redis.pairs import entry_with_companion, fetch_pairs
from sportsframe.cache.tier import PRIME_KEY, TierUnavailable, error_reason
from sportsframe.clock import Clock

if TYPE_CHECKING:
    import redis
    import redis.cluster

    from sportsframe.cache.entry import CacheEntry

__all__ = ["PRIME_ECHO_BYTES", "SyncHotReader"]

#: Bytes the priming of a reader has Redis echo back, about a stored props frame's size (see
#: :meth:`SyncHotReader.prime`).
PRIME_ECHO_BYTES = 1 << 20


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
        self._layout = KeyLayout(namespace, cluster)
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

    @property
    def quiet(self) -> bool:
        """True while the reader rests after a failure, or once closed."""
        return self._closed or self.clock.monotonic() < self._quiet_until

    def read_many(self, keys: Sequence[str], companion: str) -> dict[str, CacheEntry]:
        """The entries Redis holds under ``keys`` (expired ones within their grace included),
        each with ``companion`` set when a current one is stored; one round trip. A value that
        does not decode is left out (the loop's read removes it).

        Raises:
            TierUnavailable: Redis failed or did not answer in time (the reader then rests for
                the breaker's reset period), or the reader rests or is closed (no I/O).
        """
        if self._closed:
            raise TierUnavailable("hot", "the reader is closed")
        if self.quiet:
            raise TierUnavailable("hot", "resting after a failure")
        try:
            names = self._layout.pair(companion, keys)
            values = fetch_pairs(self._connect(), names, self.cluster)
        except (RedisError, RedisClusterException, OSError) as exc:
            # RedisClusterException (slots not covered, no reachable seed) is not a RedisError.
            self._quiet_until = self.clock.monotonic() + RESET_PERIOD
            raise TierUnavailable("hot", error_reason(exc)) from None
        now = self.clock.now()
        out: dict[str, CacheEntry] = {}
        for i, key in enumerate(keys):
            raw = values[2 * i]
            if raw is None:
                continue
            try:
                entry = entry_with_companion(raw, values[2 * i + 1], now, include_stale=True)
            except codec.CodecError:
                continue  # the loop's read removes it
            if entry is not None:
                out[key] = entry
        return out

    def prime(self) -> None:
        """One connection opened, a read of no key run and :data:`PRIME_ECHO_BYTES` echoed on it,
        ahead of the first real read (see :meth:`~sportsframe.cache.tier.BlockingReader.prime`);
        never raises."""
        if self.quiet:
            return
        try:
            self.read_many([PRIME_KEY], PRIME_KEY)
        except TierUnavailable:
            # The read rested the reader; let the first real read try again at once.
            self._quiet_until = float("-inf")
            return
        # A connection's first large reply is read slower than later ones (its socket's buffers
        # grow with the traffic it has seen): one ECHO of a stored frame's size, which reads and
        # writes no key, leaves the first real read of a frame to cost what later ones do. Only
        # a shortcut: a server that refuses it (an ACL) is left alone.
        with contextlib.suppress(RedisError, RedisClusterException, OSError):
            self._connect().echo(bytes(PRIME_ECHO_BYTES))

    def close(self) -> None:
        """Close the pooled connections; the reader reads nothing from then on."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()
