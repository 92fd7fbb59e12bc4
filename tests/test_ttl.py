"""The freshness rules of :mod:`sportsframe.registry.ttl`: when a payload is final.

Game records (a ``Status``) are final when final and closed; stats lines (player, team and
fantasy-defense game lines: ``IsGameOver`` and a date, no ``Status``) when their game is over and
was played more than ``STATS_SETTLED_AFTER`` ago, and only for a call that names its games.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sportsframe.cache.manager import CacheManager
from sportsframe.cache.memory import MemoryTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock
from sportsframe.emulator.payloads import Payloads
from sportsframe.emulator.world import World
from sportsframe.registry import ENDPOINTS
from sportsframe.registry.ttl import (
    FINAL_TTL,
    STATS_SETTLED_AFTER,
    TTL_POLICIES,
    CacheDataType,
    Coverage,
    effective_ttl,
    is_final_payload,
)
from sportsframe.settings import Settings

NOW = datetime(2024, 11, 10, 17, 0, tzinfo=UTC)  # Sunday of 2024 week 10, 12:00 Eastern
HOUR = TTL_POLICIES[CacheDataType.PLAYER_GAME_STATS]


def _eastern(when: datetime) -> str:
    """As SportsDataIO writes a kickoff: Eastern wall clock, no offset."""
    return when.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M:%S")


def player_line(age: timedelta, *, over: Any = True, **extra: Any) -> dict[str, Any]:
    """A PlayerGame record of a game that kicked off ``age`` before :data:`NOW`."""
    kickoff = NOW - age
    line = {
        "PlayerID": 1,
        "GameDate": _eastern(kickoff),
        "DateTime": _eastern(kickoff),
        "Day": _eastern(kickoff)[:10] + "T00:00:00",
        "PassingYards": 250.0,
        "IsGameOver": over,
    }
    return {**line, **extra}


#: What a week's call covers; a season's log and a bare key cover no fixed set of games.
WEEK = Coverage(fixed=True)
OPEN = Coverage()
OLD = STATS_SETTLED_AFTER + timedelta(days=2)
RECENT = STATS_SETTLED_AFTER - timedelta(days=2)


def _ttl(data_type: CacheDataType, payload: Any, *, coverage: Coverage = WEEK) -> int:
    return effective_ttl(
        data_type, default_ttl=HOUR, payload=payload, season=2024, now=NOW, coverage=coverage
    )


# -- stats lines --------------------------------------------------------------------------------
def test_lines_of_games_over_and_past_corrections_are_final() -> None:
    lines = [player_line(OLD), player_line(OLD + timedelta(days=3), PlayerID=2)]
    assert is_final_payload(lines, now=NOW)
    assert _ttl(CacheDataType.PLAYER_GAME_STATS, lines) == FINAL_TTL


def test_team_and_fantasy_defense_lines_are_final_by_their_date() -> None:
    kickoff = _eastern(NOW - OLD)
    team_game = {"Team": "KC", "Score": 27, "Date": kickoff, "IsGameOver": True}
    defense = {"Team": "KC", "PointsAllowed": 17.0, "Date": kickoff, "IsGameOver": True}
    assert _ttl(CacheDataType.GAME_STATS, [team_game]) == FINAL_TTL
    assert _ttl(CacheDataType.PLAYER_GAME_STATS, [defense]) == FINAL_TTL


@pytest.mark.parametrize(
    "odd_one",
    [
        player_line(OLD, over=False),
        player_line(OLD, over=None),
        {k: v for k, v in player_line(OLD).items() if k != "IsGameOver"},
        player_line(RECENT),
        {k: v for k, v in player_line(OLD).items() if k not in ("GameDate", "DateTime", "Day")},
        player_line(OLD, GameDate="not a date", DateTime=None, Day=None),
    ],
    ids=["not-over", "over-unknown", "no-IsGameOver", "too-recent", "undated", "bad-date"],
)
def test_one_line_not_settled_keeps_the_payload_live(odd_one: dict[str, Any]) -> None:
    lines = [player_line(OLD), odd_one]
    assert not is_final_payload(lines, now=NOW)
    assert _ttl(CacheDataType.PLAYER_GAME_STATS, lines) == HOUR


def test_empty_payloads_and_lines_without_a_moment_are_not_final() -> None:
    assert not is_final_payload([], now=NOW)
    assert _ttl(CacheDataType.PLAYER_GAME_STATS, []) == HOUR
    assert not is_final_payload([player_line(OLD)])  # no now: the age is unknown


def test_the_kickoff_is_read_as_eastern_and_a_bare_day_as_its_end() -> None:
    # 2024-10-30 19:00 Eastern (EDT) is 23:00 UTC: read as UTC it would look 4 hours older.
    line = {"IsGameOver": True, "GameDate": "2024-10-30T19:00:00"}
    settled = datetime(2024, 10, 30, 23, 0, tzinfo=UTC) + STATS_SETTLED_AFTER
    assert not is_final_payload([line], now=settled - timedelta(hours=1))
    assert is_final_payload([line], now=settled + timedelta(hours=1))
    # Day alone: the game may have started late that day, so it counts from the day's end.
    day_only = {"IsGameOver": True, "Day": "2024-10-30T00:00:00"}
    end_of_day = datetime(2024, 10, 31, 4, 0, tzinfo=UTC)  # midnight Eastern
    assert not is_final_payload(
        [day_only], now=end_of_day + STATS_SETTLED_AFTER - timedelta(hours=1)
    )
    assert is_final_payload([day_only], now=end_of_day + STATS_SETTLED_AFTER + timedelta(hours=1))


def test_a_game_log_is_never_final_by_its_lines() -> None:
    lines = [player_line(OLD)]
    assert _ttl(CacheDataType.PLAYER_GAME_STATS, lines, coverage=OPEN) == HOUR
    assert ENDPOINTS["player_game_stats"].coverage.fixed  # a week
    assert ENDPOINTS["box_score"].coverage.fixed  # one game
    assert ENDPOINTS["scores_by_date"].coverage.fixed  # a date
    assert not ENDPOINTS["player_game_logs"].coverage.fixed  # gains a game every week
    assert not ENDPOINTS["team_game_logs"].coverage.fixed


def test_non_game_bound_data_types_do_not_lengthen() -> None:
    assert _ttl(CacheDataType.SEASON_STATS, [player_line(OLD)]) == HOUR


# -- game records (the Status rule, unchanged) and mixed payloads --------------------------------
def test_the_status_rule_is_unchanged() -> None:
    final = {"ScoreID": 1, "Status": "Final", "IsClosed": True}
    assert is_final_payload([final])  # needs no clock
    assert is_final_payload({"Score": final, "Plays": []})
    assert not is_final_payload([final, {"ScoreID": 2, "Status": "InProgress"}])
    assert not is_final_payload([{**final, "IsClosed": False}])
    assert not is_final_payload([{"PlayerID": 1, "Value": 1.5}])  # props: no game at all
    assert _ttl(CacheDataType.SCORES, [final], coverage=OPEN) == FINAL_TTL


def test_mixed_payloads_need_both_rules() -> None:
    final = {"ScoreID": 1, "Status": "Final", "IsClosed": True, "Day": "2024-09-08T00:00:00"}
    assert is_final_payload([final, player_line(OLD)], now=NOW)
    assert not is_final_payload([final, player_line(RECENT)], now=NOW)
    assert not is_final_payload([{**final, "Status": "InProgress"}, player_line(OLD)], now=NOW)
    assert _ttl(CacheDataType.GAME_STATS, [final, player_line(OLD)], coverage=OPEN) == HOUR


# -- listings of the games final so far ("...Final" operations) ---------------------------------
def game(age: timedelta, **extra: Any) -> dict[str, Any]:
    """A Score record, final and closed, of a game that kicked off ``age`` before NOW."""
    kickoff = _eastern(NOW - age)
    return {"ScoreID": 1, "Status": "Final", "IsClosed": True, "DateTime": kickoff, **extra}


def test_a_listing_of_the_games_final_so_far_is_final_once_its_newest_is_settled() -> None:
    final_week = Coverage(fixed=True, final_only=True)
    # Sunday noon of week 10: only Thursday's game is final, so only it is listed. That every
    # game listed is final says nothing of Sunday's and Monday's games.
    thursday = [game(timedelta(days=3))]
    assert _ttl(CacheDataType.SCORES, thursday) == FINAL_TTL  # a full listing: the Status rule
    assert _ttl(CacheDataType.SCORES, thursday, coverage=final_week) < FINAL_TTL
    assert _ttl(CacheDataType.GAME_STATS, [{"Score": thursday[0]}], coverage=final_week) < FINAL_TTL
    # Long after the week: complete, final.
    week1 = [game(OLD), game(OLD + timedelta(days=3), ScoreID=2)]
    assert _ttl(CacheDataType.SCORES, week1, coverage=final_week) == FINAL_TTL
    # Without a kickoff nothing says the week is over.
    undated = [{k: v for k, v in game(OLD).items() if k != "DateTime"}]
    assert _ttl(CacheDataType.SCORES, undated, coverage=final_week) < FINAL_TTL
    # A season's games final so far: it grows every week, never final by its games.
    season = Coverage(final_only=True)
    assert _ttl(CacheDataType.SCORES, week1, coverage=season) < FINAL_TTL


def test_the_final_only_operations_are_known_from_their_operation_ids() -> None:
    for name in ("scores_final", "box_scores", "player_game_stats_final", "scores_by_date_final"):
        assert ENDPOINTS[name].coverage == Coverage(fixed=True, final_only=True), name
    assert ENDPOINTS["season_scores_final"].coverage == Coverage(fixed=False, final_only=True)
    # "Live & final" feeds list every game whatever its state; one game's feed is that game.
    for name in ("scores", "player_game_stats", "box_score_final", "play_by_play_final"):
        assert not ENDPOINTS[name].coverage.final_only, name


async def test_this_weeks_final_box_scores_are_not_kept_a_month(manager: CacheManager) -> None:
    # The emulator at Sunday noon of week 10: BoxScoresFinal lists Thursday's game only.
    listed = Payloads(World(now=NOW)).box_scores(2024, "REG", 10)
    call = ENDPOINTS["box_scores"].bind(2024, 10)

    async def load() -> Any:
        return listed

    found = await manager.fetch(call, loader=load)
    assert found.payload, "the week's finished game is listed"
    assert found.expires_at - NOW < timedelta(seconds=FINAL_TTL)


# -- the emulator's lines and the manager ----------------------------------------------------------
def test_the_emulators_past_weeks_are_final_and_the_current_one_is_not() -> None:
    stats = Payloads(World(now=NOW)).stats
    week1 = stats.player_games(2024, "REG", 1)
    assert week1
    assert is_final_payload(week1, now=NOW)
    teams = [stats.team_game(g, t) for g in stats.played(2024, "REG", 1) for t in (g.away, g.home)]
    assert is_final_payload(teams, now=NOW)
    # Week 10 has kicked off (its Thursday game is over, Sunday's are under way): live.
    assert stats.player_games(2024, "REG", 10)
    assert not is_final_payload(stats.player_games(2024, "REG", 10), now=NOW)


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[CacheManager]:
    clock = ManualClock(NOW)
    settings = Settings(
        home=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.sqlite3'}", redis_host=""
    )
    hot, warm = MemoryTier(100, clock), SqlTier.from_settings(settings, clock)
    mgr = CacheManager(settings, hot=hot, warm=warm, clock=clock)
    yield mgr
    await mgr.close()


async def test_the_manager_keeps_a_past_week_but_not_a_log_nor_a_bare_key(
    manager: CacheManager,
) -> None:
    lines = [player_line(OLD)]

    async def load() -> Any:
        return lines

    week = await manager.fetch(ENDPOINTS["player_game_stats"].bind(2024, 1), loader=load)
    assert week.expires_at - NOW == timedelta(seconds=FINAL_TTL)
    log = await manager.fetch(ENDPOINTS["player_game_logs"].bind(2024, 1), loader=load)
    assert log.expires_at - NOW == timedelta(seconds=HOUR)
    bare = await manager.fetch("some:key", CacheDataType.PLAYER_GAME_STATS, load)
    assert bare.expires_at - NOW == timedelta(seconds=HOUR)
