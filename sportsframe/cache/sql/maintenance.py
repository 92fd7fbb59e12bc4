"""The warm tier's upkeep: hit counts, expiry cleanup, the size cap, the row count.

Functions of a :class:`~sportsframe.cache.sql.tier.SqlTier`, whose methods of the same names
call them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import Integer, bindparam, case, delete, func, or_, select, update

from sportsframe.cache.sql.schema import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from sportsframe.cache.sql.tier import SqlTier

__all__ = ["BATCH_SIZE", "CLEANUP_BATCH", "cleanup", "count", "enforce_max_size", "record_hits"]

#: Keys per statement in get_many, invalidate and record_hits.
BATCH_SIZE: Final = 500
#: Rows deleted per transaction by cleanup (short transactions, short locks).
CLEANUP_BATCH: Final = 5000


async def record_hits(tier: SqlTier, hits: Mapping[str, tuple[int, datetime]]) -> None:
    """Add each key's count to ``hit_count`` and move ``last_hit_at`` forward (batched UPDATEs
    in one transaction; keys without a row are ignored)."""
    if not hits:
        return
    t = tier.table
    at = bindparam("b_at", type_=UTCDateTime())
    stmt = (
        update(t)
        .where(t.c.key == bindparam("b_key"))
        .values(
            hit_count=func.coalesce(t.c.hit_count, 0) + bindparam("b_n", type_=Integer),
            # another process may have recorded a later hit already
            last_hit_at=case(
                (or_(t.c.last_hit_at.is_(None), t.c.last_hit_at < at), at),
                else_=t.c.last_hit_at,
            ),
        )
    )
    params = [{"b_key": k, "b_n": n, "b_at": when} for k, (n, when) in sorted(hits.items())]

    async def work(conn: AsyncConnection) -> None:
        for start in range(0, len(params), BATCH_SIZE):
            await conn.execute(stmt, params[start : start + BATCH_SIZE])

    await tier._run(work)


async def cleanup(tier: SqlTier, grace: float = 0.0) -> int:
    """Delete rows expired for longer than ``grace`` seconds, :data:`CLEANUP_BATCH` per
    transaction, then the companions expired or left without their entry; returns how many
    rows."""
    t = tier.table
    cutoff = tier.clock.now() - timedelta(seconds=grace)
    ids = select(t.c.id).where(t.c.expires_at < cutoff).limit(CLEANUP_BATCH)
    stmt = delete(t).where(t.c.id.in_(ids.scalar_subquery()))

    async def work(conn: AsyncConnection) -> int:
        return (await conn.execute(stmt)).rowcount

    removed = 0
    while True:
        deleted = await tier._run(work)
        removed += deleted
        if deleted < CLEANUP_BATCH:
            break
    await _cleanup_companions(tier, cutoff)
    return removed


async def _cleanup_companions(tier: SqlTier, cutoff: datetime) -> None:
    """Delete companions expired before ``cutoff`` or left without their entry version."""
    c, t = tier.companions, tier.table
    current = select(t.c.id).where(t.c.key == c.c.key, t.c.created_at == c.c.created_at).exists()
    stmt = delete(c).where(or_(c.c.expires_at < cutoff, ~current))

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(stmt)

    await tier._run(work)


async def enforce_max_size(tier: SqlTier, max_entries: int, *, grace: float = 0.0) -> int:
    """Evict rows beyond ``max_entries``: rows expired for longer than ``grace`` first, then the
    least recently hit (never-hit rows by their creation time); returns how many."""
    t = tier.table
    cutoff = tier.clock.now() - timedelta(seconds=grace)

    async def work(conn: AsyncConnection) -> int:
        total = (await conn.execute(select(func.count()).select_from(t))).scalar_one()
        excess = int(total) - max_entries
        if excess <= 0:
            return 0
        victims = (
            select(t.c.id)
            .order_by(
                case((t.c.expires_at < cutoff, 0), else_=1),
                func.coalesce(t.c.last_hit_at, t.c.created_at),
                t.c.id,
            )
            .limit(excess)
        )
        return (await conn.execute(delete(t).where(t.c.id.in_(victims.scalar_subquery())))).rowcount

    return await tier._run(work, limit=max(tier.operation_timeout, 60.0))


async def count(tier: SqlTier) -> int:
    """How many rows the table holds (expired included)."""
    t = tier.table

    async def work(conn: AsyncConnection) -> int:
        return int((await conn.execute(select(func.count()).select_from(t))).scalar_one())

    return await tier._run(work)
