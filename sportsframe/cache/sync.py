"""The blocking twin of the cache manager, for scripts (no second copy of the logic)."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from sportsframe.loop import run_sync

if TYPE_CHECKING:
    import pyarrow as pa

    from sportsframe.cache.entry import Lookup
    from sportsframe.cache.loading import Loader
    from sportsframe.cache.manager import CacheManager
    from sportsframe.registry import BoundCall
    from sportsframe.registry.ttl import CacheDataType

__all__ = ["SyncCacheManager"]

T = TypeVar("T")


class SyncCacheManager:
    """Blocking twin of :class:`CacheManager` for scripts: each method runs the async one on
    sportsframe's background loop (:func:`sportsframe.loop.run_sync`)."""

    def __init__(self, manager: CacheManager) -> None:
        self._manager = manager

    @staticmethod
    def _run(coro: Coroutine[Any, Any, T]) -> T:
        return run_sync(coro)

    def get(self, key: str, data_type: CacheDataType | str | None = None) -> Any | None:
        """See :meth:`CacheManager.get`."""
        return self._run(self._manager.get(key, data_type))

    def lookup(self, key: str, *, allow_expired: bool = False) -> Lookup | None:
        """See :meth:`CacheManager.lookup`."""
        return self._run(self._manager.lookup(key, allow_expired=allow_expired))

    def get_table(self, key: str) -> pa.Table | None:
        """See :meth:`CacheManager.get_table`."""
        return self._run(self._manager.get_table(key))

    def set(
        self, key: str, value: Any, data_type: CacheDataType | str, *, season: int | None = None
    ) -> None:
        """See :meth:`CacheManager.set`."""
        self._run(self._manager.set(key, value, data_type, season=season))

    def get_multiple(
        self, keys: Iterable[str], data_type: CacheDataType | str | None = None
    ) -> dict[str, Any]:
        """See :meth:`CacheManager.get_multiple`."""
        return self._run(self._manager.get_multiple(keys, data_type))

    def fetch(
        self,
        call_or_key: BoundCall | str,
        data_type: CacheDataType | str | None = None,
        loader: Loader | None = None,
        **options: Any,
    ) -> Lookup:
        """See :meth:`CacheManager.fetch`."""
        return self._run(self._manager.fetch(call_or_key, data_type, loader, **options))

    def invalidate(self, pattern: str) -> int:
        """See :meth:`CacheManager.invalidate`."""
        return self._run(self._manager.invalidate(pattern))

    def drop_hot(self, key: str) -> bool:
        """See :meth:`CacheManager.drop_hot`."""
        return self._run(self._manager.drop_hot(key))

    def settle(self, key: str | None = None) -> None:
        """See :meth:`CacheManager.settle`."""
        self._run(self._manager.settle(key))

    def enforce_max_size(self) -> int:
        """See :meth:`CacheManager.enforce_max_size`."""
        return self._run(self._manager.enforce_max_size())

    def get_stats(self) -> dict[str, Any]:
        """See :meth:`CacheManager.get_stats`."""
        return self._manager.get_stats()

    def cleanup_expired(self) -> int:
        """See :meth:`CacheManager.cleanup_expired`."""
        return self._run(self._manager.cleanup_expired())

    def analyze_cache_efficiency(self) -> list[Any]:
        """See :meth:`CacheManager.analyze_cache_efficiency`."""
        return self._run(self._manager.analyze_cache_efficiency())

    def close(self) -> None:
        """See :meth:`CacheManager.close`."""
        self._run(self._manager.close())
