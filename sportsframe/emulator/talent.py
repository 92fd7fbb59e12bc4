"""Talent: how good each team and player is in a season, and the role each player has.

Team strength is points above or below an average offence and defence; a player's talent scales
his efficiency (catch rate, yards per catch or carry) and orders his position group, which gives
his role (share of the targets and carries). Everything is drawn from named random streams, so a
seed and a season always give the same league.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sportsframe.emulator.world import Player, World, stream
from sportsframe.league import TEAMS

__all__ = [
    "CARRY_SHARES",
    "HOME_EDGE",
    "LEAGUE_POINTS",
    "TARGET_SHARES",
    "PlayerTalent",
    "SeasonTalent",
    "TeamStrength",
]

#: Points an average offence scores against an average defence on a neutral field.
LEAGUE_POINTS = 22.0
#: Points the home side gains (and the visitor loses): about 1.8 points of margin.
HOME_EDGE = 0.9

# Shares of a team's targets and carries by depth slot (1 = starter). A player who does not
# play gives his share to the others in proportion, as a coach would by moving the next man up.
TARGET_SHARES: dict[tuple[str, int], float] = {
    ("WR", 1): 0.23,
    ("WR", 2): 0.18,
    ("WR", 3): 0.12,
    ("WR", 4): 0.04,
    ("TE", 1): 0.16,
    ("TE", 2): 0.05,
    ("RB", 1): 0.10,
    ("RB", 2): 0.06,
    ("FB", 1): 0.01,
}
CARRY_SHARES: dict[tuple[str, int], float] = {
    ("RB", 1): 0.56,
    ("RB", 2): 0.26,
    ("RB", 3): 0.04,
    ("FB", 1): 0.02,
    ("QB", 1): 0.11,
    ("WR", 1): 0.01,
}
# Base efficiency by position: catch rate and yards per reception or carry.
_CATCH = {"WR": 0.64, "TE": 0.70, "RB": 0.78, "FB": 0.75}
_PER_CATCH = {"WR": 11.6, "TE": 9.8, "RB": 7.0, "FB": 6.0}
_PER_CARRY = {"RB": 4.3, "FB": 3.2, "QB": 5.0, "WR": 6.5}


@dataclass(frozen=True, slots=True)
class TeamStrength:
    """A team's season ratings, in points against the league average."""

    offense: float  # points scored above average
    defense: float  # points allowed below average
    pass_lean: float  # pass attempts above the league's rate
    accuracy: float  # the starting passer's completion multiplier


@dataclass(frozen=True, slots=True)
class PlayerTalent:
    """One player's season talent and the depth slot it earns him."""

    player: Player
    rating: float  # about N(0, 1)
    depth: int  # 1 = starter in his position group

    @property
    def catch_rate(self) -> float:
        return _CATCH.get(self.player.position, 0.6) * (1 + 0.05 * self.rating)

    @property
    def per_catch(self) -> float:
        return _PER_CATCH.get(self.player.position, 8.0) * (1 + 0.08 * self.rating)

    @property
    def per_carry(self) -> float:
        return _PER_CARRY.get(self.player.position, 3.5) * (1 + 0.07 * self.rating)


class SeasonTalent:
    """The league's ratings and depth for one season (built on first use)."""

    def __init__(self, world: World, season: int) -> None:
        self.world = world
        self.season = season

    @cached_property
    def teams(self) -> dict[str, TeamStrength]:
        out = {}
        for team in TEAMS:
            rnd = stream(self.world.seed, self.season, "strength", team.key)
            out[team.key] = TeamStrength(
                offense=rnd.gauss(0, 3.6),
                defense=rnd.gauss(0, 3.0),
                pass_lean=rnd.gauss(0, 2.5),
                accuracy=1 + rnd.gauss(0, 0.03),
            )
        return out

    @cached_property
    def players(self) -> dict[int, PlayerTalent]:
        return {t.player.player_id: t for chart in self._charts.values() for t in chart}

    @cached_property
    def _charts(self) -> dict[str, list[PlayerTalent]]:
        out: dict[str, list[PlayerTalent]] = {}
        for team in TEAMS:
            # One stream per team: a rating per player in roster order.
            rnd = stream(self.world.seed, self.season, "talent", team.key)
            groups: dict[str, list[tuple[float, Player]]] = {}
            for p in self.world.roster(team.key):
                groups.setdefault(p.position, []).append((rnd.gauss(0, 1), p))
            chart = []
            for position in sorted(groups):
                members = sorted(groups[position], key=lambda m: (-m[0], m[1].player_id))
                chart += [PlayerTalent(p, r, depth) for depth, (r, p) in enumerate(members, 1)]
            out[team.key] = chart
        return out

    def depth_chart(self, team_key: str) -> list[PlayerTalent]:
        """The team's players by position group, starters first."""
        return self._charts[team_key]

    def expected_points(self, team_key: str, opponent_key: str, home: bool) -> float:
        """The points a team is expected to score, from both teams' ratings and the venue."""
        team, opp = self.teams[team_key], self.teams[opponent_key]
        edge = HOME_EDGE if home else -HOME_EDGE
        return max(LEAGUE_POINTS + team.offense - opp.defense + edge, 8.0)
