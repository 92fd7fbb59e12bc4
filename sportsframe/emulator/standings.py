"""Standings from the simulated results: records, points, splits, streaks and ranks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sportsframe.emulator.records import fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import SEASON_TYPE_CODE, World
from sportsframe.league import TEAMS

__all__ = ["standings"]


@dataclass
class _Record:
    wins: int = 0
    losses: int = 0
    ties: int = 0
    points_for: int = 0
    points_against: int = 0
    touchdowns: int = 0
    splits: dict[str, list[int]] = field(default_factory=dict)  # name -> [w, l, t]
    results: list[int] = field(default_factory=list)  # +1 win, -1 loss, 0 tie

    def add(self, scored: int, allowed: int, touchdowns: int, splits: list[str]) -> None:
        outcome = (scored > allowed) - (scored < allowed)
        self.results.append(outcome)
        self.points_for += scored
        self.points_against += allowed
        self.touchdowns += touchdowns
        column = {1: 0, -1: 1, 0: 2}[outcome]
        for name in splits:
            self.splits.setdefault(name, [0, 0, 0])[column] += 1
        if outcome > 0:
            self.wins += 1
        elif outcome < 0:
            self.losses += 1
        else:
            self.ties += 1

    @property
    def percentage(self) -> float:
        games = self.wins + self.losses + self.ties
        return round((self.wins + self.ties / 2) / games, 3) if games else 0.0

    @property
    def streak(self) -> int:
        if not self.results or self.results[-1] == 0:
            return 0
        last, count = self.results[-1], 0
        for r in reversed(self.results):
            if r != last:
                break
            count += 1
        return count * last

    def split(self, name: str) -> list[int]:
        return self.splits.get(name, [0, 0, 0])


def standings(world: World, league: League, season: int, season_type: str) -> list[dict[str, Any]]:
    """Standings of every team from the games final at the world's now."""
    records = {t.key: _Record() for t in TEAMS}
    teams = {t.key: t for t in TEAMS}
    for g in world.season_games(season, season_type):
        if g.status(world.now) != "Final":
            continue
        result = league.result(g)
        for side, other, where in (
            (result.away, result.home, "Away"),
            (result.home, result.away, "Home"),
        ):
            team, opp = teams[side.plan.team.key], teams[other.plan.team.key]
            splits = [where]
            if team.conference == opp.conference:
                splits.append("Conference")
                if team.division == opp.division:
                    splits.append("Division")
            touchdowns = int(side.total("RushingTouchdowns") + side.total("ReceivingTouchdowns"))
            records[team.key].add(side.points, other.points, touchdowns, splits)

    def order(key: str) -> tuple[float, int]:
        r = records[key]
        return (-r.percentage, -(r.points_for - r.points_against))

    division_rank: dict[str, int] = {}
    conference_rank: dict[str, int] = {}
    for t in TEAMS:
        division = sorted(
            (u.key for u in TEAMS if (u.conference, u.division) == (t.conference, t.division)),
            key=order,
        )
        conference = sorted((u.key for u in TEAMS if u.conference == t.conference), key=order)
        division_rank[t.key] = division.index(t.key) + 1
        conference_rank[t.key] = conference.index(t.key) + 1
    out = []
    for t in TEAMS:
        r = records[t.key]
        facts: dict[str, Any] = {
            "SeasonType": SEASON_TYPE_CODE[season_type],
            "Season": season,
            "Conference": t.conference,
            "Division": t.division,
            "Team": t.key,
            "Name": t.name,
            "TeamID": t.team_id,
            "GlobalTeamID": t.team_id,
            "Wins": r.wins,
            "Losses": r.losses,
            "Ties": r.ties,
            "Percentage": r.percentage,
            "PointsFor": r.points_for,
            "PointsAgainst": r.points_against,
            "NetPoints": r.points_for - r.points_against,
            "Touchdowns": r.touchdowns,
            "DivisionRank": division_rank[t.key],
            "ConferenceRank": conference_rank[t.key],
            "Streak": r.streak,
        }
        for name in ("Division", "Conference", "Home", "Away"):
            wins, losses, ties = r.split(name)
            facts[f"{name}Wins"], facts[f"{name}Losses"], facts[f"{name}Ties"] = wins, losses, ties
        out.append(fill("Standing", facts))
    return out
