"""Stat lines: a played game's player and team lines, partial lines of a live game, and rates.

Counting stats come from the simulation; rates (completion percentage, yards per carry, passer
rating ...) are derived from them here, the same way for a game and for a season, so a season
line is the sum of its game lines with its rates recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from sportsframe.emulator.gamesim import SideResult

__all__ = [
    "PASS_TOTALS",
    "PLAYER_COUNTS",
    "TEAM_COUNTS",
    "passer_rating",
    "player_rates",
    "side_lines",
    "sum_lines",
    "team_line",
    "team_rates",
]

#: The counting stats of a player line that add up over games (longest plays take the max).
PLAYER_COUNTS = (
    "PassingAttempts", "PassingCompletions", "PassingYards", "PassingTouchdowns",
    "PassingInterceptions", "PassingSacks", "PassingSackYards", "RushingAttempts",
    "RushingYards", "RushingTouchdowns", "ReceivingTargets", "Receptions", "ReceivingYards",
    "ReceivingTouchdowns", "SoloTackles", "AssistedTackles", "Tackles", "Sacks", "SackYards",
    "Interceptions", "FieldGoalsAttempted", "FieldGoalsMade", "ExtraPointsMade",
    "ExtraPointsAttempted", "Punts", "PuntYards", "Touchdowns", "OffensiveTouchdowns",
    "FantasyPoints", "FantasyPointsPPR", "Fumbles", "FumblesLost",
)  # fmt: skip
_LONGEST = ("PassingLong", "RushingLong", "ReceivingLong", "FieldGoalsLongestMade")
#: A passer's stats that are, by definition, his receivers' totals.
PASS_TOTALS = {
    "PassingCompletions": "Receptions",
    "PassingYards": "ReceivingYards",
    "PassingTouchdowns": "ReceivingTouchdowns",
}
#: A team line's counting fields (the opponent's twin is ``Opponent`` + name).
TEAM_COUNTS = (
    "Score", "ScoreQuarter1", "ScoreQuarter2", "ScoreQuarter3", "ScoreQuarter4",
    "ScoreOvertime", "PassingAttempts", "PassingCompletions", "PassingYards",
    "PassingTouchdowns", "PassingInterceptions", "RushingAttempts", "RushingYards",
    "RushingTouchdowns", "Touchdowns", "FieldGoalAttempts", "FieldGoalsMade", "TimesSacked",
    "TimesSackedYards", "Sacks", "SackYards", "OffensivePlays", "OffensiveYards", "Punts",
    "PuntYards", "Giveaways", "Takeaways", "FirstDowns", "FirstDownsByPassing",
    "FirstDownsByRushing", "ThirdDownAttempts", "ThirdDownConversions",
    "ExtraPointKickingAttempts", "ExtraPointKickingConversions", "SoloTackles",
    "AssistedTackles", "Interceptions", "PassingDropbacks", "Fumbles", "FumblesLost",
    "Penalties", "PenaltyYards",
)  # fmt: skip


def _ratio(a: float, b: float, scale: float = 1.0) -> float:
    return round(a / b * scale, 1) if b else 0.0


def passer_rating(att: float, comp: float, yards: float, tds: float, ints: float) -> float:
    """The NFL passer rating (0 to 158.3)."""
    if not att:
        return 0.0
    parts = (
        (comp / att - 0.3) * 5,
        (yards / att - 3) * 0.25,
        tds / att * 20,
        2.375 - ints / att * 25,
    )
    return round(sum(min(max(p, 0.0), 2.375) for p in parts) / 6 * 100, 1)


def player_rates(line: Mapping[str, float]) -> dict[str, float]:
    """The rate fields of a player line, from its counting stats."""
    g = line.get
    att, comp, yds = g("PassingAttempts", 0.0), g("PassingCompletions", 0.0), g("PassingYards", 0.0)
    rec, targets = g("Receptions", 0.0), g("ReceivingTargets", 0.0)
    return {
        "PassingCompletionPercentage": _ratio(comp, att, 100),
        "PassingYardsPerAttempt": _ratio(yds, att),
        "PassingYardsPerCompletion": _ratio(yds, comp),
        "PassingRating": passer_rating(
            att, comp, yds, g("PassingTouchdowns", 0.0), g("PassingInterceptions", 0.0)
        ),
        "RushingYardsPerAttempt": _ratio(g("RushingYards", 0.0), g("RushingAttempts", 0.0)),
        "ReceivingYardsPerReception": _ratio(g("ReceivingYards", 0.0), rec),
        "ReceptionPercentage": _ratio(rec, targets, 100),
        "ReceivingYardsPerTarget": _ratio(g("ReceivingYards", 0.0), targets),
        "FieldGoalPercentage": _ratio(g("FieldGoalsMade", 0.0), g("FieldGoalsAttempted", 0.0), 100),
        "PuntAverage": _ratio(g("PuntYards", 0.0), g("Punts", 0.0)),
    }


def team_rates(line: Mapping[str, float]) -> dict[str, float]:
    """The rate fields of a team line, from its counting stats."""
    g = line.get
    att, comp = g("PassingAttempts", 0.0), g("PassingCompletions", 0.0)
    return {
        "CompletionPercentage": _ratio(comp, att, 100),
        "PassingYardsPerAttempt": _ratio(g("PassingYards", 0.0), att),
        "PassingYardsPerCompletion": _ratio(g("PassingYards", 0.0), comp),
        "PasserRating": passer_rating(
            att, comp, g("PassingYards", 0.0), g("PassingTouchdowns", 0.0),
            g("PassingInterceptions", 0.0),
        ),
        "RushingYardsPerAttempt": _ratio(g("RushingYards", 0.0), g("RushingAttempts", 0.0)),
        "OffensiveYardsPerPlay": _ratio(g("OffensiveYards", 0.0), g("OffensivePlays", 0.0)),
        "PuntAverage": _ratio(g("PuntYards", 0.0), g("Punts", 0.0)),
        "ThirdDownPercentage": _ratio(
            g("ThirdDownConversions", 0.0), g("ThirdDownAttempts", 0.0), 100
        ),
        "FieldGoalPercentage": _ratio(g("FieldGoalsMade", 0.0), g("FieldGoalAttempts", 0.0), 100),
    }  # fmt: skip


def side_lines(side: SideResult, elapsed: float) -> dict[int, dict[str, float]]:
    """Every player line of a side after ``elapsed`` of the game (1.0: the final lines).

    A live line is the final one cut to the share played; the passer's totals are then summed
    from his receivers' cut lines again, so they still agree.
    """
    if elapsed >= 1.0:
        return side.lines
    out = {
        pid: {k: float(math.floor(v * elapsed)) for k, v in line.items()}
        for pid, line in side.lines.items()
    }
    passer = side.plan.passer
    if passer is not None:
        qb = out[passer.player.player_id]
        for passing, receiving in PASS_TOTALS.items():
            qb[passing] = sum(line.get(receiving, 0.0) for line in out.values())
    return out


def team_line(
    side: SideResult,
    lines: Mapping[int, Mapping[str, float]],
    opp_lines: Mapping[int, Mapping[str, float]],
) -> dict[str, float]:
    """A team's counting stats from its players' lines (and the opponent's, for takeaways)."""

    def total(stat: str, source: Mapping[int, Mapping[str, float]] = lines) -> float:
        return sum(line.get(stat, 0.0) for line in source.values())

    completions, rushes = total("PassingCompletions"), total("RushingAttempts")
    sacked, attempts = total("PassingSacks"), total("PassingAttempts")
    plays = attempts + rushes + sacked
    by_pass, by_rush = round(completions * 0.55), round(rushes * 0.24)
    third = round(plays * 0.19)
    out = {
        "PassingAttempts": attempts,
        "PassingCompletions": completions,
        "PassingYards": total("PassingYards"),
        "PassingTouchdowns": total("PassingTouchdowns"),
        "PassingInterceptions": total("PassingInterceptions"),
        "PassingDropbacks": attempts + sacked,
        "RushingAttempts": rushes,
        "RushingYards": total("RushingYards"),
        "RushingTouchdowns": total("RushingTouchdowns"),
        "Touchdowns": total("RushingTouchdowns") + total("ReceivingTouchdowns"),
        "FieldGoalAttempts": total("FieldGoalsAttempted"),
        "FieldGoalsMade": total("FieldGoalsMade"),
        "ExtraPointKickingAttempts": total("ExtraPointsAttempted"),
        "ExtraPointKickingConversions": total("ExtraPointsMade"),
        "TimesSacked": sacked,
        "TimesSackedYards": total("PassingSackYards"),
        "Sacks": total("Sacks"),
        "SackYards": total("SackYards"),
        "SoloTackles": total("SoloTackles"),
        "AssistedTackles": total("AssistedTackles"),
        "Interceptions": total("Interceptions"),
        "OffensivePlays": plays,
        "OffensiveYards": total("PassingYards") - total("PassingSackYards") + total("RushingYards"),
        "Punts": total("Punts"),
        "PuntYards": total("PuntYards"),
        "Giveaways": total("PassingInterceptions"),
        "Takeaways": total("PassingInterceptions", opp_lines),
        "FirstDowns": by_pass + by_rush,
        "FirstDownsByPassing": by_pass,
        "FirstDownsByRushing": by_rush,
        "ThirdDownAttempts": third,
        "ThirdDownConversions": round(third * 0.4),
        "Fumbles": 0.0,
        "FumblesLost": 0.0,
        "Penalties": float(5 + side.plan.team.team_id % 4),
        "PenaltyYards": float(40 + (side.plan.team.team_id * 7) % 25),
    }
    return out


def sum_lines(lines: Iterable[Mapping[str, float]], counts: Iterable[str]) -> dict[str, float]:
    """The season line of several game lines: counts added, longest plays the longest."""
    names = tuple(counts)
    out: dict[str, float] = dict.fromkeys(names, 0.0)
    for line in lines:
        for name in names:
            out[name] += line.get(name, 0.0)
        for name in _LONGEST:
            if name in line:
                out[name] = max(out.get(name, 0.0), line[name])
    return {k: round(v, 2) for k, v in out.items()}
