"""Entries read together with their companions: the one round trip and the decoding of its replies.

Both readers of companions use this: :meth:`RedisTier.get_with_companion
<sportsframe.cache.redis.tier.RedisTier.get_with_companion>` on the event loop (the async
client: :func:`fetch_pairs` then returns an awaitable) and
:class:`~sportsframe.cache.redis.blocking.SyncHotReader` in the caller's thread (the blocking
client: the replies themselves). What each does with a miss, an expired entry or a value that
does not decode is its own policy; :func:`entry_with_companion` raises
:class:`~sportsframe.cache.codec.CodecError` for the last so that each can.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, overload

from sportsframe.cache.entry import entry_from_ipc
from sportsframe.cache.redis.layout import companion_prefix, current_companion, entry_prefix

if TYPE_CHECKING:
    from datetime import datetime

    import redis
    import redis.cluster
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.cache.entry import CacheEntry

__all__ = ["entry_with_companion", "fetch_pairs", "pair_keys"]


def pair_keys(namespace: str, companion: str, keys: Sequence[str]) -> list[str]:
    """The Redis keys of ``keys`` (public keys) and of their companions named ``companion``,
    in pairs: ``[entry 0, companion 0, entry 1, companion 1, ...]``."""
    prefix, cprefix = entry_prefix(namespace), companion_prefix(namespace, companion)
    return [name for key in keys for name in (prefix + key, cprefix + key)]


@overload
def fetch_pairs(
    client: Redis | RedisCluster, names: list[str], cluster: bool
) -> Awaitable[list[bytes | None]]: ...


@overload
def fetch_pairs(
    client: redis.Redis | redis.cluster.RedisCluster, names: list[str], cluster: bool
) -> list[bytes | None]: ...


def fetch_pairs(client: Any, names: list[str], cluster: bool) -> Any:
    """The values of ``names`` (None where absent) in one round trip: MGET, or on a cluster
    a non-transactional pipeline of GETs (an entry and its companion may live in different
    slots). From an async client, an awaitable of them (the caller's one await)."""
    if cluster:
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.get(name)
        return pipe.execute()  # resets the pipeline whether it succeeds or not
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
