"""Cache data types, their TTLs (the cache spec's table) and the freshness rules.

The TTL table is the spec's; data types the spec does not name fall back to CACHE_DEFAULT_TTL.
Freshness rules may *lengthen* a TTL where the data can no longer change (every game in the payload
is final and closed, every stats line in it is of a game over and past its stat corrections, or the
season is long over); they never shorten live data below the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "FINAL_TTL",
    "PAST_SEASON_TTL",
    "STATS_SETTLED_AFTER",
    "TTL_POLICIES",
    "CacheDataType",
    "Coverage",
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

#: How long after kickoff a stats line (a record with ``IsGameOver`` but no game ``Status``:
#: player, team and fantasy-defense game lines) may still change. The NFL issues a week's stat
#: corrections in one batch, usually the Wednesday or Thursday after the week's Monday game, so a
#: Thursday-night game's numbers can move for about eight days; 10 days leaves a margin for a late
#: batch. It also keeps a week's payload from being judged before the week is complete: a week's
#: games are at most about three days apart, and a payload lists only the games already played,
#: so once its newest line is this old, no game of that week is missing from it.
STATS_SETTLED_AFTER = timedelta(days=10)

_FINAL_STATUSES = frozenset({"Final", "F/OT", "Canceled", "Forfeit"})
# A stats line's kickoff, in the fields its models use (PlayerGame: GameDate, TeamGame and
# FantasyDefenseGame: Date; all three: DateTime); ``Day`` is the kickoff's date at midnight.
_KICKOFF_FIELDS = ("DateTime", "GameDate", "Date")
_DAY_FIELD = "Day"
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


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which games a call's payload covers, as far as the freshness rules need to know.

    ``fixed``: the call names its games (a week, a date, one game), so its payload cannot gain
    games long after its newest one; a season's log gains one every week. ``final_only``: the
    operation lists only the games final so far (SportsDataIO's "...Final" feeds of a week, a
    date or a season), so that every game listed is final says nothing of the games to come.
    A bare key (no call) covers nothing known: ``Coverage()``.
    """

    fixed: bool = False
    final_only: bool = False


@cache
def _eastern() -> ZoneInfo:
    """SportsDataIO writes wall-clock US Eastern times without an offset
    ("2024-11-10T13:00:00"); the zone is read on first use, not at import."""
    return ZoneInfo("America/New_York")


def _moment(value: Any) -> datetime | None:
    """A payload's date value as an aware datetime (naive values are US Eastern); else None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=_eastern())


def _kickoff(record: Mapping[str, Any]) -> datetime | None:
    """The latest kickoff a stats line's date fields allow (None when it has none).

    The latest, so that a record whose fields disagree is judged by its youngest reading; a bare
    ``Day`` counts as the end of that day, since the game may have started late on it.
    """
    moments = [_moment(record[f]) for f in _KICKOFF_FIELDS if f in record]
    if _DAY_FIELD in record and (day := _moment(record[_DAY_FIELD])) is not None:
        moments.append(day + timedelta(days=1))
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _is_stats_line(record: Mapping[str, Any]) -> bool:
    """A record of one game's stats without a game Status: it says ``IsGameOver`` or a date."""
    return (
        "IsGameOver" in record or _DAY_FIELD in record or any(f in record for f in _KICKOFF_FIELDS)
    )


def _settled_stats_line(record: Mapping[str, Any], now: datetime) -> bool:
    """The line's game is over and was played longer than ``STATS_SETTLED_AFTER`` ago."""
    if record.get("IsGameOver") is not True:
        return False
    kickoff = _kickoff(record)
    return kickoff is not None and _settled(kickoff, now)


def _settled(kickoff: datetime, now: datetime) -> bool:
    """A game that kicked off then is past its stat corrections at ``now``."""
    if now.tzinfo is None:  # clocks give aware UTC times; a naive one is taken as UTC
        now = now.replace(tzinfo=UTC)
    return now - kickoff > STATS_SETTLED_AFTER


def is_final_payload(
    payload: Any, *, now: datetime | None = None, final_only: bool = False
) -> bool:
    """True when the payload describes games and every one of them is final: it cannot change.

    A game record (one with a ``Status`` or ``IsClosed``) is final when its status is final and
    it is not open. A stats line (no ``Status``, but ``IsGameOver`` or a date: player, team and
    fantasy-defense game lines) is final when its game is over and kicked off more than
    :data:`STATS_SETTLED_AFTER` before ``now``; without ``now`` no stats line is final. Every
    record of either kind must be final; records of neither kind (props, injuries) are not
    looked at, and a payload with none of either kind is never final. With ``final_only`` (the
    payload lists only the games final so far) game records are final only once the newest of
    them kicked off more than :data:`STATS_SETTLED_AFTER` before ``now``: by then none of the
    call's games can still be to come.
    """
    records = _game_records(payload)
    games = [r for r in records if "Status" in r or "IsClosed" in r]
    lines = [r for r in records if "Status" not in r and "IsClosed" not in r and _is_stats_line(r)]
    if not games and not lines:
        return False
    for record in games:
        status = record.get("Status")
        if status not in _FINAL_STATUSES:
            return False
        if record.get("IsClosed") is False:
            return False
    if final_only and games:
        kickoffs = [_kickoff(r) for r in games]
        known = [k for k in kickoffs if k is not None]
        if now is None or len(known) < len(kickoffs) or not _settled(max(known), now):
            return False
    return all(now is not None and _settled_stats_line(r, now) for r in lines)


def effective_ttl(
    data_type: CacheDataType,
    *,
    default_ttl: int,
    payload: Any = None,
    season: int | None = None,
    now: datetime | None = None,
    coverage: Coverage = Coverage(),
) -> int:
    """The TTL (seconds) to store a payload with: the table's, lengthened by the freshness rules.

    ``coverage`` says which games the payload covers. Only a call that names its games (a
    week, a date or one game) may be made final by its stats lines, since its payload cannot
    gain games later than ``STATS_SETTLED_AFTER`` after its newest one; a game log (a player's
    or team's games of a season so far) gains a game every week, however old its newest line
    is. A listing of the games final so far is final only once its newest game is settled.
    """
    ttl = TTL_POLICIES.get(data_type, default_ttl)
    if now is not None and season is not None and is_past_season(season, now):
        ttl = max(ttl, PAST_SEASON_TTL)
    if data_type in _GAME_BOUND and is_final_payload(
        payload, now=now if coverage.fixed else None, final_only=coverage.final_only
    ):
        ttl = max(ttl, FINAL_TTL)
    return ttl
