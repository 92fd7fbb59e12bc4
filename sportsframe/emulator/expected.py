"""Expected stat lines: what a game plan says each player should do, before the game is played.

A projection is the mean of what the simulation draws from: pass and rush volume from the game
script the plan expects, each player's share of the targets and carries, his efficiency against
this defence, touchdowns from the drive chances, and a defence's tackles, sacks and takeaways
from the snaps it should face. It knows the plan (talent, who is active, the matchup), never
the result, so projections correlate with the actual lines without equalling them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sportsframe.emulator.gamesim import FANTASY
from sportsframe.emulator.plan import (
    DRIVES,
    FG_GOOD,
    XP_GOOD,
    GamePlan,
    SidePlan,
    pass_volume,
    rush_volume,
)
from sportsframe.emulator.statlines import player_rates

__all__ = ["expected_lines", "fantasy_points"]

_SACK_RATE = 0.065  # sacks per pass attempt
_INT_RATE = 0.022  # interceptions per pass attempt
_SACK_YARDS = 7.0  # yards lost per sack
# Who a projection credits with the defence's plays, by position (starters weigh more).
_TACKLES = {"LB": 3.0, "S": 2.0, "CB": 1.6, "DE": 1.2, "DT": 1.0}
_PASS_RUSH = {"DE": 3.0, "DT": 1.5, "LB": 1.0}
_COVERAGE = {"CB": 2.0, "S": 2.0, "LB": 0.6}


def fantasy_points(line: Mapping[str, float]) -> dict[str, float]:
    """Standard, PPR and half-PPR (FanDuel, Yahoo) points of a line."""
    points = sum(line.get(stat, 0.0) * w for stat, w in FANTASY.items())
    catches = line.get("Receptions", 0.0)
    return {
        "FantasyPoints": round(points, 2),
        "FantasyPointsPPR": round(points + catches, 2),
        "FantasyPointsDraftKings": round(points + catches, 2),
        "FantasyPointsFanDuel": round(points + catches / 2, 2),
        "FantasyPointsYahoo": round(points + catches / 2, 2),
    }


def _weights(side: SidePlan, table: Mapping[str, float]) -> dict[int, float]:
    starters = side.starters()
    raw = {
        t.player.player_id: table[t.player.position]
        * (1.0 if t.player.player_id in starters else 0.3)
        for t in side.active
        if t.player.position in table
    }
    total = sum(raw.values())
    return {pid: w / total for pid, w in raw.items()} if total else {}


def _offense(side: SidePlan, margin: float, lines: dict[int, dict[str, float]]) -> float:
    """Add the side's offensive lines; returns the snaps the other defence should face."""
    attempts = max(pass_volume(side.lean, margin), 12.0)
    carries = max(rush_volume(side.lean, margin), 8.0)
    touchdowns = DRIVES * side.p_td
    pass_tds = touchdowns * side.pass_td_share
    rush_tds = touchdowns - pass_tds
    catches = 0.0
    for pid, share in side.targets.items():
        t = side.talent(pid)
        rate = min(t.catch_rate * side.accuracy, 0.95)
        line = lines[pid]
        line["ReceivingTargets"] = attempts * share
        line["Receptions"] = attempts * share * rate
        line["ReceivingYards"] = line["Receptions"] * t.per_catch * side.defense_factor
        line["ReceivingTouchdowns"] = pass_tds * share
        catches += line["Receptions"]
    for pid, share in side.carries.items():
        t = side.talent(pid)
        line = lines[pid]
        line["RushingAttempts"] = carries * share
        line["RushingYards"] = carries * share * t.per_carry * side.defense_factor
        line["RushingTouchdowns"] = rush_tds * share
    passer = side.passer
    if passer is not None and side.targets:
        qb = lines[passer.player.player_id]
        qb["PassingAttempts"] = attempts
        qb["PassingCompletions"] = catches
        qb["PassingYards"] = sum(lines[pid]["ReceivingYards"] for pid in side.targets)
        qb["PassingTouchdowns"] = pass_tds
        qb["PassingInterceptions"] = attempts * _INT_RATE
        qb["PassingSacks"] = attempts * _SACK_RATE
        qb["PassingSackYards"] = attempts * _SACK_RATE * _SACK_YARDS
    kicker = next((t for t in side.active if t.player.position == "K"), None)
    if kicker is not None:
        line = lines[kicker.player.player_id]
        tries = DRIVES * side.p_fga
        line["FieldGoalsAttempted"] = tries
        line["FieldGoalsMade"] = tries * FG_GOOD
        line["ExtraPointsAttempted"] = touchdowns
        line["ExtraPointsMade"] = touchdowns * XP_GOOD
    punter = next((t for t in side.active if t.player.position == "P"), None)
    if punter is not None:
        punts = max(DRIVES - touchdowns - DRIVES * side.p_fga - 2, 1.0)
        lines[punter.player.player_id]["Punts"] = punts
        lines[punter.player.player_id]["PuntYards"] = punts * 45
    return catches + carries


def _defense(
    side: SidePlan, snaps: float, attempts: float, lines: dict[int, dict[str, float]]
) -> None:
    for pid, w in _weights(side, _TACKLES).items():
        lines[pid]["SoloTackles"] = snaps * w * 0.7
        lines[pid]["AssistedTackles"] = snaps * w * 0.3
    for pid, w in _weights(side, _PASS_RUSH).items():
        lines[pid]["Sacks"] = attempts * _SACK_RATE * w
        lines[pid]["SackYards"] = attempts * _SACK_RATE * _SACK_YARDS * w
    for pid, w in _weights(side, _COVERAGE).items():
        lines[pid]["Interceptions"] = attempts * _INT_RATE * w


def expected_lines(plan: GamePlan) -> dict[int, dict[str, float]]:
    """Every active player's expected line (counts, rates and fantasy points), by player id."""
    lines: dict[int, dict[str, float]] = {
        t.player.player_id: {} for side in (plan.away, plan.home) for t in side.active
    }
    margin = plan.home_margin
    for side, other, m in ((plan.away, plan.home, -margin), (plan.home, plan.away, margin)):
        snaps = _offense(side, m, lines)
        _defense(other, snaps, max(pass_volume(side.lean, m), 12.0), lines)
    out = {}
    for pid, line in lines.items():
        line["Touchdowns"] = line.get("RushingTouchdowns", 0.0) + line.get(
            "ReceivingTouchdowns", 0.0
        )
        line["OffensiveTouchdowns"] = line["Touchdowns"]
        line["Tackles"] = line.get("SoloTackles", 0.0) + line.get("AssistedTackles", 0.0)
        rounded = {k: round(v, 2) for k, v in line.items()}
        out[pid] = {**rounded, **player_rates(rounded), **fantasy_points(rounded)}
    return out
