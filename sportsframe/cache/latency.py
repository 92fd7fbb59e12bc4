"""Bounded summaries behind the statistics: a latency histogram per tier and a per-minute timeline.

Both cost the same whatever the session's length. :class:`LatencyHistogram` keeps counts in
fixed log-spaced buckets (20 per decade from 1 µs to 1,000 s, so a percentile read back from it
is within about 6 % of the exact one) plus the exact minimum and maximum; recording is one
``bisect`` and a few attribute updates. :class:`MinuteCounter` keeps the calls of the current
minute in three integers and the finished minutes in a ring of :data:`TIMELINE_MINUTES`; the
minute comes from the injected clock, so tests move it by hand.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sportsframe.clock import Clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BUCKET_BOUNDS",
    "TIMELINE_MINUTES",
    "LatencyHistogram",
    "MinuteCounter",
    "Timeline",
]

#: Buckets per decade of the latency histogram (a bucket spans a factor of about 1.12).
_PER_DECADE = 20
#: Upper bounds (seconds) of the histogram's buckets, 1 µs to 1,000 s; one more bucket above.
BUCKET_BOUNDS: tuple[float, ...] = tuple(
    1e-6 * 10 ** (i / _PER_DECADE) for i in range(9 * _PER_DECADE + 1)
)
#: Minutes the timeline keeps (24 hours).
TIMELINE_MINUTES = 1440


class LatencyHistogram:
    """Latencies in fixed log-spaced buckets: count, percentiles and max in bounded memory."""

    __slots__ = ("count", "counts", "maximum", "minimum")

    def __init__(self) -> None:
        self.count = 0
        self.counts = [0] * (len(BUCKET_BOUNDS) + 1)
        self.minimum = math.inf
        self.maximum = 0.0

    def record(self, seconds: float) -> None:
        """Count one latency (on the hit path: no allocation, no sorting)."""
        self.counts[bisect_right(BUCKET_BOUNDS, seconds)] += 1
        self.count += 1
        if seconds > self.maximum:
            self.maximum = seconds
        if seconds < self.minimum:
            self.minimum = seconds

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile in seconds (0 < q <= 1), or None before the first latency.

        Nearest rank, placed inside its bucket by interpolating on the log scale and clamped to
        the exact min and max (so the first and last ranks, and one latency, read back exactly).
        """
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        # The extreme ranks are known exactly.
        if rank == 1:
            return self.minimum
        if rank >= self.count:
            return self.maximum
        seen = 0
        for index, n in enumerate(self.counts):
            if seen + n >= rank:
                lo = max(BUCKET_BOUNDS[index - 1] if index else self.minimum, self.minimum)
                hi = min(
                    BUCKET_BOUNDS[index] if index < len(BUCKET_BOUNDS) else self.maximum,
                    self.maximum,
                )
                if hi <= lo:
                    return min(max(hi, self.minimum), self.maximum)
                share = (rank - seen) / n
                # Log-spaced buckets: interpolate on the log scale (linearly from zero).
                value = lo + (hi - lo) * share if lo <= 0 else lo * math.pow(hi / lo, share)
                return min(max(value, self.minimum), self.maximum)
            seen += n
        return self.maximum  # pragma: no cover - the counts always reach the rank

    def summary(self) -> dict[str, Any]:
        """``count``, ``p50_ms``, ``p95_ms`` and ``max_ms`` (milliseconds; None when empty)."""

        def ms(seconds: float | None) -> float | None:
            return None if seconds is None else round(seconds * 1000, 4)

        return {
            "count": self.count,
            "p50_ms": ms(self.quantile(0.50)),
            "p95_ms": ms(self.quantile(0.95)),
            "max_ms": ms(self.maximum if self.count else None),
        }


class Timeline:
    """Calls per minute, oldest first: ``minutes`` (UTC), ``hits``, ``misses``, ``api_calls``.

    A snapshot (it does not change). Minutes without calls are left out. Its repr is one line,
    so a printed stats dict stays short; :meth:`to_frame` gives the table.
    """

    __slots__ = ("api_calls", "hits", "minutes", "misses")

    def __init__(
        self,
        minutes: tuple[datetime, ...] = (),
        hits: tuple[int, ...] = (),
        misses: tuple[int, ...] = (),
        api_calls: tuple[int, ...] = (),
    ) -> None:
        self.minutes = minutes
        self.hits = hits
        self.misses = misses
        self.api_calls = api_calls

    def __len__(self) -> int:
        return len(self.minutes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeline):
            return NotImplemented
        return self.rows() == other.rows()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if not self.minutes:
            return "Timeline(no calls)"
        first, last = self.minutes[0], self.minutes[-1]
        return (
            f"Timeline({len(self)} minute{'s' if len(self) > 1 else ''} with calls, "
            f"{first:%Y-%m-%d %H:%M} to "
            f"{last:%H:%M} UTC; {sum(self.hits)} hits, {sum(self.misses)} misses, "
            f"{sum(self.api_calls)} API calls)"
        )

    def hit_rates(self) -> list[float | None]:
        """Hits / (hits + misses) of each minute (None for a minute of API calls only)."""
        return [h / (h + m) if h + m else None for h, m in zip(self.hits, self.misses, strict=True)]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per minute (``minute`` as ISO 8601), e.g. for JSON."""
        return [
            {"minute": t.isoformat(), "hits": h, "misses": m, "api_calls": a}
            for t, h, m, a in zip(self.minutes, self.hits, self.misses, self.api_calls, strict=True)
        ]

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame indexed by minute: hits, misses, api_calls, hit_rate."""
        import pandas as pd

        frame = pd.DataFrame(
            {"hits": self.hits, "misses": self.misses, "api_calls": self.api_calls},
            index=pd.DatetimeIndex(list(self.minutes), name="minute"),
            dtype="int64",
        )
        frame["hit_rate"] = pd.Series(self.hit_rates(), index=frame.index, dtype="float64")
        return frame


class MinuteCounter:
    """Hits, misses and API calls per minute of the clock, the last ``minutes`` minutes."""

    __slots__ = ("_api", "_clock", "_hits", "_minute", "_misses", "_past")

    def __init__(self, clock: Clock, minutes: int = TIMELINE_MINUTES) -> None:
        self._clock = clock
        self._minute = -1
        self._hits = self._misses = self._api = 0
        # Finished minutes with calls: (epoch minute, hits, misses, api calls).
        self._past: deque[tuple[int, int, int, int]] = deque(maxlen=minutes)

    def _roll(self) -> None:
        minute = int(self._clock.time() // 60)
        if minute == self._minute:
            return
        if self._hits or self._misses or self._api:
            self._past.append((self._minute, self._hits, self._misses, self._api))
        self._minute = minute
        self._hits = self._misses = self._api = 0

    def hit(self) -> None:
        """A call answered from a cache, now."""
        self._roll()
        self._hits += 1

    def miss(self) -> None:
        """A call no cache could answer, now."""
        self._roll()
        self._misses += 1

    def api_call(self) -> None:
        """An upstream API call, now."""
        self._roll()
        self._api += 1

    def snapshot(self) -> Timeline:
        """The minutes with calls within the last ``minutes`` minutes of the clock."""
        now = int(self._clock.time() // 60)
        merged: dict[int, list[int]] = {}
        # A clock set back, or two threads rolling at once, can repeat a minute: add them up.
        for minute, h, m, a in (*self._past, (self._minute, self._hits, self._misses, self._api)):
            if now - minute >= (self._past.maxlen or TIMELINE_MINUTES) or not (h or m or a):
                continue
            row = merged.setdefault(minute, [0, 0, 0])
            row[0] += h
            row[1] += m
            row[2] += a
        order = sorted(merged)
        return Timeline(
            tuple(datetime.fromtimestamp(m * 60, UTC) for m in order),
            tuple(merged[m][0] for m in order),
            tuple(merged[m][1] for m in order),
            tuple(merged[m][2] for m in order),
        )
