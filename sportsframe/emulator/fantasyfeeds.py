"""Fantasy views of the stats feed: fantasy game points, team defences, red-zone and third-down
splits, and league ownership.

Every record is derived from the same played lines as the stats feed (or, for ownership, from
the week's projections), with the same ids. A split (red zone, inside the ten or the five, third
down) is a fixed share of the player's line, rounded: a smaller zone never holds more than a
larger one. Weeks the stats feed has nothing for answer ``[]`` here too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sportsframe.emulator.expected import fantasy_points
from sportsframe.emulator.projections import (
    Projections,
    defense_season_facts,
    points_allowed_score,
)
from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.statfeeds import StatFeeds
from sportsframe.emulator.statlines import player_rates
from sportsframe.emulator.world import SEASON_TYPE_CODE, Game, World
from sportsframe.league import TEAMS, Team

__all__ = ["SPLITS", "FantasyFeeds"]

#: Shares of a line inside a split: (volume, yards, touchdowns).
SPLITS: dict[str, tuple[float, float, float]] = {
    "red_zone": (0.15, 0.06, 0.80),
    "inside_ten": (0.07, 0.02, 0.60),
    "inside_five": (0.04, 0.01, 0.45),
    "third_down": (0.22, 0.20, 0.15),
}
_VOLUME = (
    "PassingAttempts", "PassingCompletions", "RushingAttempts", "ReceivingTargets", "Receptions",
    "PassingInterceptions", "PassingSacks",
)  # fmt: skip
_YARDS = ("PassingYards", "RushingYards", "ReceivingYards", "PassingSackYards")
_TDS = ("PassingTouchdowns", "RushingTouchdowns", "ReceivingTouchdowns")
_CLEARED = ("PassingLong", "RushingLong", "ReceivingLong", "FieldGoalsLongestMade")


def split_line(record: Mapping[str, Any], split: str) -> dict[str, Any]:
    """``record`` (a PlayerGame or PlayerSeason) cut to one split's share, rates recomputed."""
    volume, yards, tds = SPLITS[split]
    out = dict(record)
    for names, share in ((_VOLUME, volume), (_YARDS, yards), (_TDS, tds)):
        for name in names:
            out[name] = float(round((record.get(name) or 0.0) * share))
    for name in _CLEARED:
        out[name] = 0.0
    out["Touchdowns"] = out["RushingTouchdowns"] + out["ReceivingTouchdowns"]
    out["OffensiveTouchdowns"] = out["Touchdowns"]
    counts = {k: v for k, v in out.items() if isinstance(v, float)}
    out.update(player_rates(counts))
    out.update(fantasy_points(counts))
    return out


class FantasyFeeds:
    """Fantasy and split payloads of one world's league."""

    def __init__(
        self, world: World, league: League, stats: StatFeeds, projections: Projections
    ) -> None:
        self.world = world
        self.league = league
        self.stats = stats
        self.projections = projections

    # -- splits ------------------------------------------------------------------------------
    def game_split(self, season: int, season_type: str, week: int, split: str) -> list[Any]:
        """PlayerGameRedZone[] of a week (``split``: red_zone, inside_ten, inside_five)."""
        return [
            fill("PlayerGameRedZone", split_line(r, split))
            for r in self.stats.player_games(season, season_type, week)
        ]

    def season_split(self, season: int, season_type: str, split: str) -> list[Any]:
        """PlayerSeasonRedZone[] or PlayerSeasonThirdDown[] of the season so far."""
        model = "PlayerSeasonThirdDown" if split == "third_down" else "PlayerSeasonRedZone"
        return [
            fill(model, split_line(r, split))
            for r in self.stats.player_seasons(season, season_type)
        ]

    # -- fantasy points by game --------------------------------------------------------------
    def fantasy_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """FantasyGame[] of a week: every played line's points."""
        out = []
        for r in self.stats.player_games(season, season_type, week):
            points = fantasy_points({k: v for k, v in r.items() if isinstance(v, float)})
            out.append(
                fill(
                    "FantasyGame",
                    {
                        **r,
                        **points,
                        "GameID": r["ScoreID"],
                        "FanDuelPosition": r["Position"],
                        "DraftKingsPosition": r["Position"],
                        "YahooPosition": r["Position"],
                    },
                )
            )
        return out

    # -- team defences -----------------------------------------------------------------------
    def defense_game(self, g: Game, team: Team) -> dict[str, Any]:
        """A team defence's FantasyDefenseGame so far in a started game."""
        result = self.league.result(g)
        mine = result.side(team.key)
        other = result.away if mine is result.home else result.home
        elapsed = self.league.elapsed(g)
        away, home = result.score_at(elapsed if elapsed < 1 else 2.0)
        allowed = away if team.key == g.home.key else home
        facts = _defense_counts(mine.lines.values(), allowed)
        facts["FantasyPointsAllowed"] = round(
            sum(line.get("FantasyPoints", 0.0) for line in other.lines.values()), 2
        )
        return fill(
            "FantasyDefenseGame",
            {
                **self.stats.identity(g, team),
                **facts,
                "Date": eastern(g.kickoff),
                "PlayerID": team.team_id,
                "FantasyDefenseID": g.score_id * 10 + int(team.key == g.home.key),
                "DraftKingsPosition": "DST",
                "FanDuelPosition": "D",
                "YahooPosition": "DEF",
            },
        )

    def defense_games(
        self, season: int, season_type: str, week: int, team: str | None = None
    ) -> list[dict[str, Any]]:
        """FantasyDefenseGame[] of the week's started games (or one team's)."""
        return [
            self.defense_game(g, t)
            for g in self.stats.played(season, season_type, week)
            for t in (g.away, g.home)
            if team is None or t.key == team
        ]

    def team_defense_game(self, season: int, season_type: str, week: int, team: str) -> Any:
        """One team defence's record of the week: its line so far, or (as a box score does for
        a game not yet started) the game's record with nothing counted. None on a bye."""
        for g in self.world.games(season, season_type, week):
            for t in (g.away, g.home):
                if t.key != team:
                    continue
                if self.stats.started(g):
                    return self.defense_game(g, t)
                return fill(
                    "FantasyDefenseGame",
                    {
                        **self.stats.identity(g, t),
                        "Date": eastern(g.kickoff),
                        "PlayerID": t.team_id,
                        "FantasyDefenseID": g.score_id * 10 + int(t.key == g.home.key),
                    },
                )
        return None

    def defense_seasons(
        self, season: int, season_type: str, team: str | None = None
    ) -> list[dict[str, Any]]:
        """FantasyDefenseSeason[] of the final games so far."""
        games: dict[str, list[dict[str, Any]]] = {t.key: [] for t in TEAMS}
        for g in self.world.season_games(season, season_type):
            if g.status(self.world.now) == "Final":
                for t in (g.away, g.home):
                    games[t.key].append(self.defense_game(g, t))
        out = []
        for t in TEAMS:
            if team is not None and t.key != team:
                continue
            rows = games[t.key]
            numbers = [k for k, v in (rows[0] if rows else {}).items() if _is_stat(k, v)]
            totals = {k: round(sum(r[k] or 0.0 for r in rows), 2) for k in numbers}
            out.append(
                fill(
                    "FantasyDefenseSeason",
                    {**totals, **defense_season_facts(t, season, season_type, len(rows))},
                )
            )
        return out

    # -- ownership ---------------------------------------------------------------------------
    def _owned(self, season: int, season_type: str, week: int) -> dict[int, tuple[float, float]]:
        out = {}
        for r in self.projections.player_games(season, season_type, week):
            ppr = r["FantasyPointsPPR"]
            owned = round(min(99.5, 100 * (1 - math.exp(-ppr / 7))), 1)
            out[r["PlayerID"]] = (owned, round(owned * min(1.0, ppr / 14), 1))
        return out

    def ownership(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """PlayerOwnership[] of a projected week: rostered and started shares from projections."""
        now = self._owned(season, season_type, week)
        before = self._owned(season, season_type, week - 1) if week > 1 else {}
        out = []
        for pid, (owned, started) in now.items():
            p = self.world.players[pid]
            was_owned, was_started = before.get(pid, (owned, started))
            out.append(
                fill(
                    "PlayerOwnership",
                    {
                        "PlayerID": pid,
                        "Season": season,
                        "SeasonType": SEASON_TYPE_CODE[season_type],
                        "Week": week,
                        "Name": p.name,
                        "Position": p.position,
                        "Team": p.team.key,
                        "TeamID": p.team.team_id,
                        "OwnershipPercentage": owned,
                        "DeltaOwnershipPercentage": round(owned - was_owned, 1),
                        "StartPercentage": started,
                        "DeltaStartPercentage": round(started - was_started, 1),
                    },
                )
            )
        return out


def _is_stat(name: str, value: Any) -> bool:
    return isinstance(value, float) and name not in ("FantasyDefenseID",)


def _defense_counts(lines: Any, allowed: int) -> dict[str, float]:
    def total(stat: str) -> float:
        """The lines' sum of ``stat``."""
        return float(sum(line.get(stat, 0.0) for line in lines))

    sacks, picks = total("Sacks"), total("Interceptions")
    points = float(sacks + 2 * picks + points_allowed_score(allowed))
    return {
        "PointsAllowed": float(allowed),
        "Sacks": sacks,
        "SackYards": total("SackYards"),
        "Interceptions": picks,
        "SoloTackles": total("SoloTackles"),
        "AssistedTackles": total("AssistedTackles"),
        "FantasyPoints": points,
        "FantasyPointsDraftKings": points,
        "FantasyPointsFanDuel": points,
        "FantasyPointsYahoo": points,
    }
