"""The declarative registry of SportsDataIO NFL endpoints.

Each endpoint is one :class:`Endpoint` row: its name (which is also the cache-key prefix), the spec
method name, the path template, the ordered parameters with their validators, the cache data type
and the response model. Everything else — cached client methods, cache keys, invalidation
patterns, frame schemas, the emulator's coverage tests — is derived from these rows.

Cache keys are built exactly as the cache spec builds them, ``endpoint:param1:param2...`` with
``str()`` of each value (``player_props:2024:18:True``). The season segment is written ``2024`` for
the regular season and ``2024POST`` / ``2024PRE`` otherwise, the same rule for every endpoint that
takes a season type; the path gets ``2024REG`` / ``2024POST`` / ``2024PRE``.

Arguments are validated by :meth:`Endpoint.bind` before any I/O; a bad one raises
:class:`~sportsframe.errors.InvalidParameterError` naming the argument.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from sportsframe.errors import InvalidParameterError
from sportsframe.league import is_team_key
from sportsframe.registry.ttl import CacheDataType

__all__ = [
    "ENDPOINTS",
    "SEASON_TYPES",
    "BoundCall",
    "Endpoint",
    "Fetch",
    "Param",
    "ParamKind",
    "endpoint",
    "latest_season",
    "max_week",
    "min_week",
    "patterns_for",
    "validate_argument",
    "week_patterns",
]

SEASON_TYPES = ("REG", "PRE", "POST")
FIRST_SEASON = 2000
REQUIRED: Any = object()


class ParamKind(Enum):
    """What a parameter is, which decides how it is validated and written."""

    SEASON = "season"
    SEASON_TYPE = "season_type"
    WEEK = "week"
    TEAM = "team"
    ID = "id"  # player, score and game ids: positive integers
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class Param:
    """One endpoint parameter.

    ``path_name`` is the placeholder in the path template (``None`` for parameters that only
    shape the key and the payload, such as ``include_alternate``).
    """

    name: str
    kind: ParamKind
    path_name: str | None = None
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def min_week(season_type: str) -> int:
    """The first valid week of a season type (PRE starts at 0)."""
    return 0 if season_type == "PRE" else 1


def max_week(season: int, season_type: str) -> int:
    """The last valid week: REG 18 from 2021 (17 before), PRE 4, POST 4."""
    if season_type == "REG":
        return 18 if season >= 2021 else 17
    return 4


def latest_season() -> int:
    """The last season a call may name: next year (the schedule is out before it starts)."""
    return datetime.now(UTC).year + 1


def _check_int(name: str, value: Any, endpoint: str) -> int:
    # bool is an int subclass: True as a week or id is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(
            name, value, f"must be an integer, not {type(value).__name__}", endpoint=endpoint
        )
    return value


def _validate(param: Param, value: Any, endpoint: str) -> Any:
    kind = param.kind
    if kind is ParamKind.SEASON:
        season = _check_int(param.name, value, endpoint)
        latest = latest_season()
        if not FIRST_SEASON <= season <= latest:
            raise InvalidParameterError(
                param.name,
                value,
                f"seasons run from {FIRST_SEASON} to {latest}",
                endpoint=endpoint,
            )
        return season
    if kind is ParamKind.SEASON_TYPE:
        if not isinstance(value, str) or value.upper() not in SEASON_TYPES:
            raise InvalidParameterError(
                param.name, value, "must be one of 'REG', 'PRE', 'POST'", endpoint=endpoint
            )
        return value.upper()
    if kind is ParamKind.WEEK:
        return _check_int(param.name, value, endpoint)  # range checked with the season below
    if kind is ParamKind.TEAM:
        if not isinstance(value, str) or not is_team_key(value.upper()):
            raise InvalidParameterError(
                param.name,
                value,
                "must be a team key such as 'KC' or 'PHI' (see sportsframe.league.TEAMS)",
                endpoint=endpoint,
            )
        return value.upper()
    if kind is ParamKind.ID:
        ident = _check_int(param.name, value, endpoint)
        if ident <= 0:
            raise InvalidParameterError(
                param.name, value, "must be a positive integer", endpoint=endpoint
            )
        return ident
    if kind is ParamKind.BOOL:
        if not isinstance(value, bool):
            raise InvalidParameterError(
                param.name, value, "must be True or False", endpoint=endpoint
            )
        return value
    raise AssertionError(kind)  # pragma: no cover


@dataclass(frozen=True, slots=True)
class BoundCall:
    """An endpoint with validated arguments: knows its cache key and request path."""

    endpoint: Endpoint
    values: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The cache key, ``name:seg1:seg2...`` (no namespace, no source prefix)."""
        return self.endpoint.build_key(self.values)

    @property
    def path(self) -> str:
        """The request path (``/v3/nfl/...``). Raises for assembled endpoints."""
        return self.endpoint.build_path(self.values)

    @property
    def params(self) -> dict[str, Any]:
        """The arguments as the caller would write them (for messages and provenance)."""
        return dict(self.values)

    @property
    def season(self) -> int | None:
        value = self.values.get("season")
        return value if isinstance(value, int) else None

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.endpoint.name}({args})"


#: How an assembled endpoint reaches its parts: fetch one bound call (cached or not).
Fetch = Callable[[BoundCall], Awaitable[Any]]
Assembler = Callable[[BoundCall, Fetch], Awaitable[Any]]
Transform = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Endpoint:
    """One registered SportsDataIO endpoint (a row of the registry)."""

    name: str
    method: str
    path: str | None
    params: tuple[Param, ...]
    data_type: CacheDataType
    model: str
    shape: Literal["list", "object", "scalar"]
    description: str
    #: Query string sent with every request (e.g. odds ``include``).
    query: Mapping[str, str] = field(default_factory=dict)
    #: Applied to the payload as received before it is returned and cached.
    transform: Transform | None = None
    #: For endpoints assembled from others (props by week): builds the payload from its parts.
    assembler: Assembler | None = None

    @property
    def feed(self) -> str:
        """The SportsDataIO feed (``scores``, ``stats``, ``odds``, ``pbp``) or ``assembled``."""
        return self.path.split("/")[3] if self.path else "assembled"

    @property
    def key_params(self) -> tuple[Param, ...]:
        """Parameters that make up the key, in key order (season_type folds into season)."""
        return tuple(p for p in self.params if p.kind is not ParamKind.SEASON_TYPE)

    @property
    def has_week(self) -> bool:
        return any(p.kind is ParamKind.WEEK for p in self.params)

    @property
    def typed_season(self) -> bool:
        """True when the season takes a season type (``2024REG``)."""
        return any(p.kind is ParamKind.SEASON_TYPE for p in self.params)

    def bind(self, *args: Any, **kwargs: Any) -> BoundCall:
        """Validate arguments (positional in parameter order, or by name) into a :class:`BoundCall`.

        Raises :class:`InvalidParameterError` for a missing, unknown or invalid argument.
        """
        if len(args) > len(self.params):
            raise InvalidParameterError(
                "args", args, f"takes at most {len(self.params)} arguments", endpoint=self.name
            )
        given: dict[str, Any] = {}
        for param, value in zip(self.params, args, strict=False):
            given[param.name] = value
        for name, value in kwargs.items():
            if name in given:
                raise InvalidParameterError(name, value, "given twice", endpoint=self.name)
            given[name] = value
        known = {p.name for p in self.params}
        for name in given:
            if name not in known:
                expected = ", ".join(p.name for p in self.params) or "no arguments"
                raise InvalidParameterError(
                    name, given[name], f"unknown argument (expected {expected})", endpoint=self.name
                )
        values: dict[str, Any] = {}
        for param in self.params:
            if param.name in given:
                values[param.name] = _validate(param, given[param.name], self.name)
            elif param.required:
                raise InvalidParameterError(param.name, None, "is required", endpoint=self.name)
            else:
                values[param.name] = param.default
        self._check_week(values)
        return BoundCall(self, values)

    def _check_week(self, values: Mapping[str, Any]) -> None:
        week = next((p for p in self.params if p.kind is ParamKind.WEEK), None)
        if week is None:
            return
        season = values.get("season", latest_season())
        season_type = values.get("season_type", "REG")
        lo, hi = min_week(season_type), max_week(season, season_type)
        value = values[week.name]
        if not lo <= value <= hi:
            raise InvalidParameterError(
                week.name,
                value,
                f"{season} {season_type} weeks run from {lo} to {hi}",
                endpoint=self.name,
            )

    def season_segment(self, values: Mapping[str, Any], *, for_path: bool) -> str:
        season = values["season"]
        if not self.typed_season:
            return str(season)
        season_type = values.get("season_type", "REG")
        if season_type == "REG" and not for_path:
            return str(season)
        return f"{season}{season_type}"

    def build_key(self, values: Mapping[str, Any]) -> str:
        segments = [self._segment(p, values) for p in self.key_params]
        return ":".join([self.name, *segments]) if segments else self.name

    def _segment(self, param: Param, values: Mapping[str, Any], *, for_path: bool = False) -> str:
        if param.kind is ParamKind.SEASON:
            return self.season_segment(values, for_path=for_path)
        return str(values[param.name])

    def build_path(self, values: Mapping[str, Any]) -> str:
        if self.path is None:
            raise TypeError(f"{self.name} is assembled from other endpoints and has no path")
        filled = {
            p.path_name: self._segment(p, values, for_path=True)
            for p in self.params
            if p.path_name is not None
        }
        return self.path.format(**filled)

    def key_pattern(self, **fixed: Any) -> str:
        """A glob matching this endpoint's keys with some segments fixed, the rest ``*``.

        ``season`` is written as in keys (REG plain); pass ``season_type`` to choose another.
        """
        segments = []
        for param in self.key_params:
            if param.name in fixed:
                if param.kind is ParamKind.SEASON:
                    values = {"season": fixed["season"]}
                    values["season_type"] = fixed.get("season_type", "REG")
                    segments.append(_escape_glob(self.season_segment(values, for_path=False)))
                else:
                    segments.append(_escape_glob(str(fixed[param.name])))
            else:
                segments.append("*")
        return ":".join([self.name, *segments]) if segments else self.name

    def takes(self, kind: ParamKind) -> Param | None:
        """The first parameter of ``kind``, if any."""
        return next((p for p in self.params if p.kind is kind), None)


def _escape_glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


# -- parameters --------------------------------------------------------------------------------
def _season(typed: bool = True) -> tuple[Param, ...]:
    season = Param("season", ParamKind.SEASON, "season")
    return (
        (season, Param("season_type", ParamKind.SEASON_TYPE, None, "REG")) if typed else (season,)
    )


_WEEK = Param("week", ParamKind.WEEK, "week")
_TEAM = Param("team", ParamKind.TEAM, "team")
_PLAYER = Param("player_id", ParamKind.ID, "playerid")
_SCORE = Param("score_id", ParamKind.ID, "scoreid")
_ALTERNATE = Param("include_alternate", ParamKind.BOOL, None, False)


def _filter_alternates(payload: Any, values: Mapping[str, Any]) -> Any:
    """Drop outcomes with ``IsAlternate == true`` unless ``include_alternate`` was asked for."""
    if values.get("include_alternate") or not isinstance(payload, list):
        return payload
    out = []
    for market in payload:
        if isinstance(market, dict) and isinstance(market.get("BettingOutcomes"), list):
            outcomes = [o for o in market["BettingOutcomes"] if not o.get("IsAlternate")]
            market = {**market, "BettingOutcomes": outcomes}
        out.append(market)
    return out


def _season_param_order(season_typed: bool, *rest: Param) -> tuple[Param, ...]:
    base = _season(season_typed)
    # season first, then the rest, then season_type (keyword, default REG) last.
    return (base[0], *rest, *base[1:])


_ODDS = "/v3/nfl/odds/json"
_SCORES = "/v3/nfl/scores/json"
_STATS = "/v3/nfl/stats/json"
_PBP = "/v3/nfl/pbp/json"

_ROWS: list[Endpoint] = [
    # -- reference data ----------------------------------------------------------------------
    Endpoint(
        "teams",
        "get_teams",
        f"{_SCORES}/Teams/{{season}}",
        _season(False),
        CacheDataType.TEAMS,
        "Team",
        "list",
        "Teams of a season, with coaches and stadium.",
    ),
    Endpoint(
        "stadiums",
        "get_stadiums",
        f"{_SCORES}/Stadiums",
        (),
        CacheDataType.REFERENCE,
        "Stadium",
        "list",
        "Every stadium.",
    ),
    Endpoint(
        "current_season",
        "get_current_season",
        f"{_SCORES}/CurrentSeason",
        (),
        CacheDataType.TIMEFRAMES,
        "int",
        "scalar",
        "The current season's year.",
    ),
    Endpoint(
        "current_week",
        "get_current_week",
        f"{_SCORES}/CurrentWeek",
        (),
        CacheDataType.TIMEFRAMES,
        "int",
        "scalar",
        "The current week (null off-season).",
    ),
    Endpoint(
        "byes",
        "get_byes",
        f"{_SCORES}/Byes/{{season}}",
        _season(),
        CacheDataType.SCHEDULES,
        "Bye",
        "list",
        "Bye weeks of every team.",
    ),
    Endpoint(
        "schedules",
        "get_schedules",
        f"{_SCORES}/Schedules/{{season}}",
        _season(),
        CacheDataType.SCHEDULES,
        "Schedule",
        "list",
        "The season's full schedule.",
    ),
    Endpoint(
        "standings",
        "get_standings",
        f"{_SCORES}/Standings/{{season}}",
        _season(),
        CacheDataType.STANDINGS,
        "Standing",
        "list",
        "Standings of every team.",
    ),
    Endpoint(
        "players",
        "get_players",
        f"{_SCORES}/Players/{{team}}",
        (_TEAM,),
        CacheDataType.PLAYERS,
        "PlayerDetail",
        "list",
        "A team's roster.",
    ),
    Endpoint(
        "player",
        "get_player_details_by_player",
        f"{_SCORES}/Player/{{playerid}}",
        (_PLAYER,),
        CacheDataType.PLAYERS,
        "PlayerDetail",
        "object",
        "One player's details.",
    ),
    Endpoint(
        "news",
        "get_news",
        f"{_SCORES}/News",
        (),
        CacheDataType.NEWS,
        "News",
        "list",
        "The latest news items.",
    ),
    Endpoint(
        "news_by_team",
        "get_news_by_team",
        f"{_SCORES}/NewsByTeam/{{team}}",
        (_TEAM,),
        CacheDataType.NEWS,
        "News",
        "list",
        "The latest news of one team.",
    ),
    Endpoint(
        "news_by_player",
        "get_news_by_player",
        f"{_SCORES}/NewsByPlayerID/{{playerid}}",
        (_PLAYER,),
        CacheDataType.NEWS,
        "News",
        "list",
        "The latest news of one player.",
    ),
    Endpoint(
        "depth_charts",
        "get_depth_charts",
        f"{_SCORES}/DepthCharts",
        (),
        CacheDataType.DEPTH_CHARTS,
        "TeamDepthChart",
        "list",
        "Every team's depth chart.",
    ),
    # -- games and team stats ----------------------------------------------------------------
    Endpoint(
        "scores",
        "get_scores_by_week",
        f"{_SCORES}/ScoresByWeek/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.SCORES,
        "Score",
        "list",
        "Games of a week, live and final.",
    ),
    Endpoint(
        "team_season_stats",
        "get_team_season_stats",
        f"{_SCORES}/TeamSeasonStats/{{season}}",
        _season(),
        CacheDataType.SEASON_STATS,
        "TeamSeason",
        "list",
        "Season totals of every team.",
    ),
    Endpoint(
        "team_game_stats",
        "get_team_game_stats_by_week",
        f"{_SCORES}/TeamGameStats/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.GAME_STATS,
        "TeamGame",
        "list",
        "Team stats of every game of a week.",
    ),
    # -- player stats, box scores, injuries --------------------------------------------------
    Endpoint(
        "injuries",
        "get_injuries_by_week",
        f"{_STATS}/Injuries/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.INJURIES,
        "Injury",
        "list",
        "The injury report of a week.",
    ),
    Endpoint(
        "box_scores",
        "get_box_scores_by_week",
        f"{_STATS}/BoxScoresFinal/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.GAME_STATS,
        "BoxScoreV3",
        "list",
        "Box scores of a week's games.",
    ),
    Endpoint(
        "box_score",
        "get_box_score",
        f"{_STATS}/BoxScoreByScoreIDV3/{{scoreid}}",
        (_SCORE,),
        CacheDataType.GAME_STATS,
        "BoxScoreV3",
        "object",
        "One game's box score.",
    ),
    Endpoint(
        "player_game_stats",
        "get_player_game_stats_by_week",
        f"{_STATS}/PlayerGameStatsByWeek/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.PLAYER_GAME_STATS,
        "PlayerGame",
        "list",
        "Every player's stats for each game of a week.",
    ),
    Endpoint(
        "player_season_stats",
        "get_player_season_stats",
        f"{_STATS}/PlayerSeasonStats/{{season}}",
        _season(),
        CacheDataType.SEASON_STATS,
        "PlayerSeason",
        "list",
        "Every player's season totals.",
    ),
    # -- play-by-play ---------------------------------------------------------------------------
    Endpoint(
        "play_by_play",
        "get_play_by_play",
        f"{_PBP}/PlayByPlay/{{gameid}}",
        (Param("game_id", ParamKind.ID, "gameid"),),
        CacheDataType.PLAY_BY_PLAY,
        "PlayByPlay",
        "object",
        "Every play of one game.",
    ),
    # -- odds and betting ----------------------------------------------------------------------
    Endpoint(
        "odds",
        "get_pregame_odds_by_week",
        f"{_ODDS}/GameOddsByWeek/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.ODDS,
        "GameInfo",
        "list",
        "Pre-game odds of a week's games, by sportsbook.",
    ),
    Endpoint(
        "live_odds",
        "get_live_odds_by_week",
        f"{_ODDS}/LiveGameOddsByWeek/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.ODDS,
        "GameInfo",
        "list",
        "In-game odds of a week's games.",
    ),
    Endpoint(
        "line_movement",
        "get_line_movement",
        f"{_ODDS}/GameOddsLineMovement/{{scoreid}}",
        (_SCORE,),
        CacheDataType.ODDS,
        "GameInfo",
        "list",
        "Odds history of one game.",
    ),
    Endpoint(
        "betting_events",
        "get_betting_events",
        f"{_ODDS}/BettingEvents/{{season}}",
        _season(False),
        CacheDataType.BETTING,
        "BettingEvent",
        "list",
        "Betting events (games and futures) of a season.",
    ),
    Endpoint(
        "betting_markets",
        "get_betting_markets_by_game",
        f"{_ODDS}/BettingMarketsByScoreID/{{scoreid}}",
        (_SCORE,),
        CacheDataType.BETTING,
        "BettingMarket",
        "list",
        "Every betting market of one game.",
    ),
    Endpoint(
        "player_props_game",
        "get_player_props_by_game",
        f"{_ODDS}/BettingPlayerPropsByScoreID/{{scoreid}}",
        (
            Param("season", ParamKind.SEASON),
            _WEEK,
            _SCORE,
            _ALTERNATE,
            Param("season_type", ParamKind.SEASON_TYPE, None, "REG"),
        ),
        CacheDataType.PLAYER_PROPS,
        "BettingMarket",
        "list",
        "Sportsbook player props of one game (season and week place it in the cache).",
        transform=_filter_alternates,
    ),
    Endpoint(
        "generated_props",
        "get_generated_props_by_week",
        f"{_ODDS}/PlayerPropsByWeek/{{season}}/{{week}}",
        _season_param_order(True, _WEEK),
        CacheDataType.PLAYER_PROPS,
        "PlayerProp",
        "list",
        "Legacy generated player props of a week.",
    ),
]


async def _assemble_props_week(call: BoundCall, fetch: Fetch) -> list[Any]:
    """A props week: the week's ScoreIDs (from ``scores``), then each game's props in order."""
    values = call.values
    season, week, season_type = values["season"], values["week"], values["season_type"]
    scores = await fetch(SCORES.bind(season, week, season_type=season_type))
    score_ids = sorted(
        {g["ScoreID"] for g in scores or [] if isinstance(g, dict) and g.get("ScoreID")}
    )
    parts = await asyncio.gather(
        *(
            fetch(
                PLAYER_PROPS_GAME.bind(
                    season, week, sid, values["include_alternate"], season_type=season_type
                )
            )
            for sid in score_ids
        )
    )
    return [market for part in parts for market in (part or [])]


SCORES = next(e for e in _ROWS if e.name == "scores")
PLAYER_PROPS_GAME = next(e for e in _ROWS if e.name == "player_props_game")

_ROWS.append(
    Endpoint(
        "player_props",
        "get_player_props_by_week",
        None,
        (
            Param("season", ParamKind.SEASON),
            _WEEK,
            _ALTERNATE,
            Param("season_type", ParamKind.SEASON_TYPE, None, "REG"),
        ),
        CacheDataType.PLAYER_PROPS,
        "BettingMarket",
        "list",
        "Sportsbook player props of every game of a week (assembled from the games).",
        assembler=_assemble_props_week,
    )
)

#: Every registered endpoint by name.
ENDPOINTS: Mapping[str, Endpoint] = {e.name: e for e in _ROWS}


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
                checked = _validate(param, value, "argument")
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
