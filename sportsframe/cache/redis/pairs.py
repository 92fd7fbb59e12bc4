"""Entries read together with their companions: the one round trip and the decoding of its replies.

An entry and its companion are always read by one MGET, on a Redis Cluster too, where the key
layout puts the two in one slot (:class:`~sportsframe.cache.redis.layout.KeyLayout`).

Both readers of companions use this: :meth:`RedisTier.get_with_companion
<sportsframe.cache.redis.tier.RedisTier.get_with_companion>` on the event loop (the async
client: :func:`fetch_pairs` then returns an awaitable) and
:class:`~sportsframe.cache.redis.blocking.SyncHotReader` in the caller's thread (the blocking
client: the replies themselves). What each does with a miss, an expired entry or a value that
does not decode is its own policy; :func:`entry_with_companion` raises
:class:`~sportsframe.cache.codec.CodecError` for the last so that each can.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, overload

from sportsframe.cache.entry import entry_from_ipc
from sportsframe.cache.redis.layout import current_companion

if TYPE_CHECKING:
    from datetime import datetime

    import redis
    import redis.cluster
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.cache.entry import CacheEntry

__all__ = ["entry_with_companion", "fetch_pairs"]


@overload
def fetch_pairs(
    client: Redis | RedisCluster, names: list[str], cluster: bool
) -> Awaitable[list[bytes | None]]: ...


@overload
def fetch_pairs(
    client: redis.Redis | redis.cluster.RedisCluster, names: list[str], cluster: bool
) -> list[bytes | None]: ...


def fetch_pairs(client: Any, names: list[str], cluster: bool) -> Any:
    """The values of ``names`` (entries and companions in pairs, see :meth:`KeyLayout.pair
    <sportsframe.cache.redis.layout.KeyLayout.pair>`; None where absent) in one round trip: one
    MGET. A cluster's MGET reads one slot: a pair is in one (its hash tag), so one MGET; several
    pairs are split by slot, one MGET per slot, pipelined to each node. From an async client, an
    awaitable of them (the caller's one await)."""
    if cluster and len(names) > 2:
        return client.mget_nonatomic(names)
    return client.mget(names)


def entry_with_companion(
    raw: bytes, extra: bytes | None, now: datetime, include_stale: bool = False
) -> CacheEntry | None:
    """The entry stored as ``raw``, with ``companion`` set from ``extra`` (the value under its
    companion key, None when absent) when that is stamped for this very entry, else None; or
    None when the entry expired by ``now`` (unless ``include_stale``).

    Only the envelope is decoded now, the table when first asked for: a reader that found a
    current companion most likely never needs it. Raises :class:`~sportsframe.cache.codec.
    CodecError` when the envelope does not decode.
    """
    entry = entry_from_ipc(raw, lazy=True)
    if not include_stale and now >= entry.expires_at:
        return None
    if extra is not None:
        entry.companion = current_companion(extra, entry)
    return entry
