"""The per-tier circuit breaker: opens after repeated failures, probes once per period."""

from __future__ import annotations

import logging

import pytest

from sportsframe.cache.breaker import FAILURE_THRESHOLD, RESET_PERIOD, BreakerState, CircuitBreaker
from sportsframe.clock import ManualClock


def _open(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.threshold):
        assert breaker.allow()
        breaker.failure("connection refused")


def test_opens_after_threshold_consecutive_failures(clock: ManualClock) -> None:
    breaker = CircuitBreaker("hot", clock=clock)
    for _ in range(FAILURE_THRESHOLD - 1):
        breaker.failure("refused")
        assert breaker.state is BreakerState.CLOSED
    breaker.failure("refused")
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.skipped == 1


def test_success_resets_the_failure_count(clock: ManualClock) -> None:
    breaker = CircuitBreaker("hot", threshold=2, clock=clock)
    breaker.failure("refused")
    breaker.success()
    breaker.failure("refused")
    assert breaker.state is BreakerState.CLOSED


def test_one_probe_per_reset_period(clock: ManualClock) -> None:
    breaker = CircuitBreaker("hot", clock=clock)
    _open(breaker)
    clock.advance(RESET_PERIOD - 0.01)
    assert not breaker.allow()
    clock.advance(0.02)
    assert breaker.allow()  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()  # others keep skipping while the probe is out
    breaker.failure("still refused")
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()  # a failed probe restarts the period
    clock.advance(RESET_PERIOD)
    assert breaker.allow()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_cancelled_probe_lets_another_through(clock: ManualClock) -> None:
    breaker = CircuitBreaker("hot", clock=clock)
    _open(breaker)
    clock.advance(RESET_PERIOD)
    assert breaker.allow()
    breaker.release_probe()
    assert breaker.allow()


def test_one_warning_per_outage(clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    breaker = CircuitBreaker("warm", clock=clock)
    with caplog.at_level(logging.INFO, logger="sportsframe.cache"):
        for _ in range(5):
            breaker.failure("refused")
            clock.advance(RESET_PERIOD)
            breaker.allow()
        breaker.success()
        breaker.success()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1
    assert "warm cache tier unavailable" in warnings[0].getMessage()
    assert len(infos) == 1
    assert "back" in infos[0].getMessage()
    assert breaker.opened == 1
    assert not breaker.degraded


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threshold"):
        CircuitBreaker("hot", threshold=0)
