"""The warm tier's efficiency query: companions are counted once per current entry version
(never an entry twice, never a companion of a replaced version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock


async def test_companions_count_once_per_current_entry_version(
    sql_tier: SqlTier, make_entry: Callable[..., Any], clock: ManualClock
) -> None:
    old = make_entry("odds:1", [{"a": 1}], data_type="odds")
    await sql_tier.set(old)
    await sql_tier.set_companion(old, "frame", b"x" * 500)  # of a version about to be replaced
    clock.advance(1)
    entry = make_entry("odds:1", [{"a": 2}], data_type="odds")
    await sql_tier.set(entry)
    for name in ("frame", "other"):
        await sql_tier.set_companion(entry, name, b"y" * 300)

    (row,) = await sql_tier.efficiency_report()

    assert (row.entries, row.live, row.expired) == (1, 1, 0)
    prefix = f'"{sql_tier.schema}".' if sql_tier.schema else ""
    plain = (
        f"SELECT SUM(length(c.data)) FROM {prefix}cache_companions c"
        f" JOIN {prefix}cache_entries e ON e.key = c.key AND e.created_at = c.created_at"
    )
    async with sql_tier.engine.connect() as conn:
        current = (await conn.execute(text(plain))).scalar_one()
    assert row.frame_bytes == current > 0
    assert (await sql_tier.analyze_efficiency())[0].entries == 1
