"""The API client against the emulator over real HTTP: schema of every endpoint, typed errors and
retries, the key never leaking, argument validation before I/O, rate limit and quota."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

import httpx
import orjson
import pytest

from sportsframe.api.client import SportsDataIOClient
from sportsframe.emulator import EmulatorServer, FaultRule, start_emulator
from sportsframe.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidParameterError,
    MalformedResponseError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitedError,
    SubscriptionError,
    UpstreamError,
    UpstreamTimeoutError,
)
from sportsframe.registry import ENDPOINTS, BoundCall
from sportsframe.settings import Settings
from tests.samples import fill_in

KEY = "0123456789abcdef-secret-test-key"
NOW = datetime(2024, 12, 20, 12, 0, tzinfo=UTC)  # 2024 REG week 13 is final


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(now=NOW)
    try:
        yield server
    finally:
        server.stop()


def client_for(server: EmulatorServer, **settings: Any) -> SportsDataIOClient:
    values: dict[str, Any] = {"rate_limit": 1000.0, "retries": 2, **settings}
    return SportsDataIOClient(Settings(**values), base_url=server.base_url, api_key=KEY)


@cache
def models() -> dict[str, list[dict[str, Any]]]:
    raw = resources.files("sportsframe").joinpath("sportsdataio-models.json").read_bytes()
    return {n: m["fields"] for n, m in orjson.loads(raw)["models"].items()}


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "dec": (int, float),
    "str": (str,),
    "bool": (bool,),
    "dt": (str,),
}


def check_record(model: str, record: Any, where: str) -> None:
    """Every field of ``model`` present with its JSON type; null only where nullable."""
    assert isinstance(record, dict), f"{where}: {model} is not an object"
    fields = models()[model]
    assert set(record) == {f["name"] for f in fields}, f"{where}: {model} field names differ"
    for f in fields:
        value = record[f["name"]]
        path = f"{where}.{f['name']}"
        if value is None:
            assert f["nullable"] or f["type"] not in _JSON_TYPES or f["array"], f"{path} is null"
            continue
        items = value if f["array"] else [value]
        if f["array"]:
            assert isinstance(value, list), path
        for item in items:
            if f["type"] in _JSON_TYPES:
                kinds = _JSON_TYPES[f["type"]]
                assert isinstance(item, kinds), f"{path}: {type(item).__name__}"
                if f["type"] in ("int", "dec"):
                    assert not isinstance(item, bool), path
                if f["type"] == "dt":
                    datetime.strptime(item[:19], "%Y-%m-%dT%H:%M:%S")
            else:
                check_record(f["type"], item, path)


ARGS = {
    "season": 2024,
    "week": 13,
    "team": "KC",
    "include_alternate": False,
}


MAY_BE_EMPTY = {
    "free_agents",
    "free_agent_profiles",
    "player_game_stats_delta",
    "player_game_stats_by_week_delta",
    "box_scores_delta",
    "play_by_play_delta",
    "upcoming_dfs_slate_ownership",
}


async def bind_all(client: SportsDataIOClient) -> list[BoundCall]:
    scores = await client.fetch(ENDPOINTS["scores"].bind(2024, 13))
    score_id = scores[0]["ScoreID"]
    news = await client.fetch(ENDPOINTS["news"].bind())
    # A player with news, so that news_by_player has records to check too.
    player_id = news[0]["PlayerID"]
    values = {**ARGS, "score_id": score_id, "game_id": score_id, "player_id": player_id}
    markets = await client.fetch(ENDPOINTS["betting_markets"].bind(score_id))
    slates = await client.fetch(ENDPOINTS["dfs_slates"].bind(2024, 13))
    values.update(
        event_id=score_id,
        market_id=markets[0]["BettingMarketID"],
        market_type_id=markets[0]["BettingMarketTypeID"],
        slate_id=slates[0]["SlateID"],
        date=date.fromisoformat(scores[0]["Day"][:10]),
    )
    news_day = date.fromisoformat(news[0]["Updated"][:10])  # a day the wire had news
    calls = []
    for ep in ENDPOINTS.values():
        given = {p.name: values[p.name] for p in ep.params if p.name in values}
        if ep.name == "news_by_date":
            given["date"] = news_day
        if ep.name == "transactions":  # the inactives declared on the week's last game day
            given["date"] = max(date.fromisoformat(g["Day"][:10]) for g in scores)
        calls.append(ep.bind(**fill_in(ep, given)))
    return calls


async def test_every_endpoint_matches_the_reference_schema(emulator: EmulatorServer) -> None:
    async with client_for(emulator) as client:
        calls = await bind_all(client)
        for call in calls:
            payload = await client.fetch(call)
            ep = call.endpoint
            if ep.shape == "scalar":
                assert payload is None or isinstance(payload, int), ep.name  # bool is an int
            elif ep.shape == "object":
                check_record(ep.model, payload, ep.name)
            else:
                assert isinstance(payload, list), ep.name
                # The league's rosters are full (no free agents); live deltas need live games.
                assert payload or ep.name in MAY_BE_EMPTY, f"{ep.name} returned no records"
                for record in payload:
                    check_record(ep.model, record, ep.name)
    assert {c.endpoint.name for c in calls} == set(ENDPOINTS)


async def test_props_week_is_the_games_markets_in_scoreid_order(emulator: EmulatorServer) -> None:
    async with client_for(emulator) as client:
        week = await client.fetch(ENDPOINTS["player_props"].bind(2024, 13))
        scores = await client.fetch(ENDPOINTS["scores"].bind(2024, 13))
        parts = []
        for score_id in sorted(s["ScoreID"] for s in scores):
            parts += await client.fetch(ENDPOINTS["player_props_game"].bind(2024, 13, score_id))
    assert week == parts
    outcomes = [o for m in week for o in m["BettingOutcomes"]]
    assert 1500 <= len(outcomes) <= 3000
    assert not any(o["IsAlternate"] for o in outcomes)


BAD = [
    ("injuries", {"season": 2024, "week": 0}),
    ("injuries", {"season": 2024, "week": 24}),
    ("injuries", {"season": 1899, "week": 1}),
    ("injuries", {"season": "abc", "week": 1}),
    ("injuries", {"season": 2024, "week": True}),
    ("players", {"team": "XXX"}),
    ("box_score", {"score_id": -5}),
]


@pytest.mark.parametrize(("name", "args"), BAD)
async def test_bad_arguments_raise_before_any_request(
    name: str, args: dict[str, Any], emulator: EmulatorServer
) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(InvalidParameterError) as err:
            await client.fetch_endpoint(name, **args)
    assert isinstance(err.value, ValueError)
    assert emulator.requests() == []


async def test_status_errors_are_typed_and_never_show_the_key(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    call = ENDPOINTS["teams"].bind(2024)
    cases: list[tuple[FaultRule | None, type[Exception]]] = [
        (FaultRule("status", status=404, times=None), NotFoundError),
        (FaultRule("status", status=503, times=None), UpstreamError),
        (FaultRule("status", status=429, retry_after=0, times=None), RateLimitedError),
        (FaultRule("malformed", times=None), MalformedResponseError),
    ]
    errors: list[Exception] = []
    async with client_for(emulator, retries=1) as client:
        for rule, kind in cases:
            emulator.faults.clear()
            assert rule is not None
            emulator.faults.add(rule)
            with pytest.raises(kind) as err:
                await client.fetch(call)
            errors.append(err.value)
        emulator.faults.clear()
    for server, kind in (
        (start_emulator(now=NOW, key="other"), AuthenticationError),
        (start_emulator(now=NOW, deny_feeds=["scores"]), SubscriptionError),
    ):
        try:
            async with client_for(server) as client:
                with pytest.raises(kind) as err:
                    await client.fetch(call)
                errors.append(err.value)
        finally:
            server.stop()
    assert isinstance(errors[2], RateLimitedError)
    assert errors[2].retry_after == 0
    for error in errors:
        assert KEY not in str(error)
        assert KEY not in repr(error)
        assert "teams" in str(error)
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in repr(record.args)
    assert any(r.name == "sportsframe.client" for r in caplog.records)


async def test_retries_recover_from_429_5xx_and_malformed(emulator: EmulatorServer) -> None:
    call = ENDPOINTS["stadiums"].bind()
    async with client_for(emulator, retries=3) as client:
        for rule in (
            FaultRule("status", status=429, retry_after=0.2, times=1),
            FaultRule("status", status=502, times=2),
            FaultRule("malformed", times=1),
        ):
            failures = rule.times or 0
            emulator.faults.add(rule)
            emulator.clear_requests()
            payload = await client.fetch(call)
            assert len(payload) == 32
            statuses = [r.status for r in emulator.requests()]
            assert statuses[-1] == 200
            assert len(statuses) == failures + 1
    first, second = emulator.requests()[-2:]
    assert second.time >= first.time  # retried after the malformed answer


async def test_retry_after_is_honoured(emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule("status", status=429, retry_after=1, times=1))
    async with client_for(emulator) as client:
        await client.fetch(ENDPOINTS["stadiums"].bind())
    first, second = emulator.requests()
    assert (first.status, second.status) == (429, 200)
    assert second.time - first.time >= 0.95


async def test_timeout_is_typed_then_retried(emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule("slow", delay=2.0, times=None))
    async with client_for(emulator, http_timeout=0.3, retries=1) as client:
        with pytest.raises(UpstreamTimeoutError):
            await client.fetch(ENDPOINTS["stadiums"].bind())
        emulator.faults.clear()
        emulator.faults.add(FaultRule("slow", delay=2.0, times=1))
        assert len(await client.fetch(ENDPOINTS["stadiums"].bind())) == 32


async def test_missing_key_is_a_configuration_error(emulator: EmulatorServer) -> None:
    client = SportsDataIOClient(Settings(), base_url=emulator.base_url)
    with pytest.raises(ConfigurationError, match="SPORTSDATAIO_API_KEY"):
        await client.fetch(ENDPOINTS["stadiums"].bind())
    await client.aclose()
    assert emulator.requests() == []
    assert KEY not in repr(client_for(emulator))


def max_in_window(times: list[float], window: float = 0.95) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < window) for i, t in enumerate(times))


async def test_twenty_requests_at_once_stay_within_two_per_second(
    emulator: EmulatorServer,
) -> None:
    client = SportsDataIOClient(Settings(rate_limit=2.0), base_url=emulator.base_url, api_key=KEY)
    async with client:
        await asyncio.gather(*(client.fetch(ENDPOINTS["stadiums"].bind()) for _ in range(20)))
    times = [r.time for r in emulator.requests()]
    assert len(times) == 20
    assert max_in_window(times) <= 2


async def test_quota_refuses_the_sixth_call_before_sending(emulator: EmulatorServer) -> None:
    async with client_for(emulator, monthly_quota=5) as client:
        for _ in range(5):
            await client.fetch(ENDPOINTS["stadiums"].bind())
        with pytest.raises(QuotaExhaustedError):
            await client.fetch(ENDPOINTS["stadiums"].bind())
    assert len(emulator.requests()) == 5


async def test_retries_count_against_the_quota(emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule("status", status=500, times=2))
    async with client_for(emulator, monthly_quota=3, retries=5) as client:
        await client.fetch(ENDPOINTS["stadiums"].bind())  # 2 failures + 1 success = 3 units
        with pytest.raises(QuotaExhaustedError):
            await client.fetch(ENDPOINTS["stadiums"].bind())
    assert len(emulator.requests()) == 3


class _SlowQuota:
    """A quota whose first ``slow`` reservations each take ``seconds`` (a database that drags)."""

    def __init__(self, slow: int, seconds: float) -> None:
        self.slow = slow
        self.seconds = seconds

    async def reserve(self, endpoint: str | None = None, params: Any = None) -> None:
        if self.slow > 0:
            self.slow -= 1
            await asyncio.sleep(self.seconds)

    async def used(self) -> int:
        return 0


async def test_a_slow_reservation_does_not_let_requests_leave_together() -> None:
    # The reservations outlast two slots' worth of waiting. Had the slots been taken while they
    # were out, the requests whose slots came due meanwhile would all leave at once when the
    # database answers (4 within a second, against a limit of 2).
    sent: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return httpx.Response(200, json=[])

    client = SportsDataIOClient(
        Settings(rate_limit=2.0),
        base_url="http://api.invalid",
        api_key=KEY,
        quota=_SlowQuota(4, 0.9),
        transport=httpx.MockTransport(answer),
    )
    async with client:
        await asyncio.gather(*(client.fetch(ENDPOINTS["stadiums"].bind()) for _ in range(4)))
    assert len(sent) == 4
    assert max_in_window(sent) <= 2
