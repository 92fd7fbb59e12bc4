"""Clocks: the one seam through which client, cache and emulator read the time.

Tests inject :class:`ManualClock` and move it forward, so nothing ever sleeps for a TTL.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Wall time (UTC, for expiry) and a monotonic reading (for intervals and latencies)."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def time(self) -> float:
        """Seconds since the epoch (the same instant as :meth:`now`)."""
        ...

    def monotonic(self) -> float:
        """A monotonic reading in seconds, for rate limits, breakers and latencies."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock that moves only when told to (``advance``/``set``). Both readings move together."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def time(self) -> float:
        return self._now.timestamp()

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both readings forward by ``seconds``."""
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        """Jump the wall clock to ``when`` (monotonic moves by the same amount if forward)."""
        delta = (when.astimezone(UTC) - self._now).total_seconds()
        self._now = when.astimezone(UTC)
        self._mono += max(delta, 0.0)

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
