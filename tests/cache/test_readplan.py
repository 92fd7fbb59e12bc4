"""The read plan: one table of read scenarios, run by the async driver (on the event loop) and by
the blocking driver (in a thread), over real Redis and a real SQL tier. Both must give equal
entries, equal events and equal statistics; the plan's own rules are checked without I/O."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sportsframe.cache.breaker import FAILURE_THRESHOLD
from sportsframe.cache.entry import CacheEntry, Lookup
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.readplan import HOT, WARM, EventKind, ReadEvent, ReadPlan
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock
from sportsframe.registry.ttl import CacheDataType
from sportsframe.settings import Settings
from tests.cache.servers import FreezingProxy, OwnRedis

KEY = "player_props:2024:13:True"
FRAME = "frame-x"
PAYLOAD = [{"PlayerID": 1, "Value": 21.5}, {"PlayerID": 2, "Value": 64.5}]
A, M, H, S, D, P = (
    EventKind.ANSWERED,
    EventKind.MISS,
    EventKind.HIT,
    EventKind.SKIP,
    EventKind.DOWN,
    EventKind.PROMOTE,
)


# -- the plan alone (no I/O) -------------------------------------------------------------------
NOW = datetime(2024, 12, 1, 17, 0, tzinfo=UTC)


def _entry(key: str, expires_in: float, created: datetime = NOW) -> CacheEntry:
    return CacheEntry.from_payload(
        key,
        [],
        data_type="player_props",
        created_at=created,
        expires_at=NOW + timedelta(seconds=expires_in),
    )


def test_the_plan_reads_the_warm_tier_only_for_what_the_hot_tier_did_not_answer() -> None:
    plan = ReadPlan(["a", "b", "c"], NOW)
    step = plan.next_read()
    assert step is not None
    assert (step.tier, step.keys) == (HOT, ("a", "b", "c"))
    plan.answer(step, {"a": _entry("a", 60), "b": _entry("b", -5)}, 0.003)
    step = plan.next_read()
    assert step is not None
    assert (step.tier, step.keys) == (WARM, ("b", "c"))
    plan.answer(step, {"b": _entry("b", -1), "c": _entry("c", 60)}, 0.002)
    assert plan.next_read() is None
    assert {k: f.served_from for k, f in plan.found.items()} == {"a": HOT, "c": WARM}
    # The newest expired entry of b is the stale candidate: the warm tier's (expired later).
    assert plan.stale["b"].served_from == WARM
    assert plan.stale["b"].stale
    assert plan.missing == ("b",)
    assert [(e.kind, e.tier, e.key) for e in plan.events] == [
        (A, HOT, ""),
        (H, HOT, "a"),
        (M, HOT, "b"),
        (M, HOT, "c"),
        (A, WARM, ""),
        (M, WARM, "b"),
        (H, WARM, "c"),
        (P, WARM, "c"),
    ]
    assert plan.events[1].seconds == pytest.approx(0.001)  # the tier's time over its keys


def test_a_warm_hit_after_the_hot_tier_failed_is_not_copied_to_it() -> None:
    plan = ReadPlan(["a"], NOW)
    step = plan.next_read()
    assert step is not None
    plan.fail(step, "ConnectionError")
    step = plan.next_read()
    assert step is not None
    plan.answer(step, {"a": _entry("a", 60)}, 0.001)
    assert [e.kind for e in plan.events] == [D, A, H]


def test_the_read_after_a_load_lock_counts_no_misses_or_skips() -> None:
    plan = ReadPlan(["a"], NOW, count_misses=False)
    step = plan.next_read()
    assert step is not None
    plan.skip(step)
    step = plan.next_read()
    assert step is not None
    plan.answer(step, {}, 0.001)
    assert [e.kind for e in plan.events] == [A]


def test_one_failure_of_a_read_of_many_keys_is_one_event() -> None:
    plan = ReadPlan(["a", "b"], NOW, tiers=(WARM,))
    step = plan.next_read()
    assert step is not None
    plan.fail(step, "OperationalError")
    assert [e.kind for e in plan.events] == [D]
    assert plan.next_read() is None
    assert plan.missing == ("a", "b")


# -- the scenario table, both drivers over real servers ----------------------------------------
@dataclass
class World:
    """What a scenario arranges: the tiers the managers use, and the clock."""

    clock: ManualClock
    settings: Settings
    redis_url: str
    warm_url: str
    warm_schema: str | None
    own_redis: OwnRedis | None = None

    def manager(
        self,
        *,
        hot_url: str | None = None,
        hot_timeout: float = 0.5,
        warm_url: str | None = None,
        warm_timeout: float | None = None,
    ) -> CacheManager:
        hot = RedisTier(
            hot_url or self.redis_url,
            namespace=self.settings.namespace,
            clock=self.clock,
            connect_timeout=hot_timeout,
            socket_timeout=hot_timeout,
        )
        timeout = {} if warm_timeout is None else {"operation_timeout": warm_timeout}
        warm = SqlTier(
            warm_url or self.warm_url, clock=self.clock, schema=self.warm_schema, **timeout
        )
        return CacheManager(self.settings, hot=hot, warm=warm, clock=self.clock)


Arrange = Callable[[CacheManager, World], Awaitable[None]]


async def _stored(mgr: CacheManager, world: World, *, companion: bool = True) -> Lookup:
    """KEY written through to both tiers (from the API), with its finished frame beside it."""
    await mgr.set(KEY, PAYLOAD, CacheDataType.PLAYER_PROPS, season=2024)
    found = await mgr.lookup(KEY)
    assert found is not None
    if companion:
        found = Lookup(found.key, found.entry, "api")
        assert await mgr.attach(found, FRAME, b"finished frame")
    return found


async def hot_hit(mgr: CacheManager, world: World) -> None:
    await _stored(mgr, world)


async def hot_hit_outdated_companion(mgr: CacheManager, world: World) -> None:
    await _stored(mgr, world)
    world.clock.advance(1)  # the rewrite has another created_at: the companion is not its own
    await mgr.set(KEY, PAYLOAD, CacheDataType.PLAYER_PROPS, season=2024)


async def warm_hit(mgr: CacheManager, world: World) -> None:
    await _stored(mgr, world)
    await mgr.drop_hot(KEY)


async def warm_hit_outdated_companion(mgr: CacheManager, world: World) -> None:
    await hot_hit_outdated_companion(mgr, world)
    await mgr.drop_hot(KEY)


async def miss(mgr: CacheManager, world: World) -> None:
    return None


async def expired_within_grace(mgr: CacheManager, world: World) -> None:
    found = await _stored(mgr, world)
    remaining = (found.entry.expires_at - world.clock.now()).total_seconds()
    world.clock.advance(remaining + 1)  # expired a second ago: both tiers keep it for grace


async def expired_past_grace(mgr: CacheManager, world: World) -> None:
    found = await _stored(mgr, world)
    remaining = (found.entry.expires_at - world.clock.now()).total_seconds()
    world.clock.advance(remaining + mgr.grace + 1)  # expired longer ago than the grace
    # What the tiers do past the grace: Redis drops the key by itself (its PX is the remaining
    # TTL plus the grace, run here by the manual clock) and the warm tier's cleanup deletes
    # the row; an entry within its grace survives both (the scenario above).
    assert await mgr.cleanup_expired() == 1
    assert await mgr.hot.keys("*") == []  # type: ignore[union-attr]


@dataclass(frozen=True)
class Scenario:
    """What the tiers hold, which breaker is open, what the read must find out."""

    arrange: Arrange
    events: list[tuple[EventKind, str]]
    served_from: str | None  # the tier the entry is found fresh in
    open_breaker: str | None = None


SCENARIOS = {
    "hot hit, companion current": Scenario(hot_hit, [(A, HOT), (H, HOT)], HOT),
    "hot hit, companion outdated": Scenario(hot_hit_outdated_companion, [(A, HOT), (H, HOT)], HOT),
    "warm hit, companion current": Scenario(
        warm_hit, [(A, HOT), (M, HOT), (A, WARM), (H, WARM), (P, WARM)], WARM
    ),
    "warm hit, companion outdated": Scenario(
        warm_hit_outdated_companion, [(A, HOT), (M, HOT), (A, WARM), (H, WARM), (P, WARM)], WARM
    ),
    "miss": Scenario(miss, [(A, HOT), (M, HOT), (A, WARM), (M, WARM)], None),
    "expired, stale within grace": Scenario(
        expired_within_grace, [(A, HOT), (M, HOT), (A, WARM), (M, WARM)], None
    ),
    "expired past grace": Scenario(
        expired_past_grace, [(A, HOT), (M, HOT), (A, WARM), (M, WARM)], None
    ),
    "hot breaker open": Scenario(
        hot_hit, [(S, HOT), (A, WARM), (H, WARM), (P, WARM)], WARM, open_breaker=HOT
    ),
    "warm breaker open": Scenario(miss, [(A, HOT), (M, HOT), (S, WARM)], None, open_breaker=WARM),
}


def _found(plan: ReadPlan) -> dict[str, Any]:
    """What a plan found, in the terms both drivers must agree on."""

    def summary(found: Lookup) -> tuple[Any, ...]:
        companion = found.entry.companion
        return (
            found.served_from,
            found.stale,
            found.entry.created_at,
            found.entry.expires_at,
            None if companion is None else bytes(companion),
        )

    return {
        "found": {k: summary(v) for k, v in plan.found.items()},
        "stale": {k: summary(v) for k, v in plan.stale.items()},
    }


def _counts(mgr: CacheManager) -> dict[str, Any]:
    stats = mgr.get_stats()
    sections = {
        name: {k: stats[name][k] for k in ("hits", "misses", "errors", "degraded")}
        for name in ("hot_cache", "warm_cache")
    }
    states = {name: stats[name]["state"] for name in ("hot_cache", "warm_cache")}
    return {"tiers": sections, "breakers": states, "overall": stats["overall"]["hits"]}


async def _async_read(mgr: CacheManager) -> tuple[ReadPlan, dict[str, Any]]:
    plan = await mgr.read([mgr.storage_key(KEY)], companion=FRAME)
    return plan, _counts(mgr)


async def _blocking_read(mgr: CacheManager) -> tuple[ReadPlan, dict[str, Any]]:
    blocking = mgr.blocking
    assert blocking is not None
    read = await asyncio.to_thread(blocking.read, [mgr.storage_key(KEY)], FRAME)
    assert read is not None
    mgr.record(read.plan, read.changes)
    return read.plan, _counts(mgr)


DRIVERS = {"async": _async_read, "blocking": _blocking_read}


@pytest.fixture(params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    clock: ManualClock,
) -> World:
    settings = Settings(home=tmp_path, namespace=namespace, redis_host="")
    if request.param == "sqlite":
        return World(clock, settings, redis_url, f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", None)
    schema = request.getfixturevalue("pg_schema")
    return World(clock, settings, redis_url, request.getfixturevalue("postgres_url"), schema)


async def _run(
    world: World,
    scenario: Scenario,
    driver: str,
    fault: Callable[[], Awaitable[None]] | None = None,
    **tiers: Any,
) -> tuple[dict[str, Any], list[ReadEvent], dict[str, Any]]:
    """Arrange a fresh copy of the scenario (the same keys at the same time), read it with
    ``driver`` on a manager of its own (``tiers``: :meth:`World.manager`'s options; ``fault``
    runs once its tiers are open): (what was found, the events, the counts)."""
    start = world.clock.now()
    setup = world.manager()
    try:
        await setup.invalidate("*")
        await scenario.arrange(setup, world)
    finally:
        await setup.close()
    mgr = world.manager(**tiers)
    try:
        # A session's first call opens the warm tier (its tables checked) on the loop; the
        # blocking reader serves the calls after that.
        assert mgr.warm is not None
        await mgr.warm.keys("not-a-key")
        if fault is not None:
            await fault()
        if scenario.open_breaker is not None:
            breaker = mgr.hot_breaker if scenario.open_breaker == HOT else mgr.warm_breaker
            for _ in range(FAILURE_THRESHOLD):
                breaker.failure("down")
        mgr.promoter.closed = True  # compare the copies asked for, not their effects
        plan, counts = await DRIVERS[driver](mgr)
        return _found(plan), plan.events, counts
    finally:
        await mgr.close()
        world.clock.set(start)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_both_drivers_give_equal_entries_events_and_stats(
    world: World, scenario: str
) -> None:
    case = SCENARIOS[scenario]
    expected, served_from = case.events, case.served_from
    results = {driver: await _run(world, case, driver) for driver in DRIVERS}
    assert results["async"] == results["blocking"]
    found, events, counts = results["async"]
    assert [(e.kind, e.tier) for e in events] == expected
    skey = KEY
    if served_from is None:
        assert found["found"] == {}
    else:
        assert found["found"][skey][0] == served_from
    if scenario.endswith("companion current"):
        assert found["found"][skey][4] == b"finished frame"
    if scenario.endswith("companion outdated"):
        assert found["found"][skey][4] is None
    if scenario.endswith("within grace"):
        assert found["stale"][skey][1] is True
    if scenario.endswith("past grace"):
        assert found["stale"] == {}  # neither fresh nor a stale candidate: gone
    assert counts["tiers"]["hot_cache"]["hits"] == (served_from == HOT)


# -- failures: a tier that is down, a deadline that passed ---------------------------------------
@pytest.fixture
def frozen_redis(tmp_path: Path, free_port: int) -> Iterator[OwnRedis]:
    """A Redis of the test's own that accepts connections and then stops answering."""
    own = OwnRedis(free_port, tmp_path)
    own.start()
    try:
        own.freeze()
        yield own
    finally:
        own.resume()
        own.kill()


@pytest.mark.parametrize("fault", ["tier down", "deadline passed"])
async def test_both_drivers_agree_when_the_hot_tier_fails(
    world: World, fault: str, request: pytest.FixtureRequest
) -> None:
    if fault == "tier down":
        url = f"redis://127.0.0.1:{request.getfixturevalue('free_port')}/0"
    else:
        url = f"redis://127.0.0.1:{request.getfixturevalue('frozen_redis').port}/0"
    results = {
        driver: await _run(
            world, SCENARIOS["warm hit, companion current"], driver, hot_url=url, hot_timeout=0.2
        )
        for driver in DRIVERS
    }
    assert results["async"] == results["blocking"]
    found, events, counts = results["async"]
    # The warm tier serves it, and is not asked to copy it to a hot tier that just failed.
    assert [(e.kind, e.tier) for e in events] == [(D, HOT), (A, WARM), (H, WARM)]
    assert found["found"][KEY][0] == WARM
    assert counts["tiers"]["hot_cache"]["errors"] == 1
    assert counts["tiers"]["hot_cache"]["misses"] == 1


@pytest.mark.parametrize("world", ["postgres"], indirect=True)
@pytest.mark.parametrize("fault", ["tier down", "deadline passed"])
async def test_both_drivers_agree_when_the_warm_tier_fails(world: World, fault: str) -> None:
    # The warm tier opens through a proxy (its tables checked), then PostgreSQL goes down
    # (connections cut, new ones refused) or stops answering (bytes held: the deadline passes).
    assert world.warm_schema is not None
    results = {}
    for driver in DRIVERS:
        proxy = FreezingProxy()  # one for each driver: a cut proxy stays down
        await proxy.start()
        url = world.warm_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        assert url != world.warm_url

        async def fail(proxy: FreezingProxy = proxy) -> None:
            if fault == "tier down":
                await proxy.cut()
            else:
                proxy.flowing.clear()

        started = time.monotonic()
        try:
            results[driver] = await _run(
                world,
                SCENARIOS["warm hit, companion current"],
                driver,
                fault=fail,
                warm_url=url,
                warm_timeout=0.5,
            )
        finally:
            proxy.flowing.set()
            await proxy.stop()
        # A hung server costs the read its deadline (and a connect's), never much more.
        assert time.monotonic() - started < 10
    assert results["async"] == results["blocking"]
    found, events, counts = results["async"]
    # The hot tier does not hold it and the warm tier cannot answer: found nowhere, not stale.
    assert [(e.kind, e.tier) for e in events] == [(A, HOT), (M, HOT), (D, WARM)]
    assert found == {"found": {}, "stale": {}}
    assert counts["tiers"]["warm_cache"]["errors"] == 1
    assert counts["tiers"]["warm_cache"]["hits"] == 0
    assert counts["tiers"]["hot_cache"]["misses"] == 1


def test_events_compare_without_timings_reasons_or_entries() -> None:
    one = ReadEvent(EventKind.DOWN, HOT, "k", seconds=0.1, reason="refused")
    other = ReadEvent(EventKind.DOWN, HOT, "k", seconds=0.2, reason="ConnectionRefusedError")
    assert one == other
    assert one != ReadEvent(EventKind.DOWN, WARM, "k")
