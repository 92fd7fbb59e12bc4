"""The warm tier's efficiency report: per data type, entries, hits and bytes stored."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, case, func, select

from sportsframe.cache.sql.dialect import json_bytes
from sportsframe.cache.sql.schema import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from sportsframe.cache.sql.tier import SqlTier

__all__ = ["EfficiencyRow", "TypeEfficiency", "analyze_efficiency", "efficiency_report"]


class EfficiencyRow(NamedTuple):
    """One line of the spec's efficiency report (per data type)."""

    data_type: str
    entries: int
    avg_hits: float
    last_access: datetime | None


class TypeEfficiency(NamedTuple):
    """One data type's line of the extended efficiency report (see :func:`efficiency_report`)."""

    data_type: str
    entries: int
    live: int
    expired: int
    avg_hits: float
    total_hits: int
    last_hit: datetime | None
    payload_bytes: int
    arrow_bytes: int
    frame_bytes: int


async def analyze_efficiency(tier: SqlTier) -> list[EfficiencyRow]:
    """The spec's report: entries, average hits and last access per data type (the first
    columns of :func:`efficiency_report`)."""
    return [
        EfficiencyRow(row.data_type, row.entries, row.avg_hits, row.last_hit)
        for row in await efficiency_report(tier)
    ]


async def efficiency_report(tier: SqlTier, now: datetime | None = None) -> list[TypeEfficiency]:
    """The spec's ``analyze_cache_efficiency`` query extended, in one statement: per data type
    (sorted), the entries, how many are live and expired at ``now`` (default: the tier's clock;
    expired means ``expires_at <= now``, as reads judge it), average and total ``hit_count``,
    the last hit, and the bytes stored: the JSON payload, the Arrow copy and the companions
    (finished frames) of the entries' current versions. Every source's rows are counted. Hits
    still pending in a write-behind buffer are not in the table."""
    t, c = tier.table, tier.companions
    at = bindparam("now", now or tier.clock.now(), type_=UTCDateTime())
    # Per entry version (key, created_at): at most one row, so the join repeats no entry.
    frames = (
        select(c.c.key, c.c.created_at, func.sum(func.length(c.c.data)).label("nbytes"))
        .group_by(c.c.key, c.c.created_at)
        .subquery("frames")
    )
    joined = t.outerjoin(
        frames, (frames.c.key == t.c.key) & (frames.c.created_at == t.c.created_at)
    )

    def total(value: Any, label: str) -> Any:
        return func.coalesce(func.sum(value), 0).label(label)

    query = (
        select(
            t.c.data_type,
            func.count(t.c.id).label("entries"),
            total(case((t.c.expires_at > at, 1), else_=0), "live"),
            total(case((t.c.expires_at > at, 0), else_=1), "expired"),
            func.avg(t.c.hit_count).label("avg_hits"),
            total(t.c.hit_count, "total_hits"),
            func.max(t.c.last_hit_at).label("last_hit"),
            total(json_bytes(t.c.data), "payload_bytes"),
            total(func.length(t.c.arrow), "arrow_bytes"),
            total(frames.c.nbytes, "frame_bytes"),
        )
        .select_from(joined)
        .group_by(t.c.data_type)
        .order_by(t.c.data_type)
    )

    async def work(conn: AsyncConnection) -> list[TypeEfficiency]:
        return [
            TypeEfficiency(
                row.data_type,
                int(row.entries),
                int(row.live),
                int(row.expired),
                float(row.avg_hits or 0),
                int(row.total_hits),
                row.last_hit,
                int(row.payload_bytes),
                int(row.arrow_bytes),
                int(row.frame_bytes),
            )
            for row in await conn.execute(query)
        ]

    return await tier._run(work)
