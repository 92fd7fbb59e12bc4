"""Cross-process locks: the leaders of each process load a key one at a time.

The in-process :class:`~sportsframe.cache.singleflight.SingleFlight` makes one load per key in a
process; :class:`CrossProcessLock` serialises the leaders of each process on a lock named after
the key, and the leader that gets the lock second re-reads the tiers and finds the value the first
one wrote. The lock lives where the processes can all see it, tried in this order:

* :class:`RedisLock` — ``SET key token NX PX ttl``, renewed while held, released by a Lua script
  that deletes the key only if it still holds this holder's token;
* :class:`AdvisoryLock` — a PostgreSQL session advisory lock on one dedicated connection
  (``pg_try_advisory_lock``), when Redis is down or absent and the warm tier is PostgreSQL;
* :class:`FileLockBackend` — an OS file lock under ``SPORTSFRAME_HOME/locks`` (the embedded
  default: no Redis, SQLite warm tier).

A lock backend that cannot reach its server raises :class:`LockUnavailable`; the next backend is
tried, and with none left the leader proceeds unlocked (in-process single-flight still holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sportsframe.batching import Batcher
from sportsframe.cache.breaker import CircuitBreaker

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = [
    "LOCK_POLL_MAX",
    "LOCK_TTL",
    "LOCK_WAIT_MAX",
    "AdvisoryLock",
    "CrossProcessLock",
    "FileLockBackend",
    "LockBackend",
    "LockUnavailable",
    "RedisLock",
    "advisory_key",
]

log = logging.getLogger("sportsframe.cache")

#: Seconds a Redis lock lives without renewal: a crashed holder blocks the key this long at most.
#: The holder renews it every third of this while it works, so slow upstream calls are covered.
LOCK_TTL = 15.0
#: Longest wait between two attempts to take a busy lock (the wait starts at 5 ms and doubles).
LOCK_POLL_MAX = 0.05
#: Give up waiting after this many seconds and proceed unlocked (a stuck holder must not hang
#: every other process; the worst case is then one duplicate upstream call).
LOCK_WAIT_MAX = 120.0


class LockUnavailable(Exception):  # noqa: N818 - a state, like TierUnavailable
    """The lock's server could not be reached."""


class LockBackend(Protocol):
    """A named, cross-process mutex per key."""

    name: str

    async def acquire(self, key: str) -> object:
        """Wait for the lock on ``key``; returns a token for :meth:`release`."""
        ...

    async def release(self, key: str, token: object) -> None:
        """Release a lock taken by :meth:`acquire` (never raises for a lost server)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class _Backoff:
    """Waits 5 ms, 10 ms, 20 ms, ... capped at LOCK_POLL_MAX; raises TimeoutError at the limit."""

    def __init__(self, limit: float = LOCK_WAIT_MAX) -> None:
        self._delay = 0.005
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time() + limit

    async def wait(self) -> None:
        if self._loop.time() >= self._deadline:
            raise TimeoutError
        await asyncio.sleep(self._delay)
        self._delay = min(self._delay * 2, LOCK_POLL_MAX)


# Delete / extend the lock only if it still holds our token: a lock that expired and was taken by
# another process must not be released or extended by its former holder.
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class RedisLock:
    """``SET NX PX`` lock with a random token, renewed while held, released by Lua."""

    name = "redis"

    def __init__(self, client: Redis, prefix: str, *, ttl: float = LOCK_TTL) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_ms = int(ttl * 1000)
        self._renewals: dict[str, _Renewal] = {}
        # First attempts made together share one pipeline: a props week's 16 parts take their
        # locks in one round trip, and go on to their next steps together.
        self._first: Batcher[tuple[str, str], bool] = Batcher(self._try_together)

    def _name(self, key: str) -> str:
        return f"{self._prefix}{key}"

    async def _try_together(self, tries: list[tuple[str, str]]) -> list[bool | BaseException]:
        """One ``SET NX`` per (name, token), pipelined: whether each was taken."""
        if len(tries) == 1:
            name, token = tries[0]
            return [bool(await self._client.set(name, token, nx=True, px=self._ttl_ms))]
        async with self._client.pipeline(transaction=False) as pipe:
            for name, token in tries:
                pipe.set(name, token, nx=True, px=self._ttl_ms)
            replies = await pipe.execute(raise_on_error=False)
        return [r if isinstance(r, BaseException) else bool(r) for r in replies]

    async def _first_attempt(self, name: str, token: str) -> bool:
        """The first ``SET NX``, in the next pipeline. A caller cancelled meanwhile (Ctrl-C)
        leaves its attempt to run: should it take the lock, nobody would hold it, and every
        other process would wait out its TTL; it is released as soon as the outcome is known."""
        outcome = self._first.enqueue((name, token))
        try:
            return await asyncio.shield(outcome)
        except asyncio.CancelledError:
            outcome.add_done_callback(partial(self._undo, name, token))
            raise

    def _undo(self, name: str, token: str, outcome: asyncio.Future[bool]) -> None:
        if outcome.cancelled() or outcome.exception() is not None or not outcome.result():
            return
        release = asyncio.ensure_future(self._client.eval(_RELEASE, 1, name, token))
        # Best effort, as any release: an unreleased lock expires after its TTL.
        release.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def acquire(self, key: str) -> object:
        import redis.exceptions

        name = self._name(key)
        token = secrets.token_hex(16)
        backoff = _Backoff()
        first = True
        while True:
            try:
                if first:
                    taken = await self._first_attempt(name, token)
                else:
                    taken = bool(await self._client.set(name, token, nx=True, px=self._ttl_ms))
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
                raise LockUnavailable(f"redis lock: {type(e).__name__}") from None
            if taken:
                break
            first = False
            await backoff.wait()
        stop = asyncio.Event()
        task = asyncio.ensure_future(self._renew(name, token, stop))
        self._renewals[token] = _Renewal(task, stop)
        return token

    async def _renew(self, name: str, token: str, stop: asyncio.Event) -> None:
        # Ended by ``stop``, which every wait here checks, and not by a cancellation alone:
        # redis-py loses a cancellation that lands as a command's write completes (it writes
        # under asyncio.wait_for, which on Python 3.11 then returns the result instead), and a
        # renewal that lived on would renew the lock for as long as the process runs.
        with contextlib.suppress(Exception):  # renewal is best effort; the TTL is the backstop
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._ttl_ms / 3000):
                        await stop.wait()
                if stop.is_set():
                    return
                if not await self._client.eval(_RENEW, 1, name, token, self._ttl_ms):
                    return

    async def release(self, key: str, token: object) -> None:
        renewal = self._renewals.pop(str(token), None)
        if renewal is not None:
            renewal.stop()
        with contextlib.suppress(Exception):  # an unreleased lock expires after LOCK_TTL
            await self._client.eval(_RELEASE, 1, self._name(key), str(token))
        if renewal is not None:
            # Stopped, it ends at its next step (a renewal call under way at the latest, which
            # then finds the key gone); waited for so that none outlives the hold, but never
            # awaited directly: that would turn its cancellation into the holder's.
            await asyncio.wait([renewal.task])

    async def close(self) -> None:
        for renewal in self._renewals.values():
            renewal.stop()
        self._renewals.clear()


class _Renewal:
    """A held Redis lock's renewal task and the event that stops it."""

    __slots__ = ("event", "task")

    def __init__(self, task: asyncio.Task[None], event: asyncio.Event) -> None:
        self.task = task
        self.event = event

    def stop(self) -> None:
        """Stop the renewal: it returns at its next step, and a call under way is cancelled
        (should the cancellation be lost, the event still ends it when the call returns)."""
        self.event.set()
        self.task.cancel()


def advisory_key(name: str) -> int:
    """A signed 64-bit advisory-lock id for ``name`` (stable across processes and runs)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    """PostgreSQL session advisory locks, all held on one dedicated autocommit connection.

    One connection serves every key (session locks on different ids coexist), so a process holds
    one pooled connection however many keys it locks; statements on it are serialised. Locks are
    polled with ``pg_try_advisory_lock`` instead of blocking in ``pg_advisory_lock``, which would
    tie up the shared connection. If the connection drops, the server releases its locks.
    """

    name = "advisory"

    def __init__(self, engine: AsyncEngine, prefix: str) -> None:
        self._engine = engine
        self._prefix = prefix
        self._conn: AsyncConnection | None = None
        self._guard = asyncio.Lock()

    async def _scalar(self, sql: str, ident: int) -> Any:
        from sqlalchemy import text

        async with self._guard:
            try:
                if self._conn is None:
                    conn = await self._engine.connect()
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                result = await self._conn.execute(text(sql), {"id": ident})
                return result.scalar()
            except Exception as exc:  # any driver error: the connection is unusable
                await self._drop()
                raise LockUnavailable(f"advisory lock: {type(exc).__name__}") from None

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def acquire(self, key: str) -> object:
        ident = advisory_key(self._prefix + key)
        backoff = _Backoff()
        while not await self._scalar("SELECT pg_try_advisory_lock(:id)", ident):
            await backoff.wait()
        return ident

    async def release(self, key: str, token: object) -> None:
        with contextlib.suppress(LockUnavailable):
            await self._scalar("SELECT pg_advisory_unlock(:id)", int(str(token)))

    async def close(self) -> None:
        async with self._guard:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()


class FileLockBackend:
    """OS file locks (``filelock``), one small file per key under ``directory``.

    The files stay after release (deleting a lock file that another process may be about to lock
    is unsafe); there is one per distinct key, a few bytes each.
    """

    name = "file"

    def __init__(self, directory: Path, prefix: str) -> None:
        self._dir = directory
        self._prefix = prefix

    async def acquire(self, key: str) -> object:
        from filelock import FileLock, Timeout

        digest = hashlib.blake2b((self._prefix + key).encode(), digest_size=16).hexdigest()
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self._dir / f"{digest}.lock", thread_local=False)
        except OSError as exc:
            raise LockUnavailable(f"file lock: {type(exc).__name__}") from None
        backoff = _Backoff()
        while True:
            try:
                lock.acquire(blocking=False)
                return lock
            except Timeout:
                pass  # held by another process
            except OSError as exc:
                raise LockUnavailable(f"file lock: {type(exc).__name__}") from None
            await backoff.wait()

    async def release(self, key: str, token: object) -> None:
        from filelock import FileLock

        if isinstance(token, FileLock):
            with contextlib.suppress(OSError):
                token.release()

    async def close(self) -> None:
        return None


class CrossProcessLock:
    """Tries its backends in order (skipping those whose breaker is open) and holds the first.

    ``backends`` pairs each backend with the breaker of the tier whose server it uses (or
    ``None``), so a lock call to a dead server counts toward that tier's outage like any other.
    Holders in this process are also serialised per key with an asyncio lock, because not every
    backend excludes its own process (a PostgreSQL session re-enters its advisory locks).
    """

    def __init__(self, backends: list[tuple[LockBackend, CircuitBreaker | None]]) -> None:
        self.backends = backends
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[str | None]:
        """Hold the lock on ``key`` for the block; yields the backend's name (None: unlocked)."""
        local, users = self._local.get(key) or (asyncio.Lock(), 0)
        self._local[key] = (local, users + 1)
        try:
            async with local, self._hold(key) as backend:
                yield backend
        finally:
            local, users = self._local[key]
            if users == 1:
                del self._local[key]
            else:
                self._local[key] = (local, users - 1)

    @contextlib.asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[str | None]:
        for backend, breaker in self.backends:
            if breaker is not None and not breaker.allow():
                continue
            try:
                token = await backend.acquire(key)
            except LockUnavailable as exc:
                if breaker is not None:
                    breaker.failure(str(exc))
                continue
            except TimeoutError:
                log.warning(
                    "waited too long for the %s lock on a key; going on without it", backend.name
                )
                break
            except BaseException:
                if breaker is not None:
                    breaker.release_probe()
                raise
            if breaker is not None:
                breaker.success()
            try:
                yield backend.name
            finally:
                await backend.release(key, token)
            return
        yield None

    async def close(self) -> None:
        """Close every backend."""
        for backend, _ in self.backends:
            await backend.close()
