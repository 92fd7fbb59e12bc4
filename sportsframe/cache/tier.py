"""The Tier protocol every cache tier implements, and the entry they store.

A tier stores :class:`CacheEntry` objects under *public* keys (``player_props:2024:18:True``, or
``emulator/player_props:2024:18:True`` for demo data); namespacing (``sportsframe:v1:``) is the
tier's business. Tiers keep an entry past its ``expires_at`` for the stale grace window so that
stale-if-error has something to serve: ``get`` hides expired entries unless asked for them, and
entries older than ``expires_at + grace`` are gone (Redis expires them natively; the SQL tier's
``cleanup`` deletes them). Expiry is always judged by the tier's injected clock, never by a
server's own idea of time, so TTL tests move a clock instead of sleeping.

A tier that cannot reach its server raises :class:`TierUnavailable`; the cache manager turns that
into a miss and feeds its circuit breaker. Every other exception is a bug.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sportsframe.errors import CacheUnavailableError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MISSING",
    "CacheEntry",
    "CompanionTier",
    "EntryNotLoadedError",
    "Tier",
    "TierUnavailable",
    "error_reason",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class EntryNotLoadedError(RuntimeError):
    """A deferred entry's payload was asked for before ``await entry.load()``."""


class TierUnavailable(CacheUnavailableError):  # noqa: N818 - a state, like ConnectionRefused
    """The tier's server could not be reached or did not answer in time.

    The manager turns it into a miss on reads; where it escapes (the report, cleanup), it is the
    public :class:`~sportsframe.errors.CacheUnavailableError`.
    """

    def __init__(self, tier: str, reason: str):
        self.tier = tier
        super().__init__(f"{tier} tier unavailable: {reason}")


def error_reason(exc: BaseException, secret: str = "") -> str:
    """A one-line reason for TierUnavailable or a log line: the error's type and the first line
    of its message, ``secret`` (a password) masked.

    A wrapped driver error (SQLAlchemy's ``orig``) speaks for itself: SQLAlchemy's own message
    carries the statement and its parameters.
    """
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    first = text.splitlines()[0][:200] if text else ""
    if secret:
        first = first.replace(secret, "***")
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


@dataclass(eq=False)
class CacheEntry:
    """One cached API payload with its envelope.

    An entry holds the payload in up to three forms and converts lazily between them, so each
    tier pays only for the form it reads: ``payload`` (JSON-compatible Python object, the source
    of truth), ``table`` (the Arrow table, one row per record) and ``ipc`` (the encoded Arrow IPC
    stream, exactly the Redis value). Conversions live in :mod:`sportsframe.cache.codec`.
    """

    key: str
    data_type: str
    created_at: datetime
    expires_at: datetime
    source: str = "sportsdataio"
    hit_count: int = 0
    last_hit_at: datetime | None = None
    _payload: Any = field(default=MISSING, repr=False)
    _table: pa.Table | None = field(default=None, repr=False)
    _ipc: bytes | None = field(default=None, repr=False)
    #: A value derived from this very entry and kept beside it (see :class:`CompanionTier`),
    #: set by a read that asked for one and found it current; None otherwise.
    companion: bytes | memoryview | None = field(default=None, repr=False)
    #: Set on a *deferred* entry (a companion read that skipped the payload): fetches the IPC
    #: stream of this very entry, or None once the tier holds another version. See :meth:`load`.
    _loader: Callable[[], Awaitable[bytes | None]] | None = field(default=None, repr=False)

    async def load(self) -> bool:
        """Make sure the payload is at hand: a deferred entry fetches it now (once). False when
        it can no longer be had (the tier has replaced or removed this version since)."""
        loader = self._loader
        if loader is None:
            return True
        ipc = await loader()
        if ipc is None:
            return False
        self._ipc, self._loader = ipc, None
        return True

    @property
    def deferred(self) -> bool:
        """True until :meth:`load` has fetched a deferred entry's payload."""
        return self._loader is not None

    @property
    def payload(self) -> Any:
        """The payload as the API served it (decoded from the table when needed)."""
        if self._payload is MISSING:
            import sportsframe.cache.codec as codec

            self._payload = codec.table_to_payload(self.table)
        return self._payload

    @property
    def table(self) -> pa.Table:
        """The payload as an Arrow table with the envelope in its schema metadata."""
        if self._table is None:
            import sportsframe.cache.codec as codec

            if self._loader is not None:
                raise EntryNotLoadedError(f"{self.key}: await entry.load() first")
            if self._ipc is not None:
                self._table = codec.decode(self._ipc)
            else:
                self._table = codec.payload_to_table(self._payload, codec.envelope_of(self))
        return self._table

    @property
    def ipc(self) -> bytes:
        """The Arrow IPC stream bytes (the hot tier's value)."""
        if self._ipc is None and self._loader is not None:
            raise EntryNotLoadedError(f"{self.key}: await entry.load() first")
        if self._ipc is None:
            import sportsframe.cache.codec as codec

            self._ipc = codec.encode(self.table)
        return self._ipc

    def has_payload(self) -> bool:
        """True when the JSON payload is already decoded (no conversion needed)."""
        return self._payload is not MISSING

    def is_expired(self, now: datetime) -> bool:
        """True once ``now`` is at or past ``expires_at``."""
        return now >= self.expires_at

    def remaining_ttl(self, now: datetime) -> float:
        """Seconds until expiry (negative once expired)."""
        return (self.expires_at - now).total_seconds()

    @classmethod
    def from_payload(
        cls,
        key: str,
        payload: Any,
        *,
        data_type: str,
        created_at: datetime,
        expires_at: datetime,
        source: str = "sportsdataio",
    ) -> CacheEntry:
        """A new entry for a payload just received from the API."""
        return cls(key, data_type, created_at, expires_at, source, _payload=payload)


@runtime_checkable
class Tier(Protocol):
    """What the cache manager needs of a tier. All methods may raise :class:`TierUnavailable`."""

    #: ``"hot"`` or ``"warm"``: the label in stats, metrics and logs.
    name: str

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key``; ``None`` if absent or expired (unless ``include_stale``)."""
        ...

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys that are present (one round trip where the server allows)."""
        ...

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """Store ``entry`` until it expires, then ``grace`` seconds more for stale reads."""
        ...

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Store several entries (pipelined / one transaction)."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove one key; True if it existed."""
        ...

    async def invalidate(self, pattern: str) -> int:
        """Remove every key matching the Redis-style glob ``pattern``; returns how many."""
        ...

    async def keys(self, pattern: str = "*") -> list[str]:
        """Public keys matching ``pattern`` (expired-but-kept entries included)."""
        ...

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry expires (negative if expired but kept); None if absent."""
        ...

    async def cleanup(self, grace: float = 0.0) -> int:
        """Delete entries expired for longer than ``grace`` seconds; returns how many."""
        ...

    async def ping(self) -> bool:
        """True when the server answers (used to close a circuit breaker)."""
        ...

    async def close(self) -> None:
        """Release connections (flushes pending writes first)."""
        ...


@runtime_checkable
class CompanionTier(Protocol):
    """A tier that keeps *companions*: values derived from an entry, stored beside it.

    The facade keeps the finished frame of an entry this way, so a hot hit skips rebuilding it.
    A companion is stamped with its entry's ``created_at`` and served only while that same entry
    is the one stored: an entry rewritten by a refresh, a reload or another process makes its old
    companions invisible at once, with no coordinated delete. Companions expire with their entry.
    """

    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        """As ``get``, and with ``entry.companion`` set when a current companion is stored.

        An entry that comes with its companion may be *deferred*: its metadata is set, its
        payload is fetched by ``await entry.load()`` (a reader that wants only the companion
        then never pays for the payload)."""
        ...

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        """Store ``data`` as ``entry``'s companion named ``companion``, expiring with it."""
        ...
