"""Projections from the emulator's league: every props player-week has exactly one projection
(acceptance 3, joined on the documented keys season, week, player_id through the cached client
and the frames module), projections correlate with the actual lines without equalling them,
and the season, IDP and by-team variants cover the players they should.
"""

from __future__ import annotations

from pathlib import Path
from statistics import correlation, fmean
from typing import Any

import httpx
import pytest

from sportsframe.cached_client import CachedSportsDataIOClient
from sportsframe.emulator import EmulatorServer
from sportsframe.emulator.projections import DEFENSE
from sportsframe.frames import build_frame_from_payload
from sportsframe.registry import ENDPOINTS
from sportsframe.settings import Settings
from tests.emulator.conftest import KEY

KEYS = ["season", "week", "player_id"]


def get(http: httpx.Client, name: str, *args: Any) -> Any:
    response = http.get(ENDPOINTS[name].bind(*args).path)
    response.raise_for_status()
    return response.json()


async def test_projections_join_every_props_player_week(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    settings = Settings(
        base_url=emulator.base_url,
        api_key=KEY,
        source="emulator",
        namespace="projections-join",
        home=tmp_path,
        redis_host="",
        rate_limit=1000.0,
        monthly_quota=1_000_000,
    )
    async with CachedSportsDataIOClient(settings) as sdio:
        props_payload = await sdio.get_player_props_by_week(2024, 13)
        projections_payload = await sdio.get_player_game_projections(2024, 13)
    params = {"season": 2024, "week": 13, "season_type": "REG"}
    props = build_frame_from_payload("player_props", props_payload, params)
    projections = build_frame_from_payload("player_game_projections", projections_payload)
    assert len(props) > 1000  # every game of the week has its props

    player_weeks = props[[*KEYS, "team_key"]].drop_duplicates(KEYS)
    joined = player_weeks.merge(
        projections[[*KEYS, "team"]], on=KEYS, how="left", indicator=True, validate="1:1"
    )
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"]
    # One projection per player-week, and the projected team is the props' team.
    assert not projections.duplicated(KEYS).any()
    assert (joined["team"].astype(str) == joined["team_key"].astype(str)).all()


def _by_player(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["PlayerID"]: r for r in records}


def test_projections_correlate_with_the_actual_lines_without_equalling_them(
    http: httpx.Client,
) -> None:
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for week in (10, 11, 12):
        projected = _by_player(get(http, "player_game_projections", 2024, week))
        actual = _by_player(get(http, "player_game_stats", 2024, week))
        # Every projected player plays: a projection is made for the active players only.
        assert projected.keys() <= actual.keys()
        pairs += [(p, actual[pid]) for pid, p in projected.items()]

    def corr(stat: str, keep: Any = lambda p: True) -> float:
        chosen = [(p[stat], a[stat]) for p, a in pairs if keep(p)]
        return correlation([x for x, _ in chosen], [y for _, y in chosen])

    assert corr("FantasyPointsPPR") > 0.6
    assert corr("ReceivingYards", lambda p: p["Position"] in ("WR", "TE", "RB")) > 0.5
    assert corr("RushingYards", lambda p: p["Position"] == "RB") > 0.5
    # A passer's yards are noisy game to game, but the projection still tracks them.
    assert corr("PassingYards", lambda p: p["Position"] == "QB") > 0.2
    # Calibrated: the projected mean is near the actual mean ...
    for stat in ("FantasyPointsPPR", "ReceivingYards", "RushingYards"):
        projected, actual = fmean(p[stat] for p, _ in pairs), fmean(a[stat] for _, a in pairs)
        assert abs(projected - actual) < 0.15 * actual, stat
    # ... but a projection is an expectation, not the result.
    scorers = [(p, a) for p, a in pairs if p["FantasyPointsPPR"] > 2]
    same = sum(p["FantasyPointsPPR"] == a["FantasyPointsPPR"] for p, a in scorers)
    assert same < 0.05 * len(scorers)
    # It shares the stats feed's ids: the same PlayerGameID joins a projection to its line.
    assert all(p["PlayerGameID"] == a["PlayerGameID"] for p, a in pairs)


def test_season_projections_cover_the_seasons_players(http: httpx.Client) -> None:
    projected = get(http, "player_season_projections", 2024)
    actual = get(http, "player_season_stats", 2024)
    assert {r["PlayerID"] for r in projected} == {r["PlayerID"] for r in actual}
    # A starter is projected for a season of games; a full season's projection of the league's
    # passing yards sits near the season's pace so far.
    qbs = [r for r in projected if r["Position"] == "QB" and r["PassingAttempts"] > 0]
    assert qbs
    assert all(r["Played"] == 17 for r in qbs)
    played = get(http, "player_game_stats", 2024, 12)
    week_yards = sum(r["PassingYards"] for r in played) / len({r["ScoreID"] for r in played})
    season_yards = sum(r["PassingYards"] for r in projected) / 272
    assert 0.7 < season_yards / week_yards < 1.3


def test_idp_projections_cover_the_defensive_players(http: httpx.Client) -> None:
    idp = get(http, "idp_player_game_projections", 2024, 12)
    offense = get(http, "player_game_projections", 2024, 12)
    actual = get(http, "player_game_stats", 2024, 12)
    assert {r["Position"] for r in idp} == DEFENSE
    assert not {r["PlayerID"] for r in idp} & {r["PlayerID"] for r in offense}
    defenders = {r["PlayerID"] for r in actual if r["Position"] in DEFENSE}
    assert {r["PlayerID"] for r in idp} == defenders
    assert sum(r["Tackles"] for r in idp) > 0


@pytest.mark.parametrize(
    ("by_team", "by_week"),
    [
        ("player_game_projections_by_team", "player_game_projections"),
        ("idp_player_game_projections_by_team", "idp_player_game_projections"),
    ],
)
def test_by_team_projections_are_the_weeks_rows_of_that_team(
    http: httpx.Client, by_team: str, by_week: str
) -> None:
    week = get(http, by_week, 2024, 13)
    teams = sorted({r["Team"] for r in week})
    assert len(teams) >= 26  # every team that plays (four have a bye at most)
    for team in teams[:4]:
        assert get(http, by_team, 2024, 13, team) == [r for r in week if r["Team"] == team]


def test_fantasy_defense_projections_are_the_weeks_teams(http: httpx.Client) -> None:
    games = get(http, "scores", 2024, 13)
    projected = get(http, "fantasy_defense_game_projections", 2024, 13)
    teams = {g["HomeTeam"] for g in games} | {g["AwayTeam"] for g in games}
    assert {r["Team"] for r in projected} == teams
    by_team = {r["Team"]: r for r in projected}
    offense = get(http, "player_game_projections", 2024, 13)
    for g in games:
        # The points a defence is projected to allow are its opponent's expected points.
        home, away = by_team[g["HomeTeam"]], by_team[g["AwayTeam"]]
        assert home["ScoreID"] == away["ScoreID"] == g["ScoreID"]
        assert home["PointsAllowed"] > 8
        assert away["PointsAllowed"] > 8
        allowed = sum(r["FantasyPoints"] for r in offense if r["Team"] == g["AwayTeam"])
        assert home["FantasyPointsAllowed"] == pytest.approx(allowed, abs=0.5)
