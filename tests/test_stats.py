"""Cache statistics: bounded latency summaries, the per-minute timeline, and the stats object a
notebook shows (its repr, its HTML table, its DataFrame)."""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from sportsframe.cache.latency import (
    BUCKET_BOUNDS,
    TIMELINE_MINUTES,
    LatencyHistogram,
    MinuteCounter,
)
from sportsframe.cache.stats import CacheStats, CacheStatsView
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# -- the latency histogram ------------------------------------------------------------------------
def test_percentiles_from_the_histogram_are_close_to_the_exact_ones() -> None:
    rng = random.Random(7)
    samples = [rng.lognormvariate(-7, 1.2) for _ in range(20_000)]
    hist = LatencyHistogram()
    for s in samples:
        hist.record(s)
    exact = statistics.quantiles(samples, n=100, method="inclusive")
    for q, value in ((0.50, exact[49]), (0.95, exact[94])):
        estimate = hist.quantile(q)
        assert estimate is not None
        assert abs(estimate / value - 1) < 0.06, q
    summary = hist.summary()
    assert summary["count"] == len(samples)
    assert summary["max_ms"] == round(max(samples) * 1000, 4)


def test_one_latency_reads_back_exactly_and_none_reads_as_none() -> None:
    hist = LatencyHistogram()
    assert hist.summary() == {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    hist.record(0.0123)
    assert hist.summary() == {"count": 1, "p50_ms": 12.3, "p95_ms": 12.3, "max_ms": 12.3}


def test_latencies_outside_the_buckets_are_kept_within_min_and_max() -> None:
    hist = LatencyHistogram()
    for s in (0.0, 5e-7, 2_000.0):
        hist.record(s)
    assert hist.quantile(0.01) == 0.0
    assert hist.quantile(1.0) == 2_000.0


def test_the_summary_stays_the_same_size_however_many_latencies() -> None:
    hist = LatencyHistogram()
    for i in range(100_000):
        hist.record((i % 977) / 1e5)
    assert len(hist.counts) == len(BUCKET_BOUNDS) + 1
    assert sum(hist.counts) == hist.count == 100_000


def _lists(value: Any) -> Iterator[int]:
    """The length of every list or tuple inside ``value``."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _lists(item)
    elif isinstance(value, list | tuple):
        yield len(value)
        for item in value:
            yield from _lists(item)


def test_a_stats_snapshot_carries_no_raw_samples(clock: ManualClock) -> None:
    stats = CacheStats(clock)
    for i in range(5_000):
        stats.hot.hit(0.0002 + i * 1e-8)
        stats.call_hit()
    snapshot = stats.snapshot()
    assert "latency_samples_ms" not in snapshot
    assert max(_lists(snapshot), default=0) == 0
    assert snapshot["hot_cache"]["latency"]["count"] == 5_000
    assert set(snapshot["hot_cache"]["latency"]) == {"count", "p50_ms", "p95_ms", "max_ms"}


# -- the timeline --------------------------------------------------------------------------------
def test_the_timeline_counts_calls_per_minute_of_the_clock(clock: ManualClock) -> None:
    stats = CacheStats(clock)
    start = clock.now().replace(second=0)
    for _ in range(3):
        stats.call_hit()
    stats.call_miss()
    stats.api_call(0.2, ok=True)
    clock.advance(60)
    stats.l0_hit(0.0001)
    clock.advance(180)  # two idle minutes are left out
    stats.call_miss()
    stats.api_call(0.3, ok=False)
    timeline = stats.snapshot()["timeline"]
    assert timeline.minutes == (start, start + timedelta(minutes=1), start + timedelta(minutes=4))
    assert timeline.hits == (3, 1, 0)
    assert timeline.misses == (1, 0, 1)
    assert timeline.api_calls == (1, 0, 1)
    assert timeline.hit_rates() == [0.75, 1.0, 0.0]
    frame = timeline.to_frame()
    assert list(frame.columns) == ["hits", "misses", "api_calls", "hit_rate"]
    assert frame.index[0] == pd.Timestamp(start)
    assert "3 minutes" in repr(timeline)


def test_the_timeline_keeps_the_last_24_hours_only(clock: ManualClock) -> None:
    counter = MinuteCounter(clock)
    for _ in range(TIMELINE_MINUTES + 500):
        counter.hit()
        clock.advance(60)
    counter.miss()
    timeline = counter.snapshot()
    assert len(timeline) == TIMELINE_MINUTES
    assert len(counter._past) <= TIMELINE_MINUTES  # the ring itself is bounded
    assert timeline.minutes[-1] - timeline.minutes[0] == timedelta(minutes=TIMELINE_MINUTES - 1)
    clock.advance(3 * 86400)  # a day after the last call: nothing left to show
    assert len(counter.snapshot()) == 0


def test_a_clock_set_back_does_not_repeat_a_minute(clock: ManualClock) -> None:
    counter = MinuteCounter(clock)
    counter.hit()
    clock.advance(60)
    counter.hit()
    clock.set(clock.now() - timedelta(seconds=60))
    counter.hit()
    timeline = counter.snapshot()
    assert len(set(timeline.minutes)) == len(timeline.minutes) == 2
    assert sum(timeline.hits) == 3


# -- the object a notebook shows -------------------------------------------------------------------
class _Table(HTMLParser):
    """Collects the cells of an HTML table and checks that every tag is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.rows: list[list[str]] = []
        self.caption = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes another tag"

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] in ("td", "th"):
            self.rows[-1].append(data)
        elif self.open and self.open[-1] == "caption":
            self.caption += data


def parse_table(markup: str) -> _Table:
    table = _Table()
    table.feed(markup)
    table.close()
    assert not table.open, f"unclosed tags: {table.open}"
    return table


def _sample_stats(clock: ManualClock) -> CacheStatsView:
    stats = CacheStats(clock)
    for _ in range(30):
        stats.l0_hit(0.0001)
    for _ in range(6):
        stats.hot.hit(0.0008)
        stats.call_hit()
    for _ in range(4):
        stats.hot.miss(0.0005)
    stats.warm.hit(0.004)
    stats.call_hit()
    for _ in range(3):
        stats.warm.miss(0.003)
        stats.call_miss()
        stats.api_call(0.25, ok=True)
    return stats.snapshot()


def test_to_frame_has_one_row_per_tier(clock: ManualClock) -> None:
    view = _sample_stats(clock)
    frame = view.to_frame()
    assert list(frame.index) == ["l0", "hot", "warm", "api"]
    assert frame.loc["l0", "hits"] == 30
    assert frame.loc["l0", "misses"] == 10  # the calls L0 did not answer
    assert frame.loc["hot", "hits"] == 6
    assert frame.loc["hot", "misses"] == 4
    assert frame.loc["hot", "hit_rate"] == 0.6
    assert frame.loc["warm", "calls"] == 4
    assert frame.loc["api", "calls"] == 3
    assert pd.isna(frame.loc["api", "hits"])
    assert frame.loc["api", "p50_ms"] == 250.0
    assert frame.loc["l0", "latency_count"] == 30


def test_the_html_repr_is_a_valid_table_of_the_numbers(clock: ManualClock) -> None:
    view = _sample_stats(clock)
    table = parse_table(view._repr_html_())
    header, *rows = table.rows
    assert header == ["tier", "hits", "misses", "hit rate", "p50 ms", "p95 ms", "max ms"]
    by_tier = {row[0]: row[1:] for row in rows}
    assert by_tier["hot"][:3] == ["6", "4", "60.0%"]
    assert by_tier["L0"][:3] == ["30", "10", "75.0%"]
    assert by_tier["API"][0] == "3 calls, 0 failed"
    assert by_tier["API"][1] == "250"  # p50 ms
    assert "37 API calls avoided" in table.caption
    assert "92.5%" in table.caption


# -- acceptance 6: after 5,000 calls ---------------------------------------------------------------
def test_stats_after_5000_calls_print_short_and_render_as_html(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        rate_limit=1000.0,
        redis_host="",
        home=tmp_path,
    ) as session:
        for i in range(5_000):
            session.injuries(2024, 1 + i % 4)  # 4 API calls, then L0 hits
        stats = session.cache_stats()
    assert isinstance(stats, dict)
    assert isinstance(stats, CacheStatsView)
    assert stats["overall"]["hits"] + stats["overall"]["misses"] == 5_000
    assert stats["api"]["calls"] == 4
    # Every L0 hit was timed, in one bounded summary.
    assert stats["l0_cache"]["latency"]["count"] == stats["l0_cache"]["hits"] == 4_996
    assert 0 < stats["l0_cache"]["latency"]["p50_ms"] <= stats["l0_cache"]["latency"]["max_ms"]
    text = repr(stats)
    assert len(text) < 2_000, text
    table = parse_table(stats._repr_html_())
    assert {row[0] for row in table.rows[1:]} == {"L0", "hot", "warm", "API"}
    assert "4,996 API calls avoided" in table.caption
