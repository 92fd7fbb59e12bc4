"""The emulator's league behaves like football and like a sportsbook, over a full season.

A whole 2024 regular season is read once through the API client from an emulator on loopback
(after the season, so every game is final); each test then checks one behaviour a modeller
relies on: prop lines near the stat, prices with a margin, favourites that win, injuries that
keep players out, team totals that add up and season lines that are sums of game lines.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sportsframe.api.client import SportsDataIOClient
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.facade.sync import Session
from sportsframe.registry import ENDPOINTS
from sportsframe.settings import Settings

KEY = "league-test-key"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # after the 2024 season: every game is final
WEEKS = range(1, 19)
#: The PlayerGame stat each player market is settled on.
STAT = {
    "Passing Yards": "PassingYards",
    "Passing Touchdowns": "PassingTouchdowns",
    "Passing Attempts": "PassingAttempts",
    "Rushing Yards": "RushingYards",
    "Rushing Attempts": "RushingAttempts",
    "Receptions": "Receptions",
    "Receiving Yards": "ReceivingYards",
}


@dataclass
class SeasonData:
    """One regular season as served: every feed the checks below read."""

    scores: list[dict[str, Any]]
    props: list[tuple[int, dict[str, Any]]]  # (week, BettingMarket)
    stats: list[dict[str, Any]]
    odds: list[dict[str, Any]]
    live: list[dict[str, Any]]
    injuries: list[dict[str, Any]]
    team_games: list[dict[str, Any]]
    player_seasons: list[dict[str, Any]]
    line_movement: dict[int, list[dict[str, Any]]]  # ScoreID -> GameInfo[] (weeks 1-6)


def client_for(server: EmulatorServer) -> SportsDataIOClient:
    settings = Settings(rate_limit=1000.0, retries=2, monthly_quota=1_000_000)
    return SportsDataIOClient(settings, base_url=server.base_url, api_key=KEY)


async def _read_season(server: EmulatorServer) -> SeasonData:
    async with client_for(server) as client:

        async def week(name: str) -> list[Any]:
            parts = await asyncio.gather(
                *(client.fetch(ENDPOINTS[name].bind(2024, w)) for w in WEEKS)
            )
            return [record for part in parts for record in part]

        scores = await week("scores")
        markets = await asyncio.gather(
            *(
                client.fetch(
                    ENDPOINTS["player_props_game"].bind(2024, g["Week"], g["ScoreID"], True)
                )
                for g in scores
            )
        )
        # Line movement of the first six weeks: enough games to see every book move.
        early = [g for g in scores if g["Week"] <= 6]
        movements = await asyncio.gather(
            *(client.fetch(ENDPOINTS["line_movement"].bind(g["ScoreID"])) for g in early)
        )
        props = [(g["Week"], m) for g, part in zip(scores, markets, strict=True) for m in part]
        movement = {g["ScoreID"]: m for g, m in zip(early, movements, strict=True)}
        return SeasonData(
            scores=scores,
            props=props,
            stats=await week("player_game_stats"),
            odds=await week("odds"),
            live=await week("live_odds"),
            injuries=await week("injuries"),
            team_games=await week("team_game_stats"),
            player_seasons=await client.fetch(ENDPOINTS["player_season_stats"].bind(2024)),
            line_movement=movement,
        )


@pytest.fixture(scope="module")
def season() -> Iterator[SeasonData]:
    server = start_emulator(now=NOW)
    try:
        yield asyncio.run(_read_season(server))
    finally:
        server.stop()


def lines_by_player_week(season: SeasonData) -> dict[tuple[int, int], dict[str, Any]]:
    return {(s["Week"], s["PlayerID"]): s for s in season.stats}


def main_outcomes(season: SeasonData) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
    for week, market in season.props:
        for outcome in market["BettingOutcomes"]:
            if not outcome["IsAlternate"]:
                yield week, market, outcome


def implied(american: int) -> float:
    return -american / (-american + 100) if american < 0 else 100 / (american + 100)


def consensus(game: dict[str, Any], field: str) -> float:
    return statistics.median(o[field] for o in game["PregameOdds"])


# -- 1. props: overs hit about half the time, lines near the stat ----------------------------
def test_main_prop_markets_hit_about_half_the_time_with_lines_near_the_stat(
    season: SeasonData,
) -> None:
    lines = lines_by_player_week(season)
    hits: dict[str, list[bool]] = defaultdict(list)
    values: dict[str, list[float]] = defaultdict(list)
    stats: dict[str, list[float]] = defaultdict(list)
    for week, market, outcome in main_outcomes(season):
        if outcome["BettingOutcomeType"] != "Over":
            continue
        bet = market["BettingBetType"]
        line = lines.get((week, market["PlayerID"]))
        assert line is not None, f"a prop on {market['PlayerName']}, who did not play"
        stat = line[STAT[bet]]
        hits[bet].append(stat > outcome["Value"])
        values[bet].append(outcome["Value"])
        stats[bet].append(stat)
    assert set(hits) == set(STAT)
    for bet in STAT:
        rate = sum(hits[bet]) / len(hits[bet])
        assert 0.40 <= rate <= 0.60, f"{bet}: overs hit {rate:.0%}"
        # Stats are whole numbers and lines sit between them (x.5): the median of a whole-number
        # stat is the grouped median, the value the x.5 lines are set around.
        ratio = statistics.median(values[bet]) / statistics.median_grouped(stats[bet])
        assert 0.8 <= ratio <= 1.25, f"{bet}: median line / median stat = {ratio:.2f}"


# -- 2. prices carry a bookmaker's margin ----------------------------------------------------
def test_every_over_under_pair_carries_a_bookmakers_margin(season: SeasonData) -> None:
    pairs: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for _week, market in season.props:
        for o in market["BettingOutcomes"]:
            key = (market["BettingMarketID"], o["SportsBook"]["SportsbookID"], o["Value"])
            pairs[key][o["BettingOutcomeType"]] = o["PayoutAmerican"]
    by_book: dict[int, list[float]] = defaultdict(list)
    for (_market, book, _value), sides in pairs.items():
        assert set(sides) == {"Over", "Under"}
        overround = implied(sides["Over"]) + implied(sides["Under"])
        assert 1.02 <= overround <= 1.10, f"{sides}: {overround:.3f}"
        by_book[book].append(overround)
    for game in season.odds + season.live:
        for o in game["PregameOdds"] + game["LiveOdds"]:
            for first, second in (
                ("HomeMoneyLine", "AwayMoneyLine"),
                ("HomePointSpreadPayout", "AwayPointSpreadPayout"),
                ("OverPayout", "UnderPayout"),
            ):
                overround = implied(o[first]) + implied(o[second])
                assert 1.02 <= overround <= 1.10, f"{first}/{second}: {overround:.3f}"
    # About 4-5 % a market, a little different at each book.
    margins = {book: statistics.median(v) for book, v in by_book.items()}
    assert len(margins) >= 3
    assert all(1.035 <= m <= 1.06 for m in margins.values()), margins
    assert len(set(margins.values())) > 1, margins


# -- 3. game lines: favourites win, totals split ---------------------------------------------
def test_spread_favourites_win_two_thirds_and_games_split_the_total(season: SeasonData) -> None:
    results = {s["ScoreID"]: (s["AwayScore"], s["HomeScore"]) for s in season.scores}
    favourite_won, over = [], []
    for game in season.odds:
        away, home = results[game["ScoreId"]]
        spread = consensus(game, "HomePointSpread")
        if spread != 0:
            favourite_won.append((home > away) if spread < 0 else (away > home))
        total = consensus(game, "OverUnder")
        if away + home != total:
            over.append(away + home > total)
    assert len(favourite_won) > 200
    assert 0.60 <= sum(favourite_won) / len(favourite_won) <= 0.75
    assert 0.40 <= sum(over) / len(over) <= 0.60


# -- 4. injuries keep players out; team totals add up ----------------------------------------
def test_players_ruled_out_never_play_and_doubtful_rarely_do(season: SeasonData) -> None:
    lines = lines_by_player_week(season)
    # Linemen play without a stat line: judge by the players whose position gets one.
    with_lines = {s["PlayerID"] for s in season.stats}
    played: dict[str, list[bool]] = defaultdict(list)
    for note in season.injuries:
        if note["PlayerID"] not in with_lines:
            continue
        line = lines.get((note["Week"], note["PlayerID"]))
        played[note["Status"]].append(line is not None and line["Played"] > 0)
    assert len(played["Out"]) > 100
    assert not any(played["Out"]), "a player listed Out has a stat line with Played"
    doubtful = sum(played["Doubtful"]) / len(played["Doubtful"])
    questionable = sum(played["Questionable"]) / len(played["Questionable"])
    assert doubtful < 0.3, f"Doubtful players played {doubtful:.0%}"
    assert 0.7 < questionable < 1.0, f"Questionable players played {questionable:.0%}"
    out = {(n["Week"], n["PlayerID"]) for n in season.injuries if n["Status"] == "Out"}
    assert not any((week, m["PlayerID"]) in out for week, m in season.props)


def test_a_teams_passing_equals_its_receiving_and_its_points_its_scores(
    season: SeasonData,
) -> None:
    totals: dict[tuple[int, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line in season.stats:
        team = totals[(line["ScoreID"], line["Team"])]
        for stat in (
            "PassingYards", "ReceivingYards", "PassingCompletions", "Receptions",
            "PassingTouchdowns", "ReceivingTouchdowns", "RushingTouchdowns", "RushingYards",
            "ExtraPointsMade", "FieldGoalsMade",
        ):  # fmt: skip
            team[stat] += line[stat]
    assert len(totals) == 2 * len(season.scores)
    for team in totals.values():
        assert team["PassingYards"] == team["ReceivingYards"]
        assert team["PassingCompletions"] == team["Receptions"]
        assert team["PassingTouchdowns"] == team["ReceivingTouchdowns"]
    for game in season.scores:
        for side in ("Away", "Home"):
            team = totals[(game["ScoreID"], game[f"{side}Team"])]
            touchdowns = team["ReceivingTouchdowns"] + team["RushingTouchdowns"]
            points = 6 * touchdowns + team["ExtraPointsMade"] + 3 * team["FieldGoalsMade"]
            assert points == game[f"{side}Score"]
    for row in season.team_games:
        team = totals[(row["ScoreID"], row["Team"])]
        assert row["PassingYards"] == team["PassingYards"]
        assert row["RushingYards"] == team["RushingYards"]


def test_a_players_season_line_is_the_sum_of_his_game_lines(season: SeasonData) -> None:
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line in season.stats:
        for stat in ("PassingYards", "RushingYards", "ReceivingYards", "Receptions", "Played"):
            sums[line["PlayerID"]][stat] += line[stat]
    checked = 0
    for row in season.player_seasons:
        game_sums = sums.get(row["PlayerID"], {})
        for stat in ("PassingYards", "RushingYards", "ReceivingYards", "Receptions", "Played"):
            assert row[stat] == game_sums.get(stat, 0), (row["Name"], stat)
        checked += row["Played"] > 0
    assert checked > 1000


# -- odds over time --------------------------------------------------------------------------
def test_line_movement_runs_from_the_open_to_the_closing_odds(season: SeasonData) -> None:
    closing = {g["ScoreId"]: g["PregameOdds"] for g in season.odds}
    moved = 0
    for score_id, history in season.line_movement.items():
        (info,) = history
        quotes = info["PregameOdds"]
        by_book: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for q in quotes:
            by_book[q["Sportsbook"]].append(q)
        for book, series in by_book.items():
            times = [q["Updated"] for q in series]
            assert times == sorted(times)
            assert len(set(times)) == len(times)
            first, last = series[0], series[-1]
            close = next(q for q in closing[score_id] if q["Sportsbook"] == book)
            for field in ("HomePointSpread", "OverUnder", "HomeMoneyLine", "AwayMoneyLine"):
                assert last[field] == close[field]
            spreads = [q["HomePointSpread"] for q in series]
            low, high = sorted((first["HomePointSpread"], last["HomePointSpread"]))
            assert all(low - 0.5 <= s <= high + 0.5 for s in spreads), spreads
            moved += first["HomePointSpread"] != last["HomePointSpread"]
    assert moved > len(season.line_movement)  # most books' lines moved on most games


def test_the_last_live_line_is_far_nearer_the_result_than_the_pregame_close(
    season: SeasonData,
) -> None:
    results = {s["ScoreID"]: (s["AwayScore"], s["HomeScore"]) for s in season.scores}
    closing = {g["ScoreId"]: g for g in season.odds}
    live_misses, close_misses = [], []
    for game in season.live:
        away, home = results[game["ScoreId"]]
        assert (game["AwayTeamScore"], game["HomeTeamScore"]) == (away, home)
        assert game["LiveOdds"]
        spread = statistics.median(o["HomePointSpread"] for o in game["LiveOdds"])
        live_misses.append(abs(-spread - (home - away)))
        close_misses.append(
            abs(-consensus(closing[game["ScoreId"]], "HomePointSpread") - (home - away))
        )
    assert statistics.mean(live_misses) < statistics.mean(close_misses) / 3


# -- through the facade, as a modeller joins them ----------------------------------------------
def test_a_modellers_join_of_props_and_stats_finds_every_line(
    tmp_path: Path, namespace: str
) -> None:
    server = start_emulator(now=NOW)
    try:
        with Session(
            source="emulator",
            base_url=server.base_url,
            namespace=namespace,
            rate_limit=1000.0,
            l0_max_bytes=0,
            redis_host="",
            home=tmp_path,
        ) as session:
            props = session.props(2024, [1, 2])
            stats = session.player_game_stats(2024, [1, 2])
            injuries = session.injuries(2024, [1, 2])
    finally:
        server.stop()
    overs = props[props["betting_outcome_type"] == "Over"]
    joined = overs.merge(
        stats, on=["season", "week", "player_id"], how="left", validate="many_to_one"
    )
    assert len(joined) == len(overs) > 0
    assert joined["played"].eq(1).all()
    out = injuries[injuries["status"] == "Out"][["season", "week", "player_id"]]
    assert len(out) > 0
    assert len(out.merge(stats, on=["season", "week", "player_id"])) == 0
