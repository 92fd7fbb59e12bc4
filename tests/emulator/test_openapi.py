"""Every operation the emulator serves validates against SportsDataIO's published OpenAPI
response schema, served over loopback HTTP through the client, for games final, live and
scheduled; no field carries a made-up placeholder; the same seed serves the same bytes in
every process.

``data/sportsdataio-openapi.json`` holds the 200-response schemas of the 27 operations (and the
components they reference), copied from SportsDataIO's OpenAPI 3.1 specs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from sportsframe.api.client import SportsDataIOClient
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.registry import ENDPOINTS, BoundCall
from sportsframe.settings import Settings

KEY = "openapi-test-key"
# Sunday of 2024 week 13 during the early games: week 12 is final, week 13 has final, live
# and scheduled games, week 15 is beyond the markets.
NOW = datetime(2024, 12, 1, 19, 30, tzinfo=UTC)
SPEC = Path(__file__).parent / "data" / "sportsdataio-openapi.json"


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC.read_text())
    return data


def strict(schema: Any) -> Any:
    """The schema with every listed property required and no other allowed.

    The real service sends every key of a model, null or not (the specs list them but do not
    mark them required), so the emulator must too.
    """
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema:
            out["required"] = sorted(schema["properties"])
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@cache
def validator(name: str) -> Callable[[Any], Any]:
    """The compiled check of one operation's response (raises JsonSchemaValueException)."""
    operation = spec()["operations"][name]
    components = {"schemas": spec()["components"][operation["spec"]]}
    check: Callable[[Any], Any] = fastjsonschema.compile(
        strict({**operation["schema"], "components": components})
    )
    return check


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(now=NOW)
    try:
        yield server
    finally:
        server.stop()


def client_for(server: EmulatorServer) -> SportsDataIOClient:
    settings = Settings(rate_limit=1000.0, retries=2, monthly_quota=1_000_000)
    return SportsDataIOClient(settings, base_url=server.base_url, api_key=KEY)


async def calls(client: SportsDataIOClient) -> list[BoundCall]:
    """Calls covering every served operation, for final, live and scheduled games."""
    games = []
    for week in (12, 13):
        games += await client.fetch(ENDPOINTS["scores"].bind(2024, week))
    by_status: dict[str, dict[str, Any]] = {}
    for game in games:
        by_status.setdefault(game["Status"], game)
    assert set(by_status) == {"Final", "InProgress", "Scheduled"}
    news = await client.fetch(ENDPOINTS["news"].bind())
    out: list[BoundCall] = []
    for name, ep in ENDPOINTS.items():
        if name not in spec()["operations"]:
            continue
        names = {p.name for p in ep.params}
        if "score_id" in names or "game_id" in names:
            for game in by_status.values():
                values = {"season": 2024, "week": game["Week"], "score_id": game["ScoreID"]}
                values["game_id"] = game["ScoreID"]
                values["include_alternate"] = True
                out.append(ep.bind(**{k: v for k, v in values.items() if k in names}))
        elif "week" in names:
            out += [ep.bind(2024, week) for week in (12, 13, 15)]
        elif "season" in names:
            out.append(ep.bind(2024))
        elif "team" in names:
            out += [ep.bind("KC"), ep.bind(news[0]["Team"])]
        elif "player_id" in names:
            out.append(ep.bind(news[0]["PlayerID"]))
        else:
            out.append(ep.bind())
    return out


async def fetch_all(server: EmulatorServer) -> list[tuple[BoundCall, Any]]:
    async with client_for(server) as client:
        bound = await calls(client)
        payloads = await asyncio.gather(*(client.fetch(c) for c in bound))
    return list(zip(bound, payloads, strict=True))


@pytest.fixture(scope="module")
def served(emulator: EmulatorServer) -> list[tuple[BoundCall, Any]]:
    return asyncio.run(fetch_all(emulator))


def test_the_27_served_operations_are_in_the_specs() -> None:
    served_names = {n for n, e in ENDPOINTS.items() if e.path is not None}
    in_specs = set(spec()["operations"])
    assert len(in_specs) == 27
    assert in_specs <= served_names


def test_every_served_operation_validates_against_its_openapi_schema(
    served: list[tuple[BoundCall, Any]],
) -> None:
    seen = set()
    for call, payload in served:
        name = call.endpoint.name
        try:
            validator(name)(payload)
        except fastjsonschema.JsonSchemaValueException as error:
            pytest.fail(f"{call.key}: {error.message}")
        seen.add(name)
    assert seen == set(spec()["operations"])
    # The checks saw real records, not only empty lists.
    assert sum(bool(p) for _, p in served) > len(seen)


_PLACEHOLDER = re.compile(r"^([A-Za-z]+) \d+$")


def _placeholders(value: Any, field: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _placeholders(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _placeholders(v, field)
    elif isinstance(value, str):
        match = _PLACEHOLDER.match(value)
        if match and match.group(1) == field:
            yield f"{field}={value!r}"


def test_no_field_carries_a_placeholder(served: list[tuple[BoundCall, Any]]) -> None:
    found = [f"{c.key}: {p}" for c, payload in served for p in _placeholders(payload)]
    assert found == []


_FETCH = """
import hashlib, sys
from datetime import datetime
import httpx
from sportsframe.emulator import start_emulator
server = start_emulator(now=datetime.fromisoformat(sys.argv[1]), seed=int(sys.argv[2]))
try:
    for path in sys.argv[3:]:
        body = httpx.get(server.base_url + path, headers={"Ocp-Apim-Subscription-Key": "k"}).content
        print(hashlib.sha256(body).hexdigest())
finally:
    server.stop()
"""


def _digests(paths: list[str], seed: int, hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    run = subprocess.run(
        [sys.executable, "-c", _FETCH, NOW.isoformat(), str(seed), *paths],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    return run.stdout.split()


def test_the_same_seed_serves_byte_identical_payloads_in_every_process(
    emulator: EmulatorServer,
) -> None:
    paths = [
        "/v3/nfl/scores/json/ScoresByWeek/2024REG/13",
        "/v3/nfl/stats/json/PlayerGameStatsByWeek/2024REG/12",
        "/v3/nfl/stats/json/Injuries/2024REG/13",
        "/v3/nfl/odds/json/GameOddsByWeek/2024REG/13",
        "/v3/nfl/odds/json/PlayerPropsByWeek/2024REG/13",
        "/v3/nfl/scores/json/DepthCharts",
        "/v3/nfl/scores/json/News",
        "/v3/nfl/scores/json/Standings/2024REG",
    ]
    score_id = emulator.emulator.payload(paths[0])[0]["ScoreID"]
    paths += [
        f"/v3/nfl/odds/json/BettingPlayerPropsByScoreID/{score_id}",
        f"/v3/nfl/pbp/json/PlayByPlay/{score_id}",
    ]
    here = [hashlib.sha256(emulator.emulator.body(p)).hexdigest() for p in paths]
    # This process hashes strings with a random salt; the other one with a fixed one.
    assert _digests(paths, 2024, "1") == here
    # Another seed is another league.
    other = _digests(paths, 7, "2")
    assert all(a != b for a, b in zip(other, here, strict=True))
