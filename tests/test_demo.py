"""`sportsframe demo` with nothing configured: exits 0, prints the latency table and hit rate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def _run_demo(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTSFRAME_", "SPORTSDATAIO_", "REDIS_", "DATABASE_URL"))
    }
    clean.update({"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}, **env)
    # Nothing configured, but the keys go under this test's namespace (removed afterwards).
    clean["SPORTSFRAME_NAMESPACE"] = os.environ["SPORTSFRAME_NAMESPACE"]
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
    # Each column timed the tier it names: the hot one not a read answered from a miss's
    # writes still under way (the frame rebuilt each time), which made "hot" slower than "warm".
    assert "note:" not in out, out
    # the embedded warm tier was created under the user's cache directory
    assert (tmp_path / "cache" / "sportsframe" / "cache.sqlite3").exists()
    # ... and beside it the charts and the report, where the demo says
    folder = tmp_path / "cache" / "sportsframe" / "demo"
    assert f"written to {folder}" in out
    _assert_demo_files(folder)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _assert_demo_files(folder: Path) -> None:
    """The demo's PNGs are whole images of their charts' size; its HTML holds the report."""
    import matplotlib.image

    from sportsframe import plots
    from sportsframe.api.quota import QuotaStatus
    from sportsframe.cache.stats import CacheStats
    from sportsframe.cli import DEMO_DPI

    stats = CacheStats().snapshot()
    status = QuotaStatus(
        used=1, limit=10, remaining=9, month="2024-12", resets_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    charts = {
        "hit_rate.png": plots.hit_rate(stats),
        "latency.png": plots.latency(stats),
        "timeline.png": plots.timeline(stats),
        "quota.png": plots.quota(status, now=datetime(2024, 12, 15, tzinfo=UTC)),
    }
    for name, figure in charts.items():
        width, height = (round(v * DEMO_DPI) for v in figure.get_size_inches())
        assert _png_size(folder / name) == (width, height), name
        pixels = matplotlib.image.imread(folder / name)  # decodes whole
        assert pixels.shape[:2] == (height, width)
        assert pixels.std() > 0, f"{name} is blank"
    page = (folder / "efficiency.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "player_props" in page
    assert "data:image/png;base64," in page


def test_demo_without_redis_uses_the_in_process_tier(tmp_path: Path) -> None:
    result = _run_demo(tmp_path, REDIS_PORT="1")
    assert result.returncode == 0, result.stderr
    assert "hit rate" in result.stdout
    assert re.search(r"hot tier: (Memory|in-process)", result.stdout)
    assert "note:" not in result.stdout, result.stdout
    assert "SPORTSDATAIO_API_KEY" not in result.stderr


def test_the_embedded_warm_tier_needs_no_postgres_driver(tmp_path: Path) -> None:
    # psycopg is the `postgres` extra: a plain install has none. Made unimportable here, the
    # facade must still serve an API miss and a warm hit from the embedded SQLite tier.
    script = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if it were not installed\n"
        "from sportsframe.facade.sync import Session\n"
        "with Session(source='emulator', home=sys.argv[1], redis_host='', l0_max_bytes=0,\n"
        "             rate_limit=1000.0) as s:\n"
        "    first = s.injuries(2024, 4)\n"
        "    s.drop_hot(first.attrs['key'])\n"
        "    print(first.attrs['served_from'], s.injuries(2024, 4).attrs['served_from'])\n"
        "    assert 'psycopg' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTSFRAME_", "SPORTSDATAIO_", "REDIS_", "DATABASE_URL"))
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["api", "warm"]
