"""`sportsframe demo` with nothing configured: exits 0, prints the latency table and hit rate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


def _run_demo(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTSFRAME_", "SPORTSDATAIO_", "REDIS_", "DATABASE_URL"))
    }
    clean.update({"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}, **env)
    exe = shutil.which("sportsframe", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "sportsframe.cli"]
    return subprocess.run(
        [*command, "demo"], env=clean, capture_output=True, text=True, timeout=300, check=False
    )


def test_demo_runs_with_nothing_configured_and_uses_redis(tmp_path: Path, redis_url: str) -> None:
    result = _run_demo(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for dataset in ("props", "injuries", "odds", "player_game_stats"):
        assert dataset in out
    assert "cold (API)" in out
    assert "warm" in out
    assert "hot" in out
    assert "hit rate" in out
    assert "hot tier: Redis" in out
    # the embedded warm tier was created under the user's cache directory
    assert (tmp_path / "cache" / "sportsframe" / "cache.sqlite3").exists()


def test_demo_without_redis_uses_the_in_process_tier(tmp_path: Path) -> None:
    result = _run_demo(tmp_path, REDIS_PORT="1")
    assert result.returncode == 0, result.stderr
    assert "hit rate" in result.stdout
    assert re.search(r"hot tier: (Memory|in-process)", result.stdout)
    assert "SPORTSDATAIO_API_KEY" not in result.stderr
