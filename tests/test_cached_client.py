"""CachedSportsDataIOClient against the emulator over real HTTP, with the real Redis and
PostgreSQL (own namespace and schema) as tiers.

Each test proves one acceptance item of the tiered-cache issue; upstream requests are counted
from the emulator's side (its request log).
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sportsframe.api.client import SportsDataIOClient
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.cached_client import CachedSportsDataIOClient
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer, FaultRule, start_emulator
from sportsframe.errors import InvalidParameterError, OfflineCacheMissError, UpstreamError
from sportsframe.registry import ENDPOINTS, Endpoint
from sportsframe.registry.ttl import TTL_POLICIES, CacheDataType
from sportsframe.settings import Settings
from tests.cache.servers import PATIENT
from tests.samples import fill_in

API_KEY = "test-key-0123456789abcdef"
#: After week 18 of the 2024 regular season: those games are final.
NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(port=0, key=API_KEY, latency=(0.0, 0.0), now=NOW)
    yield server
    server.stop()


def emulator_settings(
    server: EmulatorServer, tmp_path: Path, namespace: str, **kw: Any
) -> Settings:
    """Settings for the emulator source; the limiter is raised (these tests are not about it)."""
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": API_KEY,
        "source": "emulator",
        "namespace": namespace,
        "home": tmp_path,
        "redis_host": "",
        "rate_limit": 1000.0,
        "retries": 0,
        "monthly_quota": 1_000_000_000,
    }
    values.update(kw)
    return Settings(**values)


@pytest.fixture
async def redis_client(redis_url: str, namespace: str) -> AsyncIterator[Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    yield client
    keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


class Stack:
    """A cached client over real Redis + PostgreSQL, built so tests can rebuild it."""

    def __init__(
        self,
        settings: Settings,
        redis_url: str,
        postgres_url: str,
        schema: str,
        clock: Any = None,
        api_clock: Any = None,
    ) -> None:
        from sportsframe.clock import SYSTEM_CLOCK

        self.settings = settings
        self.clock = clock or SYSTEM_CLOCK
        self.hot = RedisTier(redis_url, namespace=settings.namespace, clock=self.clock, **PATIENT)
        self.warm = SqlTier(postgres_url, clock=self.clock, schema=schema)
        self.manager = CacheManager(
            settings, hot=self.hot, warm=self.warm, clock=self.clock, source=settings.source
        )
        client = None
        if api_clock is not None:  # a ManualClock must not pace the real HTTP client
            client = SportsDataIOClient(settings, clock=api_clock)
        self.sdio = CachedSportsDataIOClient(
            settings, manager=self.manager, client=client, clock=self.clock
        )
        self._client = client

    async def close(self) -> None:
        await self.sdio.aclose()
        if self._client is not None:
            await self._client.aclose()
        await self.manager.close()


@pytest.fixture
async def stack(
    emulator: EmulatorServer,
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    postgres_url: str,
    schema: str,
    redis_client: Any,
) -> AsyncIterator[Stack]:
    built = Stack(emulator_settings(emulator, tmp_path, namespace), redis_url, postgres_url, schema)
    yield built
    await built.close()


def _paths(server: EmulatorServer) -> Counter[str]:
    return Counter(r.path for r in server.requests())


async def _expected_props_week(server: EmulatorServer, season: int, week: int) -> list[Any]:
    """The props week computed by hand from the emulator's own answers."""
    headers = {"Ocp-Apim-Subscription-Key": API_KEY}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        scores = (await http.get(ENDPOINTS["scores"].bind(season, week).path)).json()
        out: list[Any] = []
        for sid in sorted({g["ScoreID"] for g in scores}):
            call = ENDPOINTS["player_props_game"].bind(season, week, sid)
            markets = (await http.get(call.path)).json()
            for market in markets:
                outcomes = [o for o in market["BettingOutcomes"] if not o.get("IsAlternate")]
                out.append({**market, "BettingOutcomes": outcomes})
    return out


# -- both tiers hold the props week --------------------------------------------------------------
async def test_props_week_lands_in_redis_as_arrow_and_in_postgres_as_json(
    stack: Stack, emulator: EmulatorServer, redis_client: Any, postgres_url: str, schema: str
) -> None:
    payload = await stack.sdio.get_player_props_by_week(2024, 18)
    await stack.sdio.settle()  # the week is written behind the answer
    expected = await _expected_props_week(emulator, 2024, 18)
    assert payload == expected
    assert len(payload) > 0
    key = "emulator/player_props:2024:18:False"
    raw_keys = [k async for k in redis_client.scan_iter(match=f"{stack.settings.namespace}:*")]
    (raw_key,) = [k for k in raw_keys if k.decode().endswith("player_props:2024:18:False")]
    table = pa.ipc.open_stream(await redis_client.get(raw_key)).read_all()
    assert table.num_rows == len(payload)
    assert table.column("BettingMarketID").to_pylist() == [m["BettingMarketID"] for m in payload]
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(f'SELECT data FROM "{schema}".cache_entries WHERE key = :k'), {"k": key}
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    data = rows[0].data
    assert data == payload
    assert not any(o.get("IsAlternate") for m in data for o in m["BettingOutcomes"])


async def test_the_spec_integration_flow(stack: Stack) -> None:
    props_1 = await stack.sdio.get_player_props_by_week(2024, 18)
    stats_1 = stack.sdio.get_cache_stats()
    assert stats_1["overall"]["api_calls_avoided"] == 0
    props_2 = await stack.sdio.get_player_props_by_week(2024, 18)
    stats_2 = stack.sdio.get_cache_stats()
    assert stats_2["overall"]["api_calls_avoided"] == 1
    assert props_1 == props_2
    for section in ("hot_cache", "warm_cache"):
        assert {"hits", "misses", "hit_rate"} <= set(stats_2[section])
    overall = stats_2["overall"]
    assert {"hits", "misses", "hit_rate", "api_calls_avoided"} <= set(overall)
    assert overall["hit_rate"] == round(overall["hits"] / (overall["hits"] + overall["misses"]), 4)


async def test_lookup_gives_provenance(stack: Stack) -> None:
    first = await stack.sdio.fetch_entry("player_props", 2024, 18)
    await stack.sdio.settle()  # the entry is written behind the answer
    second = await stack.sdio.fetch_entry("player_props", 2024, 18)
    assert (first.served_from, second.served_from) == ("api", "hot")
    info = second.provenance()
    assert info["key"] == "emulator/player_props:2024:18:False"
    assert info["source"] == "emulator"
    assert info["stale"] is False
    assert info["fetched_at"] == first.fetched_at
    assert info["expires_at"] > info["fetched_at"]


# -- invalidation ---------------------------------------------------------------------------------
WEEK_ENDPOINTS = [e for e in ENDPOINTS.values() if e.has_week and e.name != "player_props_game"]


async def _populate(sdio: CachedSportsDataIOClient) -> None:
    for week in (17, 18):
        for ep in WEEK_ENDPOINTS:
            await sdio.call(ep.name, **fill_in(ep, {"season": 2024, "week": week}))
    await sdio.get_teams(2024)
    await sdio.get_schedules(2024)
    await sdio.get_players("SF")


def _is_week(key: str, season: int, week: int) -> bool:
    name, *segments = key.removeprefix("emulator/").split(":")
    ep: Endpoint = ENDPOINTS[name]
    if not ep.has_week:
        return False
    values = dict(zip([p.name for p in ep.key_params], segments, strict=True))
    return values["season"] == str(season) and values["week"] == str(week)


async def test_invalidate_week_removes_that_week_and_nothing_else(stack: Stack) -> None:
    await _populate(stack.sdio)
    await stack.sdio.settle()
    before_hot = set(await stack.hot.keys("*"))
    before_warm = set(await stack.warm.keys("*"))
    assert before_hot == before_warm
    week_18 = {k for k in before_hot if _is_week(k, 2024, 18)}
    names = {k.removeprefix("emulator/").split(":")[0] for k in week_18}
    assert names == {e.name for e in ENDPOINTS.values() if e.has_week}  # every week endpoint
    removed = await stack.sdio.invalidate_week_data(2024, 18)
    assert removed == len(week_18)
    assert set(await stack.hot.keys("*")) == before_hot - week_18
    assert set(await stack.warm.keys("*")) == before_warm - week_18


async def test_invalidate_team_player_and_season(stack: Stack) -> None:
    sdio = stack.sdio
    roster = await sdio.get_players("SF")
    player_id = roster[0]["PlayerID"]
    await sdio.get_players("KC")
    await sdio.get_player_details_by_player(player_id)
    await sdio.get_news_by_team("SF")
    await sdio.get_news_by_player(player_id)
    await sdio.get_teams(2024)
    await sdio.get_teams(2023)
    await sdio.get_scores_by_week(2024, 1)
    await sdio.get_scores_by_week(2024, 1, season_type="POST")
    await sdio.get_scores_by_week(2023, 1)

    async def keys() -> set[str]:
        return {k.removeprefix("emulator/") for k in await stack.warm.keys("*")}

    assert await sdio.invalidate_team_data("sf") == 2
    assert {"players:SF", "news_by_team:SF"}.isdisjoint(await keys())
    assert "players:KC" in await keys()
    assert await sdio.invalidate_player_data(player_id) == 2
    assert {f"player:{player_id}", f"news_by_player:{player_id}"}.isdisjoint(await keys())
    assert await sdio.invalidate_season_data(2024) == 3
    assert await keys() == {"players:KC", "teams:2023", "scores:2023:1"}
    with pytest.raises(InvalidParameterError):
        await sdio.invalidate_week_data(2024, 19)


# -- empty results, single-flight ---------------------------------------------------------------
async def test_an_empty_week_is_cached(stack: Stack, emulator: EmulatorServer) -> None:
    call = ENDPOINTS["box_scores"].bind(2025, 5)  # a future week: no final games yet
    assert await stack.sdio.get_box_scores_by_week(2025, 5) == []
    assert _paths(emulator)[call.path] == 1
    assert await stack.sdio.get_box_scores_by_week(2025, 5) == []
    assert _paths(emulator)[call.path] == 1  # no request the second time


async def test_fifty_concurrent_cold_calls_request_each_path_once(
    stack: Stack, emulator: EmulatorServer
) -> None:
    results = await asyncio.gather(
        *(stack.sdio.get_player_props_by_week(2024, 18) for _ in range(50))
    )
    assert all(r == results[0] for r in results)
    paths = _paths(emulator)
    games = await stack.sdio.get_scores_by_week(2024, 18)  # cached: no request
    expected = {ENDPOINTS["scores"].bind(2024, 18).path} | {
        ENDPOINTS["player_props_game"].bind(2024, 18, g["ScoreID"]).path for g in games
    }
    assert len(expected) > 2
    assert set(paths) == expected
    assert set(paths.values()) == {1}


# -- failures -------------------------------------------------------------------------------------
async def test_stale_if_error_then_typed_error_past_grace(
    emulator: EmulatorServer,
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    postgres_url: str,
    schema: str,
    redis_client: Any,
) -> None:
    clock = ManualClock(NOW)
    from sportsframe.clock import SYSTEM_CLOCK

    settings = emulator_settings(emulator, tmp_path, namespace, stale_grace=3600)
    built = Stack(settings, redis_url, postgres_url, schema, clock=clock, api_clock=SYSTEM_CLOCK)
    try:
        fresh = await built.sdio.get_injuries_by_week(2025, 2)
        clock.advance(TTL_POLICIES[CacheDataType.INJURIES] + 60)
        emulator.faults.add(FaultRule(kind="status", status=503, times=1000))
        found = await built.sdio.fetch_entry("injuries", 2025, 2)
        assert found.stale
        assert found.payload == fresh
        clock.advance(3600)
        with pytest.raises(UpstreamError):
            await built.sdio.get_injuries_by_week(2025, 2)
    finally:
        await built.close()


async def test_offline_mode_never_reaches_the_emulator(
    emulator: EmulatorServer,
    tmp_path: Path,
    namespace: str,
    redis_url: str,
    postgres_url: str,
    schema: str,
    redis_client: Any,
) -> None:
    clock = ManualClock(NOW)
    from sportsframe.clock import SYSTEM_CLOCK

    online = emulator_settings(emulator, tmp_path, namespace)
    built = Stack(online, redis_url, postgres_url, schema, clock=clock, api_clock=SYSTEM_CLOCK)
    try:
        injuries = await built.sdio.get_injuries_by_week(2025, 2)
    finally:
        await built.close()
    clock.advance(TTL_POLICIES[CacheDataType.INJURIES] * 10)  # long expired
    emulator.clear_requests()
    offline = emulator_settings(emulator, tmp_path, namespace, offline=True)
    built = Stack(offline, redis_url, postgres_url, schema, clock=clock, api_clock=SYSTEM_CLOCK)
    try:
        found = await built.sdio.fetch_entry("injuries", 2025, 2)
        assert found.stale
        assert found.payload == injuries
        with pytest.raises(OfflineCacheMissError, match="injuries"):
            await built.sdio.get_injuries_by_week(2025, 3)
        with pytest.raises(OfflineCacheMissError):
            await built.sdio.get_player_props_by_week(2024, 18)
    finally:
        await built.close()
    assert emulator.requests() == []


# -- the generated surface -------------------------------------------------------------------------
def test_one_method_per_registered_endpoint() -> None:
    for ep in ENDPOINTS.values():
        method = getattr(CachedSportsDataIOClient, ep.method)
        params = list(inspect.signature(method).parameters)
        assert params == ["self", *(p.name for p in ep.params), "refresh"]
        assert method.__name__ == ep.method
        assert ep.description in (method.__doc__ or "")
    spec = inspect.signature(CachedSportsDataIOClient.get_player_props_by_week)
    assert spec.parameters["include_alternate"].default is False


async def test_bad_arguments_raise_before_any_request(
    emulator: EmulatorServer, tmp_path: Path, namespace: str
) -> None:
    settings = emulator_settings(emulator, tmp_path, namespace)
    async with CachedSportsDataIOClient(settings) as sdio:
        with pytest.raises(InvalidParameterError, match="week"):
            await sdio.get_player_props_by_week(2024, 19)
        with pytest.raises(InvalidParameterError, match="team"):
            await sdio.get_players("XYZ")
        with pytest.raises(InvalidParameterError):
            await sdio.call("no_such_endpoint")
    assert emulator.requests() == []


async def test_embedded_default_needs_no_configuration(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only what says where the data comes from (and a raised rate limit: this test is not
    # about the limiter); no Redis, no DATABASE_URL.
    monkeypatch.setenv("SPORTSFRAME_RATE_LIMIT", "1000")
    monkeypatch.setenv("REDIS_HOST", "")
    monkeypatch.setenv("SPORTSDATAIO_BASE_URL", emulator.base_url)
    monkeypatch.setenv("SPORTSDATAIO_API_KEY", API_KEY)
    monkeypatch.setenv("SPORTSFRAME_SOURCE", "emulator")
    async with CachedSportsDataIOClient() as sdio:
        assert type(sdio.manager.hot).__name__ == "MemoryTier"
        props = await sdio.get_player_props_by_week(2024, 18)
        await sdio.settle()
        again = await sdio.fetch_entry("player_props", 2024, 18)
        assert again.payload == props
        assert again.served_from == "hot"
        assert sdio.get_cache_stats()["locks"].get("file", 0) >= 1
        home = sdio.settings.home
    assert (home / "cache.sqlite3").exists()
