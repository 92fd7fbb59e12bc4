"""Prometheus metrics of the cache, created once per process (module level).

``cache_hits_total{tier}`` / ``cache_misses_total{tier}`` count tier lookups (``hot``, ``warm``)
exactly as ``get_stats()`` does, ``cache_latency_seconds{tier}`` observes each lookup's latency
(``hot``, ``warm``, and ``api`` for upstream calls), ``cache_requests_total{outcome}`` counts cache
calls by outcome (``hit`` = API call avoided, ``miss``) and ``cache_tier_errors_total{tier}`` the
calls that failed to reach a tier's server. They live in prometheus_client's default registry, so
``prometheus_client.start_http_server`` or ``generate_latest()`` exposes them with nothing else
to wire.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = [
    "LATENCY_BUCKETS",
    "cache_hits_total",
    "cache_latency_seconds",
    "cache_misses_total",
    "cache_requests_total",
    "cache_tier_errors_total",
]

#: Histogram buckets (seconds) from a sub-millisecond hot hit to a slow upstream call.
LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

cache_hits_total = Counter("cache_hits_total", "Cache lookups answered by a tier", ["tier"])
cache_misses_total = Counter(
    "cache_misses_total", "Cache lookups a tier did not answer (absent, expired or down)", ["tier"]
)
cache_latency_seconds = Histogram(
    "cache_latency_seconds",
    "Latency of cache tier lookups and upstream API calls",
    ["tier"],
    buckets=LATENCY_BUCKETS,
)
cache_requests_total = Counter(
    "cache_requests_total", "Cache calls by outcome (hit: API call avoided)", ["outcome"]
)
cache_tier_errors_total = Counter(
    "cache_tier_errors_total", "Calls that failed to reach a cache tier's server", ["tier"]
)
