"""The monthly request quota: refused *before* a request is sent once the month's budget is spent.

Every request sent counts, retries and 429s included, so the client reserves a unit before each
attempt. :class:`SqlQuota` keeps the count in the warm tier's database (table ``api_usage``: month
in UTC, source, API-key fingerprint — never the key — and count), so a restart does not reset it
and several processes share one budget: the increment is one conditional statement, so two
processes can never overspend. Requests reserved together (a week's games fetched at once) share
that statement and its commit (:class:`~sportsframe.batching.Batcher`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sportsframe import metrics
from sportsframe.batching import Batcher
from sportsframe.clock import SYSTEM_CLOCK, Clock
from sportsframe.errors import CacheUnavailableError, QuotaExhaustedError

__all__ = [
    "MemoryQuota",
    "Quota",
    "QuotaStatus",
    "SqlQuota",
    "month_of",
    "month_start",
    "next_month",
    "quota_status",
]


log = logging.getLogger("sportsframe.quota")

#: Advisory lock id guarding the creation of api_usage on PostgreSQL.
_LOCK = 0x5F0A_0051


def month_of(now: datetime) -> str:
    """The quota month of an instant: ``YYYY-MM`` in UTC."""
    return now.strftime("%Y-%m")


def month_start(now: datetime) -> datetime:
    """The first instant of the UTC month of ``now``."""
    now = now.astimezone(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def next_month(now: datetime) -> datetime:
    """The first instant of the UTC month after ``now``'s: when the quota resets."""
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


@runtime_checkable
class Quota(Protocol):
    """A monthly budget of requests."""

    async def reserve(self, endpoint: str | None = None, params: Any = None) -> None:
        """Count one request about to be sent; raise QuotaExhaustedError if the budget is spent."""
        ...

    async def used(self) -> int:
        """Requests counted this month."""
        ...


class MemoryQuota:
    """A per-process quota (the month rolls over by the clock)."""

    def __init__(self, limit: int, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.limit = limit
        self.clock = clock
        self._month = month_of(clock.now())
        self._used = 0

    async def reserve(self, endpoint: str | None = None, params: Any = None) -> None:
        month = month_of(self.clock.now())
        if month != self._month:
            self._month, self._used = month, 0
        if self._used >= self.limit:
            raise QuotaExhaustedError(self._used, self.limit, endpoint=endpoint, params=params)
        self._used += 1

    async def used(self) -> int:
        return self._used if month_of(self.clock.now()) == self._month else 0


def _usage_table(metadata: MetaData) -> Table:
    return Table(
        "api_usage",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("month", String(7), nullable=False),
        Column("source", String(32), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("count", Integer, nullable=False, default=0),
        UniqueConstraint("month", "source", "fingerprint", name="uq_api_usage_month_key"),
    )


#: Runs one SQL statement (driver parameter style ``%s``) and returns its first row or None;
#: see :meth:`~sportsframe.cache.sql.tier.SqlTier.statement_runner`.
StatementRunner = Callable[[str, Sequence[Any]], Awaitable[Any]]


class SqlQuota:
    """A quota persisted in ``api_usage`` (SQLite or PostgreSQL, shared by processes).

    ``statement``, on PostgreSQL: runs the reservation of a batch (the hot step before a
    miss's requests leave) on connections of the warm tier's own, in one round trip, instead
    of through ``engine``'s pool (a pre-ping, and the isolation level set and reset).
    """

    def __init__(
        self,
        engine_or_url: AsyncEngine | str,
        limit: int,
        *,
        source: str,
        fingerprint: str,
        clock: Clock = SYSTEM_CLOCK,
        schema: str | None = None,
        statement: StatementRunner | None = None,
    ) -> None:
        self._owns_engine = isinstance(engine_or_url, str)
        self.engine = (
            create_async_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
        )
        self.limit = limit
        self.source = source
        self.fingerprint = fingerprint
        self.clock = clock
        self.table = _usage_table(MetaData(schema=schema))
        self._ready = False
        self._lock = asyncio.Lock()
        self._fallback: MemoryQuota | None = None
        self._last_used = 0
        #: Reservations made while one is being written go together in the next statement.
        self._batch: Batcher[tuple[str | None, Any], None] = Batcher(self._reserve_batch)
        self._statement = statement
        self._together_sql = ""
        if statement is not None:
            table = self.engine.dialect.identifier_preparer.format_table(self.table)
            self._together_sql = (
                f'UPDATE {table} SET "count" = "count" + %s WHERE month = %s AND source = %s'
                f' AND fingerprint = %s AND "count" + %s <= %s RETURNING "count"'
            )

    async def _ensure(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                await self._create()
                self._ready = True

    async def _create(self) -> None:
        for attempt in (1, 2):
            try:
                async with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        # Processes starting together on a fresh database would race to
                        # create the table; one transaction-scoped lock serialises them.
                        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
                    await conn.run_sync(self.table.metadata.create_all, checkfirst=True)
                return
            except OperationalError as exc:
                # SQLite has no such lock: two processes on a fresh file may both find no
                # table and both create it. The loser is told it exists, and it does: check
                # again. (Taken for an outage, it would count this process's calls apart and
                # let the two together spend past the quota.)
                if attempt == 2 or "already exists" not in str(exc.orig):
                    raise

    def _where(self, month: str) -> Any:
        t = self.table
        return (
            (t.c.month == month)
            & (t.c.source == self.source)
            & (t.c.fingerprint == self.fingerprint)
        )

    def _increment(self, month: str, count: int) -> Any:
        """One conditional UPDATE adding ``count`` to ``month``'s row: the count moves only
        while the sum stays within the limit (no row changed otherwise)."""
        t = self.table
        return (
            update(t)
            .where(self._where(month) & (t.c["count"] + count <= self.limit))
            .values(count=t.c["count"] + count)
        )

    async def reserve(self, endpoint: str | None = None, params: Any = None) -> None:
        try:
            await self._batch.submit((endpoint, params))
        except (SQLAlchemyError, OSError) as exc:
            # The database is down: keep counting in this process (from the last count seen)
            # rather than failing the call or letting it through uncounted.
            if self._fallback is None:
                log.warning(
                    "quota table unavailable (%s); counting requests in this process",
                    type(exc).__name__,
                )
                self._fallback = MemoryQuota(self.limit, clock=self.clock)
                self._fallback._used = self._last_used
            await self._fallback.reserve(endpoint, params)
        else:
            self._fallback = None

    async def _reserve_batch(
        self, requests: list[tuple[str | None, Any]]
    ) -> list[BaseException | None]:
        """Reserve one unit for each of ``requests`` (endpoint, params): all in one statement
        when they fit under the limit together, else one at a time, so that near the limit each
        request hears for itself whether it still fits."""
        await self._ensure()
        if len(requests) > 1 and await self._reserve_together(len(requests)):
            return [None] * len(requests)
        outcomes: list[BaseException | None] = []
        for endpoint, params in requests:
            try:
                await self._reserve(endpoint, params)
            except Exception as exc:  # this request's own answer (refused, or the table down)
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    async def _reserve_together(self, count: int) -> bool:
        """Add ``count`` to the month's row in one conditional UPDATE: True when it fitted (no
        row yet, or too few units left: False, and nothing changed)."""
        # One statement is atomic on its own: no BEGIN and COMMIT round trips before a miss's
        # requests may leave.
        month = month_of(self.clock.now())
        if self._statement is not None:
            params = (count, month, self.source, self.fingerprint, count, self.limit)
            try:
                row = await self._statement(self._together_sql, params)
            except CacheUnavailableError:
                # Not "the database is down": the warm tier's own connections give up at their
                # deadline (the statement may still commit, behind a row lock another process
                # holds) or are all busy. Counted here, the batch could pass a limit the
                # database then refuses; SQLAlchemy's path waits for the answer instead. (Should
                # the first statement have committed after all, the batch is counted twice:
                # too much, never too little.)
                pass
            else:
                if row is None:
                    return False
                self._last_used = int(row[0])
                return True
        async with self.engine.connect() as plain:
            conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
            result = await conn.execute(self._increment(month, count))
        if not result.rowcount:
            return False
        self._last_used += count
        return True

    async def _reserve(self, endpoint: str | None, params: Any) -> None:
        month = month_of(self.clock.now())
        t = self.table
        for _ in range(3):
            async with self.engine.begin() as conn:
                result = await conn.execute(self._increment(month, 1))
                if result.rowcount:
                    self._last_used += 1
                    return
                existing = (
                    await conn.execute(select(t.c["count"]).where(self._where(month)))
                ).scalar()
                if existing is not None and int(existing) >= self.limit:
                    raise QuotaExhaustedError(
                        int(existing), self.limit, endpoint=endpoint, params=params
                    )
                if existing is not None:
                    continue  # another process created the row meanwhile: update it
                if self.limit <= 0:
                    raise QuotaExhaustedError(0, self.limit, endpoint=endpoint, params=params)
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        t.insert().values(
                            month=month, source=self.source, fingerprint=self.fingerprint, count=1
                        )
                    )
                self._last_used = 1
                return
            except IntegrityError:
                continue  # another process created the row first: take the UPDATE path
        raise QuotaExhaustedError(self.limit, self.limit, endpoint=endpoint, params=params)

    async def used(self) -> int:
        """The month's count in ``api_usage``; with the database down, this process's count
        (logged), as :meth:`reserve` keeps counting then."""
        try:
            return await self._used()
        except (SQLAlchemyError, OSError) as exc:
            log.warning(
                "quota table unavailable (%s); showing this process's count", type(exc).__name__
            )
            return await self._fallback.used() if self._fallback is not None else self._last_used

    async def _used(self) -> int:
        await self._ensure()
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(self.table.c["count"]).where(self._where(month_of(self.clock.now())))
                )
            ).scalar()
        return int(value or 0)

    async def aclose(self) -> None:
        """Dispose of the engine if this quota created it."""
        if self._owns_engine:
            await self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlQuota(limit={self.limit}, source={self.source!r})"


class QuotaStatus(dict[str, Any]):
    """What :func:`sportsframe.quota` returns: a dict with ``used``, ``limit``, ``remaining``,
    ``month`` (``YYYY-MM``, UTC), ``resets_at`` (start of next month, UTC) and ``source``."""

    def _repr_html_(self) -> str:
        share = self["used"] / self["limit"] if self["limit"] else 1.0
        return (
            "<table class='sportsframe-quota'><caption>sportsframe API quota "
            f"{self['month']} ({self['source']})</caption><tbody>"
            f"<tr><th>used</th><td>{self['used']:,} ({share:.1%})</td></tr>"
            f"<tr><th>limit</th><td>{self['limit']:,}</td></tr>"
            f"<tr><th>remaining</th><td>{self['remaining']:,}</td></tr>"
            f"<tr><th>resets</th><td>{self['resets_at']:%Y-%m-%d %H:%M} UTC</td></tr>"
            "</tbody></table>"
        )


async def quota_status(
    quota: Quota, *, clock: Clock = SYSTEM_CLOCK, source: str, limit: int | None = None
) -> QuotaStatus:
    """Read ``quota``'s count for this month (``limit``: default the quota's own)."""
    used = await quota.used()
    cap = int(limit if limit is not None else getattr(quota, "limit", 0))
    now = clock.now()
    metrics.quota_used.labels(source=source).set(used)
    metrics.quota_limit.labels(source=source).set(cap)
    return QuotaStatus(
        used=used,
        limit=cap,
        remaining=max(cap - used, 0),
        month=month_of(now),
        resets_at=next_month(now),
        source=source,
    )
