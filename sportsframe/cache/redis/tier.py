"""The hot tier: :class:`RedisTier` (Arrow IPC streams in Redis) and :class:`MemoryTier`
(an in-process LRU used when Redis is off or unreachable).

Redis layout: the value under ``{namespace}:{public key}`` is exactly ``entry.ipc`` (one Arrow IPC
stream, envelope in its schema metadata, see :mod:`sportsframe.cache.codec`), written with
``SET ... PX`` for the entry's *remaining* TTL plus the stale grace window, so Redis drops it by
itself once it can no longer be served even as stale. Whether an entry is expired is judged from
its envelope by the injected clock, never by the server's TTL. The client never uses
``decode_responses`` (that would corrupt the bytes), and every multi-key operation is a
non-transactional pipeline or a per-node SCAN, so a Redis Cluster works as well as one server.

Companions (values derived from an entry, see :class:`~sportsframe.cache.tier.CompanionTier`)
live under ``{namespace}#{companion}:{public key}``: outside the ``{namespace}:`` keyspace that
SCAN-based operations walk, written with the entry's own ``PX``, and prefixed with a 12-byte stamp
(``SFC1`` + the entry's ``created_at`` in microseconds) that a read compares with the entry it
returns. Both are read in one round trip.

Both tiers are named ``"hot"``.
"""

from __future__ import annotations

import logging
import math
import struct
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sportsframe.cache import codec
from sportsframe.cache.entry import MISSING, CacheEntry, entry_from_ipc
from sportsframe.cache.tier import TierUnavailable
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import ConfigurationError
from sportsframe.registry.glob import escape, matches

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.cache.redis.blocking import SyncHotReader
    from sportsframe.settings import Settings

__all__ = [
    "COMPANION_STAMP_BYTES",
    "CONNECT_TIMEOUT",
    "ENVELOPE_PREFIX_BYTES",
    "READ_CHUNK",
    "SCAN_COUNT",
    "SOCKET_TIMEOUT",
    "UNLINK_BATCH",
    "MemoryTier",
    "RedisTier",
    "companion_key",
    "current_companion",
    "probe",
]

log = logging.getLogger("sportsframe.cache")

#: Seconds to wait for a TCP connection to Redis: a local server answers in well under 1 ms, so
#: anything slower is treated as down (the circuit breaker then stops paying it).
CONNECT_TIMEOUT: Final = 0.2
#: Seconds to wait for one reply. Long enough for a multi-megabyte value on loopback.
SOCKET_TIMEOUT: Final = 0.5
#: ``SCAN ... COUNT`` hint used by invalidate, keys and cleanup.
SCAN_COUNT: Final = 1000
#: Keys per UNLINK / GET pipeline in invalidate and cleanup.
UNLINK_BATCH: Final = 500
#: Bytes asked of the socket per read (redis-py's ``socket_read_size``).
READ_CHUNK: Final = 1 << 20
#: Bytes read with GETRANGE to get a value's envelope (its schema message) without the body.
ENVELOPE_PREFIX_BYTES: Final = 64 * 1024

_NAME = "hot"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAMP = struct.Struct(">4sq")
#: Bytes before a companion's data in its Redis value (magic + the entry's created_at).
COMPANION_STAMP_BYTES: Final = _STAMP.size
_STAMP_MAGIC = b"SFC1"


def _stamp(created_at: datetime) -> bytes:
    return _STAMP.pack(_STAMP_MAGIC, (created_at - _EPOCH) // timedelta(microseconds=1))


def companion_key(namespace: str, companion: str, key: str) -> str:
    """The Redis key of ``key``'s companion named ``companion`` (outside ``{namespace}:``)."""
    return f"{namespace}#{companion}:{key}"


def current_companion(value: bytes, entry: CacheEntry) -> memoryview | None:
    """The companion's data if ``value`` is stamped for ``entry`` (else None: a stale one)."""
    if len(value) < _STAMP.size or value[: _STAMP.size] != _stamp(entry.created_at):
        return None
    return memoryview(value)[_STAMP.size :]


def _ms(seconds: float) -> int:
    return math.ceil(seconds * 1000)


# -- MemoryTier -----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Slot:
    entry: CacheEntry
    keep_until: datetime


class MemoryTier:
    """An in-process LRU of up to ``max_entries`` entries, with the RedisTier's semantics.

    Entries are kept past ``expires_at`` for the ``grace`` given to :meth:`set` (then dropped, as
    Redis drops them natively), judged by ``clock``. Each ``get`` returns a fresh
    :class:`CacheEntry` sharing the stored (immutable) Arrow table, so a caller that mutates the
    payload it was given cannot change what the next caller reads.
    """

    name = _NAME

    def __init__(self, max_entries: int = 10_000, clock: Clock = SYSTEM_CLOCK) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.clock = clock
        self._slots: OrderedDict[str, _Slot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    def describe(self) -> str:
        """One line naming the tier."""
        return f"in-process LRU ({len(self._slots)}/{self.max_entries} entries)"

    def _live(self, key: str, now: datetime) -> _Slot | None:
        slot = self._slots.get(key)
        if slot is None:
            return None
        if now >= slot.keep_until:
            del self._slots[key]
            return None
        return slot

    def _view(self, slot: _Slot) -> CacheEntry:
        # A new entry per read: it shares the immutable table and bytes, never a payload object.
        return replace(slot.entry, _payload=MISSING, companion=None)

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key``; None if absent, or expired unless ``include_stale``."""
        now = self.clock.now()
        slot = self._live(key, now)
        if slot is None or (not include_stale and now >= slot.entry.expires_at):
            return None
        self._slots.move_to_end(key)
        return self._view(slot)

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys present."""
        out: dict[str, CacheEntry] = {}
        for key in keys:
            entry = await self.get(key, include_stale=include_stale)
            if entry is not None:
                out[key] = entry
        return out

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """Store ``entry`` until ``expires_at + grace`` (evicting the least recently used)."""
        keep_until = entry.expires_at + timedelta(seconds=grace)
        if self.clock.now() >= keep_until:
            self._slots.pop(entry.key, None)
            return
        entry.table  # noqa: B018 - build the immutable form once; views share it
        stored = replace(entry, _payload=MISSING, companion=None)
        self._slots[entry.key] = _Slot(stored, keep_until)
        self._slots.move_to_end(entry.key)
        while len(self._slots) > self.max_entries:
            self._slots.popitem(last=False)

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Store several entries."""
        for entry in entries:
            await self.set(entry, grace=grace)

    async def delete(self, key: str) -> bool:
        """Remove one key; True if it was held."""
        return self._live(key, self.clock.now()) is not None and self._slots.pop(key) is not None

    async def invalidate(self, pattern: str) -> int:
        """Remove the keys matching the glob; returns how many."""
        doomed = await self.keys(pattern)
        for key in doomed:
            del self._slots[key]
        return len(doomed)

    async def keys(self, pattern: str = "*") -> list[str]:
        """Held keys matching the glob (expired-but-kept included), sorted."""
        now = self.clock.now()
        return sorted(k for k in list(self._slots) if matches(pattern, k) and self._live(k, now))

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry expires (negative once expired); None if absent."""
        now = self.clock.now()
        slot = self._live(key, now)
        return None if slot is None else slot.entry.remaining_ttl(now)

    async def cleanup(self, grace: float = 0.0) -> int:
        """Drop entries expired for longer than ``grace`` seconds; returns how many."""
        now = self.clock.now()
        cutoff = now - timedelta(seconds=grace)
        doomed = [
            k
            for k in list(self._slots)
            if self._live(k, now) is not None and self._slots[k].entry.expires_at < cutoff
        ]
        for key in doomed:
            del self._slots[key]
        return len(doomed)

    async def ping(self) -> bool:
        """Always True: the tier is in this process."""
        return True

    async def close(self) -> None:
        """Drop every entry."""
        self._slots.clear()

    def __repr__(self) -> str:
        return f"MemoryTier(max_entries={self.max_entries}, entries={len(self._slots)})"


# -- RedisTier ------------------------------------------------------------------------------------
def _unavailable_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions as rex

    return (
        rex.ConnectionError,  # includes AuthenticationError and BusyLoadingError
        rex.TimeoutError,
        rex.ClusterDownError,
        rex.ReadOnlyError,
        rex.TryAgainError,
        OSError,
        TimeoutError,
    )


def _counting_class(base: type[Any], tier: RedisTier) -> type[Any]:
    """A subclass of the pool's connection class that counts connection attempts on ``tier``."""
    if getattr(base, "_sportsframe_counting", False):
        return base

    async def _connect(self: Any) -> None:
        tier.connection_attempts += 1
        await base._connect(self)

    return type(
        f"Counting{base.__name__}", (base,), {"_connect": _connect, "_sportsframe_counting": True}
    )


class RedisTier:
    """Hot tier over Redis (or Redis Cluster): one Arrow IPC stream per key.

    Args:
        client_or_url: a ``redis.asyncio.Redis`` / ``RedisCluster`` (not closed by this tier), or
            a URL (the tier builds and owns one client with one connection pool).
        namespace: key prefix (``sportsframe:v1``); the public key follows after ``:``.
        clock: judges expiry and computes the remaining TTL written with ``PX``.
        connect_timeout, socket_timeout: seconds (used only when building the client).
        cluster: build a ``RedisCluster`` from the URL (seed node).
        max_connections: pool size when building the client.

    Network failures raise :class:`TierUnavailable` (never a redis exception), so the cache
    manager can count a miss and feed its breaker. ``connection_attempts`` counts TCP connection
    attempts made by this tier's pool (non-cluster clients), so tests can prove that an open
    breaker stops them.
    """

    name = _NAME

    def __init__(
        self,
        client_or_url: Redis | RedisCluster | str,
        *,
        namespace: str = "sportsframe:v1",
        clock: Clock = SYSTEM_CLOCK,
        connect_timeout: float = CONNECT_TIMEOUT,
        socket_timeout: float = SOCKET_TIMEOUT,
        cluster: bool = False,
        max_connections: int | None = None,
    ) -> None:
        from redis.asyncio.cluster import RedisCluster

        self.namespace = namespace.rstrip(":")
        self.clock = clock
        self.connection_attempts = 0
        #: Companion names this tier has read or written: ``delete`` removes those beside a key.
        self._companions: set[str] = set()
        self._prefix = f"{self.namespace}:"
        self._prefix_len = len(self._prefix)
        self._match_prefix = escape(self._prefix)
        self._errors = _unavailable_errors()
        self._owned = isinstance(client_or_url, str)
        self._url = client_or_url if isinstance(client_or_url, str) else None
        self._timeouts = (connect_timeout, socket_timeout)
        self._sync_reader: SyncHotReader | None = None
        self._sync_reader_lock = threading.Lock()
        if isinstance(client_or_url, str):
            self._client: Redis | RedisCluster = _build_client(
                client_or_url,
                cluster=cluster,
                connect_timeout=connect_timeout,
                socket_timeout=socket_timeout,
                max_connections=max_connections,
            )
        else:
            self._client = client_or_url
        self.cluster = isinstance(self._client, RedisCluster)
        if not self.cluster:
            pool = self._client.connection_pool  # type: ignore[union-attr]
            pool.connection_class = _counting_class(pool.connection_class, self)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> RedisTier:
        """The tier at ``settings.redis_url`` (cluster if ``REDIS_CLUSTER``), in
        ``settings.namespace``."""
        url = settings.redis_url
        if url is None:
            raise ConfigurationError("Redis is turned off (REDIS_HOST is empty and no REDIS_URL)")
        return cls(url, namespace=settings.namespace, clock=clock, cluster=settings.redis_cluster)

    @property
    def client(self) -> Redis | RedisCluster:
        """The redis-py client (shared by the rate limiter, locks and L0 coherence)."""
        return self._client

    def describe(self) -> str:
        """One line naming the server (never the password)."""
        kind = "Redis Cluster" if self.cluster else "Redis"
        where = ""
        if not self.cluster:
            kwargs = self._client.connection_pool.connection_kwargs  # type: ignore[union-attr]
            if "host" in kwargs:
                where = f" {kwargs['host']}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
            elif "path" in kwargs:
                where = f" {kwargs['path']}"
        return f"{kind}{where} (namespace {self.namespace})"

    def __repr__(self) -> str:
        return f"RedisTier({self.describe()})"

    # -- helpers ------------------------------------------------------------------------------
    def _rkey(self, key: str) -> str:
        return self._prefix + key

    def _public(self, rkey: bytes | str) -> str:
        text = rkey.decode() if isinstance(rkey, bytes) else rkey
        return text[self._prefix_len :]

    def _down(self, exc: BaseException) -> TierUnavailable:
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return TierUnavailable(_NAME, reason)

    async def _drop_bad(self, rkey: str, exc: codec.CodecError) -> None:
        log.warning("dropped an undecodable hot-tier value under %s (%s)", self._public(rkey), exc)
        try:
            await self._client.unlink(rkey)
        except self._errors as err:
            raise self._down(err) from None

    async def _entry(
        self, rkey: str, raw: bytes | None, now: datetime, include_stale: bool, lazy: bool = False
    ) -> CacheEntry | None:
        if raw is None:
            return None
        try:
            entry = entry_from_ipc(raw, lazy=lazy)
        except codec.CodecError as exc:
            await self._drop_bad(rkey, exc)
            return None
        if not include_stale and now >= entry.expires_at:
            return None
        return entry

    # -- Tier ---------------------------------------------------------------------------------
    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """GET and decode; a value that does not decode is deleted, logged once, and a miss."""
        rkey = self._rkey(key)
        try:
            raw: bytes | None = await self._client.get(rkey)  # type: ignore[assignment]
        except self._errors as exc:
            raise self._down(exc) from None
        return await self._entry(rkey, raw, self.clock.now(), include_stale)

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """One pipelined round trip of GETs (cluster-safe)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        rkeys = [self._rkey(k) for k in wanted]
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for rkey in rkeys:
                    pipe.get(rkey)
                raws: list[bytes | None] = await pipe.execute()
        except self._errors as exc:
            raise self._down(exc) from None
        now = self.clock.now()
        out: dict[str, CacheEntry] = {}
        for key, rkey, raw in zip(wanted, rkeys, raws, strict=True):
            entry = await self._entry(rkey, raw, now, include_stale)
            if entry is not None:
                out[key] = entry
        return out

    def _companion_key(self, key: str, companion: str) -> str:
        return companion_key(self.namespace, companion, key)

    def sync_reader(self) -> SyncHotReader | None:
        """A blocking reader of this tier's entries and companions for threads outside the
        event loop, or None when the tier was given a client rather than a URL."""
        if self._url is None or self._sync_reader is not None:
            return self._sync_reader
        from sportsframe.cache.redis.blocking import SyncHotReader

        with self._sync_reader_lock:  # the sync facade asks from many threads at once
            if self._sync_reader is None:
                self._sync_reader = SyncHotReader(
                    self._url,
                    namespace=self.namespace,
                    clock=self.clock,
                    cluster=self.cluster,
                    connect_timeout=self._timeouts[0],
                    socket_timeout=self._timeouts[1],
                )
            return self._sync_reader

    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        """``get`` plus the current companion, in one round trip (MGET; a pipeline on a
        cluster, where the two keys may live in different slots)."""
        self._companions.add(companion)
        rkey = self._rkey(key)
        ckey = self._companion_key(key, companion)
        try:
            if self.cluster:
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.get(rkey)
                    pipe.get(ckey)
                    raw, extra = await pipe.execute()
            else:
                raw, extra = await self._client.mget(rkey, ckey)
        except self._errors as exc:
            raise self._down(exc) from None
        if raw is None:
            return None
        if extra is not None:
            # The companion was written from this entry's table: decode that only if asked.
            entry = await self._entry(rkey, raw, self.clock.now(), include_stale, lazy=True)
            if entry is not None:
                entry.companion = current_companion(extra, entry)
                if entry.companion is not None:
                    return entry
        return await self._entry(rkey, raw, self.clock.now(), include_stale)

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        """``SET`` the stamped companion with the entry's remaining TTL plus ``grace``."""
        self._companions.add(companion)
        px = self._px(entry, grace, self.clock.now())
        if px <= 0:
            return
        try:
            await self._client.set(
                self._companion_key(entry.key, companion),
                b"".join((_stamp(entry.created_at), data)),  # one copy, from bytes or a view
                px=px,
            )
        except self._errors as exc:
            raise self._down(exc) from None

    def _px(self, entry: CacheEntry, grace: float, now: datetime) -> int:
        return _ms(entry.remaining_ttl(now) + grace)

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """``SET key ipc PX (remaining TTL + grace)``; an entry already past that is deleted."""
        rkey = self._rkey(entry.key)
        px = self._px(entry, grace, self.clock.now())
        try:
            if px <= 0:
                await self._client.unlink(rkey)
            else:
                await self._client.set(rkey, entry.ipc, px=px)
        except self._errors as exc:
            raise self._down(exc) from None

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Several SETs in one non-transactional pipeline."""
        batch = list(entries)
        if not batch:
            return
        now = self.clock.now()
        payloads = [(self._rkey(e.key), e.ipc, self._px(e, grace, now)) for e in batch]
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for rkey, ipc, px in payloads:
                    if px <= 0:
                        pipe.unlink(rkey)
                    else:
                        pipe.set(rkey, ipc, px=px)
                await pipe.execute()
        except self._errors as exc:
            raise self._down(exc) from None

    async def delete(self, key: str) -> bool:
        """UNLINK one key (and the companions this tier knows of); True if the key existed."""
        companions = [self._companion_key(key, c) for c in self._companions]
        try:
            if not companions:
                return bool(await self._client.unlink(self._rkey(key)))
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.unlink(self._rkey(key))
                for ckey in companions:
                    pipe.unlink(ckey)
                results: list[int] = await pipe.execute()
            return bool(results[0])
        except self._errors as exc:
            raise self._down(exc) from None

    async def _scan(self, pattern: str) -> AsyncIterator[bytes]:
        # RedisCluster.scan_iter walks every primary; a plain client scans its one server.
        async for rkey in self._client.scan_iter(
            match=self._match_prefix + pattern, count=SCAN_COUNT
        ):
            yield rkey

    async def _unlink(self, rkeys: Sequence[bytes | str]) -> int:
        if not rkeys:
            return 0
        # One UNLINK per key in a non-transactional pipeline: keys of a cluster live in many slots.
        async with self._client.pipeline(transaction=False) as pipe:
            for rkey in rkeys:
                pipe.unlink(rkey)
            results: list[int] = await pipe.execute()
        return sum(int(r) for r in results)

    async def invalidate(self, pattern: str) -> int:
        """SCAN MATCH ``{namespace}:{pattern}`` and UNLINK in batches; returns how many.

        Companions of matching keys go too (they could not be served after this anyway, but
        they would hold memory until their TTL).
        """
        removed = 0
        try:
            removed = await self._unlink_matching(self._match_prefix + pattern)
            await self._unlink_matching(escape(f"{self.namespace}#") + "*:" + pattern)
        except self._errors as exc:
            raise self._down(exc) from None
        return removed

    async def _unlink_matching(self, match: str) -> int:
        removed = 0
        batch: list[bytes] = []
        async for rkey in self._client.scan_iter(match=match, count=SCAN_COUNT):
            batch.append(rkey)
            if len(batch) >= UNLINK_BATCH:
                removed += await self._unlink(batch)
                batch = []
        return removed + await self._unlink(batch)

    async def keys(self, pattern: str = "*") -> list[str]:
        """Public keys matching the glob (SCAN; expired-but-kept entries included), sorted."""
        try:
            found = {self._public(rkey) async for rkey in self._scan(pattern)}
        except self._errors as exc:
            raise self._down(exc) from None
        return sorted(found)

    async def _envelopes(self, rkeys: Sequence[bytes]) -> list[codec.Envelope | None]:
        """Envelopes of ``rkeys`` from a GETRANGE prefix (None: absent or undecodable)."""
        async with self._client.pipeline(transaction=False) as pipe:
            for rkey in rkeys:
                pipe.getrange(rkey, 0, ENVELOPE_PREFIX_BYTES - 1)
            prefixes: list[bytes] = await pipe.execute()
        out: list[codec.Envelope | None] = []
        for rkey, prefix in zip(rkeys, prefixes, strict=True):
            if not prefix:  # GETRANGE of a missing key is b""
                out.append(None)
                continue
            try:
                out.append(codec.read_envelope(prefix))
                continue
            except codec.CodecError as exc:
                if len(prefix) < ENVELOPE_PREFIX_BYTES:  # the whole value, and it is garbage
                    await self._drop_bad(rkey.decode(), exc)
                    out.append(None)
                    continue
            full: bytes | None = await self._client.get(rkey)  # type: ignore[assignment] # schema message longer than the prefix
            try:
                out.append(None if full is None else codec.read_envelope(full))
            except codec.CodecError as exc:
                await self._drop_bad(rkey.decode(), exc)
                out.append(None)
        return out

    async def ttl(self, key: str) -> float | None:
        """Seconds until expiry from the value's envelope (negative once expired); None if
        absent."""
        rkey = self._rkey(key).encode()
        try:
            (envelope,) = await self._envelopes([rkey])
        except self._errors as exc:
            raise self._down(exc) from None
        if envelope is None:
            return None
        return (envelope.expires_at - self.clock.now()).total_seconds()

    async def cleanup(self, grace: float = 0.0) -> int:
        """Delete values expired for longer than ``grace`` by the tier's clock; returns how many.

        Redis already drops values natively at ``expires_at`` + the grace they were written
        with; this is for a shorter grace, or a clock that is not the server's. Only envelopes
        are read (GETRANGE), never whole values.
        """
        cutoff = self.clock.now() - timedelta(seconds=grace)
        removed = 0
        try:
            batch: list[bytes] = []
            async for rkey in self._scan("*"):
                batch.append(rkey)
                if len(batch) >= UNLINK_BATCH:
                    removed += await self._cleanup_batch(batch, cutoff)
                    batch = []
            removed += await self._cleanup_batch(batch, cutoff)
        except self._errors as exc:
            raise self._down(exc) from None
        return removed

    async def _cleanup_batch(self, rkeys: list[bytes], cutoff: datetime) -> int:
        if not rkeys:
            return 0
        envelopes = await self._envelopes(rkeys)
        doomed = [
            rkey
            for rkey, env in zip(rkeys, envelopes, strict=True)
            if env is not None and env.expires_at < cutoff
        ]
        return await self._unlink(doomed)

    async def ping(self) -> bool:
        """True when the server answers PING."""
        try:
            return bool(await self._client.ping())
        except self._errors:
            return False

    async def close(self) -> None:
        """Close the client if this tier built it (a client passed in is the caller's)."""
        if self._sync_reader is not None:
            self._sync_reader.close()
        if self._owned:
            try:
                await self._client.aclose()
            except self._errors as exc:
                raise self._down(exc) from None


def _build_client(
    url: str,
    *,
    cluster: bool,
    connect_timeout: float,
    socket_timeout: float,
    max_connections: int | None,
) -> Redis | RedisCluster:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    # One immediate retry on a connection error covers a pooled connection the server closed
    # (restart, idle timeout); timeouts are not retried, so a frozen server costs one timeout.
    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    options: dict[str, Any] = {
        "socket_connect_timeout": connect_timeout,
        "socket_timeout": socket_timeout,
        "retry": retry,
        "decode_responses": False,  # values are Arrow bytes
        # Values run to a megabyte (a finished props frame): read them in large chunks rather
        # than redis-py's default 64 KiB.
        "socket_read_size": READ_CHUNK,
    }
    if max_connections is not None:
        options["max_connections"] = max_connections
    if cluster:
        return RedisCluster.from_url(url, **options)
    return Redis.from_url(url, **options)


def probe(settings: Settings, timeout: float = CONNECT_TIMEOUT) -> bool:
    """True when Redis answers PING at the configured address within ``timeout`` seconds.

    Synchronous (one short blocking PING at start-up, before any event loop work), never raises.
    """
    url = settings.redis_url
    if url is None:
        return False
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        return False
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()
