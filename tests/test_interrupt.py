"""Ctrl-C and timeouts in a sync call cancel its work on the background loop.

A modeller who interrupts ``sf.props(2024, range(1, 9))`` must get the prompt back *and* stop the
requests: a coroutine left running would go on spending the monthly quota. The emulator's own
request log (arrival times, as the server saw them) shows when the requests stopped.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sportsframe as sf
from sportsframe import loop as runner
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.facade import session

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WEEKS = range(1, 9)
LATENCY = 0.3


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(now=NOW, latency=(LATENCY, LATENCY))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def default_session(
    slow_emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> Iterator[sf.Session]:
    """``sf``'s module functions on the emulator, embedded tiers, 20 requests/s."""
    configured = sf.configure(
        source="emulator",
        base_url=slow_emulator.base_url,
        namespace=namespace,
        rate_limit=20.0,
        redis_host="",
        l0_max_bytes=0,
        home=tmp_path,
    )
    yield configured
    with sf._lock:
        sf._default = None
    configured.close()


def _main_thread_interrupt(how: str) -> Callable[[], None]:
    main = threading.main_thread().ident
    assert main is not None
    if how == "interrupt_main":  # a flag the interpreter checks, like some kernels' interrupt
        return _thread.interrupt_main
    return lambda: signal.pthread_kill(main, signal.SIGINT)  # a real Ctrl-C


class _InterruptAfterFirstPart:
    """A progress bar that presses Ctrl-C when the first part is done, and says when."""

    def __init__(self, interrupt: Callable[[], None]) -> None:
        self.interrupt = interrupt
        self.at: float | None = None

    def __call__(self, total: int, dataset: str, progress: bool | None) -> Any:
        return self

    def update(self, n: int) -> None:
        if self.at is None:
            self.at = time.time()
            self.interrupt()

    def close(self) -> None:
        pass


def _assert_stopped(server: EmulatorServer, interrupted_at: float) -> None:
    time.sleep(1.5)  # long enough for any orphaned fetch to show up in the log
    arrivals = sorted(r.time for r in server.requests())
    late = [round(t - interrupted_at, 3) for t in arrivals if t > interrupted_at + 0.5]
    assert not late, f"requests started this many seconds after Ctrl-C: {late}"


def _assert_cut_short(server: EmulatorServer) -> None:
    """The interrupted call left work undone, and the session completes it when asked again."""
    sent = len(server.requests())
    server.set_latency(0.0, 0.0)
    frame = sf.props(2024, WEEKS)
    assert set(frame["week"]) == set(WEEKS)
    assert len(server.requests()) > sent  # the interrupted call had not sent them all


@pytest.mark.parametrize("how", ["signal", "interrupt_main"])
def test_ctrl_c_in_a_multi_week_props_call_stops_its_requests(
    how: str,
    default_session: sf.Session,
    slow_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bar = _InterruptAfterFirstPart(_main_thread_interrupt(how))
    monkeypatch.setattr(session, "_progress_bar", bar)
    with pytest.raises(KeyboardInterrupt):
        sf.props(2024, WEEKS, progress=True)
    assert bar.at is not None
    _assert_stopped(slow_emulator, bar.at)
    monkeypatch.undo()
    _assert_cut_short(slow_emulator)


def test_ctrl_c_in_warm_stops_its_requests(
    default_session: sf.Session, slow_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bar = _InterruptAfterFirstPart(_main_thread_interrupt("signal"))
    monkeypatch.setattr(session, "_progress_bar", bar)
    with pytest.raises(KeyboardInterrupt):
        sf.warm(2024, WEEKS, datasets=("props",), progress=True)
    assert bar.at is not None
    _assert_stopped(slow_emulator, bar.at)
    monkeypatch.undo()
    _assert_cut_short(slow_emulator)


def test_a_timeout_cancels_the_coroutine_on_the_loop() -> None:
    started, cancelled = threading.Event(), threading.Event()

    async def slow() -> None:
        import asyncio

        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        runner.run_sync(slow(), timeout=0.2)
    assert started.is_set()
    assert cancelled.wait(2), "the coroutine went on running after the caller's timeout"


def test_an_exception_raised_by_the_coroutine_is_not_taken_for_a_timeout() -> None:
    async def fails() -> None:
        raise TimeoutError("upstream said so")

    with pytest.raises(TimeoutError, match="upstream said so"):
        runner.run_sync(fails(), timeout=5)
