"""Where the hot tier keeps things in Redis: key names, the companion stamp, PX milliseconds.

Pure functions, no client. An entry lives under ``{namespace}:{public key}``; its companions
(values derived from it, see :class:`~sportsframe.cache.tier.CompanionTier`) under
``{namespace}#{companion}:{public key}``, outside the ``{namespace}:`` keyspace that SCAN-based
operations walk. A companion's value starts with a 12-byte stamp (``SFC1`` + the entry's
``created_at`` in microseconds) that a read compares with the entry it returns, so a companion
written from an older version of the entry is never served.

An entry's value is its Arrow IPC stream followed by a 12-byte *trailer* of the same form
(``SFE1`` + ``created_at``): Arrow's stream reader stops at the end-of-stream marker, so every
reader opens the value as before, and a server-side script can compare the trailer without
decoding the envelope (see :mod:`sportsframe.cache.redis.copies`). A value without one (written
before trailers existed) still reads; a copy treats it as older.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from sportsframe.registry.glob import escape

if TYPE_CHECKING:
    from sportsframe.cache.entry import CacheEntry

__all__ = [
    "COMPANION_STAMP_BYTES",
    "ENTRY_STAMP_BYTES",
    "companion_key",
    "companion_match",
    "companion_prefix",
    "current_companion",
    "entry_prefix",
    "entry_stamp",
    "entry_value",
    "namespace_of",
    "px_ms",
    "stamp",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAMP = struct.Struct(">4sq")
_STAMP_MAGIC = b"SFC1"
_ENTRY_MAGIC = b"SFE1"
#: Bytes before a companion's data in its Redis value (magic + the entry's created_at).
COMPANION_STAMP_BYTES: Final = _STAMP.size
#: Bytes after an entry's IPC stream in its Redis value (magic + its created_at).
ENTRY_STAMP_BYTES: Final = _STAMP.size


def namespace_of(namespace: str) -> str:
    """The namespace as keys use it: ``sportsframe:v1:`` and ``sportsframe:v1`` are one."""
    return namespace.rstrip(":")


def entry_prefix(namespace: str) -> str:
    """What every entry key of ``namespace`` starts with (the public key follows)."""
    return f"{namespace}:"


def companion_prefix(namespace: str, companion: str) -> str:
    """What every key of the companions named ``companion`` starts with (the public key
    follows)."""
    return f"{namespace}#{companion}:"


def companion_key(namespace: str, companion: str, key: str) -> str:
    """The Redis key of ``key``'s companion named ``companion`` (outside ``{namespace}:``)."""
    return companion_prefix(namespace, companion) + key


def companion_match(namespace: str, pattern: str) -> str:
    """A SCAN MATCH glob for the companions, of any name, of the public keys matching
    ``pattern``."""
    return escape(f"{namespace}#") + "*:" + pattern


def stamp(created_at: datetime) -> bytes:
    """The stamp that starts a companion of the entry created at ``created_at``."""
    return _STAMP.pack(_STAMP_MAGIC, _micros(created_at))


def _micros(created_at: datetime) -> int:
    return (created_at - _EPOCH) // timedelta(microseconds=1)


def entry_stamp(created_at: datetime) -> bytes:
    """The trailer that ends the Redis value of the entry created at ``created_at``."""
    return _STAMP.pack(_ENTRY_MAGIC, _micros(created_at))


def entry_value(entry: CacheEntry) -> bytes:
    """The Redis value of ``entry``: its IPC stream, then its trailer. A stream read from Redis
    keeps the trailer it came with; that one is replaced, never doubled."""
    ipc = entry.ipc
    if ipc[-_STAMP.size : -_STAMP.size + 4] == _ENTRY_MAGIC:
        return b"".join((memoryview(ipc)[: -_STAMP.size], entry_stamp(entry.created_at)))
    return b"".join((ipc, entry_stamp(entry.created_at)))


def current_companion(value: bytes, entry: CacheEntry) -> memoryview | None:
    """The companion's data if ``value`` is stamped for ``entry`` (else None: a stale one)."""
    if len(value) < _STAMP.size or value[: _STAMP.size] != stamp(entry.created_at):
        return None
    return memoryview(value)[_STAMP.size :]


def px_ms(seconds: float) -> int:
    """``SET ... PX`` milliseconds for ``seconds``, rounded up (a value never leaves early)."""
    return math.ceil(seconds * 1000)
