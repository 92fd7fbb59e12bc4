"""Play-by-play from the simulated game: every snap of both sides, drive by drive.

Each side's snaps (from the simulation, so they add up to its stat lines) are dealt over its
drives; the sides alternate drives, and a scoring drive ends with its score at the moment the
scoreboard changes. A live game shows the plays run so far.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sportsframe.emulator.gamesim import GameResult, ScoringPlay, SideResult
from sportsframe.emulator.plan import DRIVES
from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import GAME_LENGTH, SEASON_TYPE_CODE, Game

__all__ = ["plays"]

_SCORING_TYPE = {"pass": "PassCompleted", "rush": "Rush", "fg": "FieldGoal"}


def _describe(kind: str, names: dict[int, str], pid: int, passer: int, yards: int) -> str:
    if kind == "PassCompleted":
        return f"{names[passer]} pass to {names[pid]} for {yards} yards"
    if kind == "PassIncomplete":
        return f"{names[passer]} pass incomplete intended for {names[pid]}"
    if kind == "PassIntercepted":
        return f"{names[passer]} pass intended for {names[pid]} INTERCEPTED"
    if kind == "Sack":
        return f"{names[passer]} sacked for {-yards} yards"
    return f"{names[pid]} rush for {yards} yards"


def _score_text(s: ScoringPlay, names: dict[int, str]) -> str:
    scorer = names.get(s.player_id or 0, "Team")
    if s.kind == "fg":
        return f"{scorer} field goal is GOOD"
    if s.kind == "pass" and s.passer_id is not None:
        return f"{names[s.passer_id]} pass to {scorer} for a TOUCHDOWN"
    return f"{scorer} rush for a TOUCHDOWN"


def _chunks(side: SideResult, league: League, g: Game) -> list[list[tuple[str, int, int, int]]]:
    snaps = list(side.plays)
    league.stream("pbp", g.score_id, side.plan.team.key).shuffle(snaps)
    size = len(snaps) / DRIVES
    return [snaps[int(i * size) : int((i + 1) * size)] for i in range(DRIVES)]


def plays(league: League, g: Game) -> list[dict[str, Any]]:
    """Every play of a started game run by the world's now, in order."""
    result: GameResult = league.result(g)
    elapsed = league.elapsed(g)
    names = {
        t.player.player_id: t.player.name
        for side in (result.away, result.home)
        for t in side.plan.active
    }
    timeline: list[tuple[float, str, dict[str, Any]]] = []
    for offset, side, other in ((0.0, result.away, result.home), (0.5, result.home, result.away)):
        team, opp = side.plan.team.key, other.plan.team.key
        scores = [s for s in result.scoring if s.team == team]
        for i, chunk in enumerate(_chunks(side, league, g)):
            start, width = (i + offset) / DRIVES, 0.5 / DRIVES
            for j, (kind, pid, passer, yards) in enumerate(chunk):
                at = start + width * j / max(len(chunk), 1)
                text = _describe(kind, names, pid, passer, yards)
                timeline.append(
                    (
                        at,
                        team,
                        {"Opponent": opp, "Type": kind, "YardsGained": yards, "Description": text},
                    )
                )
            for s in scores:
                if min(int(s.at * DRIVES), DRIVES - 1) == i and s.at <= 1:
                    timeline.append((start + width, team, _scoring(s, opp, names)))
        for s in scores:
            if s.at > 1:  # overtime
                timeline.append((s.at, team, _scoring(s, opp, names)))
    timeline.sort(key=lambda t: t[0])
    out = []
    away = home = 0
    for seq, (at, team, facts) in enumerate(timeline, 1):
        if elapsed < 1 and at > elapsed:
            break
        quarter = 5 if at > 1 else min(int(at * 4), 3) + 1
        left = 0 if at > 1 else int((quarter - at * 4) * 15 * 60)
        when = g.kickoff + GAME_LENGTH * min(at, 1.0)
        scoring = facts.pop("_scoring", None)
        facts.setdefault("ScoringPlay", None)
        if scoring is not None:
            if team == g.home.key:
                home += scoring.points
            else:
                away += scoring.points
            facts["ScoringPlay"] = _scoring_record(
                g, scoring, seq, quarter, left, away, home, when, names
            )
        out.append(
            fill(
                "Play",
                {
                    **facts,
                    "PlayID": g.score_id * 1000 + seq,
                    "QuarterID": g.score_id * 10 + quarter,
                    "QuarterName": "OT" if quarter == 5 else str(quarter),
                    "Sequence": seq,
                    "TimeRemainingMinutes": left // 60,
                    "TimeRemainingSeconds": left % 60,
                    "PlayTime": eastern(when),
                    "Updated": eastern(when),
                    "Created": eastern(when),
                    "Team": team,
                    "IsScoringPlay": scoring is not None,
                    "PlayStats": [],
                },
            )
        )
    return out


def _scoring(s: ScoringPlay, opp: str, names: dict[int, str]) -> dict[str, Any]:
    return {
        "Opponent": opp,
        "Type": _SCORING_TYPE[s.kind],
        "Description": _score_text(s, names),
        "_scoring": s,
    }


def _scoring_record(
    g: Game, s: ScoringPlay, seq: int, quarter: int, left: int, away: int, home: int,
    when: datetime, names: dict[int, str],
) -> dict[str, Any]:  # fmt: skip
    return fill(
        "ScoringPlay",
        {
            "GameKey": g.game_key,
            "SeasonType": SEASON_TYPE_CODE[g.season_type],
            "ScoringPlayID": g.score_id * 1000 + seq,
            "Season": g.season,
            "Week": g.week,
            "AwayTeam": g.away.key,
            "HomeTeam": g.home.key,
            "Date": eastern(when),
            "Sequence": seq,
            "Team": s.team,
            "Quarter": "OT" if quarter == 5 else str(quarter),
            "TimeRemaining": f"{left // 60}:{left % 60:02d}",
            "PlayDescription": _score_text(s, names),
            "AwayScore": away,
            "HomeScore": home,
            "ScoreID": g.score_id,
        },
    )
