"""The hot tier over Redis: :class:`RedisTier`, Arrow IPC streams under namespaced keys.

The value under ``{namespace}:{public key}`` (with a hash tag before the public key on a cluster,
see :mod:`sportsframe.cache.redis.layout`) is ``entry.ipc`` (one Arrow IPC stream, envelope in
its schema metadata, see :mod:`sportsframe.cache.codec`) then a 12-byte trailer stamping its
``created_at`` (Arrow's reader stops before it), written with ``SET ... PX`` for the entry's
*remaining* TTL plus the stale grace window, so Redis drops it by itself once it can no longer be
served even as stale. Expiry is judged from the envelope by the injected clock, never by the
server's TTL. The client never uses ``decode_responses`` (that would corrupt the bytes), and every
multi-key command touches one slot (an entry and its companions, which share a hash tag on a
cluster) or is split into a non-transactional pipeline or a per-node SCAN, so a Redis Cluster works
as well as one server. A copy of a warm hit never replaces a newer entry
(:mod:`sportsframe.cache.redis.copies`).

Companions (values derived from an entry, see :class:`~sportsframe.cache.tier.CompanionTier`)
are stamped values beside their entry, in its slot on a cluster (key layout and stamps:
:mod:`sportsframe.cache.redis.layout`), written with the entry's own ``PX``; an entry and its
companion are read in one MGET (:mod:`sportsframe.cache.redis.pairs`). The client is built by
:mod:`sportsframe.cache.redis.client`; the in-process stand-in for this tier is
:class:`~sportsframe.cache.memory.MemoryTier`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry, entry_from_ipc
from sportsframe.cache.redis.client import (
    CONNECT_TIMEOUT,
    SOCKET_TIMEOUT,
    build_client,
    count_connections,
    unavailable_errors,
)
from sportsframe.cache.redis.copies import Beside, copy_entry, copy_many, entry_copy
from sportsframe.cache.redis.layout import KeyLayout, entry_value, namespace_of, px_ms, stamp
from sportsframe.cache.redis.pairs import entry_with_companion, fetch_pairs
from sportsframe.cache.tier import TierUnavailable, error_reason
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import ConfigurationError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.cache.redis.blocking import SyncHotReader
    from sportsframe.settings import Settings

__all__ = ["ENVELOPE_PREFIX_BYTES", "SCAN_COUNT", "UNLINK_BATCH", "RedisTier"]

log = logging.getLogger("sportsframe.cache")

#: ``SCAN ... COUNT`` hint used by invalidate, keys and cleanup.
SCAN_COUNT: Final = 1000
#: Keys per UNLINK / GET pipeline in invalidate and cleanup.
UNLINK_BATCH: Final = 500
#: Bytes read with GETRANGE to get a value's envelope (its schema message) without the body.
ENVELOPE_PREFIX_BYTES: Final = 64 * 1024

_NAME = "hot"


class RedisTier:
    """Hot tier over Redis (or Redis Cluster): one Arrow IPC stream per key.

    Args:
        client_or_url: a ``redis.asyncio.Redis`` / ``RedisCluster`` (not closed by this tier), or
            a URL (the tier builds and owns one client with one connection pool).
        namespace: key prefix (``sportsframe:v1``); the public key follows after ``:`` (after a
            hash tag on a cluster; there the namespace must hold no brace).
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

        self.namespace = namespace_of(namespace)
        self.clock = clock
        self.connection_attempts = 0
        #: Companion names this tier has read or written: ``delete`` removes those beside a key.
        self._companions: set[str] = set()
        self._errors = unavailable_errors()
        self._owned = isinstance(client_or_url, str)
        self._url = client_or_url if isinstance(client_or_url, str) else None
        self._timeouts = (connect_timeout, socket_timeout)
        self._sync_reader: SyncHotReader | None = None
        self._sync_reader_lock = threading.Lock()
        if isinstance(client_or_url, str):
            self._client: Redis | RedisCluster = build_client(
                client_or_url,
                cluster=cluster,
                connect_timeout=connect_timeout,
                socket_timeout=socket_timeout,
                max_connections=max_connections,
            )
        else:
            self._client = client_or_url
        self.cluster = isinstance(self._client, RedisCluster)
        #: Key names: an entry's companions share its hash tag (one slot) on a cluster.
        self.layout = KeyLayout(self.namespace, self.cluster)
        if not self.cluster:
            count_connections(self._client, self._count_connection)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> RedisTier:
        """The tier at ``settings.redis_url`` (cluster if ``REDIS_CLUSTER``), in its namespace."""
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
    def _count_connection(self) -> None:
        self.connection_attempts += 1

    def _rkey(self, key: str) -> str:
        return self.layout.entry(key)

    def _down(self, exc: BaseException) -> TierUnavailable:
        return TierUnavailable(_NAME, error_reason(exc))

    async def _drop_bad(self, rkey: str, exc: codec.CodecError) -> None:
        log.warning(
            "dropped an undecodable hot-tier value under %s (%s)", self.layout.public(rkey), exc
        )
        try:
            await self._client.unlink(rkey)
        except self._errors as err:
            raise self._down(err) from None

    async def _entry(
        self, rkey: str, raw: bytes | None, now: datetime, include_stale: bool
    ) -> CacheEntry | None:
        if raw is None:
            return None
        try:
            entry = entry_from_ipc(raw)
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

    def sync_reader(self) -> SyncHotReader | None:
        """A blocking reader for threads outside the event loop (None: given a client, no URL)."""
        if self._url is None or self._sync_reader is not None:
            return self._sync_reader
        # Imported here: redis-py's blocking client (0.1 s to import) serves only a URL's tier.
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

    async def prepare_reader(self) -> None:
        """Nothing to do: the blocking reader needs no preparation on the loop."""

    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        """``get`` plus the current companion, in one MGET (on a cluster too: one slot)."""
        self._companions.add(companion)
        names = self.layout.pair(companion, [key])
        rkey = names[0]
        try:
            raw, extra = await fetch_pairs(self._client, names, self.cluster)
        except self._errors as exc:
            raise self._down(exc) from None
        if raw is None:
            return None
        now = self.clock.now()
        if extra is not None:
            # The companion was written from this entry's table: decode that only if asked.
            try:
                entry = entry_with_companion(raw, extra, now, include_stale)
            except codec.CodecError as exc:
                await self._drop_bad(rkey, exc)
                return None
            if entry is not None and entry.companion is not None:
                return entry
        return await self._entry(rkey, raw, now, include_stale)

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
                self.layout.companion(companion, entry.key),
                b"".join((stamp(entry.created_at), data)),  # one copy, from bytes or a view
                px=px,
            )
        except self._errors as exc:
            raise self._down(exc) from None

    def _px(self, entry: CacheEntry, grace: float, now: datetime) -> int:
        return px_ms(entry.remaining_ttl(now) + grace)

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """``SET key value PX (remaining TTL + grace)`` over whatever is held (newest wins)."""
        await self.set_many([entry], grace=grace)

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Several SETs in one non-transactional pipeline."""
        now = self.clock.now()
        payloads = [(self._rkey(e.key), e, self._px(e, grace, now)) for e in entries]
        if not payloads:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for rkey, entry, px in payloads:
                    if px <= 0:
                        pipe.execute_command("UNLINK", rkey)
                    else:
                        pipe.set(rkey, entry_value(entry), px=px)
                await pipe.execute()
        except self._errors as exc:
            raise self._down(exc) from None

    async def copy(
        self, entry: CacheEntry, *, grace: float = 0.0, companion: Beside | None = None
    ) -> bool:
        """Store ``entry`` (then its ``companion``: name, data) unless Redis holds a newer one,
        in one script call (see :mod:`~sportsframe.cache.redis.copies`). True when the entry was
        written."""
        beside = None
        if companion is not None:
            self._companions.add(companion[0])
            beside = (self.layout.companion(companion[0], entry.key), companion[1])
        px = self._px(entry, grace, self.clock.now())
        try:  # an entry past its grace is not copied: what is held may be newer, so it stays
            return px > 0 and await copy_entry(
                self._client, self._rkey(entry.key), entry, px, beside
            )
        except self._errors as exc:
            raise self._down(exc) from None

    async def copy_many(self, entries: Sequence[CacheEntry], *, grace: float = 0.0) -> int:
        """:meth:`copy` of several entries in one pipeline; returns how many were written."""
        now = self.clock.now()
        pending = [(self._rkey(e.key), e, self._px(e, grace, now)) for e in entries]
        try:
            return await copy_many(self._client, [entry_copy(*c) for c in pending if c[2] > 0])
        except self._errors as exc:
            raise self._down(exc) from None

    async def delete(self, key: str) -> bool:
        """UNLINK one key (and the companions this tier knows of); True if the key existed."""
        companions = [self.layout.companion(c, key) for c in self._companions]
        try:
            if not companions:
                return bool(await self._client.unlink(self._rkey(key)))
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.execute_command("UNLINK", self._rkey(key))
                for ckey in companions:
                    pipe.execute_command("UNLINK", ckey)
                results: list[int] = await pipe.execute()
            return bool(results[0])
        except self._errors as exc:
            raise self._down(exc) from None

    async def _scan(self, pattern: str) -> AsyncIterator[bytes]:
        # RedisCluster.scan_iter walks every primary; a plain client scans its one server.
        async for rkey in self._client.scan_iter(
            match=self.layout.entry_match(pattern), count=SCAN_COUNT
        ):
            yield rkey

    async def _unlink(self, rkeys: Sequence[bytes | str]) -> int:
        if not rkeys:
            return 0
        # One UNLINK per key in a non-transactional pipeline: keys of a cluster live in many slots.
        # (Queued through execute_command: a cluster pipeline's unlink() is a coroutine of its
        # own, never queued, so nothing would be removed.)
        async with self._client.pipeline(transaction=False) as pipe:
            for rkey in rkeys:
                pipe.execute_command("UNLINK", rkey)
            results: list[int] = await pipe.execute()
        return sum(int(r) for r in results)

    async def invalidate(self, pattern: str) -> int:
        """SCAN MATCH the entries whose public keys match ``pattern`` and UNLINK them in
        batches; returns how many.

        Companions of matching keys go too (they could not be served after this anyway, but
        they would hold memory until their TTL).
        """
        removed = 0
        try:
            removed = await self._unlink_matching(self.layout.entry_match(pattern))
            await self._unlink_matching(self.layout.companion_match(pattern))
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
            found = {self.layout.public(rkey) async for rkey in self._scan(pattern)}
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
        """Seconds until expiry by the envelope (negative once expired); None if absent."""
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
        with contextlib.suppress(*self._errors):
            return bool(await self._client.ping())
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
