"""The charts draw exactly the statistics they are given (read back from the Axes), headless,
into a given Axes when asked, and never through pyplot's global figures."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from sportsframe import plots
from sportsframe.api.quota import QuotaStatus
from sportsframe.cache.stats import CacheStats, CacheStatsView
from sportsframe.clock import ManualClock


def make_stats(clock: ManualClock) -> CacheStatsView:
    """A session's counts over three minutes: L0, hot and warm hits, misses and API calls."""
    stats = CacheStats(clock)
    for _ in range(40):
        stats.l0_hit(0.00012)
    for _ in range(4):
        stats.hot.miss(0.0004)
        stats.warm.miss(0.003)
        stats.call_miss()
        stats.api_call(0.3, ok=True)
    clock.advance(60)
    for i in range(9):
        stats.hot.hit(0.0008 + i * 1e-5)
        stats.call_hit()
    stats.hot.miss(0.0004)
    stats.warm.hit(0.005)
    stats.call_hit()
    clock.advance(120)
    stats.hot.miss(0.0004)
    stats.warm.miss(0.003)
    stats.call_miss()
    stats.api_call(0.45, ok=False)
    return stats.snapshot()


@pytest.fixture
def stats(clock: ManualClock) -> CacheStatsView:
    return make_stats(clock)


def bars(ax: Axes) -> dict[str, BarContainer]:
    return {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}


def heights(container: BarContainer) -> list[float]:
    return [patch.get_height() for patch in container.patches]


def line(ax: Axes, label: str) -> tuple[np.ndarray, np.ndarray]:
    (found,) = [ln for ln in ax.lines if ln.get_label() == label]
    return np.asarray(found.get_xdata(), float), np.asarray(found.get_ydata(), float)


def texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_hit_rate_bars_are_the_hits_and_misses_of_each_tier(stats: CacheStatsView) -> None:
    fig = plots.hit_rate(stats)
    (ax,) = fig.axes
    drawn = bars(ax)
    tiers = [stats["l0_cache"], stats["hot_cache"], stats["warm_cache"]]
    assert heights(drawn["hits"]) == [t["hits"] for t in tiers]
    assert heights(drawn["misses"]) == [t["misses"] for t in tiers]
    # Misses stack on the hits.
    assert [p.get_y() for p in drawn["misses"].patches] == [t["hits"] for t in tiers]
    assert heights(drawn["API calls"]) == [stats["api"]["calls"] - stats["api"]["errors"]]
    assert heights(drawn["API errors"]) == [stats["api"]["errors"]]
    labels = texts(ax)
    for tier in tiers:
        assert any(f"{tier['hit_rate']:.1%}" in text for text in labels)
    overall = stats["overall"]
    assert f"{overall['hit_rate']:.1%}" in ax.get_title()
    assert f"{overall['api_calls_avoided']:,} API calls avoided" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["L0", "hot", "warm", "API"]


def test_latency_markers_are_each_tiers_p50_p95_and_max(stats: CacheStatsView) -> None:
    fig = plots.latency(stats)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    sections = [stats[s]["latency"] for s in ("l0_cache", "hot_cache", "warm_cache", "api")]
    for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("max", "max_ms")):
        x, y = line(ax, label)
        np.testing.assert_allclose(x, [s[key] for s in sections])
        assert list(y) == [0, 1, 2, 3]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["L0", "hot", "warm", "API (cold)"]
    # The cold call beside the hits: each cache tier says how much faster than the API it is.
    hot = stats["hot_cache"]["latency"]["p50_ms"]
    speedup = f"{stats['api']['latency']['p50_ms'] / hot:,.0f}× faster than the API"
    assert any(speedup in text for text in texts(ax))


def test_latency_leaves_an_empty_tier_out(clock: ManualClock) -> None:
    stats = CacheStats(clock)
    stats.api_call(0.2, ok=True)
    fig = plots.latency(stats.snapshot())
    x, _ = line(fig.axes[0], "p50")
    assert [math.isnan(v) for v in x] == [True, True, True, False]
    assert x[3] == 200.0
    assert texts(fig.axes[0]).count("no data") == 3


def test_timeline_draws_api_calls_and_hit_rate_per_minute(stats: CacheStatsView) -> None:
    fig = plots.timeline(stats)
    ax, rate_ax = fig.axes
    series = stats["timeline"]
    assert len(series) == 3
    assert heights(bars(ax)["API calls"]) == list(series.api_calls)
    x, y = line(rate_ax, "hit rate")
    np.testing.assert_allclose(y, [np.nan if r is None else r for r in series.hit_rates()])
    middles = mdates.date2num([m + timedelta(seconds=30) for m in series.minutes])
    np.testing.assert_allclose(x, middles)
    centres = [p.get_x() + p.get_width() / 2 for p in bars(ax)["API calls"].patches]
    np.testing.assert_allclose(centres, middles)
    assert f"{sum(series.api_calls)} API calls" in ax.get_title()


def test_charts_of_a_session_without_calls_say_so(clock: ManualClock) -> None:
    empty = CacheStats(clock).snapshot()
    assert "no calls yet" in plots.hit_rate(empty).axes[0].get_title()
    assert "no calls yet" in plots.timeline(empty).axes[0].get_title()
    assert texts(plots.latency(empty).axes[0]).count("no data") == 4


def quota_status(used: int) -> QuotaStatus:
    return QuotaStatus(
        used=used,
        limit=10_000,
        remaining=10_000 - used,
        month="2024-12",
        resets_at=datetime(2025, 1, 1, tzinfo=UTC),
        source="sportsdataio",
    )


#: Ten days into December: 21 days to go.
TEN_DAYS_IN = datetime(2024, 12, 11, tzinfo=UTC)


def test_quota_projects_the_month_to_date_rate_to_the_month_end() -> None:
    fig = plots.quota(quota_status(4_000), now=TEN_DAYS_IN)  # 400 a day
    (ax,) = fig.axes
    x, used = line(ax, "used")
    assert list(used) == [0, 4_000]
    assert list(x) == list(mdates.date2num([datetime(2024, 12, 1, tzinfo=UTC), TEN_DAYS_IN]))
    (projected,) = [ln for ln in ax.lines if str(ln.get_label()).startswith("projected")]
    assert list(projected.get_ydata()) == [4_000, 4_000 + 400 * 21]
    assert "month-to-date rate (400/day)" in str(projected.get_label())
    (limit,) = [ln for ln in ax.lines if str(ln.get_label()).startswith("limit")]
    assert list(limit.get_ydata()) == [10_000, 10_000]
    assert "4,000 of 10,000 used (40%)" in ax.get_title()
    assert "runs out on Dec 26" in ax.get_title()  # 6,000 left at 400 a day


def test_quota_within_the_limit_shows_what_is_left_at_month_end() -> None:
    fig = plots.quota(quota_status(3_000), now=TEN_DAYS_IN, rate_per_day=100)
    (ax,) = fig.axes
    (projected,) = [ln for ln in ax.lines if str(ln.get_label()).startswith("projected")]
    assert list(projected.get_ydata()) == [3_000, 3_000 + 100 * 21]
    assert "given rate (100/day)" in str(projected.get_label())
    assert "projected 5,100 by month end: 4,900 to spare" in ax.get_title()


def test_charts_draw_into_a_given_axes_and_return_its_figure(stats: CacheStatsView) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plots.hit_rate(stats, ax=left) is fig
    assert plots.latency(stats, ax=right) is fig
    assert bars(left)["hits"] is not None
    assert right.get_xscale() == "log"


def test_charts_render_headless_without_pyplot(
    stats: CacheStatsView, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sportsframe

    monkeypatch.setattr(sportsframe, "cache_stats", lambda: stats)  # the default session's stats
    shown: list[Any] = []
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(a))
    before = plt.get_fignums()
    for draw in (plots.hit_rate, plots.latency, plots.timeline):
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=50)
        png = buffer.getvalue()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        expected = fig.get_size_inches() * 50
        assert (width, height) == (round(expected[0]), round(expected[1]))
    assert plt.get_fignums() == before  # no pyplot figure left open
    assert shown == []
    assert matplotlib.get_backend()  # whatever the backend, nothing was shown


def test_a_chart_shows_once_as_png_in_jupyter(stats: CacheStatsView) -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    fig = plots.hit_rate(stats)
    data, _ = formatters.DisplayFormatter().format(fig)
    assert data["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
