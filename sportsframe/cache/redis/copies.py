"""Copies to the hot tier that never replace a newer entry: a Lua compare-and-set.

A copy of a warm hit to Redis races with other processes: between this process's warm read and
its copy, another may have refreshed the key, and a plain ``SET`` would put the older entry back.
``SET NX`` cannot tell the two apart either, since Redis keeps expired entries for the stale
grace window. So a copy runs :data:`COPY_SCRIPT`: it reads the 12-byte stamp held under the key
(an entry's trailer, a companion's head, see :mod:`sportsframe.cache.redis.layout`) with
GETRANGE, never the whole value, and writes only when nothing is held, the held value carries no
stamp, or its ``created_at`` is not newer than the copy's.

An entry and its companion go in one call: the companion is written only if its entry was (and
its own stamp is not newer), atomically. A script may touch the keys of one slot only; on a Redis
Cluster the key layout gives an entry and its companions one hash tag, so one slot
(:class:`~sportsframe.cache.redis.layout.KeyLayout`), and the call is the same as on one server.
The script is sent by
its SHA1 (EVALSHA), and in full (EVAL, which caches it again) only when the server answers that
it does not know it (a restart, ``SCRIPT FLUSH``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sportsframe.cache.redis.layout import (
    COMPANION_STAMP_BYTES,
    ENTRY_STAMP_BYTES,
    entry_stamp,
    entry_value,
    stamp,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.cache.entry import CacheEntry

__all__ = [
    "COPY_SCRIPT",
    "COPY_SHA",
    "HEAD",
    "TAIL",
    "Beside",
    "Copy",
    "copy_entry",
    "copy_many",
    "copy_one",
    "entry_copy",
]

#: Where a value keeps its stamp: an entry at its end, a companion at its start.
TAIL: Final = b"tail"
HEAD: Final = b"head"

# KEYS: the keys to copy to, the first one gating the others. ARGV, four per key: the value,
# PX milliseconds, the copy's stamp (4-byte magic + 8-byte big-endian microseconds), TAIL or
# HEAD. Returns 0, writing nothing, when a newer value is held under the first key; else 1,
# having written it and each other key whose held value is not newer. Lua compares strings by
# the server's locale, so the microseconds are compared as numbers (exact below 2**53, the year
# 2255).
COPY_SCRIPT: Final = """
local function micros(s)
  local n = 0
  for i = 5, 12 do n = n * 256 + string.byte(s, i) end
  return n
end
local function newer_held(key, mark, where)
  local held
  if where == 'tail' then
    held = redis.call('GETRANGE', key, -12, -1)
  else
    held = redis.call('GETRANGE', key, 0, 11)
  end
  return #held == 12 and string.sub(held, 1, 4) == string.sub(mark, 1, 4)
    and micros(held) > micros(mark)
end
for i, key in ipairs(KEYS) do
  local at = 4 * (i - 1)
  if not newer_held(key, ARGV[at + 3], ARGV[at + 4]) then
    redis.call('SET', key, ARGV[at + 1], 'PX', ARGV[at + 2])
  elseif i == 1 then
    return 0
  end
end
return 1
"""
#: The script's SHA1, as EVALSHA names it.
COPY_SHA: Final = hashlib.sha1(COPY_SCRIPT.encode()).hexdigest()

assert ENTRY_STAMP_BYTES == COMPANION_STAMP_BYTES == 12  # the script's GETRANGE bounds

#: A companion to copy with its entry: its name (or, to :func:`copy_entry`, its Redis key) and
#: its data.
Beside = tuple[str, bytes | memoryview]
#: One copy: the Redis key, the value, PX milliseconds, the copy's stamp, TAIL or HEAD.
Copy = tuple[str, bytes, int, bytes, bytes]


def entry_copy(rkey: str, entry: CacheEntry, px: int) -> Copy:
    """The copy of ``entry`` under the Redis key ``rkey`` for ``px`` milliseconds."""
    return (rkey, entry_value(entry), px, entry_stamp(entry.created_at), TAIL)


async def copy_entry(
    client: Redis | RedisCluster,
    rkey: str,
    entry: CacheEntry,
    px: int,
    companion: Beside | None = None,
) -> bool:
    """Copy ``entry`` to ``rkey`` and, only if that was written, its ``companion`` (its Redis
    key, in ``rkey``'s slot, and data), in one script call. True when the entry was written."""
    copies = [entry_copy(rkey, entry, px)]
    if companion is not None:
        head = stamp(entry.created_at)
        copies.append((companion[0], b"".join((head, companion[1])), px, head, HEAD))
    return await copy_one(client, copies)


def _unknown(exc: BaseException) -> bool:
    from redis.exceptions import NoScriptError

    return isinstance(exc, NoScriptError)


def _args(copies: Sequence[Copy]) -> list[Any]:
    keys = [copy[0] for copy in copies]
    return [len(copies), *keys, *(arg for copy in copies for arg in copy[1:])]


async def copy_one(client: Redis | RedisCluster, copies: Sequence[Copy]) -> bool:
    """Run the script once for ``copies`` (the first gating the others, all in one slot); True
    when the first was written."""
    from redis.exceptions import NoScriptError

    args = _args(copies)
    try:
        written: Any = await client.evalsha(COPY_SHA, *args)
    except NoScriptError:
        written = await client.eval(COPY_SCRIPT, *args)
    return bool(written)


async def copy_many(client: Redis | RedisCluster, copies: Sequence[Copy]) -> int:
    """Run the script for each copy on its own, in one non-transactional pipeline (those the
    server did not know the script for, again with EVAL); returns how many were written."""
    if not copies:
        return 0
    async with client.pipeline(transaction=False) as pipe:
        for copy in copies:
            pipe.evalsha(COPY_SHA, *_args([copy]))
        results: list[Any] = await pipe.execute(raise_on_error=False)
    written = 0
    for copy, result in zip(copies, results, strict=True):
        if isinstance(result, BaseException):
            if not _unknown(result):
                raise result
            written += await copy_one(client, [copy])
        else:
            written += bool(result)
    return written
