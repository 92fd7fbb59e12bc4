"""The answer to a cache call: the entry plus where it came from (provenance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sportsframe.cache.tier import CacheEntry

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Lookup"]


@dataclass(slots=True)
class Lookup:
    """The answer to a cache call, with its provenance.

    ``key`` is the key as stored (the registry key, prefixed ``emulator/`` for demo data);
    ``served_from`` the tier that answered: ``"hot"``, ``"warm"`` or ``"api"`` (a fresh upstream
    call), the values of :class:`~sportsframe.registry.ttl.CacheTier`; ``stale`` is True when
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
