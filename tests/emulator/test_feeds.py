"""Every view of the league agrees with the feed it filters, over loopback HTTP: final-only,
by-team, by-date and by-sportsbook-group answers are the full answer filtered; box scores, play
by play and markets fetched one way equal those fetched another; DFS slates, betting events,
splits and results tie to real players, games and markets; the clock feeds agree; weeks beyond
what the service has answer an empty list, and unknown ids a 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from sportsframe.emulator import start_emulator
from sportsframe.emulator.oddsviews import GROUPS
from sportsframe.registry import ENDPOINTS
from tests.emulator.conftest import KEY


def get(http: httpx.Client, name: str, *args: Any, **kwargs: Any) -> Any:
    response = http.get(ENDPOINTS[name].bind(*args, **kwargs).path)
    assert response.status_code == 200, (name, args, response.status_code)
    return response.json()


def status(http: httpx.Client, name: str, *args: Any) -> int:
    return http.get(ENDPOINTS[name].bind(*args).path).status_code


@pytest.fixture(scope="module")
def week13(http: httpx.Client) -> list[dict[str, Any]]:
    games: list[dict[str, Any]] = get(http, "scores", 2024, 13)
    assert {g["Status"] for g in games} == {"Final", "InProgress", "Scheduled"}
    return games


def _game(games: list[dict[str, Any]], state: str) -> dict[str, Any]:
    return next(g for g in games if g["Status"] == state)


def test_final_and_by_team_stats_are_the_weeks_answer_filtered(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    final_ids = {g["ScoreID"] for g in week13 if g["Status"] == "Final"}
    lines = get(http, "player_game_stats", 2024, 13)
    assert get(http, "player_game_stats_final", 2024, 13) == [
        r for r in lines if r["ScoreID"] in final_ids
    ]
    teams = get(http, "team_game_stats", 2024, 13)
    assert get(http, "team_game_stats_final", 2024, 13) == [
        r for r in teams if r["ScoreID"] in final_ids
    ]
    assert get(http, "scores_final", 2024, 13) == [g for g in week13 if g["Status"] == "Final"]
    for state in ("Final", "InProgress"):
        team = _game(week13, state)["HomeTeam"]
        mine = [r for r in lines if r["Team"] == team]
        assert mine
        assert get(http, "player_game_stats_by_team", 2024, 13, team) == mine
        final = mine if state == "Final" else []
        assert get(http, "player_game_stats_by_team_final", 2024, 13, team) == final
    injuries = get(http, "injuries", 2024, 13)
    assert get(http, "injuries_by_team", 2024, 13, "KC") == [
        r for r in injuries if r["Team"] == "KC"
    ]


def test_basic_and_by_date_scores_are_the_full_records(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    basic = get(http, "scores_basic", 2024, 13)
    assert [b["ScoreID"] for b in basic] == [g["ScoreID"] for g in week13]
    for b, g in zip(basic, week13, strict=True):
        assert all(b[k] == g[k] for k in b if k in g)
        assert b["GameID"] == g["ScoreID"]
    thanksgiving = date(2024, 11, 28)
    on_day = get(http, "scores_by_date", thanksgiving)
    assert on_day == [g for g in week13 if g["Day"].startswith("2024-11-28")]
    assert get(http, "scores_by_date_final", thanksgiving) == on_day  # all played by now
    season = get(http, "season_scores", 2024)
    assert [g for g in season if g["Week"] == 13] == week13


def test_box_scores_and_play_by_play_agree_however_they_are_fetched(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    final, live = _game(week13, "Final"), _game(week13, "InProgress")
    for game in (final, live):
        box = get(http, "box_score", game["ScoreID"])
        assert get(http, "box_score_by_team", 2024, 13, game["HomeTeam"]) == box
        plays = get(http, "play_by_play", game["ScoreID"])
        assert get(http, "play_by_play_by_team", 2024, 13, game["HomeTeam"]) == plays
    assert get(http, "box_score_final", final["ScoreID"]) == get(
        http, "box_score", final["ScoreID"]
    )
    assert get(http, "play_by_play_final", final["ScoreID"]) == get(
        http, "play_by_play", final["ScoreID"]
    )
    # Final-only views of a game still being played have nothing to show.
    assert status(http, "box_score_final", live["ScoreID"]) == 404
    assert status(http, "play_by_play_final_by_team", 2024, 13, live["HomeTeam"]) == 404


def test_sportsbook_groups_keep_only_their_books(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    books = {b.book_id for b in GROUPS["G1101"]}
    assert 0 < len(books) < len({b.book_id for b in GROUPS["G1100"]})
    odds = get(http, "odds", 2024, 13)
    grouped = get(http, "odds_by_group", 2024, 13, "G1101")
    assert [g["ScoreId"] for g in grouped] == [g["ScoreId"] for g in odds]
    for mine, full in zip(grouped, odds, strict=True):
        assert mine["PregameOdds"] == [o for o in full["PregameOdds"] if o["SportsbookId"] in books]
    assert get(http, "odds_by_group", 2024, 13, "G1100") == odds  # every book
    score_id = _game(week13, "Scheduled")["ScoreID"]
    markets = get(http, "betting_markets", score_id)
    assert get(http, "betting_markets_by_group", score_id, "G1100") == markets
    for m, full in zip(
        get(http, "betting_markets_by_group", score_id, "G1101"), markets, strict=True
    ):
        assert m["BettingOutcomes"] == [
            o for o in full["BettingOutcomes"] if o["SportsBook"]["SportsbookID"] in books
        ]
    assert status(http, "odds_by_group", 2024, 13, "G9999") == 404


def test_markets_by_event_type_and_id_are_the_games_markets(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    score_id = _game(week13, "Scheduled")["ScoreID"]
    markets = get(http, "betting_markets", score_id)
    assert get(http, "betting_markets_by_event", score_id) == markets
    props = get(http, "player_props_game", 2024, 13, score_id)
    assert get(http, "betting_markets_by_market_type", score_id, 2) == props
    assert get(http, "player_props_game_by_group", score_id, "G1100") == props
    for m in (markets[0], markets[-1]):
        assert get(http, "betting_market", m["BettingMarketID"]) == m
    events = get(http, "betting_events", 2024)
    assert {e["BettingEventID"] for e in events} == {e["ScoreID"] for e in events}
    assert {m["BettingEventID"] for m in markets} == {score_id}
    assert status(http, "betting_market", 1) == 404


def test_splits_and_results_tie_to_markets_and_the_final_lines(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    game = _game(week13, "Final")
    markets = get(http, "betting_markets", game["ScoreID"])
    lines = [m for m in markets if m["BettingMarketTypeID"] == 1]
    split = get(http, "betting_splits_by_game", game["ScoreID"])
    assert [s["BettingMarketID"] for s in split["BettingMarketSplits"]] == [
        m["BettingMarketID"] for m in lines
    ]
    for s in split["BettingMarketSplits"]:
        assert sum(x["BetPercentage"] for x in s["BettingSplits"]) == 100
    stats = {r["PlayerID"]: r for r in get(http, "player_game_stats", 2024, 13)}
    prop = next(m for m in markets if m["BettingBetType"] == "Receiving Yards")
    result = get(http, "betting_market_results", prop["BettingMarketID"])
    assert len(result["BettingOutcomeResults"]) == len(prop["BettingOutcomes"])
    actual = stats[prop["PlayerID"]]["ReceivingYards"]
    for r in result["BettingOutcomeResults"]:
        assert r["ActualValue"] == actual
        over = r["BettingOutcomeType"] == "Over"
        won = actual > r["BetValue"] if over else actual < r["BetValue"]
        assert r["BettingResultType"] == ("Win" if won else "Loss")


def test_dfs_slates_hold_the_leagues_players_and_projections(http: httpx.Client) -> None:
    slates = get(http, "dfs_slates", 2024, 13)
    assert slates
    projections = {r["PlayerGameID"]: r for r in get(http, "player_game_projections", 2024, 13)}
    teams = {t["PlayerID"] for t in get(http, "teams", 2024)}
    roster = {p["PlayerID"] for p in get(http, "player_profiles")}
    for slate in slates:
        players = slate["DfsSlatePlayers"]
        assert players
        for p in players:
            assert p["PlayerID"] in roster | teams
            if p["PlayerGameProjectionStatID"] is not None:
                assert projections[p["PlayerGameProjectionStatID"]]["PlayerID"] == p["PlayerID"]
        owned = get(http, "dfs_slate_ownership", slate["SlateID"])
        assert owned["SlateID"] == slate["SlateID"]
        assert len(owned["SlateOwnershipProjections"]) == len(players)
    sunday = get(http, "dfs_slates_by_date", date(2024, 12, 1))
    assert sunday
    assert all(s["OperatorDay"].startswith("2024-12-01") for s in sunday)
    assert {s["SlateID"] for s in sunday} <= {s["SlateID"] for s in slates}


def test_timeframes_agree_with_the_week_feeds(http: httpx.Client) -> None:
    current = get(http, "timeframes", "current")
    assert [t["Week"] for t in current] == [get(http, "current_week")]
    upcoming = get(http, "timeframes", "upcoming")
    assert [t["Week"] for t in upcoming] == [get(http, "upcoming_week")] == [14]
    completed = [t for t in get(http, "timeframes", "completed") if t["SeasonType"] == 1]
    assert completed[-1]["Week"] == get(http, "last_completed_week") == 12
    assert get(http, "games_in_progress") is True
    assert get(http, "last_completed_season") == 2023
    assert get(http, "upcoming_season") == 2024  # mid-season: the season under way


def test_fantasy_views_agree_with_the_stat_lines(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    lines = {r["PlayerID"]: r for r in get(http, "player_game_stats", 2024, 12)}
    zones = [
        {r["PlayerID"]: r for r in get(http, name, 2024, 12)}
        for name in (
            "player_game_red_zone_inside_five_stats",
            "player_game_red_zone_inside_ten_stats",
            "player_game_red_zone_stats",
        )
    ]
    assert all(z.keys() == lines.keys() for z in zones)
    for pid, line in lines.items():
        for stat in ("RushingAttempts", "RushingTouchdowns", "ReceivingTargets"):
            values = [z[pid][stat] or 0 for z in zones] + [line[stat] or 0]
            assert values == sorted(values), (pid, stat)
    defenses = get(http, "fantasy_defense_game_stats", 2024, 13)
    for g in week13:
        if g["Status"] == "Scheduled":
            continue
        home = next(d for d in defenses if d["Team"] == g["HomeTeam"])
        assert home["PointsAllowed"] == g["AwayScore"]


def test_game_logs_and_deltas_are_the_players_lines(
    http: httpx.Client, week13: list[dict[str, Any]]
) -> None:
    qb = next(r for r in get(http, "player_game_stats", 2024, 12) if r["Position"] == "QB")
    log = get(http, "player_game_logs", 2024, qb["PlayerID"], "all")
    assert qb in log
    assert [r["Week"] for r in log] == sorted((r["Week"] for r in log), reverse=True)
    assert get(http, "player_game_logs", 2024, qb["PlayerID"], 3) == log[:3]
    live = {g["ScoreID"] for g in week13 if g["Status"] == "InProgress"}
    delta = get(http, "player_game_stats_by_week_delta", 2024, 13, 5)
    assert {r["ScoreID"] for r in delta} == live
    assert delta == [r for r in get(http, "player_game_stats", 2024, 13) if r["ScoreID"] in live]


FUTURE_EMPTY = [
    "player_game_stats", "player_game_stats_final", "team_game_stats", "box_scores",
    "player_game_projections", "idp_player_game_projections", "fantasy_defense_game_projections",
    "dfs_slates", "player_ownership", "player_game_red_zone_stats", "fantasy_game_stats",
    "fantasy_defense_game_stats", "depth_charts_by_week", "odds", "scores_final",
]  # fmt: skip


@pytest.mark.parametrize("name", FUTURE_EMPTY)
def test_a_far_future_week_answers_an_empty_list(http: httpx.Client, name: str) -> None:
    # Week 18 is a month away: nothing played, projected or priced yet.
    assert get(http, name, 2024, 18) == []


def test_a_far_future_week_still_lists_its_scheduled_games(http: httpx.Client) -> None:
    games = get(http, "scores", 2024, 18)
    assert games
    assert {g["Status"] for g in games} == {"Scheduled"}
    assert [b["ScoreID"] for b in get(http, "scores_basic", 2024, 18)] == [
        g["ScoreID"] for g in games
    ]
    # The next week is already projected (its first game is four days away).
    assert get(http, "player_game_projections", 2024, 14)
    assert get(http, "dfs_slates", 2024, 14)


UNKSUNDAYN = [
    ("player_game_logs", (2024, 99999, "all")),
    ("team_game_logs", (2024, 99, "all")),
    ("dfs_slate_ownership", (7,)),
    ("betting_market_results", (7,)),
    ("betting_splits_by_market", (7,)),
    ("betting_markets_by_event", (7,)),
    ("line_movement_by_group", (7, "G1100")),
    ("play_by_play_final", (7,)),
]


@pytest.mark.parametrize(("name", "args"), UNKSUNDAYN, ids=[n for n, _ in UNKSUNDAYN])
def test_an_unknown_id_is_a_404(http: httpx.Client, name: str, args: tuple[Any, ...]) -> None:
    assert status(http, name, *args) == 404


def test_a_by_team_game_of_a_team_on_bye_is_a_404(http: httpx.Client) -> None:
    bye = next(b["Team"] for b in get(http, "byes", 2024) if b["Week"] == 10)
    assert status(http, "box_score_by_team", 2024, 10, bye) == 404
    assert status(http, "fantasy_defense_game_stats_by_team", 2024, 10, bye) == 404
    assert get(http, "player_game_stats_by_team", 2024, 10, bye) == []


def test_between_seasons_the_clock_feeds_point_at_the_last_season_and_the_next() -> None:
    server = start_emulator(now=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    try:
        headers = {"Ocp-Apim-Subscription-Key": KEY}
        with httpx.Client(base_url=server.base_url, headers=headers) as c:
            assert get(c, "current_week") is None
            assert get(c, "last_completed_week") == 18
            assert get(c, "last_completed_season") == 2024
            assert get(c, "upcoming_week") == 1
            assert get(c, "games_in_progress") is False
            assert get(c, "upcoming_dfs_slate_ownership") == []  # week 1 is months away
    finally:
        server.stop()
