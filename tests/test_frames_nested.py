"""Frames of the nested models the official specs added: each flattens to one row per natural
record, with the columns of every level aligned to the record they came from."""

from __future__ import annotations

from typing import Any

from sportsframe import frames
from sportsframe.emulator.records import fill


def _split(market_id: int, outcome: str, bet: int) -> dict[str, Any]:
    return fill(
        "BettingSplit",
        {
            "BettingMarketSplitID": market_id * 10 + bet,
            "BettingMarketID": market_id,
            "BettingOutcomeType": outcome,
            "BetPercentage": bet,
            "MoneyPercentage": 100 - bet,
        },
    )


def _market_split(market_id: int, bet_type: str, splits: list[dict[str, Any]]) -> dict[str, Any]:
    return fill(
        "BettingMarketSplit",
        {"BettingMarketID": market_id, "BettingBetType": bet_type, "BettingSplits": splits},
    )


def test_game_betting_splits_are_one_row_per_split_with_their_market_and_game() -> None:
    payload = fill(
        "GameBettingSplit",
        {
            "ScoreId": 19001,
            "Season": 2024,
            "SeasonType": 1,
            "Week": 13,
            "HomeTeam": "KC",
            "AwayTeam": "LV",
            "BettingMarketSplits": [
                _market_split(7, "Spread", [_split(7, "Home", 60), _split(7, "Away", 40)]),
                _market_split(8, "Total Points", []),
                _market_split(9, "Moneyline", [_split(9, "Home", 75)]),
            ],
        },
    )
    frame = frames.build_frame_from_payload("betting_splits_by_game", payload)
    assert len(frame) == 3  # two splits of market 7, none of 8, one of 9
    assert list(frame["betting_market_id"]) == [7, 7, 9]
    assert list(frame["betting_bet_type"]) == ["Spread", "Spread", "Moneyline"]
    assert list(frame["betting_outcome_type"]) == ["Home", "Away", "Home"]
    assert list(frame["bet_percentage"]) == [60, 40, 75]
    assert (frame["score_id"] == 19001).all()
    assert (frame["home_team"] == "KC").all()
    assert list(frame.columns[:4]) == ["season", "season_type", "week", "score_id"]
    rule = frames.row_rule("betting_splits_by_game")
    assert "BettingSplit of each BettingMarketSplit of each GameBettingSplit" in rule


def test_game_betting_splits_of_two_games_keep_each_games_columns() -> None:
    games = [
        fill(
            "GameBettingSplit",
            {"ScoreId": score_id, "BettingMarketSplits": [_market_split(m, "Spread", splits)]},
        )
        for score_id, m, splits in [
            (1, 11, [_split(11, "Home", 55)]),
            (2, 22, [_split(22, "Home", 51), _split(22, "Away", 49)]),
        ]
    ]
    frame = frames.build_frame_from_payload("betting_splits_by_game", games)
    assert list(zip(frame["score_id"], frame["betting_market_id"], strict=True)) == [
        (1, 11),
        (2, 22),
        (2, 22),
    ]


def test_an_empty_or_missing_middle_list_gives_the_full_schema() -> None:
    empty = frames.build_frame_from_payload("betting_splits_by_game", [])
    none = frames.build_frame_from_payload(
        "betting_splits_by_game", fill("GameBettingSplit", {"ScoreId": 1})
    )
    assert (
        list(empty.columns) == list(none.columns) == frames.schema("betting_splits_by_game").names
    )
    assert len(none) == 0
    assert (empty.dtypes == none.dtypes).all()


def _trend(scope: str, team: str, opponent: str, wins: int) -> dict[str, Any]:
    return fill(
        "TeamGameTrends", {"Scope": scope, "Team": team, "Opponent": opponent, "Wins": wins}
    )


def test_matchup_trends_label_each_side_and_carry_the_upcoming_game() -> None:
    payload = fill(
        "MatchupTrends",
        {
            "UpcomingGame": fill(
                "Score", {"ScoreID": 5, "Season": 2024, "Week": 14, "HomeTeam": "KC"}
            ),
            "TeamMatchupTrends": [_trend("Last 5", "KC", "BUF", 3), _trend("Home", "KC", "BUF", 2)],
            "OpponentMatchupTrends": [_trend("Last 5", "BUF", "KC", 2)],
            "TeamTrends": [fill("TeamTrends", {"Team": "KC"})],
        },
    )
    frame = frames.build_frame_from_payload("matchup_trends", payload)
    assert list(frame["side"]) == ["team", "team", "opponent"]
    assert list(frame["team"]) == ["KC", "KC", "BUF"]
    assert list(frame["wins"]) == [3, 2, 2]
    assert (frame["score_id"] == 5).all()
    assert (frame["week"] == 14).all()


def test_betting_metadata_is_one_row_per_entity_with_its_kind() -> None:
    payload = fill(
        "BettingEntityMetadataCollection",
        {
            "BettingBetTypes": [{"RecordId": 1, "Name": "Moneyline"}],
            "BettingMarketTypes": [
                {"RecordId": 1, "Name": "Game Line"},
                {"RecordId": 2, "Name": "Player Prop"},
            ],
            "BettingOutcomeTypes": [{"RecordId": 3, "Name": "Over"}],
        },
    )  # fmt: skip
    frame = frames.build_frame_from_payload("betting_metadata", payload)
    assert list(frame["entity"]) == ["bet_type", "market_type", "market_type", "outcome_type"]
    assert list(frame["name"]) == ["Moneyline", "Game Line", "Player Prop", "Over"]


def test_dfs_slates_are_one_row_per_slate_player() -> None:
    players = [
        fill("DfsSlatePlayer", {"SlateID": 3, "PlayerID": pid, "OperatorSalary": salary})
        for pid, salary in [(101, 7000), (102, 5400)]
    ]
    slate = fill("DfsSlate", {"SlateID": 3, "Operator": "DraftKings", "DfsSlatePlayers": players})
    frame = frames.build_frame_from_payload("dfs_slates", [slate], {"season": 2024, "week": 13})
    assert list(frame["player_id"]) == [101, 102]
    assert list(frame["operator_salary"]) == [7000, 5400]
    assert (frame["operator"] == "DraftKings").all()
    assert (frame["week"] == 13).all()


def test_every_new_nested_model_has_a_rule_naming_its_record() -> None:
    expected = {
        "team_trends": "TeamGameTrends",
        "betting_market_results": "BettingOutcomeResult",
        "betting_splits_by_market": "BettingSplit",
        "line_movement_results_by_group": "GameOddResult",
        "depth_charts_by_week": "DepthChartWeekly",
        "upcoming_dfs_slate_ownership": "DfsSlatePlayerOwnershipProjection",
        "betting_markets_by_event": "BettingOutcome",
        "odds_by_group": "GameOdd",
        "box_score_final": "PlayerGame",
        "play_by_play_final_by_team": "Play",
    }
    for dataset, record in expected.items():
        assert frames.row_rule(dataset).startswith(f"One row per {record} of each"), dataset
