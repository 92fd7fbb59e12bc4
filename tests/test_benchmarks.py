"""Smoke test of the benchmark scripts: each runs with ``--quick`` in a fresh process, against
the real Redis and PostgreSQL and a local emulator, exits 0 and prints its table.

Nothing timed is asserted: the figures are read in ``benchmarks/RESULTS.md``, not tested.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

# script -> (its service options, a line its table prints)
SCRIPTS = {
    "coldstart.py": (("--redis-url", "--database-url"), "first call of the process"),
    "replay.py": (("--redis-url", "--database-url"), "(b) sportsframe freshness rules"),
    "peers.py": (("--redis-url", "--database-url"), "sportsframe L0"),
    "miss.py": (("--redis-url", "--database-url"), "bare fetch + parse + frame"),
    "throughput.py": (("--redis-url", "--database-url"), "8 threads, L0 off"),
    "memory.py": (("--redis-url",), "the week's entry (Arrow IPC)"),
    # facade.py writes its warm tier where it is told: it keeps the embedded SQLite file here,
    # never the shared test database.
    "facade.py": (("--redis-url",), "(a) L0 hit"),
    "tiers.py": (("--redis-url", "--database-url"), "(a) hot hit"),
}
#: The older two print their figures line by line, without a ruled table.
UNRULED = {"facade.py", "tiers.py"}

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_quick_mode_runs_and_prints_its_table(
    script: str, redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    (redis_opt, *database_opt), expected = SCRIPTS[script]
    argv = [sys.executable, str(BENCHMARKS / script), "--quick", redis_opt, redis_url]
    if database_opt:
        argv += [database_opt[0], postgres_url]
    env = {**os.environ, "SPORTSFRAME_HOME": str(tmp_path)}
    proc = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert expected in proc.stdout, proc.stdout[-4000:]
    if script not in UNRULED:
        assert "-----" in proc.stdout  # the table's rule
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]


def test_peers_are_benchmark_extras_only() -> None:
    """The peers stay out of the runtime dependencies (they are in the benchmark extra)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    extra = " ".join(project["optional-dependencies"]["benchmark"]).lower()
    for peer in ("requests-cache", "hishel", "diskcache", "joblib", "cashews"):
        assert peer in extra
        assert peer not in runtime
