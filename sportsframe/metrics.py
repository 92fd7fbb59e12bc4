"""Prometheus metrics of the cache, in a registry of sportsframe's own.

Every name starts with ``sportsframe_`` and lives in :data:`REGISTRY`, not prometheus_client's
global one, so nothing collides with another library's metrics and nothing appears in an
application's ``/metrics`` unless it asks for it (``REGISTRY`` can be registered as a collector
of another registry).

* ``sportsframe_cache_hits_total{tier}`` / ``sportsframe_cache_misses_total{tier}``: tier lookups
  (``l0`` hits, ``hot``, ``warm``), exactly as ``cache_stats()`` counts them.
* ``sportsframe_cache_latency_seconds{tier}``: each lookup's latency (``l0``, ``hot``, ``warm``,
  and ``api`` for upstream calls).
* ``sportsframe_cache_requests_total{outcome}``: cache calls by outcome (``hit`` = API call
  avoided, ``miss``).
* ``sportsframe_cache_tier_errors_total{tier}``: calls that failed to reach a tier's server.
* ``sportsframe_api_calls_total{outcome}``: upstream calls (``ok``, ``error``).
* ``sportsframe_quota_used{source}`` / ``sportsframe_quota_limit{source}``: the monthly quota as
  last read by ``quota()``.

Counters are per process and cumulative (``reset_stats()`` does not move them). For a long batch
job, :func:`serve` exposes them over HTTP; ``sportsframe stats --prometheus`` prints them.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server

__all__ = [
    "LATENCY_BUCKETS",
    "REGISTRY",
    "MetricsServer",
    "api_calls_total",
    "cache_hits_total",
    "cache_latency_seconds",
    "cache_misses_total",
    "cache_requests_total",
    "cache_tier_errors_total",
    "exposition",
    "quota_limit",
    "quota_used",
    "serve",
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

#: The registry holding every sportsframe metric (never prometheus_client's global one).
REGISTRY = CollectorRegistry()

cache_hits_total = Counter(
    "sportsframe_cache_hits_total", "Cache lookups answered by a tier", ["tier"], registry=REGISTRY
)
cache_misses_total = Counter(
    "sportsframe_cache_misses_total",
    "Cache lookups a tier did not answer (absent, expired or down)",
    ["tier"],
    registry=REGISTRY,
)
cache_latency_seconds = Histogram(
    "sportsframe_cache_latency_seconds",
    "Latency of cache tier lookups and upstream API calls",
    ["tier"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
cache_requests_total = Counter(
    "sportsframe_cache_requests_total",
    "Cache calls by outcome (hit: API call avoided)",
    ["outcome"],
    registry=REGISTRY,
)
cache_tier_errors_total = Counter(
    "sportsframe_cache_tier_errors_total",
    "Calls that failed to reach a cache tier's server",
    ["tier"],
    registry=REGISTRY,
)
api_calls_total = Counter(
    "sportsframe_api_calls_total", "Upstream API calls by outcome", ["outcome"], registry=REGISTRY
)
quota_used = Gauge(
    "sportsframe_quota_used",
    "API requests counted this month (as last read)",
    ["source"],
    registry=REGISTRY,
)
quota_limit = Gauge(
    "sportsframe_quota_limit", "Monthly API request limit", ["source"], registry=REGISTRY
)


def exposition() -> str:
    """The metrics in Prometheus's text exposition format."""
    return generate_latest(REGISTRY).decode("utf-8")


class MetricsServer:
    """A running metrics endpoint (from :func:`serve`); :meth:`stop` shuts it down."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        """The port it listens on (useful after ``serve(0)``)."""
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """The metrics URL."""
        host = self._server.server_address[0]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}/metrics"

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MetricsServer({self.url})"


def serve(port: int = 9464, addr: str = "127.0.0.1") -> MetricsServer:
    """Serve the metrics at ``http://addr:port/metrics`` from a background thread.

    For long batch jobs that Prometheus scrapes. ``addr="0.0.0.0"`` listens on every interface
    (the default is loopback only); ``port=0`` picks a free port (see ``.port``).

    Example::

        server = sf.metrics.serve(9464)
        ...  # the job
        server.stop()
    """
    server, thread = _start_http_server(port, addr=addr, registry=REGISTRY)
    return MetricsServer(server, thread)
