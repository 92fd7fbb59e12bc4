"""The cache entry (one API payload with its envelope) and the answer to a cache call.

An entry holds its payload in up to three forms and converts lazily between them (see
:class:`CacheEntry`); the conversions are :mod:`sportsframe.cache.codec`'s. A :class:`Lookup` is
an entry with its provenance: the tier that served it and whether it was stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sportsframe.cache import codec

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["MISSING", "CacheEntry", "CacheTier", "EntryNotLoadedError", "Lookup", "entry_from_ipc"]


class CacheTier(Enum):
    """Where an answer came from: the values of :attr:`Lookup.served_from` (and ``l0`` in a
    frame's ``attrs``)."""

    L0 = "l0"
    HOT = "hot"
    WARM = "warm"
    API = "api"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class EntryNotLoadedError(RuntimeError):
    """A deferred entry's payload was asked for before ``await entry.load()``."""


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
            self._payload = codec.table_to_payload(self.table)
        return self._payload

    @property
    def table(self) -> pa.Table:
        """The payload as an Arrow table with the envelope in its schema metadata."""
        if self._table is None:
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


def entry_from_ipc(
    value: bytes,
    *,
    hit_count: int = 0,
    last_hit_at: datetime | None = None,
    lazy: bool = False,
) -> CacheEntry:
    """A :class:`CacheEntry` decoded from a stream (its table and bytes both set, payload lazy).

    With ``lazy`` only the schema message (the envelope) is read now and the table when first
    asked for: for a reader that will most likely not need it (a hot hit that brought a current
    companion).

    Raises :class:`~sportsframe.cache.codec.CodecError` if the stream (or, lazily, its envelope)
    does not decode.
    """
    table = None if lazy else codec.decode(value)
    env = codec.read_envelope(value if table is None else table)
    return CacheEntry(
        env.key,
        env.data_type,
        env.created_at,
        env.expires_at,
        env.source,
        hit_count,
        last_hit_at,
        _table=table,
        _ipc=bytes(value),
    )


@dataclass(slots=True)
class Lookup:
    """The answer to a cache call, with its provenance.

    ``key`` is the key as stored (the registry key, prefixed ``emulator/`` for demo data);
    ``served_from`` the tier that answered: ``"hot"``, ``"warm"`` or ``"api"`` (a fresh upstream
    call), the values of :class:`CacheTier`; ``stale`` is True when
    the entry had expired (stale-if-error or offline); ``shared`` when this call joined
    another caller's in-flight lookup.
    """

    key: str
    entry: CacheEntry
    served_from: str
    stale: bool = False
    shared: bool = False

    @property
    def payload(self) -> Any:
        """The payload as the API served it."""
        return self.entry.payload

    @property
    def table(self) -> pa.Table:
        """The payload as an Arrow table (one row per record, envelope in schema metadata)."""
        return self.entry.table

    @property
    def fetched_at(self) -> datetime:
        """When the payload was received from the API."""
        return self.entry.created_at

    @property
    def expires_at(self) -> datetime:
        """When the entry stops being fresh."""
        return self.entry.expires_at

    @property
    def source(self) -> str:
        """``sportsdataio`` or ``emulator``."""
        return self.entry.source

    def provenance(self) -> dict[str, Any]:
        """served_from, key, fetched_at, expires_at, stale, source (for ``df.attrs``)."""
        return {
            "served_from": self.served_from,
            "key": self.key,
            "fetched_at": self.entry.created_at,
            "expires_at": self.entry.expires_at,
            "stale": self.stale,
            "source": self.entry.source,
        }
