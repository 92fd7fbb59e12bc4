"""One long-lived background event loop that runs sportsframe's async core for sync callers.

The sync facade (and the cache manager's sync twin) submit coroutines to this loop with
:func:`run_sync`. It works the same from a plain script, from a thread pool and from inside a
running loop such as Jupyter's, because it never touches the caller's loop: no ``asyncio.run`` per
call and no loop patching (the archived nest-asyncio package is not used). Pooled connections
(httpx, redis, SQLAlchemy) are created on this loop and stay on it.

A call that ends early in the caller's thread — Ctrl-C (``KeyboardInterrupt``, also Jupyter's
interrupt) or its timeout — cancels its coroutine on the loop, so no fetch goes on spending the
API quota for a caller who left.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import concurrent.futures.thread  # registers its exit hook before ours (see _finish_at_exit)
import contextlib
import math
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

__all__ = [
    "EXIT_WAIT",
    "close_at_exit",
    "finish_before_exit",
    "get_loop",
    "in_loop_thread",
    "run_sync",
    "shutdown",
    "start",
    "until_quiet",
    "wait",
]

T = TypeVar("T")

#: The caller's thread wakes at least this often while it waits (seconds): a Ctrl-C delivered
#: as a flag rather than a signal (``_thread.interrupt_main``, some kernels) is seen that soon.
WAKE_INTERVAL = 0.1

#: How long, at most, interpreter exit waits for the work registered by
#: :func:`finish_before_exit` before it cancels what is left (seconds).
EXIT_WAIT = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
#: Tasks that must end on their own at exit: writes of entries already paid for.
_finish: set[asyncio.Future[Any]] = set()
#: Set when the exit wait ran out or was interrupted: the loop is not waited for again.
_unresponsive = False
#: Connection pools to close at exit, after those tasks (held weakly: a pool closed and dropped
#: before then is no longer here).
_pools: weakref.WeakSet[_Closeable] = weakref.WeakSet()


class _Closeable(Protocol):
    def aclose(self) -> Awaitable[None]: ...


def finish_before_exit(task: asyncio.Future[Any]) -> None:
    """Let ``task`` finish (for up to :data:`EXIT_WAIT` seconds) when the interpreter exits,
    rather than be cancelled with the background loop's other pending work: a script that
    ends right after a miss must still leave the fetched entry cached."""
    _finish.add(task)
    task.add_done_callback(_finish.discard)


def close_at_exit(pool: _Closeable) -> None:
    """Close ``pool`` on the background loop at interpreter exit, once the work of
    :func:`finish_before_exit` is done, unless it was closed before (its ``aclose()`` must then
    do nothing, and must leave alone a pool that belongs to another loop). A pool left open
    there would warn at exit ("Unclosed client session") when the caller never closed it."""
    _pools.add(pool)


def get_loop() -> asyncio.AbstractEventLoop:
    """The background loop, started on first use (a daemon thread named ``sportsframe-io``)."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed() or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_serve, args=(loop,), name="sportsframe-io", daemon=True
            )
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


def in_loop_thread() -> bool:
    """True when called from the background loop's own thread."""
    return _thread is not None and threading.current_thread() is _thread


def run_sync(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coro`` on the background loop and wait for its result (thread-safe).

    When the wait ends early — ``KeyboardInterrupt``, any other exception raised in this thread,
    or ``timeout`` seconds passing (``TimeoutError``) — the coroutine is cancelled on the loop
    before the exception reaches the caller.

    Raises RuntimeError when called from the loop thread itself, which would deadlock.
    """
    if in_loop_thread():
        coro.close()
        raise RuntimeError("run_sync() called from sportsframe's own loop; await the coroutine")
    future = asyncio.run_coroutine_threadsafe(coro, get_loop())
    try:
        _wait(future, timeout)
    except BaseException:
        # The task is still running (the wait ended, not the work): cancelling the future
        # cancels the task on the loop, and with it every fetch only it waits for.
        future.cancel()
        raise
    return future.result()


async def until_quiet(
    quiet_for: Callable[[], float],
    quiet: float,
    *,
    stop: Callable[[], bool] = lambda: False,
    most: float = math.inf,
) -> None:
    """Return once ``quiet_for()`` (seconds since some activity last happened) reaches
    ``quiet``, once ``stop()`` is true, or after ``most`` seconds: background work that holds
    the GIL waits for a gap in the callers' work this way."""
    waited = 0.0
    while not stop() and waited < most:
        pause = quiet - quiet_for()
        if pause <= 0:
            return
        await asyncio.sleep(pause)
        waited += pause


def start(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Start ``coro`` on the background loop and return at once (thread-safe); wait for it with
    :func:`wait`."""
    return asyncio.run_coroutine_threadsafe(coro, get_loop())


def wait(future: concurrent.futures.Future[Any]) -> None:
    """Block until ``future`` is done, raising a pending interrupt meanwhile (its own outcome is
    not raised: read it with ``future.result()``)."""
    _wait(future, None)


def _wait(future: concurrent.futures.Future[Any], timeout: float | None) -> None:
    """Block until ``future`` is done, waking every WAKE_INTERVAL so that a pending interrupt
    is raised here; TimeoutError after ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = (
            WAKE_INTERVAL if deadline is None else min(WAKE_INTERVAL, deadline - time.monotonic())
        )
        if concurrent.futures.wait([future], timeout=max(wait, 0.0)).done:
            return
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"no result within {timeout} s; the call was cancelled")


def shutdown() -> None:
    """Stop the background loop (at interpreter exit; tests may call it)."""
    global _loop, _thread
    with _lock:
        loop, thread = _loop, _thread
        _loop, _thread = None, None
    if loop is None or thread is None:
        return
    if thread.is_alive() and not loop.is_closed() and not _unresponsive:
        # Tasks still pending (a warm hit's copy to Redis, a hit-count flush) are cancelled
        # and awaited, rather than destroyed with a "Task was destroyed" warning at exit.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(timeout=EXIT_WAIT + 2)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    if thread.is_alive() or loop.is_running():
        return  # still inside a blocking call: a daemon thread, left to the interpreter
    _cancel_left(loop)
    loop.close()


def _cancel_left(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and finish, in this thread, the tasks still pending on a stopped loop, as
    ``asyncio.run`` does before it closes its loop.

    A loop that came back from a blocking call only after the exit wait gave up was stopped
    without :func:`_cancel_pending`: the tasks submitted meanwhile (the exit wait's own among
    them) would be destroyed pending, each with a "Task was destroyed" error at exit.
    """
    left = asyncio.all_tasks(loop)
    if not left:
        return
    for task in left:
        task.cancel()
    with contextlib.suppress(Exception):
        # Bounded: a task that goes on awaiting after its cancellation must not hold the exit.
        done, _ = loop.run_until_complete(asyncio.wait(left, timeout=EXIT_WAIT))
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved: no "exception was never retrieved" at exit


def _finish_at_exit() -> None:
    """Wait (up to :data:`EXIT_WAIT` seconds) for the work of :func:`finish_before_exit`, as
    the interpreter begins to exit.

    This runs before the thread pools of ``concurrent.futures`` stop taking work, which is
    before ``atexit``: a write let finish may have to open a connection, and opening one looks
    its host name up in the loop's default executor. From :func:`shutdown` that lookup failed
    ("cannot schedule new futures after interpreter shutdown") and the write was lost.
    """
    global _unresponsive
    with _lock:
        loop, thread = _loop, _thread
    if loop is None or thread is None or not thread.is_alive() or loop.is_closed():
        return
    waiting = asyncio.run_coroutine_threadsafe(_wait_finishing(), loop)
    try:
        waiting.result(timeout=EXIT_WAIT + 2)
    except (KeyboardInterrupt, TimeoutError):
        # Ctrl-C at exit (the user will not wait for the writes), or a loop stuck in some
        # call: either way, shutdown() does not wait for the loop a second time.
        _unresponsive = True
    except Exception:
        pass  # the writes log their own failures


async def _wait_finishing() -> None:
    loop = asyncio.get_running_loop()
    finishing = [t for t in _finish if t.get_loop() is loop and not t.done()]
    if finishing:
        await asyncio.wait(finishing, timeout=EXIT_WAIT)


async def _cancel_pending() -> None:
    await _wait_finishing()  # (done already at exit, unless shutdown() is called directly)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(EXIT_WAIT):
            await asyncio.gather(*(pool.aclose() for pool in list(_pools)), return_exceptions=True)
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


atexit.register(shutdown)
# Threading's exit hooks run before atexit's, in the reverse order of registration: this one
# before the thread pools' own (imported above), so their executors still take work. The hook
# is private to the standard library (concurrent.futures uses it); without it, atexit's turn.
_register_early = getattr(threading, "_register_atexit", None)
if _register_early is not None:
    _register_early(_finish_at_exit)
