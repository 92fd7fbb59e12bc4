"""Where the hot tier keeps things in Redis: key names, the companion stamp, PX milliseconds.

No client here, only names and bytes. On one server an entry lives under
``{namespace}:{public key}``; its companions (values derived from it, see
:class:`~sportsframe.cache.tier.CompanionTier`) under ``{namespace}#{companion}:{public key}``,
outside the ``{namespace}:`` keyspace that SCAN-based operations walk.

On a Redis Cluster (:class:`KeyLayout` with ``cluster=True``) an entry and its companions must
share a slot, so that they are read in one MGET and copied in one script call: there the public
key follows a hash tag in braces, :func:`hash_tag` of the public key (eight hex digits of its
BLAKE2b digest). ``odds:2024:18`` is stored under ``sportsframe:v1:{395cbf0a}odds:2024:18``, its
frame under ``sportsframe:v1#frame-odds-1:{395cbf0a}odds:2024:18``, both in the slot of
``395cbf0a``. The key's own text as the tag (``{odds:2024:18}``) would need a second form for
keys holding a brace (Redis hashes from the first ``{`` to the first ``}`` after it) or none (an
empty tag hashes the whole name), and two forms would make SCAN patterns ambiguous; a digest has
a fixed length and no brace, and spreads the keys over the slots. SCAN patterns stay exact: eight
``?`` for the tag, then the public key's glob. A namespace holding a brace would move the tag, so
a cluster refuses one.

A companion's value starts with a 12-byte stamp (``SFC1`` + the entry's ``created_at`` in
microseconds) that a read compares with the entry it returns, so a companion written from an older
version of the entry is never served.

An entry's value is its Arrow IPC stream followed by a 12-byte *trailer* of the same form
(``SFE1`` + ``created_at``): Arrow's stream reader stops at the end-of-stream marker, so every
reader opens the value as before, and a server-side script can compare the trailer without
decoding the envelope (see :mod:`sportsframe.cache.redis.copies`). A value without one (written
before trailers existed) still reads; a copy treats it as older.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from sportsframe.errors import ConfigurationError
from sportsframe.registry.glob import escape

if TYPE_CHECKING:
    from sportsframe.cache.entry import CacheEntry

__all__ = [
    "COMPANION_STAMP_BYTES",
    "ENTRY_STAMP_BYTES",
    "TAG_CHARS",
    "KeyLayout",
    "companion_match",
    "companion_prefix",
    "current_companion",
    "entry_prefix",
    "entry_stamp",
    "entry_value",
    "hash_tag",
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


def companion_match(namespace: str, pattern: str) -> str:
    """A SCAN MATCH glob for the companions, of any name, of the public keys matching
    ``pattern``."""
    return escape(f"{namespace}#") + "*:" + pattern


#: Hex digits of the hash tag that puts a public key's values in one slot of a cluster.
TAG_CHARS: Final = 8


def hash_tag(key: str) -> str:
    """The hash tag of the public key ``key`` on a cluster: :data:`TAG_CHARS` hex digits of its
    digest (never empty, never a brace, the same for the entry and each companion)."""
    return hashlib.blake2b(key.encode(), digest_size=TAG_CHARS // 2).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyLayout:
    """The Redis key names of one namespace's entries and companions, on one server or on a
    cluster (see the module docstring): the one place both readers and the tier name keys.

    Raises:
        ConfigurationError: a cluster's namespace holds ``{`` or ``}`` (it would set the tag).
    """

    namespace: str
    cluster: bool = False

    def __post_init__(self) -> None:
        if self.cluster and any(ch in self.namespace for ch in "{}"):
            raise ConfigurationError(
                "on a Redis Cluster the namespace must not contain braces (they set hash tags)"
            )

    def _tagged(self, key: str) -> str:
        # The public key behind its tag on a cluster; as it is on one server.
        return f"{{{hash_tag(key)}}}{key}" if self.cluster else key

    def entry(self, key: str) -> str:
        """The Redis key of the entry under the public key ``key``."""
        return entry_prefix(self.namespace) + self._tagged(key)

    def companion(self, companion: str, key: str) -> str:
        """The Redis key of ``key``'s companion named ``companion`` (in its entry's slot on a
        cluster)."""
        return companion_prefix(self.namespace, companion) + self._tagged(key)

    def pair(self, companion: str, keys: Sequence[str]) -> list[str]:
        """The Redis keys of ``keys`` and of their companions named ``companion``, in pairs:
        ``[entry 0, companion 0, entry 1, companion 1, ...]``."""
        return [name for key in keys for name in (self.entry(key), self.companion(companion, key))]

    def public(self, rkey: bytes | str) -> str:
        """The public key of the entry stored under ``rkey`` (a key :meth:`entry` made)."""
        text = rkey.decode() if isinstance(rkey, bytes) else rkey
        skip = len(self.namespace) + 1 + (TAG_CHARS + 2 if self.cluster else 0)
        return text[skip:]

    def _tag_match(self) -> str:
        # Any tag: its length is fixed, so the public key's glob starts right after it.
        return escape("{") + "?" * TAG_CHARS + escape("}") if self.cluster else ""

    def entry_match(self, pattern: str) -> str:
        """A SCAN MATCH glob for the entries whose public keys match ``pattern``."""
        return escape(entry_prefix(self.namespace)) + self._tag_match() + pattern

    def companion_match(self, pattern: str) -> str:
        """A SCAN MATCH glob for the companions, of any name, of the public keys matching
        ``pattern``."""
        return companion_match(self.namespace, self._tag_match() + pattern)


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
