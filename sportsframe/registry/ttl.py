"""Cache data types, their TTLs (the cache spec's table) and the freshness rules.

The TTL table is the spec's; data types the spec does not name fall back to CACHE_DEFAULT_TTL.
Freshness rules may *lengthen* a TTL where the data can no longer change (every game in the payload
is final and closed, or the season is long over); they never shorten live data below the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

__all__ = [
    "FINAL_TTL",
    "PAST_SEASON_TTL",
    "TTL_POLICIES",
    "CacheDataType",
    "effective_ttl",
    "is_final_payload",
    "is_past_season",
]


class CacheDataType(Enum):
    """Data types with their own TTL policy (the spec's nine, then sportsframe's additions)."""

    TEAMS = "teams"
    SCHEDULES = "schedules"
    PLAYERS = "players"
    PLAYER_PROPS = "player_props"
    INJURIES = "injuries"
    ODDS = "odds"
    PLAY_BY_PLAY = "play_by_play"
    GAME_STATS = "game_stats"
    PLAYER_GAME_STATS = "player_game_stats"
    # Not in the spec's table: CACHE_DEFAULT_TTL applies.
    SCORES = "scores"
    SEASON_STATS = "season_stats"
    STANDINGS = "standings"
    NEWS = "news"
    DEPTH_CHARTS = "depth_charts"
    REFERENCE = "reference"
    BETTING = "betting"
    TIMEFRAMES = "timeframes"
    # Data types of the operations the official specs added, each with its own TTL.
    PROJECTIONS = "projections"
    DFS = "dfs"
    TRENDS = "trends"
    DELTA = "delta"
    SIMULATION = "simulation"


TTL_POLICIES: Mapping[CacheDataType, int] = {
    CacheDataType.TEAMS: 60 * 60 * 24 * 7,
    CacheDataType.SCHEDULES: 60 * 60 * 24,
    CacheDataType.PLAYERS: 60 * 60 * 24,
    CacheDataType.PLAYER_PROPS: 60 * 5,
    CacheDataType.INJURIES: 60 * 15,
    CacheDataType.ODDS: 60 * 5,
    CacheDataType.PLAY_BY_PLAY: 60,
    CacheDataType.GAME_STATS: 60 * 60,
    CacheDataType.PLAYER_GAME_STATS: 60 * 60,
    # sportsframe's additions (the README's TTL table says why).
    CacheDataType.PROJECTIONS: 60 * 60,  # re-projected a few times a day, more on game days
    CacheDataType.DFS: 60 * 60,  # slates and salaries are set days ahead; ownership drifts
    CacheDataType.TRENDS: 60 * 60 * 6,  # computed from completed games: move once a week
    CacheDataType.DELTA: 30,  # "changed in the last N minutes": stale within a minute
    CacheDataType.SIMULATION: 60 * 60 * 24,  # a replay of a fixed game: never changes
}

#: TTL of a payload whose games are all final and closed: the numbers cannot change any more.
FINAL_TTL = 60 * 60 * 24 * 30
#: TTL of any payload of a season that ended (a season's games end by March of the next year).
PAST_SEASON_TTL = 60 * 60 * 24 * 90

_FINAL_STATUSES = frozenset({"Final", "F/OT", "Canceled", "Forfeit"})
# Data types whose payload stays true once the games are over. Props, odds and injuries are
# snapshots of a market or a report: nothing new arrives for a past week, so they lengthen too.
_GAME_BOUND = frozenset(
    {
        CacheDataType.SCORES,
        CacheDataType.GAME_STATS,
        CacheDataType.PLAYER_GAME_STATS,
        CacheDataType.PLAY_BY_PLAY,
        CacheDataType.PLAYER_PROPS,
        CacheDataType.ODDS,
        CacheDataType.INJURIES,
    }
)


def is_past_season(season: int, now: datetime) -> bool:
    """True once the season (played Sept ``season`` to Feb ``season+1``) is over: from 1 April."""
    return (now.year, now.month) >= (season + 1, 4)


def _game_records(payload: Any) -> list[Mapping[str, Any]]:
    if isinstance(payload, Mapping):
        score = payload.get("Score")
        return [score] if isinstance(score, Mapping) else [payload]
    if isinstance(payload, list):
        out: list[Mapping[str, Any]] = []
        for item in payload:
            if isinstance(item, Mapping):
                score = item.get("Score")
                out.append(score if isinstance(score, Mapping) else item)
        return out
    return []


def is_final_payload(payload: Any) -> bool:
    """True when the payload describes games and every one of them is final and closed.

    Only records that carry a game ``Status`` count; a payload with none (props, injuries)
    is never final by this rule.
    """
    records = [r for r in _game_records(payload) if "Status" in r or "IsClosed" in r]
    if not records:
        return False
    for record in records:
        status = record.get("Status")
        if status not in _FINAL_STATUSES:
            return False
        if record.get("IsClosed") is False:
            return False
    return True


def effective_ttl(
    data_type: CacheDataType,
    *,
    default_ttl: int,
    payload: Any = None,
    season: int | None = None,
    now: datetime | None = None,
) -> int:
    """The TTL (seconds) to store a payload with: the table's, lengthened by the freshness rules."""
    ttl = TTL_POLICIES.get(data_type, default_ttl)
    if now is not None and season is not None and is_past_season(season, now):
        ttl = max(ttl, PAST_SEASON_TTL)
    if data_type in _GAME_BOUND and is_final_payload(payload):
        ttl = max(ttl, FINAL_TTL)
    return ttl
