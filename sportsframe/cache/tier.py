"""The Tier protocol every cache tier implements, and the optional capabilities a tier may add.

A tier stores :class:`~sportsframe.cache.entry.CacheEntry` objects under *public* keys
(``player_props:2024:18:True``, or ``emulator/player_props:2024:18:True`` for demo data);
namespacing (``sportsframe:v1:``) is the tier's business. Tiers keep an entry past its
``expires_at`` for the stale grace window so that stale-if-error has something to serve: ``get``
hides expired entries unless asked for them, and entries older than ``expires_at + grace`` are
gone (Redis expires them natively; the SQL tier's ``cleanup`` deletes them). Expiry is always
judged by the tier's injected clock, never by a server's own idea of time, so TTL tests move a
clock instead of sleeping.

A tier that cannot reach its server raises :class:`TierUnavailable`; the cache manager turns that
into a miss and feeds its circuit breaker. Every other exception is a bug.

:class:`Tier` is what every tier offers. The rest are capabilities, each declared here with
every member the cache uses, and checked with ``isinstance``: :class:`CompanionTier` (values kept
beside an entry), :class:`Copying` (copies that never replace a newer entry),
:class:`BlockingReadable` (a reader for threads outside the event loop),
:class:`HitRecorder`, :class:`SizeBounded` and :class:`Reporting` (the SQL warm tier's
statistics, eviction and reports), :class:`RedisBacked` and :class:`SqlBacked` (the connections
other parts share: the rate limiter, the cross-process locks, the quota table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sportsframe.errors import CacheUnavailableError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from sportsframe.cache.entry import CacheEntry

__all__ = [
    "PRIME_KEY",
    "BlockingReadable",
    "BlockingReader",
    "CompanionTier",
    "Copying",
    "HitRecorder",
    "RedisBacked",
    "Reporting",
    "SizeBounded",
    "SqlBacked",
    "Tier",
    "TierUnavailable",
    "blocking_readable",
    "companion_keeper",
    "copying",
    "error_reason",
    "hit_recorder",
    "redis_backed",
    "reporting",
    "size_bounded",
    "sql_backed",
]

#: The key a blocking reader's priming read asks for (:meth:`BlockingReader.prime`): no entry is
#: ever stored under it.
PRIME_KEY = "sportsframe~prime"


class TierUnavailable(CacheUnavailableError):  # noqa: N818 - a state, like ConnectionRefused
    """The tier's server could not be reached or did not answer in time.

    The manager turns it into a miss on reads; where it escapes (the report, cleanup), it is the
    public :class:`~sportsframe.errors.CacheUnavailableError`.
    """

    def __init__(self, tier: str, reason: str):
        self.tier = tier
        super().__init__(f"{tier} tier unavailable: {reason}")


def error_reason(exc: BaseException, secret: str = "") -> str:
    """A one-line reason for TierUnavailable or a log line: the error's type and the first line
    of its message, ``secret`` (a password) masked.

    A wrapped driver error (SQLAlchemy's ``orig``) speaks for itself: SQLAlchemy's own message
    carries the statement and its parameters.
    """
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    first = text.splitlines()[0][:200] if text else ""
    if secret:
        first = first.replace(secret, "***")
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


@runtime_checkable
class Tier(Protocol):
    """What the cache manager needs of every tier. Methods may raise :class:`TierUnavailable`."""

    #: ``"hot"`` or ``"warm"``: the label in stats, metrics and logs.
    name: str

    def describe(self) -> str:
        """One line naming the tier's backend for stats and logs (never a password)."""
        ...

    async def get(self, key: str, *, include_stale: bool = False) -> CacheEntry | None:
        """The entry under ``key``; ``None`` if absent or expired (unless ``include_stale``)."""
        ...

    async def get_many(
        self, keys: Iterable[str], *, include_stale: bool = False
    ) -> dict[str, CacheEntry]:
        """Entries for the keys that are present (one round trip where the server allows)."""
        ...

    async def set(self, entry: CacheEntry, *, grace: float = 0.0) -> None:
        """Store ``entry`` until it expires, then ``grace`` seconds more for stale reads."""
        ...

    async def set_many(self, entries: Iterable[CacheEntry], *, grace: float = 0.0) -> None:
        """Store several entries (pipelined / one transaction)."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove one key; True if it existed."""
        ...

    async def invalidate(self, pattern: str) -> int:
        """Remove every key matching the Redis-style glob ``pattern``; returns how many."""
        ...

    async def keys(self, pattern: str = "*") -> list[str]:
        """Public keys matching ``pattern`` (expired-but-kept entries included)."""
        ...

    async def ttl(self, key: str) -> float | None:
        """Seconds until the entry expires (negative if expired but kept); None if absent."""
        ...

    async def cleanup(self, grace: float = 0.0) -> int:
        """Delete entries expired for longer than ``grace`` seconds; returns how many."""
        ...

    async def ping(self) -> bool:
        """True when the server answers (used to close a circuit breaker)."""
        ...

    async def close(self) -> None:
        """Release connections (flushes pending writes first)."""
        ...


@runtime_checkable
class CompanionTier(Protocol):
    """A tier that keeps *companions*: values derived from an entry, stored beside it.

    The facade keeps the finished frame of an entry this way, so a hot hit skips rebuilding it.
    A companion is stamped with its entry's ``created_at`` and served only while that same entry
    is the one stored: an entry rewritten by a refresh, a reload or another process makes its old
    companions invisible at once, with no coordinated delete. Companions expire with their entry.
    """

    async def get_with_companion(
        self, key: str, companion: str, *, include_stale: bool = False
    ) -> CacheEntry | None:
        """As ``get``, and with ``entry.companion`` set when a current companion is stored.

        An entry that comes with its companion may be *deferred*: its metadata is set, its
        payload is fetched by ``await entry.load()`` (a reader that wants only the companion
        then never pays for the payload)."""
        ...

    async def set_companion(
        self, entry: CacheEntry, companion: str, data: bytes | memoryview, *, grace: float = 0.0
    ) -> None:
        """Store ``data`` as ``entry``'s companion named ``companion``, expiring with it."""
        ...


@runtime_checkable
class Copying(Protocol):
    """A tier that can store a *copy* of an entry (a warm hit copied to the hot tier) only when
    it holds no newer one.

    Another process may refresh a key between this process's read of an older entry and its
    copy; a plain ``set`` would then put the older entry back. A copy is written when the tier
    holds nothing under the key, or an entry (expired-but-kept included) whose ``created_at`` is
    not later than the copy's. ``set`` stays unconditional: a payload just fetched is the newest.
    """

    async def copy(
        self,
        entry: CacheEntry,
        *,
        grace: float = 0.0,
        companion: tuple[str, bytes | memoryview] | None = None,
    ) -> bool:
        """Store ``entry`` as ``set`` does, unless a newer one is held; then its ``companion``
        (name, data) where the tier keeps companions. True when the entry was stored."""
        ...

    async def copy_many(self, entries: Sequence[CacheEntry], *, grace: float = 0.0) -> int:
        """:meth:`copy` of several entries (one round trip where the server allows); returns
        how many were stored."""
        ...


class BlockingReader(Protocol):
    """Reads of one tier in the caller's thread, outside the event loop (see
    :mod:`sportsframe.cache.blocking`). Each method raises :class:`TierUnavailable` when the
    tier fails; after a failure the reader rests (``quiet``) for the breaker's reset period."""

    @property
    def quiet(self) -> bool:
        """True while the reader rests after a failure, or once closed."""
        ...

    def read_many(self, keys: Sequence[str], companion: str) -> dict[str, CacheEntry]:
        """As :meth:`CompanionTier.get_with_companion` with ``include_stale`` for each key: the
        entries held (expired ones within their grace included), ``companion`` set where
        current."""
        ...

    def prime(self) -> None:
        """Open a connection and run the read once, for no key, ahead of the first real read,
        so that read pays neither (a session does this in the background when it is created).
        Never raises: a failure here is left for the first read to meet."""
        ...

    def close(self) -> None:
        """Release the reader's connections; it reads nothing from then on."""
        ...


@runtime_checkable
class BlockingReadable(Protocol):
    """A tier that offers a :class:`BlockingReader` for threads outside the event loop."""

    def sync_reader(self) -> BlockingReader | None:
        """The tier's blocking reader (one per tier, made on first use), or None when the tier
        cannot offer one (a client handed in rather than a URL, an in-memory database)."""
        ...

    async def prepare_reader(self) -> None:
        """Make ready on the loop what :meth:`sync_reader` needs before it can serve (the warm
        tier checks its tables; the hot tier needs nothing).

        Raises:
            TierUnavailable: the tier is down.
        """
        ...


@runtime_checkable
class HitRecorder(Protocol):
    """A tier that stores hit statistics (the SQL warm tier)."""

    async def record_hits(self, hits: Mapping[str, tuple[int, datetime]]) -> None:
        """Add ``count`` to each key's ``hit_count`` and set ``last_hit_at`` (one batch)."""
        ...


@runtime_checkable
class SizeBounded(Protocol):
    """A tier that can evict down to a number of entries (the SQL warm tier)."""

    async def enforce_max_size(self, max_entries: int, *, grace: float = 0.0) -> int:
        """Evict beyond ``max_entries`` (expired past ``grace`` first); returns how many."""
        ...


@runtime_checkable
class Reporting(Protocol):
    """A tier that reports entries and hits per data type (the SQL warm tier)."""

    async def analyze_efficiency(self) -> Sequence[Any]:
        """One row per data type: ``data_type``, ``entries``, ``avg_hits``, ``last_access``."""
        ...

    async def efficiency_report(self, now: datetime | None = None) -> Sequence[Any]:
        """The extended report per data type, judged at ``now``."""
        ...


@runtime_checkable
class RedisBacked(Protocol):
    """A tier on a Redis server whose client other parts share (the rate limiter, the
    cross-process locks and L0's invalidation channel)."""

    @property
    def client(self) -> Redis:
        """The tier's async Redis client."""
        ...

    #: The key prefix; locks and the rate limiter's window sit beside it.
    namespace: str


@runtime_checkable
class SqlBacked(Protocol):
    """A tier in a SQL database whose engine other parts share (the quota table, advisory
    locks)."""

    @property
    def engine(self) -> AsyncEngine:
        """The tier's SQLAlchemy engine."""
        ...

    #: The database schema the tier's tables live in (None: the default).
    schema: str | None


# The capabilities of a tier, asked for by name. (A type checker cannot narrow one protocol to
# another with isinstance; from ``object`` it can.)


def companion_keeper(tier: object) -> CompanionTier | None:
    """``tier`` as a :class:`CompanionTier`, or None when it is not one."""
    return tier if isinstance(tier, CompanionTier) else None


def copying(tier: object) -> Copying | None:
    """``tier`` as a :class:`Copying` tier, or None when it is not one."""
    return tier if isinstance(tier, Copying) else None


def blocking_readable(tier: object) -> BlockingReadable | None:
    """``tier`` as a :class:`BlockingReadable`, or None when it is not one."""
    return tier if isinstance(tier, BlockingReadable) else None


def hit_recorder(tier: object) -> HitRecorder | None:
    """``tier`` as a :class:`HitRecorder`, or None when it is not one."""
    return tier if isinstance(tier, HitRecorder) else None


def size_bounded(tier: object) -> SizeBounded | None:
    """``tier`` as a :class:`SizeBounded`, or None when it is not one."""
    return tier if isinstance(tier, SizeBounded) else None


def reporting(tier: object) -> Reporting | None:
    """``tier`` as a :class:`Reporting`, or None when it is not one."""
    return tier if isinstance(tier, Reporting) else None


def redis_backed(tier: object) -> RedisBacked | None:
    """``tier`` as a :class:`RedisBacked`, or None when it is not one."""
    return tier if isinstance(tier, RedisBacked) else None


def sql_backed(tier: object) -> SqlBacked | None:
    """``tier`` as a :class:`SqlBacked`, or None when it is not one."""
    return tier if isinstance(tier, SqlBacked) else None
