"""The redis-py clients of the hot tier, built in one place with one set of options.

:func:`build_client` makes the async client of :class:`~sportsframe.cache.redis.tier.RedisTier`
and the blocking one of :class:`~sportsframe.cache.redis.blocking.SyncHotReader` from the same
URL (``rediss://`` for TLS, the password inside) with the same timeouts, retry, reply decoding
and read size, a ``RedisCluster`` when asked. :func:`probe` is the one short blocking PING at
start-up, and :func:`unavailable_errors` the exceptions that mean "the server cannot be reached"
rather than a bug.

redis-py is imported only when a client is built (it takes a tenth of a second to import, and a
process whose hot tier is in memory never needs it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal, overload

if TYPE_CHECKING:
    import redis
    import redis.cluster
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from sportsframe.settings import Settings

__all__ = [
    "CONNECT_TIMEOUT",
    "POOL_SIZE",
    "READ_CHUNK",
    "SOCKET_TIMEOUT",
    "build_client",
    "count_connections",
    "probe",
    "unavailable_errors",
]

#: Seconds to wait for a TCP connection to Redis: a local server answers in well under 1 ms, so
#: anything slower is treated as down (the circuit breaker then stops paying it).
CONNECT_TIMEOUT: Final = 0.2
#: Seconds to wait for one reply. Long enough for a multi-megabyte value on loopback.
SOCKET_TIMEOUT: Final = 0.5
#: Bytes asked of the socket per read (redis-py's ``socket_read_size``).
READ_CHUNK: Final = 1 << 20
#: Connections of the async client's pool (one server). More commands at once wait for one.
POOL_SIZE: Final = 100


def unavailable_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a client call that mean the server is unreachable or not answering."""
    import redis.exceptions as rex

    return (
        rex.ConnectionError,  # includes AuthenticationError and BusyLoadingError
        rex.TimeoutError,
        rex.ClusterDownError,
        rex.ReadOnlyError,
        rex.TryAgainError,
        # No seed answers, or a seed is no cluster: redis-py says so with RedisClusterException,
        # which is no RedisError (RedisClusterUnreachableError is one of its kind).
        rex.RedisClusterException,
        OSError,
        TimeoutError,
    )


@overload
def build_client(
    url: str,
    *,
    blocking: Literal[False] = False,
    cluster: bool,
    connect_timeout: float,
    socket_timeout: float,
    max_connections: int | None = None,
) -> Redis | RedisCluster: ...


@overload
def build_client(
    url: str,
    *,
    blocking: Literal[True],
    cluster: bool,
    connect_timeout: float,
    socket_timeout: float,
    max_connections: int | None = None,
) -> redis.Redis | redis.cluster.RedisCluster: ...


def build_client(
    url: str,
    *,
    blocking: bool = False,
    cluster: bool,
    connect_timeout: float,
    socket_timeout: float,
    max_connections: int | None = None,
) -> Any:
    """A client of the server (or cluster seed node) at ``url``: async, or ``blocking`` for a
    thread outside the event loop. Both kinds get the same options."""
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    factory: Any
    if blocking:
        import redis
        import redis.cluster
        from redis.retry import Retry

        factory = redis.cluster.RedisCluster if cluster else redis.Redis
    else:
        from redis.asyncio import Redis
        from redis.asyncio.cluster import RedisCluster
        from redis.asyncio.retry import Retry  # type: ignore[assignment]

        factory = RedisCluster if cluster else Redis
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
    if not blocking and not cluster:
        from redis.asyncio import BlockingConnectionPool

        # More commands at once than the pool holds (a season's parts locked, read or written
        # together) wait for a free connection. redis-py's default pool raises
        # MaxConnectionsError instead, a ConnectionError the tier would take for an outage and
        # stop using Redis for a breaker period. The wait is bounded: past one connect and one
        # reply's time, "no connection available" is an outage after all.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections or POOL_SIZE,
            timeout=connect_timeout + socket_timeout,
            **options,
        )
        client = factory(connection_pool=pool)
        client.auto_close_connection_pool = True  # closed with the client, as from_url's is
        return client
    if max_connections is not None:
        options["max_connections"] = max_connections
    return factory.from_url(url, **options)


def count_connections(client: Redis, count: Callable[[], None]) -> None:
    """Call ``count`` on every connection attempt of ``client``'s pool (so tests can prove that
    an open breaker stops them). A pool that already counts for someone is left as it is."""
    pool = client.connection_pool
    base: Any = pool.connection_class
    if getattr(base, "_sportsframe_counting", False):
        return

    async def _connect(self: Any) -> None:
        count()
        await base._connect(self)

    pool.connection_class = type(
        f"Counting{base.__name__}", (base,), {"_connect": _connect, "_sportsframe_counting": True}
    )


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
