"""The tiers and locks the settings describe: the one place that knows the concrete tiers.

Hot: Redis if it answers (probed once, ≤ 200 ms), else the in-process memory tier with a one-line
notice; ``REDIS_HOST=""`` turns Redis off. Warm: the SQL tier at DATABASE_URL, or the embedded
SQLite file under SPORTSFRAME_HOME. Locks: Redis when the hot tier is Redis, then a PostgreSQL
advisory lock when the warm tier is PostgreSQL, then a file lock under SPORTSFRAME_HOME.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sportsframe.cache.locks import (
    AdvisoryLock,
    CrossProcessLock,
    FileLockBackend,
    LockBackend,
    RedisLock,
)
from sportsframe.cache.tier import Tier, redis_backed, sql_backed

if TYPE_CHECKING:
    from sportsframe.cache.breaker import CircuitBreaker
    from sportsframe.clock import Clock
    from sportsframe.settings import Settings

__all__ = ["default_locks", "hot_tier", "warm_tier"]

log = logging.getLogger("sportsframe.cache")


def hot_tier(settings: Settings, clock: Clock) -> Tier:
    """Redis when it is configured and answers, else the in-process memory tier."""
    from sportsframe.cache.memory import MemoryTier
    from sportsframe.cache.redis.client import probe
    from sportsframe.cache.redis.tier import RedisTier

    if not settings.redis_enabled:
        return MemoryTier(settings.cache_max_size, clock)
    if probe(settings, timeout=0.2):
        return RedisTier.from_settings(settings, clock)
    where = f"{settings.redis_host}:{settings.redis_port}"
    if settings.redis_url_override is not None:
        where = "REDIS_URL"
    log.warning("Redis is not reachable at %s; using the in-process hot tier", where)
    return MemoryTier(settings.cache_max_size, clock)


def warm_tier(settings: Settings, clock: Clock) -> Tier:
    """The SQL tier at DATABASE_URL, or the embedded SQLite file under SPORTSFRAME_HOME."""
    from sportsframe.cache.sql.tier import SqlTier

    return SqlTier.from_settings(settings, clock)


def default_locks(
    settings: Settings,
    hot: Tier | None,
    warm: Tier | None,
    hot_breaker: CircuitBreaker,
    warm_breaker: CircuitBreaker,
) -> CrossProcessLock:
    """The cross-process lock over the servers the tiers already use (see the module docstring).

    A lock call to a dead server counts toward that tier's breaker like any other call.
    """
    backends: list[tuple[LockBackend, CircuitBreaker | None]] = []
    redis, sql = redis_backed(hot), sql_backed(warm)
    namespace = redis.namespace if redis is not None else settings.namespace
    # Lock names sit beside the namespace, not inside it, so that invalidate("*") (a SCAN of the
    # namespace) never sees or deletes a live lock.
    prefix = f"{namespace}~lock:"
    if redis is not None:
        backends.append((RedisLock(redis.client, prefix), hot_breaker))
    if sql is not None and sql.engine.dialect.name == "postgresql":
        backends.append((AdvisoryLock(sql.engine, prefix), warm_breaker))
    backends.append((FileLockBackend(settings.home / "locks", prefix), None))
    return CrossProcessLock(backends)
