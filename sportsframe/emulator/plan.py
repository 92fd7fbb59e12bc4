"""The game plan: what each side of a game is expected to do, before it is played.

A plan holds the inputs the simulation draws from (expected points, drives, passing and rushing
volume, each active player's share and efficiency) and is also all a sportsbook knows: the lines
are set from the plan, never from the result. Who plays comes from the injury report.
"""

from __future__ import annotations

from dataclasses import dataclass

from sportsframe.emulator.injuries import Availability
from sportsframe.emulator.talent import (
    CARRY_SHARES,
    LEAGUE_POINTS,
    TARGET_SHARES,
    PlayerTalent,
    SeasonTalent,
)
from sportsframe.emulator.world import Game
from sportsframe.league import Team

__all__ = [
    "DRIVES",
    "FG_GOOD",
    "MARGIN_SD",
    "STARTERS",
    "XP_GOOD",
    "GamePlan",
    "SidePlan",
    "pass_volume",
    "plan_game",
    "rush_volume",
]

DRIVES = 11  # possessions per team per game
FG_GOOD = 0.86
XP_GOOD = 0.95
#: The spread of a game's final margin around its expectation (points), as the book models it.
MARGIN_SD = 13.5
#: Starters per position group (the rest of the group is depth).
STARTERS = {
    "QB": 1, "RB": 1, "FB": 1, "WR": 3, "TE": 1, "OT": 2, "G": 2, "C": 1, "DE": 2, "DT": 2,
    "LB": 3, "CB": 2, "S": 2, "K": 1, "P": 1, "LS": 1,
}  # fmt: skip
_TD_SHARE = 0.72  # of a side's points that come from touchdowns (the rest from field goals)


def pass_volume(lean: float, margin: float) -> float:
    """Expected pass attempts: a trailing side throws more (game script)."""
    return 33.0 + lean - 0.33 * margin


def rush_volume(lean: float, margin: float) -> float:
    """Expected rushing attempts: a leading side runs the clock."""
    return 26.0 - 0.5 * lean + 0.28 * margin


@dataclass(frozen=True, slots=True)
class SidePlan:
    """One side's expectations: scoring, volume and the active players' roles."""

    team: Team
    points: float  # expected points
    p_td: float  # chance a drive ends in a touchdown
    p_fga: float  # chance a drive ends in a field-goal try
    pass_td_share: float  # share of touchdowns that are passes
    lean: float  # pass attempts above the league's rate
    accuracy: float  # the passer's completion multiplier
    defense_factor: float  # the opponent defence's effect on yards per play
    active: tuple[PlayerTalent, ...]  # every player who plays, by position group and depth
    targets: dict[int, float]  # player id -> share of targets
    carries: dict[int, float]  # player id -> share of carries

    @property
    def passer(self) -> PlayerTalent | None:
        return next((t for t in self.active if t.player.position == "QB"), None)

    def starters(self) -> set[int]:
        """Ids of the active players who start (the first at each slot of their group)."""
        seen: dict[str, int] = {}
        out = set()
        for t in self.active:
            pos = t.player.position
            seen[pos] = seen.get(pos, 0) + 1
            if seen[pos] <= STARTERS.get(pos, 0):
                out.add(t.player.player_id)
        return out

    def talent(self, player_id: int) -> PlayerTalent:
        return next(t for t in self.active if t.player.player_id == player_id)


@dataclass(frozen=True, slots=True)
class GamePlan:
    """Both sides' plans for one game."""

    game: Game
    away: SidePlan
    home: SidePlan

    @property
    def home_margin(self) -> float:
        """Expected home points minus away points."""
        return self.home.points - self.away.points

    @property
    def total(self) -> float:
        return self.home.points + self.away.points


def _shares(active: list[PlayerTalent], table: dict[tuple[str, int], float]) -> dict[int, float]:
    # The k-th active player of a group takes slot k: the next man up inherits a share.
    rank: dict[str, int] = {}
    raw: dict[int, float] = {}
    for t in active:
        pos = t.player.position
        rank[pos] = rank.get(pos, 0) + 1
        share = table.get((pos, rank[pos]), 0.0)
        if share > 0:
            raw[t.player.player_id] = share
    total = sum(raw.values())
    return {pid: share / total for pid, share in raw.items()}


def _side(
    talent: SeasonTalent, availability: Availability, game: Game, team: Team, opp: Team
) -> SidePlan:
    out = availability.out(game.week, team.key)
    active = [t for t in talent.depth_chart(team.key) if t.player.player_id not in out]
    strength = talent.teams[team.key]
    points = talent.expected_points(team.key, opp.key, team.key == game.home.key)
    qb = next((t for t in active if t.player.position == "QB"), None)
    if qb is not None and qb.depth > 1:
        points -= 3.0  # a backup passer costs his side a field goal
    td = points * _TD_SHARE / (DRIVES * (6 + XP_GOOD))
    fga = points * (1 - _TD_SHARE) / (DRIVES * 3 * FG_GOOD)
    opp_defense = talent.teams[opp.key].defense
    return SidePlan(
        team=team,
        points=points,
        p_td=td,
        p_fga=fga,
        pass_td_share=min(max(0.64 + 0.015 * strength.pass_lean, 0.45), 0.75),
        lean=strength.pass_lean,
        accuracy=strength.accuracy * (1 + 0.02 * (qb.rating if qb else 0.0)),
        defense_factor=1 - opp_defense / LEAGUE_POINTS * 0.4,
        active=tuple(active),
        targets=_shares(active, TARGET_SHARES),
        carries=_shares(active, CARRY_SHARES),
    )


def plan_game(talent: SeasonTalent, availability: Availability, game: Game) -> GamePlan:
    """The plan of ``game`` from the season's talent and the week's injury report."""
    return GamePlan(
        game,
        _side(talent, availability, game, game.away, game.home),
        _side(talent, availability, game, game.home, game.away),
    )
