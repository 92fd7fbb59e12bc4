"""Quota safety: scripts that loop over uncached calls stop at the monthly quota with the quota
error, never past it, whether they run at once or one after the other; the count they share is
persisted, so a restarted process knows what is spent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sportsframe.emulator import EmulatorServer

QUOTA = 7

#: One process's loop: a distinct, uncached week per call until the quota stops it.
SCRIPT = """
import json, sys
import sportsframe as sf
from sportsframe.errors import QuotaExhaustedError

season, weeks = int(sys.argv[1]), map(int, sys.argv[2:])
got, stopped = [], None
for week in weeks:
    try:
        got.append(len(sf.injuries(season, week)))
    except QuotaExhaustedError as exc:
        stopped = str(exc)
        break
print(json.dumps({"got": len(got), "stopped": stopped, "used": sf.quota()["used"]}))
"""


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path, emulator: EmulatorServer) -> dict[str, str]:
    """What every process of the test runs with: the same quota table, a small quota."""
    if request.param == "sqlite":
        database = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    else:
        database = request.getfixturevalue("pg_database")
    return {
        **os.environ,
        "SPORTSFRAME_SOURCE": "emulator",
        "SPORTSDATAIO_BASE_URL": emulator.base_url,
        "SPORTSFRAME_RATE_LIMIT": "1000",
        "SPORTSFRAME_MONTHLY_QUOTA": str(QUOTA),
        "REDIS_HOST": "",  # the quota lives in the SQL tier's database, shared by all
        "DATABASE_URL": database,
    }


def _start(env: dict[str, str], home: Path, season: int, *weeks: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(season), *map(str, weeks)],
        env={**env, "SPORTSFRAME_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_two_processes_looping_over_uncached_calls_stop_at_the_shared_quota(
    env: dict[str, str], emulator: EmulatorServer, tmp_path: Path
) -> None:
    # Eighteen distinct calls between them, seven allowed: both run out, at once.
    first = _start(env, tmp_path / "a", 2024, *range(1, 10))
    second = _start(env, tmp_path / "b", 2024, *range(10, 19))
    results = [_result(first), _result(second)]
    assert len(emulator.requests()) == QUOTA  # never one request past the quota
    assert sum(r["got"] for r in results) == QUOTA
    for result in results:
        assert result["stopped"] is not None
        assert "quota" in result["stopped"].lower()
        assert result["used"] == QUOTA

    # A process started afterwards knows what is spent: an uncached call sends nothing.
    later = _result(_start(env, tmp_path / "c", 2023, 1))
    assert later == {"got": 0, "stopped": later["stopped"], "used": QUOTA}
    assert later["stopped"] is not None
    assert len(emulator.requests()) == QUOTA
