"""Cache statistics: per-tier counters, per-call outcomes, latency and a per-minute timeline.

Two kinds of count, kept apart so each is right:

* **Tier counts** (``hot_cache``, ``warm_cache``): every lookup that reached the tier is a hit or a
  miss of that tier; a lookup the tier could not answer because it was down (or its breaker open)
  is a miss too, and is also counted in ``errors`` (a call to the server failed) or ``degraded``
  (the tier was skipped without I/O). ``hit_rate = hits / (hits + misses)`` of that tier.
  ``l0_cache`` counts the facade's in-process frames the same way: its misses are the calls it
  did not answer (those that reached the cache manager).
* **Call outcomes** (``overall``): each cache call ends once, either answered from a tier (a hit:
  ``api_calls_avoided``) or not (a miss: in the read-through path exactly the calls that reached
  the API). Calls that joined another caller's in-flight miss are hits too (``coalesced``), and
  so are the facade's L0 hits it reports (``l0_cache.hits``).
  ``hit_rate = hits / (hits + misses)``.

The spec's example mixes the two (its ``overall`` misses are not the calls that reached the API);
sportsframe computes them as above (DESIGN §6). Each section carries a ``latency`` summary of its
hits (the API's: of its calls) as ``count``, ``p50_ms``, ``p95_ms``, ``max_ms``, read from a
bounded histogram; the hot and warm sections also summarise their misses (``miss_latency``).
``timeline`` holds the calls per minute (see :mod:`sportsframe.cache.latency`). The same counts
feed the Prometheus metrics in :mod:`sportsframe.metrics`. Recording is a few attribute updates:
it runs on every hit.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sportsframe import metrics
from sportsframe.cache.latency import LatencyHistogram, MinuteCounter, Timeline
from sportsframe.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TIERS", "CacheStats", "CacheStatsView", "TierStats", "json_default"]

#: The tiers of :meth:`CacheStatsView.to_frame`, in read order, with their stats sections.
TIERS = {"l0": "l0_cache", "hot": "hot_cache", "warm": "warm_cache", "api": "api"}


def _rate(hits: int, misses: int) -> float:
    total = hits + misses
    return round(hits / total, 4) if total else 0.0


class _NoCounter:
    """Stands in for a Prometheus series a tier does not have."""

    def inc(self, amount: float = 1) -> None:
        pass


_NONE = _NoCounter()


class TierStats:
    """Counters and the latency histogram of one tier (``l0``, ``hot``, ``warm`` or ``api``)."""

    __slots__ = (
        "_hit_counter",
        "_miss_counter",
        "_observe",
        "_record",
        "_record_miss",
        "degraded",
        "errors",
        "hits",
        "latency",
        "miss_latency",
        "misses",
        "name",
    )

    def __init__(self, name: str, *, series: tuple[str, ...] = ("hits", "misses")) -> None:
        self.name = name
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self.degraded = 0
        #: Time to answer (hits; for the API, its calls) and time to find nothing (misses).
        self.latency = LatencyHistogram()
        self.miss_latency = LatencyHistogram()
        self._record = self.latency.record
        self._record_miss = self.miss_latency.record
        # Only the Prometheus series the tier can move (``series``): L0 reports its hits alone,
        # the API its calls; a series that never moves would read as a real zero.
        self._hit_counter: Any = (
            metrics.cache_hits_total.labels(tier=name) if "hits" in series else _NONE
        )
        self._miss_counter: Any = (
            metrics.cache_misses_total.labels(tier=name) if "misses" in series else _NONE
        )
        self._observe = metrics.cache_latency_seconds.labels(tier=name).observe

    def hit(self, seconds: float) -> None:
        """One lookup answered by this tier in ``seconds``."""
        self.hits += 1
        self._record(seconds)
        self._hit_counter.inc()
        self._observe(seconds)

    def miss(self, seconds: float) -> None:
        """One lookup this tier did not answer (absent, expired or undecodable)."""
        self.misses += 1
        self._record_miss(seconds)
        self._miss_counter.inc()
        self._observe(seconds)

    def error(self) -> None:
        """A lookup that failed to reach the server: a miss, and an error."""
        self.misses += 1
        self.errors += 1
        self._miss_counter.inc()
        metrics.cache_tier_errors_total.labels(tier=self.name).inc()

    def skip(self) -> None:
        """A lookup skipped because the tier is known to be down: a miss, degraded."""
        self.misses += 1
        self.degraded += 1
        self._miss_counter.inc()

    def timed(self, seconds: float) -> None:
        """Record a latency that is neither hit nor miss (an upstream API call)."""
        self._record(seconds)
        self._observe(seconds)

    def snapshot(self) -> dict[str, Any]:
        """The tier's section of :meth:`CacheStats.snapshot`."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": _rate(self.hits, self.misses),
            "errors": self.errors,
            "degraded": self.degraded,
            "latency": self.latency.summary(),
            "miss_latency": self.miss_latency.summary(),
        }


class CacheStats:
    """All counters of one cache manager (``clock``: whose minutes the timeline counts)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.l0 = TierStats("l0", series=("hits",))
        self.hot = TierStats("hot")
        self.warm = TierStats("warm")
        self.api = TierStats("api", series=())
        self.timeline = MinuteCounter(clock)
        # Prometheus children looked up once: labels() takes a lock and a dict lookup per call.
        self._requests_hit = metrics.cache_requests_total.labels(outcome="hit")
        self._requests_miss = metrics.cache_requests_total.labels(outcome="miss")
        #: Calls answered without the API (tier hits, coalesced and stale-if-error included).
        self.call_hits = 0
        #: Calls no tier could answer.
        self.call_misses = 0
        #: Calls that shared another caller's in-flight lookup.
        self.coalesced = 0
        #: Calls answered with an expired entry (stale-if-error or offline).
        self.stale_served = 0
        #: Upstream (loader) calls made, and how many of them failed.
        self.api_calls = 0
        self.api_errors = 0
        #: Entries promoted from the warm to the hot tier.
        self.promotions = 0
        #: Fetched entries written to the tiers.
        self.writes = 0

    @property
    def l0_hits(self) -> int:
        """Calls the facade answered from its in-process frame cache (L0) without asking us."""
        return self.l0.hits

    def call_hit(self) -> None:
        """A call answered from the cache."""
        self.call_hits += 1
        self.timeline.hit()
        self._requests_hit.inc()

    def l0_hit(self, seconds: float) -> None:
        """A call the facade's L0 frame cache answered in ``seconds``: an API call avoided."""
        self.l0.hit(seconds)
        self.call_hit()

    def call_miss(self) -> None:
        """A call no tier could answer."""
        self.call_misses += 1
        self.timeline.miss()
        self._requests_miss.inc()

    def api_call(self, seconds: float, *, ok: bool) -> None:
        """One upstream call (loader) that took ``seconds``."""
        self.api_calls += 1
        if not ok:
            self.api_errors += 1
        self.api.timed(seconds)
        self.timeline.api_call()
        metrics.api_calls_total.labels(outcome="ok" if ok else "error").inc()

    def snapshot(self) -> CacheStatsView:
        """The spec's stats shape plus sportsframe's extras (see the module docstring)."""
        calls = self.call_hits + self.call_misses
        l0_misses = max(calls - self.l0.hits, 0)
        return CacheStatsView(
            l0_cache={
                "hits": self.l0.hits,
                "misses": l0_misses,
                "hit_rate": _rate(self.l0.hits, l0_misses),
                "latency": self.l0.latency.summary(),
            },
            hot_cache=self.hot.snapshot(),
            warm_cache=self.warm.snapshot(),
            overall={
                "hits": self.call_hits,
                "misses": self.call_misses,
                "hit_rate": _rate(self.call_hits, self.call_misses),
                "api_calls_avoided": self.call_hits,
                "coalesced": self.coalesced,
                "stale_served": self.stale_served,
            },
            api={
                "calls": self.api_calls,
                "errors": self.api_errors,
                "latency": self.api.latency.summary(),
            },
            timeline=self.timeline.snapshot(),
        )


def _cell(value: Any, kind: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "ms":
        return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}"


class CacheStatsView(dict[str, Any]):
    """The dict :func:`sportsframe.cache_stats` returns, readable in a notebook.

    It is a plain ``dict`` (``stats["overall"]["hit_rate"]``, ``json.dumps`` with
    ``default=str``) with a compact HTML table for Jupyter and :meth:`to_frame` for pandas.
    """

    def tier(self, name: str) -> dict[str, Any]:
        """The section of tier ``name`` (``l0``, ``hot``, ``warm`` or ``api``; empty if absent)."""
        section: dict[str, Any] = self.get(TIERS[name], {})
        return section

    def to_frame(self) -> pd.DataFrame:
        """One row per tier (``l0``, ``hot``, ``warm``, ``api``): hits, misses, hit_rate, calls,
        errors and the latency summary (``latency_count``, ``p50_ms``, ``p95_ms``, ``max_ms``).

        The API row has calls and errors; hits and misses do not apply to it (NA).
        """
        import pandas as pd

        rows = []
        for name in TIERS:
            section = self.tier(name)
            latency = section.get("latency", {})
            cache = name != "api"
            hits, misses = section.get("hits"), section.get("misses")
            rows.append(
                {
                    "tier": name,
                    "hits": hits if cache else None,
                    "misses": misses if cache else None,
                    "hit_rate": section.get("hit_rate") if cache else None,
                    "calls": (hits or 0) + (misses or 0) if cache else section.get("calls"),
                    "errors": section.get("errors", 0),
                    "latency_count": latency.get("count", 0),
                    "p50_ms": latency.get("p50_ms"),
                    "p95_ms": latency.get("p95_ms"),
                    "max_ms": latency.get("max_ms"),
                }
            )
        frame = pd.DataFrame(rows).set_index("tier")
        ints = ["hits", "misses", "calls", "errors", "latency_count"]
        floats = ["hit_rate", "p50_ms", "p95_ms", "max_ms"]
        return frame.astype(dict.fromkeys(ints, "Int64") | dict.fromkeys(floats, "Float64"))

    def _repr_html_(self) -> str:
        overall = self.get("overall", {})
        head = "".join(
            f"<th>{h}</th>"
            for h in ("tier", "hits", "misses", "hit rate", "p50 ms", "p95 ms", "max ms")
        )
        body = []
        for name, label in (("l0", "L0"), ("hot", "hot"), ("warm", "warm"), ("api", "API")):
            section = self.tier(name)
            latency = section.get("latency", {})
            if name == "api":
                counts = (
                    f"<td colspan='3'>{_cell(section.get('calls', 0))} calls, "
                    f"{_cell(section.get('errors', 0))} failed</td>"
                )
            else:
                counts = "".join(
                    f"<td>{_cell(section.get(k), kind)}</td>"
                    for k, kind in (("hits", ""), ("misses", ""), ("hit_rate", "rate"))
                )
            times = "".join(
                f"<td>{_cell(latency.get(k), 'ms')}</td>" for k in ("p50_ms", "p95_ms", "max_ms")
            )
            body.append(f"<tr><th>{label}</th>{counts}{times}</tr>")
        caption = html.escape(
            f"sportsframe cache: {_cell(overall.get('hit_rate'), 'rate')} of "
            f"{_cell(overall.get('hits', 0) + overall.get('misses', 0))} calls served from "
            f"cache, {_cell(overall.get('api_calls_avoided', 0))} API calls avoided"
        )
        return (
            f"<table class='sportsframe-stats'><caption>{caption}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def json_default(value: Any) -> Any:
    """``json.dumps(stats, default=json_default)``: the timeline as rows, anything else as text."""
    return value.rows() if isinstance(value, Timeline) else str(value)
