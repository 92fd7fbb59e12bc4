"""The NFL endpoints of SportsDataIO: one :class:`~sportsframe.registry.endpoint.Endpoint` row each,
and the lookups over them.

Each row names the endpoint (which is also the cache-key prefix), the spec method name, the path
template, the ordered parameters, the cache data type and the response model. Everything else —
cached client methods, cache keys, invalidation patterns, frame schemas, the emulator's coverage
tests — is derived from these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from sportsframe.errors import InvalidParameterError
from sportsframe.registry.endpoint import Endpoint
from sportsframe.registry.operations import operation_facts, operation_rows
from sportsframe.registry.params import Param, ParamKind, validate_value
from sportsframe.registry.props import filter_alternates, props_week_assembler
from sportsframe.registry.ttl import CacheDataType

__all__ = [
    "ENDPOINTS",
    "PLAYER_PROPS_GAME",
    "SCORES",
    "endpoint",
    "patterns_for",
    "validate_argument",
    "week_patterns",
]

# -- parameters ----------------------------------------------------------------------------------
_SEASON = Param(name="season", kind=ParamKind.SEASON, path_name="season")
#: The season of props calls: it places the entry in the cache but is not part of the path.
_SEASON_NOT_IN_PATH = Param(name="season", kind=ParamKind.SEASON)
_SEASON_TYPE = Param(name="season_type", kind=ParamKind.SEASON_TYPE, default="REG")
_WEEK = Param(name="week", kind=ParamKind.WEEK, path_name="week")
_TEAM = Param(name="team", kind=ParamKind.TEAM, path_name="team")
_PLAYER = Param(name="player_id", kind=ParamKind.ID, path_name="playerid")
_SCORE = Param(name="score_id", kind=ParamKind.ID, path_name="scoreid")
_ALTERNATE = Param(name="include_alternate", kind=ParamKind.BOOL, default=False)
# season first, then the rest, then season_type (keyword, default REG) last.
_TYPED_SEASON = (_SEASON, _SEASON_TYPE)
_SEASON_WEEK = (_SEASON, _WEEK, _SEASON_TYPE)

_ODDS = "/v3/nfl/odds/json"
_SCORES = "/v3/nfl/scores/json"
_STATS = "/v3/nfl/stats/json"
_PBP = "/v3/nfl/pbp/json"

_ROWS: list[Endpoint] = [
    # -- reference data ----------------------------------------------------------------------
    Endpoint(
        name="teams",
        method="get_teams",
        path=f"{_SCORES}/Teams/{{season}}",
        params=(_SEASON,),
        data_type=CacheDataType.TEAMS,
        model="Team",
        shape="list",
        description="Teams of a season, with coaches and stadium.",
    ),
    Endpoint(
        name="stadiums",
        method="get_stadiums",
        path=f"{_SCORES}/Stadiums",
        params=(),
        data_type=CacheDataType.REFERENCE,
        model="Stadium",
        shape="list",
        description="Every stadium.",
    ),
    Endpoint(
        name="current_season",
        method="get_current_season",
        path=f"{_SCORES}/CurrentSeason",
        params=(),
        data_type=CacheDataType.TIMEFRAMES,
        model="int",
        shape="scalar",
        description="The current season's year.",
    ),
    Endpoint(
        name="current_week",
        method="get_current_week",
        path=f"{_SCORES}/CurrentWeek",
        params=(),
        data_type=CacheDataType.TIMEFRAMES,
        model="int",
        shape="scalar",
        description="The current week (null off-season).",
    ),
    Endpoint(
        name="byes",
        method="get_byes",
        path=f"{_SCORES}/Byes/{{season}}",
        params=_TYPED_SEASON,
        data_type=CacheDataType.SCHEDULES,
        model="Bye",
        shape="list",
        description="Bye weeks of every team.",
    ),
    Endpoint(
        name="schedules",
        method="get_schedules",
        path=f"{_SCORES}/Schedules/{{season}}",
        params=_TYPED_SEASON,
        data_type=CacheDataType.SCHEDULES,
        model="Schedule",
        shape="list",
        description="The season's full schedule.",
    ),
    Endpoint(
        name="standings",
        method="get_standings",
        path=f"{_SCORES}/Standings/{{season}}",
        params=_TYPED_SEASON,
        data_type=CacheDataType.STANDINGS,
        model="Standing",
        shape="list",
        description="Standings of every team.",
    ),
    Endpoint(
        name="players",
        method="get_players",
        path=f"{_SCORES}/Players/{{team}}",
        params=(_TEAM,),
        data_type=CacheDataType.PLAYERS,
        model="PlayerDetail",
        shape="list",
        description="A team's roster.",
    ),
    Endpoint(
        name="player",
        method="get_player_details_by_player",
        path=f"{_SCORES}/Player/{{playerid}}",
        params=(_PLAYER,),
        data_type=CacheDataType.PLAYERS,
        model="PlayerDetail",
        shape="object",
        description="One player's details.",
    ),
    Endpoint(
        name="news",
        method="get_news",
        path=f"{_SCORES}/News",
        params=(),
        data_type=CacheDataType.NEWS,
        model="News",
        shape="list",
        description="The latest news items.",
    ),
    Endpoint(
        name="news_by_team",
        method="get_news_by_team",
        path=f"{_SCORES}/NewsByTeam/{{team}}",
        params=(_TEAM,),
        data_type=CacheDataType.NEWS,
        model="News",
        shape="list",
        description="The latest news of one team.",
    ),
    Endpoint(
        name="news_by_player",
        method="get_news_by_player",
        path=f"{_SCORES}/NewsByPlayerID/{{playerid}}",
        params=(_PLAYER,),
        data_type=CacheDataType.NEWS,
        model="News",
        shape="list",
        description="The latest news of one player.",
    ),
    Endpoint(
        name="depth_charts",
        method="get_depth_charts",
        path=f"{_SCORES}/DepthCharts",
        params=(),
        data_type=CacheDataType.DEPTH_CHARTS,
        model="TeamDepthChart",
        shape="list",
        description="Every team's depth chart.",
    ),
    # -- games and team stats ----------------------------------------------------------------
    Endpoint(
        name="scores",
        method="get_scores_by_week",
        path=f"{_SCORES}/ScoresByWeek/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.SCORES,
        model="Score",
        shape="list",
        description="Games of a week, live and final.",
    ),
    Endpoint(
        name="team_season_stats",
        method="get_team_season_stats",
        path=f"{_SCORES}/TeamSeasonStats/{{season}}",
        params=_TYPED_SEASON,
        data_type=CacheDataType.SEASON_STATS,
        model="TeamSeason",
        shape="list",
        description="Season totals of every team.",
    ),
    Endpoint(
        name="team_game_stats",
        method="get_team_game_stats_by_week",
        path=f"{_SCORES}/TeamGameStats/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.GAME_STATS,
        model="TeamGame",
        shape="list",
        description="Team stats of every game of a week.",
    ),
    # -- player stats, box scores, injuries --------------------------------------------------
    Endpoint(
        name="injuries",
        method="get_injuries_by_week",
        path=f"{_STATS}/Injuries/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.INJURIES,
        model="Injury",
        shape="list",
        description="The injury report of a week.",
    ),
    Endpoint(
        name="box_scores",
        method="get_box_scores_by_week",
        path=f"{_STATS}/BoxScoresFinal/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.GAME_STATS,
        model="BoxScoreV3",
        shape="list",
        description="Box scores of a week's games.",
    ),
    Endpoint(
        name="box_score",
        method="get_box_score",
        path=f"{_STATS}/BoxScoreByScoreIDV3/{{scoreid}}",
        params=(_SCORE,),
        data_type=CacheDataType.GAME_STATS,
        model="BoxScoreV3",
        shape="object",
        description="One game's box score.",
    ),
    Endpoint(
        name="player_game_stats",
        method="get_player_game_stats_by_week",
        path=f"{_STATS}/PlayerGameStatsByWeek/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.PLAYER_GAME_STATS,
        model="PlayerGame",
        shape="list",
        description="Every player's stats for each game of a week.",
    ),
    Endpoint(
        name="player_season_stats",
        method="get_player_season_stats",
        path=f"{_STATS}/PlayerSeasonStats/{{season}}",
        params=_TYPED_SEASON,
        data_type=CacheDataType.SEASON_STATS,
        model="PlayerSeason",
        shape="list",
        description="Every player's season totals.",
    ),
    # -- play-by-play ---------------------------------------------------------------------------
    Endpoint(
        name="play_by_play",
        method="get_play_by_play",
        path=f"{_PBP}/PlayByPlay/{{gameid}}",
        params=(Param(name="game_id", kind=ParamKind.ID, path_name="gameid"),),
        data_type=CacheDataType.PLAY_BY_PLAY,
        model="PlayByPlay",
        shape="object",
        description="Every play of one game.",
    ),
    # -- odds and betting ----------------------------------------------------------------------
    Endpoint(
        name="odds",
        method="get_pregame_odds_by_week",
        path=f"{_ODDS}/GameOddsByWeek/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.ODDS,
        model="GameInfo",
        shape="list",
        description="Pre-game odds of a week's games, by sportsbook.",
    ),
    Endpoint(
        name="live_odds",
        method="get_live_odds_by_week",
        path=f"{_ODDS}/LiveGameOddsByWeek/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.ODDS,
        model="GameInfo",
        shape="list",
        description="In-game odds of a week's games.",
    ),
    Endpoint(
        name="line_movement",
        method="get_line_movement",
        path=f"{_ODDS}/GameOddsLineMovement/{{scoreid}}",
        params=(_SCORE,),
        data_type=CacheDataType.ODDS,
        model="GameInfo",
        shape="list",
        description="Odds history of one game.",
    ),
    Endpoint(
        name="betting_events",
        method="get_betting_events",
        path=f"{_ODDS}/BettingEvents/{{season}}",
        params=(_SEASON,),
        data_type=CacheDataType.BETTING,
        model="BettingEvent",
        shape="list",
        description="Betting events (games and futures) of a season.",
    ),
    Endpoint(
        name="betting_markets",
        method="get_betting_markets_by_game",
        path=f"{_ODDS}/BettingMarketsByScoreID/{{scoreid}}",
        params=(_SCORE,),
        data_type=CacheDataType.BETTING,
        model="BettingMarket",
        shape="list",
        description="Every betting market of one game.",
    ),
    Endpoint(
        name="player_props_game",
        method="get_player_props_by_game",
        path=f"{_ODDS}/BettingPlayerPropsByScoreID/{{scoreid}}",
        params=(_SEASON_NOT_IN_PATH, _WEEK, _SCORE, _ALTERNATE, _SEASON_TYPE),
        data_type=CacheDataType.PLAYER_PROPS,
        model="BettingMarket",
        shape="list",
        description="Sportsbook player props of one game (season and week place it in the cache).",
        transform=filter_alternates,
    ),
    Endpoint(
        name="generated_props",
        method="get_generated_props_by_week",
        path=f"{_ODDS}/PlayerPropsByWeek/{{season}}/{{week}}",
        params=_SEASON_WEEK,
        data_type=CacheDataType.PLAYER_PROPS,
        model="PlayerProp",
        shape="list",
        description="Legacy generated player props of a week.",
    ),
]

#: The week's games, which a props week is assembled from.
SCORES = next(e for e in _ROWS if e.name == "scores")
#: One game's props, the parts of a props week.
PLAYER_PROPS_GAME = next(e for e in _ROWS if e.name == "player_props_game")

_ROWS.append(
    Endpoint(
        name="player_props",
        method="get_player_props_by_week",
        path=None,
        params=(_SEASON_NOT_IN_PATH, _WEEK, _ALTERNATE, _SEASON_TYPE),
        data_type=CacheDataType.PLAYER_PROPS,
        model="BettingMarket",
        shape="list",
        description="Sportsbook player props of every game of a week (assembled from the games).",
        assembler=props_week_assembler(SCORES, PLAYER_PROPS_GAME),
    )
)

# The hand-written rows above are operations of the official specs too (all but ``player``,
# ``generated_props`` and the assembled props week): they get their operationId, and every
# other operation of the specs gets its generated row.
_FACTS = {f["name"]: f for f in operation_facts()}
_HAND = {e.name for e in _ROWS}
_ROWS = [
    replace(e, operation=_FACTS[e.name]["operation_id"]) if e.name in _FACTS else e for e in _ROWS
]
_ROWS += [row for row in operation_rows() if row.name not in _HAND]

#: Every registered endpoint by name.
ENDPOINTS: Mapping[str, Endpoint] = {e.name: e for e in _ROWS}


# -- lookups -------------------------------------------------------------------------------------
def endpoint(name: str) -> Endpoint:
    """The registered endpoint called ``name``; raises InvalidParameterError if there is none."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        known = ", ".join(sorted(ENDPOINTS))
        raise InvalidParameterError("endpoint", name, f"unknown endpoint; known: {known}") from None


def validate_argument(name: str, value: Any) -> Any:
    """Validate one named argument (``season``, ``week``, ``team``, ...) as the registry would.

    Weeks are range-checked against the widest season type here (0..18).
    """
    for ep in _ROWS:
        for param in ep.params:
            if param.name == name:
                checked = validate_value(param, value, "argument")
                if param.kind is ParamKind.WEEK and not 0 <= checked <= 18:
                    raise InvalidParameterError(name, value, "weeks run from 0 to 18")
                return checked
    raise InvalidParameterError(name, value, "unknown argument")


def week_patterns(season: int, week: int, season_type: str = "REG") -> list[str]:
    """Globs matching every week-keyed entry of one week, derived from the registry."""
    return [
        e.key_pattern(season=season, week=week, season_type=season_type)
        for e in _ROWS
        if e.has_week
    ]


def patterns_for(
    param_name: str, value: Any, *, season_type: str = "REG", endpoints: Iterable[Endpoint] = ()
) -> list[str]:
    """Globs matching every entry keyed by parameter ``param_name`` equal to ``value``.

    ``patterns_for("team", "SF")`` reaches ``players:SF`` and ``news_by_team:SF``.
    """
    return [
        e.key_pattern(**{param_name: value, "season_type": season_type})
        for e in (tuple(endpoints) or _ROWS)
        if any(p.name == param_name for p in e.key_params)
    ]
