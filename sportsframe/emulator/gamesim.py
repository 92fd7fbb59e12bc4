"""Playing a game: the scoring, the team totals and every player's stat line.

A side's drives end in touchdowns, field goals or nothing, with chances from its plan and a
game-day form that also scales its yards, so points and yards go together. The final margin
sets the game script (a trailing side throws, a leading one runs). Each pass attempt goes to a
receiver by his share of the targets, each carry to a rusher by his share of the carries, and
the passer's lines are the sums of his receivers': a team's passing yards always equal its
players' receiving yards, its completions their receptions, its passing touchdowns their
receiving touchdowns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sportsframe.emulator.plan import (
    DRIVES,
    FG_GOOD,
    XP_GOOD,
    GamePlan,
    SidePlan,
    pass_volume,
    rush_volume,
)
from sportsframe.emulator.world import stream

__all__ = [
    "CARRY_SHAPE",
    "CARRY_SHIFT",
    "CATCH_SHAPE",
    "FANTASY",
    "FORM_SPREAD",
    "GameResult",
    "Scoreboard",
    "ScoringPlay",
    "SideResult",
    "scoreboard",
    "simulate",
]

FORM_SPREAD = 0.10  # a side's game-day form scales its yards by about ±10 %
CATCH_SHAPE = 1.6  # gamma shape of the yards of one catch (a long right tail)
CARRY_SHAPE = 1.2  # gamma shape of one carry's yards plus CARRY_SHIFT
CARRY_SHIFT = 2.5  # a carry can lose up to this many yards
_SACK_RATE = 0.065
_INT_RATE = 0.022
# Who makes the tackles, sacks and interceptions on defence (weights by position).
_TACKLERS = {"LB": 3.0, "S": 2.0, "CB": 1.6, "DE": 1.2, "DT": 1.0}
_RUSHERS = {"DE": 3.0, "DT": 1.5, "LB": 1.0}
_BALLHAWKS = {"CB": 2.0, "S": 2.0, "LB": 0.6}


@dataclass(frozen=True, slots=True)
class ScoringPlay:
    """One score: ``at`` is the share of regulation elapsed (above 1: overtime)."""

    team: str
    kind: str  # "pass" | "rush" | "fg"
    points: int
    at: float
    player_id: int | None  # the scorer (receiver, rusher or kicker)
    passer_id: int | None = None


@dataclass
class SideResult:
    """One side's result: points by quarter and every active player's counting stats."""

    plan: SidePlan
    quarters: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    overtime: int = 0
    lines: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Every snap in the order drawn: (play type, player id, passer id or 0, yards).
    plays: list[tuple[str, int, int, int]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(self.quarters) + self.overtime

    def total(self, stat: str) -> float:
        """The side's total of one counting stat (the sum of its players' lines)."""
        return sum(line.get(stat, 0.0) for line in self.lines.values())


@dataclass
class GameResult:
    """A played game: both sides and the scoring plays in order."""

    plan: GamePlan
    away: SideResult
    home: SideResult
    scoring: list[ScoringPlay]

    def side(self, team_key: str) -> SideResult:
        return self.home if team_key == self.home.plan.team.key else self.away

    def score_at(self, elapsed: float) -> tuple[int, int]:
        """(away, home) points after ``elapsed`` of regulation (1.0: the end of the 4th)."""
        away = sum(s.points for s in self.scoring if s.at <= elapsed and s.team == self.away_key)
        home = sum(s.points for s in self.scoring if s.at <= elapsed and s.team == self.home_key)
        return away, home

    @property
    def away_key(self) -> str:
        return self.away.plan.team.key

    @property
    def home_key(self) -> str:
        return self.home.plan.team.key


def _add(line: dict[str, float], stat: str, value: float) -> None:
    line[stat] = line.get(stat, 0.0) + value


def _longest(line: dict[str, float], stat: str, value: float) -> None:
    line[stat] = max(line.get(stat, 0.0), value)


def _drives(
    plan: SidePlan, form: float, offset: float, rnd: random.Random
) -> list[tuple[str, float]]:
    """The side's scoring drives as (kind, share of regulation elapsed).

    The sides alternate possessions: the visitors' i-th drive fills the first half of the
    i-th slot of the game (``offset`` 0), the home side's the second half (``offset`` 0.5).
    """
    p_td = min(plan.p_td * (1 + 1.5 * FORM_SPREAD * form), 0.6)
    scores = []
    for i in range(DRIVES):
        u = rnd.random()
        at = (i + offset + 0.5 * rnd.random()) / DRIVES
        if u < p_td:
            scores.append(("pass" if rnd.random() < plan.pass_td_share else "rush", at))
        elif u < p_td + plan.p_fga:
            scores.append(("fg" if rnd.random() < FG_GOOD else "miss", at))
    return scores


def _pick(rnd: random.Random, weights: dict[int, float]) -> int:
    ids = list(weights)
    return rnd.choices(ids, [weights[i] for i in ids])[0]


def _defenders(plan: SidePlan, table: dict[str, float]) -> dict[int, float]:
    starters = plan.starters()
    return {
        t.player.player_id: table[t.player.position]
        * (1.0 if t.player.player_id in starters else 0.3)
        for t in plan.active
        if t.player.position in table
    }


def _offense(
    side: SideResult, defense: SideResult, margin: int, form: float, rnd: random.Random
) -> None:
    plan = side.plan
    lines = side.lines
    passer = plan.passer
    yards_factor = plan.defense_factor * (1 + FORM_SPREAD * form)
    attempts = max(round(rnd.gauss(pass_volume(plan.lean, margin), 5.0)), 12)
    if passer is not None and plan.targets:
        qb = lines[passer.player.player_id]
        for _ in range(attempts):
            pid = _pick(rnd, plan.targets)
            receiver = plan.talent(pid)
            line = lines[pid]
            _add(line, "ReceivingTargets", 1)
            _add(qb, "PassingAttempts", 1)
            if rnd.random() < min(receiver.catch_rate * plan.accuracy, 0.95):
                scale = receiver.per_catch * yards_factor / CATCH_SHAPE
                yards = int(rnd.gammavariate(CATCH_SHAPE, scale) + 0.5)
                _add(line, "Receptions", 1)
                _add(line, "ReceivingYards", yards)
                _longest(line, "ReceivingLong", yards)
                _add(qb, "PassingCompletions", 1)
                _add(qb, "PassingYards", yards)
                _longest(qb, "PassingLong", yards)
                side.plays.append(("PassCompleted", pid, passer.player.player_id, yards))
            elif rnd.random() < _INT_RATE / 0.35:
                _add(qb, "PassingInterceptions", 1)
                hawk = _pick(rnd, _defenders(defense.plan, _BALLHAWKS))
                _add(defense.lines[hawk], "Interceptions", 1)
                side.plays.append(("PassIntercepted", pid, passer.player.player_id, 0))
            else:
                side.plays.append(("PassIncomplete", pid, passer.player.player_id, 0))
        sacks = sum(rnd.random() < _SACK_RATE for _ in range(attempts))
        for _ in range(sacks):
            lost = rnd.randint(4, 10)
            _add(qb, "PassingSacks", 1)
            _add(qb, "PassingSackYards", lost)
            rusher = defense.lines[_pick(rnd, _defenders(defense.plan, _RUSHERS))]
            _add(rusher, "Sacks", 1)
            _add(rusher, "SackYards", lost)
            side.plays.append(("Sack", passer.player.player_id, passer.player.player_id, -lost))
    carries = max(round(rnd.gauss(rush_volume(plan.lean, margin), 4.0)), 8)
    if plan.carries:
        for _ in range(carries):
            pid = _pick(rnd, plan.carries)
            scale = (plan.talent(pid).per_carry * yards_factor + CARRY_SHIFT) / CARRY_SHAPE
            yards = int(rnd.gammavariate(CARRY_SHAPE, scale) - CARRY_SHIFT + 0.5)
            _add(lines[pid], "RushingAttempts", 1)
            _add(lines[pid], "RushingYards", yards)
            _longest(lines[pid], "RushingLong", yards)
            side.plays.append(("Rush", pid, 0, yards))
    tacklers = _defenders(defense.plan, _TACKLERS)
    plays = int(side.total("Receptions") + side.total("RushingAttempts"))
    for _ in range(plays):
        pid = _pick(rnd, tacklers)
        _add(defense.lines[pid], "SoloTackles" if rnd.random() < 0.7 else "AssistedTackles", 1)


def _touchdowns(side: SideResult, kinds: list[str], rnd: random.Random) -> list[int | None]:
    """Credit each touchdown to a player who touched the ball; returns the scorers in order."""
    plan = side.plan
    passer = plan.passer
    catchers = {pid: side.lines[pid].get("Receptions", 0.0) for pid in plan.targets}
    catchers = {pid: n for pid, n in catchers.items() if n > 0}
    runners = {pid: side.lines[pid].get("RushingAttempts", 0.0) for pid in plan.carries}
    runners = {pid: n for pid, n in runners.items() if n > 0}
    scorers: list[int | None] = []
    for kind in kinds:
        if kind == "pass" and catchers and passer is not None:
            pid = _pick(rnd, catchers)
            _add(side.lines[pid], "ReceivingTouchdowns", 1)
            _add(side.lines[passer.player.player_id], "PassingTouchdowns", 1)
        elif runners:
            pid = _pick(rnd, runners)
            _add(side.lines[pid], "RushingTouchdowns", 1)
        else:
            scorers.append(None)
            continue
        scorers.append(pid)
    return scorers


def _kicker(plan: SidePlan) -> int | None:
    # With the kicker out the punter kicks, and with both out whoever is left does.
    for position in ("K", "P"):
        for t in plan.active:
            if t.player.position == position:
                return t.player.player_id
    return plan.active[0].player.player_id if plan.active else None


@dataclass(frozen=True)
class Scoreboard:
    """A game's scoring, drawn apart from its snaps so a score needs no box score.

    The scores come from the drives; the snaps (and who scored) are drawn afterwards from
    another stream, so reading a week's scores plays only the drives.
    """

    away_key: str
    home_key: str
    scoring: tuple[ScoringPlay, ...]  # in time order, scorers not yet known
    forms: dict[str, float]  # game-day form by team key
    misses: dict[str, int]  # missed field goals by team key

    def points(self, team_key: str) -> int:
        return sum(s.points for s in self.scoring if s.team == team_key)

    def score_at(self, elapsed: float) -> tuple[int, int]:
        """(away, home) points after ``elapsed`` of regulation (above 1: with overtime)."""
        away = sum(s.points for s in self.scoring if s.at <= elapsed and s.team == self.away_key)
        home = sum(s.points for s in self.scoring if s.at <= elapsed and s.team == self.home_key)
        return away, home


def scoreboard(plan: GamePlan, seed: int) -> Scoreboard:
    """The game's scoring: each side's drives, extra points and, after a tie, overtime."""
    rnd = stream(seed, "scoring", plan.game.score_id)
    sides = (plan.away, plan.home)
    forms = {side.team.key: rnd.gauss(0, 1) for side in sides}
    scoring: list[ScoringPlay] = []
    misses = {side.team.key: 0 for side in sides}
    for side, offset in zip(sides, (0.0, 0.5), strict=True):
        team = side.team.key
        for kind, at in _drives(side, forms[team], offset, rnd):
            if kind == "miss":
                misses[team] += 1
                continue
            points = 3 if kind == "fg" else 6 + int(rnd.random() < XP_GOOD)
            scoring.append(
                ScoringPlay(team, kind, points, at, _kicker(side) if kind == "fg" else None)
            )
    away, home = plan.away.team.key, plan.home.team.key
    if sum(s.points for s in scoring if s.team == away) == sum(
        s.points for s in scoring if s.team == home
    ):
        # Overtime: the stronger side is likelier to kick the winning field goal.
        lean = 0.5 + (plan.home.points - plan.away.points) / 40
        winner = plan.home if rnd.random() < lean else plan.away
        scoring.append(ScoringPlay(winner.team.key, "fg", 3, 1.05, _kicker(winner)))
    scoring.sort(key=lambda s: (s.at, s.team))
    return Scoreboard(away, home, tuple(scoring), forms, misses)


def simulate(plan: GamePlan, board: Scoreboard, seed: int) -> GameResult:
    """Play the snaps of a game whose scoring is ``board``: the same inputs, the same game."""
    rnd = stream(seed, "snaps", plan.game.score_id)
    sides = {"away": SideResult(plan.away), "home": SideResult(plan.home)}
    for side in sides.values():
        side.lines = {t.player.player_id: {} for t in side.plan.active}
        kicker = _kicker(side.plan)
        if kicker is not None and board.misses[side.plan.team.key]:
            side.lines[kicker]["FieldGoalsAttempted"] = board.misses[side.plan.team.key]
    away_pts, home_pts = board.points(board.away_key), board.points(board.home_key)
    margins = {"away": away_pts - home_pts, "home": home_pts - away_pts}
    other = {"away": "home", "home": "away"}
    for key, side in sides.items():
        form = board.forms[side.plan.team.key]
        _offense(side, sides[other[key]], margins[key], form, rnd)
    credited: list[ScoringPlay] = []
    for side in sides.values():
        team = side.plan.team.key
        mine = [s for s in board.scoring if s.team == team]
        scorers = iter(_touchdowns(side, [s.kind for s in mine if s.kind != "fg"], rnd))
        passer = side.plan.passer
        for s in mine:
            if s.kind == "fg":
                credited.append(s)
                continue
            pid = next(scorers)
            passer_id = passer.player.player_id if s.kind == "pass" and passer else None
            credited.append(ScoringPlay(team, s.kind, s.points, s.at, pid, passer_id))
        _kicking(side, mine)
        for s in mine:
            if s.at > 1:
                side.overtime += s.points
            else:
                side.quarters[min(int(s.at * 4), 3)] += s.points
    credited.sort(key=lambda s: (s.at, s.team))
    result = GameResult(plan, sides["away"], sides["home"], credited)
    for side in sides.values():
        _fantasy(side)
    return result


def _kicking(side: SideResult, scores: list[ScoringPlay]) -> None:
    kicker = _kicker(side.plan)
    if kicker is None:
        return
    line = side.lines[kicker]
    for s in scores:
        if s.kind == "fg":
            _add(line, "FieldGoalsAttempted", 1)
            _add(line, "FieldGoalsMade", 1)
            _longest(line, "FieldGoalsLongestMade", 20 + int((s.at * 997) % 35))
        else:
            _add(line, "ExtraPointsAttempted", 1)
            _add(line, "ExtraPointsMade", s.points - 6)
    punter = next((t.player.player_id for t in side.plan.active if t.player.position == "P"), None)
    if punter is not None:
        punts = max(DRIVES - len(scores) - int(side.total("PassingInterceptions")) - 2, 1)
        side.lines[punter]["Punts"] = punts
        side.lines[punter]["PuntYards"] = punts * 45 + (side.plan.team.team_id % 7) - 3


#: Standard fantasy scoring: points per unit of each stat (the game lines' and the
#: projections').
FANTASY = {
    "PassingYards": 0.04,
    "PassingTouchdowns": 4,
    "PassingInterceptions": -2,
    "RushingYards": 0.1,
    "RushingTouchdowns": 6,
    "ReceivingYards": 0.1,
    "ReceivingTouchdowns": 6,
}


def _fantasy(side: SideResult) -> None:
    for line in side.lines.values():
        tds = line.get("RushingTouchdowns", 0.0) + line.get("ReceivingTouchdowns", 0.0)
        points = sum(line.get(stat, 0.0) * w for stat, w in FANTASY.items())
        line["Touchdowns"] = tds
        line["OffensiveTouchdowns"] = tds
        line["FantasyPoints"] = round(points, 2)
        line["FantasyPointsPPR"] = round(points + line.get("Receptions", 0.0), 2)
        line["Tackles"] = line.get("SoloTackles", 0.0) + line.get("AssistedTackles", 0.0)
