"""Cache statistics: per-tier counters, per-call outcomes and bounded latency samples.

Two kinds of count, kept apart so each is right:

* **Tier counts** (``hot_cache``, ``warm_cache``): every lookup that reached the tier is a hit or a
  miss of that tier; a lookup the tier could not answer because it was down (or its breaker open)
  is a miss too, and is also counted in ``errors`` (a call to the server failed) or ``degraded``
  (the tier was skipped without I/O). ``hit_rate = hits / (hits + misses)`` of that tier.
* **Call outcomes** (``overall``): each cache call ends once, either answered from a tier (a hit:
  ``api_calls_avoided``) or not (a miss: in the read-through path exactly the calls that reached
  the API). Calls that joined another caller's in-flight miss are hits too (``coalesced``), and
  so are the facade's L0 hits it reports (``l0_cache.hits``).
  ``hit_rate = hits / (hits + misses)``.

The spec's example mixes the two (its ``overall`` misses are not the calls that reached the API);
sportsframe computes them as above (DESIGN §6). The same counts feed the Prometheus metrics in
:mod:`sportsframe.metrics`. Recording is a few attribute updates and one ``deque.append``: it runs
on every hot hit.
"""

from __future__ import annotations

import statistics
from collections import deque
from typing import Any

from sportsframe import metrics

__all__ = ["LATENCY_SAMPLES", "CacheStats", "TierStats"]

#: Latency samples kept per tier (a ring buffer: the newest win).
LATENCY_SAMPLES = 2048


def _rate(hits: int, misses: int) -> float:
    total = hits + misses
    return round(hits / total, 4) if total else 0.0


def _ms(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return round(samples[0] * 1000, 4)
    return round(statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] * 1000, 4)


class TierStats:
    """Counters and latency samples of one tier (``hot``, ``warm`` or ``api``)."""

    __slots__ = (
        "_hit_counter",
        "_latency",
        "_miss_counter",
        "_observe",
        "degraded",
        "errors",
        "hits",
        "latencies",
        "misses",
        "name",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self.degraded = 0
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self._hit_counter = metrics.cache_hits_total.labels(tier=name)
        self._miss_counter = metrics.cache_misses_total.labels(tier=name)
        self._latency = metrics.cache_latency_seconds.labels(tier=name)
        self._observe = self._latency.observe

    def hit(self, seconds: float) -> None:
        """One lookup answered by this tier in ``seconds``."""
        self.hits += 1
        self.latencies.append(seconds)
        self._hit_counter.inc()
        self._observe(seconds)

    def miss(self, seconds: float) -> None:
        """One lookup this tier did not answer (absent, expired or undecodable)."""
        self.misses += 1
        self.latencies.append(seconds)
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
        self.latencies.append(seconds)
        self._observe(seconds)

    def snapshot(self) -> dict[str, Any]:
        """The tier's section of :meth:`CacheStats.snapshot`."""
        samples = list(self.latencies)
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": _rate(self.hits, self.misses),
            "errors": self.errors,
            "degraded": self.degraded,
            "latency_p50_ms": _ms(samples, 50),
            "latency_p95_ms": _ms(samples, 95),
        }


class CacheStats:
    """All counters of one cache manager."""

    def __init__(self) -> None:
        self.hot = TierStats("hot")
        self.warm = TierStats("warm")
        self.api = TierStats("api")
        #: Calls answered without the API (tier hits, coalesced and stale-if-error included).
        self.call_hits = 0
        #: Calls no tier could answer.
        self.call_misses = 0
        #: Calls that shared another caller's in-flight lookup.
        self.coalesced = 0
        #: Calls the facade answered from its in-process frame cache (L0) without asking us.
        self.l0_hits = 0
        #: Calls answered with an expired entry (stale-if-error or offline).
        self.stale_served = 0
        #: Upstream (loader) calls made, and how many of them failed.
        self.api_calls = 0
        self.api_errors = 0
        #: Entries promoted from the warm to the hot tier.
        self.promotions = 0
        #: Entries written through to the tiers.
        self.writes = 0

    def call_hit(self) -> None:
        """A call answered from the cache."""
        self.call_hits += 1
        metrics.cache_requests_total.labels(outcome="hit").inc()

    def l0_hit(self) -> None:
        """A call the facade's L0 frame cache answered: an API call avoided too."""
        self.l0_hits += 1
        self.call_hit()
        metrics.cache_hits_total.labels(tier="l0").inc()

    def call_miss(self) -> None:
        """A call no tier could answer."""
        self.call_misses += 1
        metrics.cache_requests_total.labels(outcome="miss").inc()

    def api_call(self, seconds: float, *, ok: bool) -> None:
        """One upstream call (loader) that took ``seconds``."""
        self.api_calls += 1
        if not ok:
            self.api_errors += 1
        self.api.timed(seconds)

    def snapshot(self) -> dict[str, Any]:
        """The spec's stats shape plus sportsframe's extras (see the module docstring)."""
        return {
            "l0_cache": {"hits": self.l0_hits},
            "hot_cache": self.hot.snapshot(),
            "warm_cache": self.warm.snapshot(),
            "overall": {
                "hits": self.call_hits,
                "misses": self.call_misses,
                "hit_rate": _rate(self.call_hits, self.call_misses),
                "api_calls_avoided": self.call_hits,
                "coalesced": self.coalesced,
                "stale_served": self.stale_served,
            },
            "api": {
                "calls": self.api_calls,
                "errors": self.api_errors,
                "latency_p50_ms": _ms(list(self.api.latencies), 50),
                "latency_p95_ms": _ms(list(self.api.latencies), 95),
            },
            "latency_samples_ms": {
                tier.name: [round(s * 1000, 4) for s in tier.latencies]
                for tier in (self.hot, self.warm, self.api)
            },
        }
