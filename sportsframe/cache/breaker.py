"""A circuit breaker per cache tier: stop paying connect timeouts to a server that is down.

States::

    closed ──(FAILURE_THRESHOLD consecutive failures)──► open
    open ──(RESET_PERIOD elapsed: the next call is let through as a probe)──► half-open
    half-open ──probe succeeds──► closed        half-open ──probe fails──► open (period restarts)

While open, :meth:`CircuitBreaker.allow` answers ``False`` without any I/O, so the caller skips
the tier and treats it as a miss. Exactly one probe call is allowed per reset period; concurrent
callers keep skipping until that probe reports back. Time comes from the injected clock's
monotonic reading, so tests open and half-open a breaker by advancing a ``ManualClock``.

The breaker also owns the "one log line per outage" rule: it logs a warning when the first failure
of an outage arrives (the tier is treated as down from then on) and an info line when the tier is
back; repeated failures in between are counted, not logged.
"""

from __future__ import annotations

import logging
from enum import Enum

from sportsframe.clock import SYSTEM_CLOCK, Clock

__all__ = ["FAILURE_THRESHOLD", "RESET_PERIOD", "BreakerState", "CircuitBreaker"]

log = logging.getLogger("sportsframe.cache")

#: Consecutive failures that open the breaker. Small, because every failure may have cost a
#: connect or read timeout; more than one, so that a single dropped connection does not send a
#: healthy tier's traffic elsewhere for a whole period.
FAILURE_THRESHOLD = 2
#: Seconds an open breaker waits before letting one probe call through.
RESET_PERIOD = 5.0


class BreakerState(Enum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Tracks one tier's health; see the module docstring for the state machine.

    ``name`` labels log lines (``hot`` / ``warm``). ``threshold`` and ``reset_period`` default to
    the module constants. Not thread-safe: one breaker lives on one event loop.
    """

    __slots__ = (
        "_failures",
        "_last_error",
        "_opened_at",
        "_outage",
        "_probing",
        "clock",
        "name",
        "opened",
        "reset_period",
        "skipped",
        "state",
        "threshold",
    )

    def __init__(
        self,
        name: str,
        *,
        threshold: int = FAILURE_THRESHOLD,
        reset_period: float = RESET_PERIOD,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.name = name
        self.threshold = threshold
        self.reset_period = reset_period
        self.clock = clock
        self.state = BreakerState.CLOSED
        #: How many times the breaker has opened (outages seen).
        self.opened = 0
        #: Calls skipped without I/O because the breaker was open.
        self.skipped = 0
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._outage = False
        self._last_error = ""

    @property
    def degraded(self) -> bool:
        """True from the first failure of an outage until a call succeeds again."""
        return self._outage

    @property
    def last_error(self) -> str:
        """The last failure's message (for stats), empty when healthy."""
        return self._last_error

    def allow(self) -> bool:
        """May the caller use the tier now? ``False`` means skip it (no I/O at all)."""
        if self.state is BreakerState.CLOSED:
            return True
        return self._allow_slow()

    def _allow_slow(self) -> bool:
        if self.state is BreakerState.OPEN:
            if self.clock.monotonic() - self._opened_at >= self.reset_period:
                self.state = BreakerState.HALF_OPEN
                self._probing = True
                return True
        elif not self._probing:  # half-open, and the last probe was cancelled before reporting
            self._probing = True
            return True
        self.skipped += 1
        return False

    def success(self) -> None:
        """Report a call that reached the server and got an answer."""
        if self.state is BreakerState.CLOSED and not self._outage:
            self._failures = 0
            return
        if self._outage:
            log.info("%s cache tier is back; using it again", self.name)
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._probing = False
        self._outage = False
        self._last_error = ""

    def failure(self, reason: str) -> None:
        """Report a call that could not reach the server (``reason`` must hold no secret)."""
        self._last_error = reason
        if not self._outage:
            self._outage = True
            log.warning(
                "%s cache tier unavailable (%s); serving from the next tier until it is back",
                self.name,
                reason,
            )
        self._failures += 1
        if self.state is BreakerState.HALF_OPEN or self._failures >= self.threshold:
            if self.state is BreakerState.CLOSED:
                self.opened += 1
            self.state = BreakerState.OPEN
            self._opened_at = self.clock.monotonic()
            self._probing = False

    def release_probe(self) -> None:
        """A half-open probe ended without reaching the server (cancelled): allow another."""
        if self.state is BreakerState.HALF_OPEN:
            self._probing = False

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value}, opened={self.opened})"
