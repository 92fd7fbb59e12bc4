"""Charts of the cache and the quota, ready to paste into a team update.

>>> import sportsframe as sf
>>> from sportsframe import plots
>>> fig = plots.hit_rate()                    # doctest: +SKIP
>>> fig.savefig("hit_rate.png", dpi=150)      # doctest: +SKIP

Each function draws from ``sf.cache_stats()`` (or the stats it is given), returns the matplotlib
:class:`~matplotlib.figure.Figure`, draws into ``ax`` when one is given, and never calls
``plt.show()``: figures are built without pyplot, so they work headless and show once in Jupyter
(as PNG, see :class:`ChartFigure`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sportsframe.cache.stats import TIERS
from sportsframe.figure import ChartFigure

__all__ = ["ChartFigure", "hit_rate", "latency", "quota", "timeline"]

#: The tiers in read order: (tier, label).
_TIERS = (("l0", "L0"), ("hot", "hot"), ("warm", "warm"), ("api", "API"))
_HIT, _MISS, _API, _ERROR, _LIMIT = "#2a9d8f", "#c5cad3", "#e76f51", "#9b2226", "#264653"


def _stats(stats: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if stats is not None:
        return stats
    import sportsframe

    default: Mapping[str, Any] = sportsframe.cache_stats()
    return default


def _section(stats: Mapping[str, Any], tier: str) -> Mapping[str, Any]:
    section: Mapping[str, Any] = stats.get(TIERS[tier], {})
    return section


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig = ChartFigure(figsize=size, layout="constrained")
        return fig, fig.add_subplot()
    root = ax.figure
    return (root.figure if isinstance(root, SubFigure) else root), ax


def _days(moments: list[datetime]) -> list[float]:
    """Matplotlib's date numbers (days) of UTC instants."""
    # matplotlib.dates is not annotated; the numbers follow its date epoch setting.
    return [float(v) for v in mdates.date2num(moments)]  # type: ignore[no-untyped-call]


def _date_axis(ax: Axes) -> None:
    """Readable UTC dates on the x axis, at whatever span (minutes to a month)."""
    locator = mdates.AutoDateLocator(tz=UTC, minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2g} s" if value < 10_000 else f"{value / 1000:,.0f} s"
    if value >= 1:
        return f"{value:.3g} ms"
    return f"{value * 1000:.3g} µs"


def hit_rate(stats: Mapping[str, Any] | None = None, *, ax: Axes | None = None) -> Figure:
    """Hits and misses per tier (L0, hot, warm) and the calls that reached the API.

    Each cache bar stacks its hits on its misses and is labelled with its hit rate; the API bar
    stacks answered calls on failed ones and is labelled with its share of all calls. The title
    gives the overall hit rate and the API calls avoided.
    """
    stats = _stats(stats)
    fig, ax = _axes(ax, (7.0, 4.2))
    caches = _TIERS[:3]
    hits = [int(_section(stats, t).get("hits", 0)) for t, _ in caches]
    misses = [int(_section(stats, t).get("misses", 0)) for t, _ in caches]
    api = _section(stats, "api")
    api_calls, api_errors = int(api.get("calls", 0)), int(api.get("errors", 0))
    overall = stats.get("overall", {})
    calls = int(overall.get("hits", 0)) + int(overall.get("misses", 0))

    x = list(range(len(caches)))
    ax.bar(x, hits, color=_HIT, label="hits")
    ax.bar(x, misses, bottom=hits, color=_MISS, label="misses")
    ax.bar([3], [api_calls - api_errors], color=_API, label="API calls")
    ax.bar([3], [api_errors], bottom=[api_calls - api_errors], color=_ERROR, label="API errors")
    top = max([h + m for h, m in zip(hits, misses, strict=True)] + [api_calls, 1])
    for i, (h, m) in enumerate(zip(hits, misses, strict=True)):
        text = f"{h / (h + m):.1%}\n{h:,} of {h + m:,}" if h + m else "no lookups"
        ax.annotate(text, (i, h + m), xytext=(0, 3), textcoords="offset points", ha="center")
    share = f"{api_calls / calls:.1%} of calls\n" if calls else ""
    ax.annotate(
        f"{share}{api_calls:,} calls", (3, api_calls), xytext=(0, 3),
        textcoords="offset points", ha="center",
    )  # fmt: skip
    ax.set_xticks(range(len(_TIERS)), [label for _, label in _TIERS])
    ax.set_ylim(0, top * 1.25)
    ax.set_ylabel("lookups")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="upper right", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if calls:
        ax.set_title(
            f"Cache hit rate {float(overall.get('hit_rate', 0.0)):.1%} of {calls:,} calls · "
            f"{int(overall.get('api_calls_avoided', 0)):,} API calls avoided"
        )
    else:
        ax.set_title("Cache hit rate: no calls yet")
    return fig


def latency(stats: Mapping[str, Any] | None = None, *, ax: Axes | None = None) -> Figure:
    """Latency of hits per tier on a log axis: p50 (dot), p95 (bar end) and max (cross), in ms.

    The cold call (API) sits beside the cache hits, and each cache tier is labelled with its
    speed-up over the API's median. Reads each section's ``latency`` summary.
    """
    stats = _stats(stats)
    fig, ax = _axes(ax, (7.0, 3.8))
    summaries = [_section(stats, t).get("latency", {}) for t, _ in _TIERS]

    def values(key: str) -> list[float]:
        return [float(s[key]) if s.get(key) is not None else math.nan for s in summaries]

    p50, p95, peak = values("p50_ms"), values("p95_ms"), values("max_ms")
    rows = list(range(len(_TIERS)))
    colors = [_API if t == "api" else _HIT for t, _ in _TIERS]
    ax.hlines(rows, p50, p95, colors=colors, linewidth=6, alpha=0.35)
    ax.plot(p50, rows, "o", color=_LIMIT, markersize=8, label="p50", linestyle="none")
    ax.plot(p95, rows, "|", color=_LIMIT, markersize=16, markeredgewidth=2, label="p95",
            linestyle="none")  # fmt: skip
    ax.plot(peak, rows, "x", color="#6c757d", markersize=6, label="max", linestyle="none")
    api_p50 = p50[-1]
    for row, (tier, _) in enumerate(_TIERS):
        count = int(summaries[row].get("count", 0))
        if not count:
            ax.annotate(
                "no data", (1, row), xycoords=("axes fraction", "data"), ha="right",
                va="center", color="#6c757d",
            )  # fmt: skip
            continue
        label = f"p50 {_ms(p50[row])} · p95 {_ms(p95[row])} · n={count:,}"
        if tier != "api" and api_p50 == api_p50 and p50[row] > 0:
            label += f" · {api_p50 / p50[row]:,.0f}× faster than the API"
        # Above the row from the left edge: never runs off the axes, whatever the values.
        ax.annotate(label, (0.01, row), xycoords=("axes fraction", "data"), xytext=(0, 9),
                    textcoords="offset points", ha="left", va="bottom", fontsize=8)  # fmt: skip
    ax.set_xscale("log")
    ax.set_yticks(rows, [label if t != "api" else "API (cold)" for t, label in _TIERS])
    ax.set_ylim(len(_TIERS) - 0.5, -0.7)  # L0 on top, the API at the bottom
    ax.set_xlabel("latency, ms (log scale)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    known = [v for v in (*p50, *peak) if v == v and v > 0]
    if known:
        ax.set_xlim(min(known) / 3, max(known) * 30)
    ax.set_title("Latency per tier: cache hits vs the cold API call")
    return fig


def timeline(stats: Mapping[str, Any] | None = None, *, ax: Axes | None = None) -> Figure:
    """API calls per minute (bars) and the cache hit rate per minute (line, right axis) over the
    session: the last 24 hours at most, as ``stats["timeline"]`` keeps them."""
    stats = _stats(stats)
    fig, ax = _axes(ax, (8.0, 3.8))
    series = stats.get("timeline")
    minutes: list[datetime] = list(getattr(series, "minutes", ()))
    ax.set_ylabel("API calls per minute")
    ax.set_xlabel("time (UTC)")
    ax.spines[["top"]].set_visible(False)
    rate_ax = ax.twinx()
    # Both axes leave the top quarter free for the legend.
    rate_ax.set_ylim(0, 1.35)
    rate_ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    rate_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    rate_ax.set_ylabel("hit rate")
    rate_ax.spines[["top"]].set_visible(False)
    if series is None or not minutes:
        ax.set_title("Calls per minute: no calls yet")
        return fig
    api_calls = list(series.api_calls)
    rates = [math.nan if r is None else r for r in series.hit_rates()]
    x = _days([m + timedelta(seconds=30) for m in minutes])  # the middle of each minute
    ax.bar(x, api_calls, width=50 / 86400, color=_API, label="API calls")
    rate_ax.plot(x, rates, "o-", color=_HIT, markersize=3, label="hit rate")
    _date_axis(ax)
    ax.set_ylim(0, max(max(api_calls), 1) * 1.35)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    handles = [*ax.get_legend_handles_labels()[0], *rate_ax.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left", ncols=2, frameon=False)
    # At least ten minutes wide, so that one busy minute is a bar rather than the whole axis.
    right = max(minutes[-1] + timedelta(minutes=2), minutes[0] + timedelta(minutes=10))
    ax.set_xlim(*_days([minutes[0] - timedelta(minutes=1), right]))
    span = (minutes[-1] - minutes[0] + timedelta(minutes=1)).total_seconds()
    length = f"{span / 3600:.1f} h" if span >= 3600 else f"{span / 60:.0f} min"
    calls = sum(series.hits) + sum(series.misses)
    ax.set_title(
        f"Hit rate and API calls per minute · {calls:,} calls, "
        f"{sum(api_calls):,} API calls over {length}"
    )
    return fig


def quota(
    status: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    rate_per_day: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Requests used this month against the limit, projected to the month's end.

    ``status``: a :func:`sportsframe.quota` result (default: read it now). The projection runs
    at ``rate_per_day``, by default the month-to-date rate (requests used so far over the days
    elapsed); the chart says which, and when the limit would be reached.
    """
    from sportsframe.api.quota import month_start

    if status is None:
        import sportsframe

        status = sportsframe.quota()
    resets: datetime = status["resets_at"]
    start = month_start(resets - timedelta(days=1))
    if now is None:
        from sportsframe.clock import SYSTEM_CLOCK

        now = min(max(SYSTEM_CLOCK.now(), start), resets)
    used, limit = int(status["used"]), int(status["limit"])
    elapsed_days = max((now - start).total_seconds() / 86400, 1 / 24)
    pace = "month-to-date" if rate_per_day is None else "given"
    rate = used / elapsed_days if rate_per_day is None else rate_per_day
    projected = used + rate * (resets - now).total_seconds() / 86400
    fig, ax = _axes(ax, (7.0, 3.8))
    over = projected > limit
    x_start, x_now, x_end = _days([start, now, resets])
    ax.plot([x_start, x_now], [0, used], "-", color=_HIT, linewidth=2.5, label="used")
    ax.plot([x_now], [used], "o", color=_HIT, markersize=7)
    ax.plot([x_now, x_end], [used, projected], "--", color=_ERROR if over else _API, linewidth=2,
            label=f"projected at the {pace} rate ({rate:,.0f}/day)")  # fmt: skip
    ax.axhline(limit, color=_LIMIT, linewidth=1.2, label=f"limit {limit:,}")
    ax.annotate(f"{used:,} used", (x_now, used), xytext=(-6, 8), textcoords="offset points",
                ha="right")  # fmt: skip
    ax.annotate(f"{projected:,.0f} by month end", (x_end, projected), xytext=(-4, 8),
                textcoords="offset points", ha="right")  # fmt: skip
    ax.set_xlim(x_start, x_end)
    _date_axis(ax)
    ax.set_ylim(0, max(limit, projected, 1) * 1.15)
    ax.set_ylabel("API requests this month")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="center left", frameon=False, fontsize=8)  # under the limit line
    ax.spines[["top", "right"]].set_visible(False)
    title = f"API quota, {start:%B %Y}: {used:,} of {limit:,} used ({used / max(limit, 1):.0%})"
    if over and rate > 0:
        runs_out = now + timedelta(days=max(limit - used, 0) / rate)
        title += f"\nat this rate it runs out on {runs_out:%b %d}"
    else:
        title += f"\nprojected {projected:,.0f} by month end: {limit - projected:,.0f} to spare"
    ax.set_title(title)
    return fig
