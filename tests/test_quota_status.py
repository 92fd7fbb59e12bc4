"""``sf.quota()``: used, limit, remaining and the reset time, read from the persisted quota, so the
count survives a restart and matches what the service (the emulator) saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import sportsframe as sf
from sportsframe.api.quota import (
    MemoryQuota,
    QuotaStatus,
    SqlQuota,
    month_start,
    next_month,
    quota_status,
)
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.sync import Session
from sportsframe.loop import run_sync

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "start", "reset"),
    [
        (datetime(2024, 12, 31, 23, 59, tzinfo=UTC), datetime(2024, 12, 1), datetime(2025, 1, 1)),
        (datetime(2024, 2, 29, 8, 0, tzinfo=UTC), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        (datetime(2024, 3, 1, 0, 0, tzinfo=UTC), datetime(2024, 3, 1), datetime(2024, 4, 1)),
    ],
)
def test_the_quota_resets_at_the_start_of_the_next_utc_month(
    now: datetime, start: datetime, reset: datetime
) -> None:
    assert month_start(now) == start.replace(tzinfo=UTC)
    assert next_month(now) == reset.replace(tzinfo=UTC)


async def test_quota_status_reads_used_limit_remaining_and_reset() -> None:
    clock = ManualClock(datetime(2024, 12, 15, 9, 30, tzinfo=UTC))
    quota = MemoryQuota(10, clock=clock)
    for _ in range(3):
        await quota.reserve()
    status = await quota_status(quota, clock=clock, source="emulator")
    assert isinstance(status, QuotaStatus)
    assert status == {
        "used": 3,
        "limit": 10,
        "remaining": 7,
        "month": "2024-12",
        "resets_at": datetime(2025, 1, 1, tzinfo=UTC),
        "source": "emulator",
    }
    assert "3 (30.0%)" in status._repr_html_()


async def test_quota_status_with_the_database_down_shows_this_processs_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(datetime(2024, 12, 15, tzinfo=UTC))
    quota = SqlQuota(
        "postgresql+psycopg://user@127.0.0.1:1/db",  # nothing listens there
        100,
        source="sportsdataio",
        fingerprint="f" * 16,
        clock=clock,
    )
    try:
        await quota.reserve()
        await quota.reserve()
        status = await quota_status(quota, clock=clock, source="sportsdataio")
    finally:
        await quota.aclose()
    assert (status["used"], status["remaining"]) == (2, 98)
    assert any("showing this process's count" in r.getMessage() for r in caplog.records)


def test_session_and_async_session_quota_count_the_requests_sent(
    emulator: EmulatorServer,
) -> None:
    options: dict[str, object] = dict(
        source="emulator", base_url=emulator.base_url, rate_limit=1000.0, redis_host=""
    )
    with Session(**options) as session:
        session.injuries(2024, 1)
        session.injuries(2024, 1)  # cached: not sent
        session.odds(2024, 1)
        status = session.quota()
    assert status["used"] == len(emulator.requests()) == 2
    assert status["source"] == "emulator"

    async def read() -> QuotaStatus:
        async with AsyncSession(**options) as aio:  # a new session, the same quota table
            return await aio.quota()

    assert run_sync(read())["used"] == 2
    assert "quota" in sf.__all__


#: One process's work: some weeks of injuries (cached weeks cost nothing), then its quota.
SCRIPT = """
import json, sys
import sportsframe as sf

for week in sys.argv[1:]:
    sf.injuries(2024, int(week))
print(json.dumps(sf.quota(), default=str))
"""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(params=["sqlite", "postgres"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The warm tier (and the quota table) both processes share."""
    if request.param == "sqlite":
        return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"}
    return {"DATABASE_URL": request.getfixturevalue("pg_database")}


def test_quota_used_equals_the_requests_the_emulator_saw_across_a_restart(
    emulator: EmulatorServer, database_env: dict[str, str]
) -> None:
    env = dict(os.environ)
    env.update(
        SPORTSFRAME_SOURCE="emulator",
        SPORTSDATAIO_BASE_URL=emulator.base_url,
        SPORTSFRAME_RATE_LIMIT="1000",
        REDIS_HOST="",  # no shared hot tier: the second process reads the SQL tier
        **database_env,
    )
    first = json.loads(_run(env, "-c", SCRIPT, "1", "2").stdout)
    assert first["used"] == len(emulator.requests()) == 2
    # A new process: week 1 comes from the warm tier (no request), week 3 from the emulator.
    second = json.loads(_run(env, "-c", SCRIPT, "1", "3").stdout)
    assert second["used"] == len(emulator.requests()) == 3
    assert second["remaining"] == second["limit"] - 3
    month = datetime.fromisoformat(f"{second['month']}-01T00:00:00+00:00")
    assert second["resets_at"] == str(next_month(month))
    # A third process that makes no call reads the same count (and exposes it to Prometheus).
    stats = json.loads(_run(env, "-m", "sportsframe.cli", "stats", "--json").stdout)
    assert stats["quota"]["used"] == 3
    prometheus = _run(env, "-m", "sportsframe.cli", "stats", "--prometheus").stdout
    assert 'sportsframe_quota_used{source="emulator"} 3.0' in prometheus
    counters = [
        s.value
        for family in text_string_to_metric_families(prometheus)
        if family.type == "counter"
        for s in family.samples
        if s.name.endswith("_total")
    ]
    assert counters == [0.0] * len(counters)  # a new process has made no call yet
