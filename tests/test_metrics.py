"""Prometheus metrics: prefixed names in sportsframe's own registry, the exposition printed by
``sportsframe stats --prometheus`` (equal to ``cache_stats()``), and ``sf.metrics.serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import httpx
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

import sportsframe as sf
from sportsframe import metrics
from sportsframe.emulator import EmulatorServer

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_metric_is_prefixed_and_in_sportsframes_own_registry() -> None:
    names = [family.name for family in metrics.REGISTRY.collect()]
    assert names
    assert all(name.startswith("sportsframe_") for name in names)
    global_names = {family.name for family in prometheus_client.REGISTRY.collect()}
    assert not any(n.startswith("sportsframe_") or n.startswith("cache_") for n in global_names)
    assert sf.metrics is metrics


# Runs in a fresh process, so the registry holds this session's counts alone.
SCRIPT = """
import json, sys
import sportsframe as sf
from sportsframe import cli

session = sf.get_session()
for week in (1, 2, 3):
    sf.injuries(2024, week)              # from the API
for _ in range(5):
    sf.injuries(2024, 1)                 # from L0
session.aio.l0.clear()
sf.injuries(2024, 2)                     # from the hot tier
frame = sf.injuries(2024, 3)
session.drop_hot(frame.attrs["key"])
session.aio.l0.clear()
sf.injuries(2024, 3)                     # from the warm tier
session.settle()
print(json.dumps(sf.cache_stats(), default=str))
sys.stdout.flush()
sys.exit(cli.main(["stats", "--prometheus"]))
"""


def _env(emulator: EmulatorServer, **extra: str) -> dict[str, str]:
    env = dict(os.environ)  # SPORTSFRAME_HOME and the namespace: this test's own
    env.update(
        SPORTSFRAME_SOURCE="emulator",
        SPORTSDATAIO_BASE_URL=emulator.base_url,
        SPORTSFRAME_RATE_LIMIT="1000",
        REDIS_HOST="",
        **extra,
    )
    return env


def test_stats_prometheus_counters_equal_cache_stats(emulator: EmulatorServer) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=_env(emulator),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    first, _, exposition = done.stdout.partition("\n")
    stats = json.loads(first)
    got = samples(exposition)

    def value(name: str, **labels: str) -> float:
        return got[(f"sportsframe_{name}", tuple(sorted(labels.items())))]

    # The session really went through every tier.
    assert stats["l0_cache"]["hits"] == 5
    assert stats["hot_cache"]["hits"] >= 1
    assert stats["warm_cache"]["hits"] == 1
    assert value("cache_hits_total", tier="l0") == stats["l0_cache"]["hits"]
    for tier in ("hot", "warm"):
        section = stats[f"{tier}_cache"]
        assert value("cache_hits_total", tier=tier) == section["hits"]
        assert value("cache_misses_total", tier=tier) == section["misses"]
        lookups = section["latency"]["count"] + section["miss_latency"]["count"]
        assert value("cache_latency_seconds_count", tier=tier) == lookups
    assert value("cache_requests_total", outcome="hit") == stats["overall"]["hits"]
    assert value("cache_requests_total", outcome="miss") == stats["overall"]["misses"]
    assert value("cache_latency_seconds_count", tier="l0") == stats["l0_cache"]["latency"]["count"]
    assert value("api_calls_total", outcome="ok") == stats["api"]["calls"] == 3
    assert value("cache_latency_seconds_count", tier="api") == stats["api"]["latency"]["count"]
    assert value("quota_used", source="emulator") == len(emulator.requests()) == 3


def test_stats_text_and_json_show_the_quota(
    emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sportsframe import cli

    with sf.Session(
        source="emulator", base_url=emulator.base_url, rate_limit=1000.0, redis_host=""
    ) as session:
        session.injuries(2024, 1)
    for name, value in _env(emulator).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "API quota" in text
    assert "1 of 10,000 used" in text
    assert "hit_rate" in text
    assert "l0" in text
    assert cli.main(["stats", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["quota"]["used"] == 1
    assert payload["quota"]["remaining"] == 9_999
    assert set(payload["cache"]) >= {"hot_cache", "warm_cache", "overall", "l0_cache", "api"}
    assert payload["cache"]["timeline"] == []


def test_serve_exposes_the_registry_until_stopped() -> None:
    server = metrics.serve(0)
    try:
        response = httpx.get(server.url, timeout=5)
        assert response.status_code == 200
        got = samples(response.text)
        assert any(name.startswith("sportsframe_cache_hits") for name, _ in got)
        assert not any(name.startswith("python_gc") for name, _ in got)  # not the global one
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=2)
