"""During the season the feeds agree with each other: rosters, depth charts and news follow the
week's injury report, and a game in progress shows the same score, stat lines and live odds
everywhere, its lines growing toward the final ones."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from sportsframe.api.client import SportsDataIOClient
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.registry import ENDPOINTS
from sportsframe.settings import Settings

KEY = "inseason-test-key"
FRIDAY = datetime(2024, 11, 8, 12, 0, tzinfo=UTC)  # week 10: Thursday's game is final
SUNDAY = datetime(2024, 12, 1, 19, 30, tzinfo=UTC)  # week 13: the early games are under way
LATER = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # every 2024 game final


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    running = start_emulator(now=request.param)
    try:
        yield running
    finally:
        running.stop()


def client_for(server: EmulatorServer) -> SportsDataIOClient:
    settings = Settings(rate_limit=1000.0, retries=2, monthly_quota=1_000_000)
    return SportsDataIOClient(settings, base_url=server.base_url, api_key=KEY)


async def fetch(server: EmulatorServer, name: str, *args: Any) -> Any:
    async with client_for(server) as client:
        return await client.fetch(ENDPOINTS[name].bind(*args))


@pytest.mark.parametrize("server", [FRIDAY], indirect=True)
async def test_rosters_depth_charts_and_news_follow_the_injury_report(
    server: EmulatorServer,
) -> None:
    async with client_for(server) as client:
        assert await client.fetch(ENDPOINTS["current_week"].bind()) == 10
        report = await client.fetch(ENDPOINTS["injuries"].bind(2024, 10))
        teams = sorted({n["Team"] for n in report})
        rosters = await asyncio.gather(*(client.fetch(ENDPOINTS["players"].bind(t)) for t in teams))
        depth = await client.fetch(ENDPOINTS["depth_charts"].bind())
        news = await client.fetch(ENDPOINTS["news"].bind())
        team_news = await client.fetch(ENDPOINTS["news_by_team"].bind(teams[0]))
    status = {n["PlayerID"]: n["Status"] for n in report}
    assert "Out" in status.values()
    # Rosters: every listed player carries his status, everyone else is healthy.
    for roster in rosters:
        for p in roster:
            assert p["InjuryStatus"] == status.get(p["PlayerID"]), p["Name"]
    # Depth charts: a player ruled out sits below every healthy player of his position.
    for team in depth:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for unit in ("Offense", "Defense", "SpecialTeams"):
            for row in team[unit]:
                groups[row["Position"]].append(row)
        for rows in groups.values():
            out = [r["DepthOrder"] for r in rows if status.get(r["PlayerID"]) == "Out"]
            healthy = [r["DepthOrder"] for r in rows if r["PlayerID"] not in status]
            if out and healthy:
                assert min(out) > max(healthy)
    # News: an injury item says what the report says.
    pattern = re.compile(r"\((\w+)\) (ruled out|remains out|listed (\w+)) for Week 10")
    checked = 0
    for item in news:
        match = pattern.search(item["Title"])
        if match:
            said = "Out" if "out" in match.group(2) else match.group(3).capitalize()
            assert status[item["PlayerID"]] == said, item["Title"]
            checked += 1
    assert checked > 0
    assert team_news
    assert {n["Team"] for n in team_news} == {teams[0]}


@pytest.mark.parametrize("server", [SUNDAY], indirect=True)
async def test_a_game_in_progress_agrees_across_feeds_and_grows_to_its_final_lines(
    server: EmulatorServer,
) -> None:
    scores = await fetch(server, "scores", 2024, 13)
    live = [s for s in scores if s["Status"] == "InProgress"]
    assert live
    stats = await fetch(server, "player_game_stats", 2024, 13)
    odds = {g["ScoreId"]: g for g in await fetch(server, "live_odds", 2024, 13)}
    team_games = await fetch(server, "team_game_stats", 2024, 13)
    later = start_emulator(now=LATER)
    try:
        final = {
            (s["ScoreID"], s["PlayerID"]): s
            for s in await fetch(later, "player_game_stats", 2024, 13)
        }
    finally:
        later.stop()
    points = {(t["ScoreID"], t["Team"]): t["Score"] for t in team_games}
    for game in live:
        assert game["Quarter"] in {"1", "2", "3", "4"}
        for side in ("Away", "Home"):
            quarters = [game[f"{side}ScoreQuarter{q}"] for q in range(1, 5)]
            assert game[f"{side}Score"] == sum(q or 0 for q in quarters)
            assert points[(game["ScoreID"], game[f"{side}Team"])] == game[f"{side}Score"]
        info = odds[game["ScoreID"]]
        assert (info["AwayTeamScore"], info["HomeTeamScore"]) == (
            game["AwayScore"],
            game["HomeScore"],
        )
        assert info["LiveOdds"]
        lead = game["HomeScore"] - game["AwayScore"]
        if abs(lead) >= 14:
            assert all((o["HomePointSpread"] < 0) == (lead > 0) for o in info["LiveOdds"])
    totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    live_ids = {g["ScoreID"] for g in live}
    for line in stats:
        if line["ScoreID"] not in live_ids:
            continue
        totals[(line["ScoreID"], line["Team"])][0] += line["PassingYards"]
        totals[(line["ScoreID"], line["Team"])][1] += line["ReceivingYards"]
        end = final[(line["ScoreID"], line["PlayerID"])]
        for stat in ("PassingYards", "ReceivingYards", "Receptions", "RushingAttempts"):
            assert abs(line[stat]) <= abs(end[stat]) or line[stat] == 0
    assert totals
    assert all(passing == receiving for passing, receiving in totals.values())


@pytest.mark.parametrize("server", [LATER], indirect=True)
async def test_a_games_markets_and_box_score_agree_with_its_odds_and_score(
    server: EmulatorServer,
) -> None:
    (game, *_) = await fetch(server, "scores", 2024, 5)
    odds = {g["ScoreId"]: g for g in await fetch(server, "odds", 2024, 5)}[game["ScoreID"]]
    markets = await fetch(server, "betting_markets", game["ScoreID"])
    box = await fetch(server, "box_score", game["ScoreID"])
    lines = {m["BettingBetType"]: m for m in markets if m["BettingMarketType"] == "Game Lines"}
    assert set(lines) == {"Moneyline", "Spread", "Total Points"}
    for quote in odds["PregameOdds"]:
        book = quote["SportsbookId"]

        def offered(bet: str, side: str, book: int = book) -> dict[str, Any]:
            return next(
                o
                for o in lines[bet]["BettingOutcomes"]
                if o["SportsBook"]["SportsbookID"] == book and o["BettingOutcomeType"] == side
            )

        assert offered("Moneyline", "Home")["PayoutAmerican"] == quote["HomeMoneyLine"]
        assert offered("Moneyline", "Away")["PayoutAmerican"] == quote["AwayMoneyLine"]
        assert offered("Spread", "Home")["Value"] == quote["HomePointSpread"]
        assert offered("Spread", "Away")["PayoutAmerican"] == quote["AwayPointSpreadPayout"]
        assert offered("Total Points", "Over")["Value"] == quote["OverUnder"]
        assert offered("Total Points", "Under")["PayoutAmerican"] == quote["UnderPayout"]
    assert any(m["BettingMarketType"] == "Player Prop" for m in markets)
    # The box score's scoring plays and quarters add up to the final score.
    last = box["ScoringPlays"][-1]
    assert (last["AwayScore"], last["HomeScore"]) == (game["AwayScore"], game["HomeScore"])
    assert (
        sum(q["HomeTeamScore"] for q in box["Quarters"]) + (box["Score"]["HomeScoreOvertime"] or 0)
        == game["HomeScore"]
    )
