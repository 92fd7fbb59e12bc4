"""The cache specification's key-value API over the manager's read and write paths.

``get``, ``set`` and ``get_multiple`` are the names the specification gives a cache manager;
``lookup`` and ``get_table`` add provenance and the Arrow form. All of them read through the same
read plan as :meth:`~sportsframe.cache.manager.CacheManager.fetch` and never call the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sportsframe.cache.writes import WritePath
from sportsframe.registry.ttl import CacheDataType, Coverage

if TYPE_CHECKING:
    import pyarrow as pa

    from sportsframe.cache.entry import CacheEntry, Lookup

__all__ = ["SpecApi", "as_data_type"]


def as_data_type(value: CacheDataType | str) -> CacheDataType:
    """``value`` as a :class:`CacheDataType` (ValueError for an unknown one)."""
    return value if isinstance(value, CacheDataType) else CacheDataType(value)


class SpecApi(WritePath):
    """The specification's API of the cache manager, one of its parts:
    the state it works on is declared by :class:`~sportsframe.cache.core.ManagerCore`."""

    async def get(self, key: str, data_type: CacheDataType | str | None = None) -> Any | None:
        """The payload under ``key`` (hot, then warm with promotion); ``None`` on a miss.

        ``data_type`` is accepted for the spec's signature; expiry is the entry's own. An empty
        payload (``[]``) is a hit, returned as ``[]``.
        """
        found = await self.lookup(key)
        return None if found is None else found.entry.payload

    async def get_table(self, key: str) -> pa.Table | None:
        """The entry under ``key`` as an Arrow table (no JSON decoding on a hot hit)."""
        found = await self.lookup(key)
        return None if found is None else found.entry.table

    async def lookup(self, key: str, *, allow_expired: bool = False) -> Lookup | None:
        """The fresh entry under ``key`` with its provenance, or None (no loader is called).

        With ``allow_expired`` an expired entry still held by a tier is returned, flagged stale.
        """
        skey = self.storage_key(key)
        plan = await self.read((skey,))
        found = plan.found.get(skey)
        if found is None and allow_expired:
            found = plan.stale.get(skey)
            if found is not None:
                self.stats.stale_served += 1
        if found is None:
            self.stats.call_miss()
        else:
            self.stats.call_hit()
        return found

    async def set(
        self,
        key: str,
        value: Any,
        data_type: CacheDataType | str,
        *,
        season: int | None = None,
    ) -> None:
        """Write ``value`` through to both tiers with its data type's TTL (freshness rules)."""
        skey, dtype = self.storage_key(key), as_data_type(data_type)
        # A bare key says nothing of its games: its stats lines never make it final.
        entry = self._new_entry(skey, value, dtype, season, coverage=Coverage())
        await self._write(entry)

    async def get_multiple(
        self, keys: Iterable[str], data_type: CacheDataType | str | None = None
    ) -> dict[str, Any]:
        """Payloads of the keys found fresh (one round trip per tier), by the keys as given;
        missing keys are absent. Warm hits are copied to the hot tier before it returns."""
        given = {self.storage_key(k): k for k in keys}
        promote: list[CacheEntry] = []
        plan = await self.read(list(given), promote_now=promote)
        await self.promoter.many(promote)
        out: dict[str, Any] = {}
        for skey, key in given.items():
            found = plan.found.get(skey)
            if found is None:
                self.stats.call_miss()
            else:
                self.stats.call_hit()
                out[key] = found.entry.payload
        return out
