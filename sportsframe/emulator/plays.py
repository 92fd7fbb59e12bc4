"""Play-by-play from the simulated game: every snap of both sides, drive by drive.

Each side's snaps (from the simulation, so they add up to its stat lines) are dealt over its
drives; the sides alternate drives, and a scoring drive ends with its score at the moment the
scoreboard changes. A live game shows the plays run so far.
"""

from __future__ import annotations

from typing import Any

from sportsframe.emulator.gamesim import GameResult, ScoringPlay, SideResult
from sportsframe.emulator.plan import DRIVES
from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import GAME_LENGTH, SEASON_TYPE_CODE, Game

__all__ = ["plays", "scoring_records"]

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


def _names(result: GameResult) -> dict[int, str]:
    return {
        t.player.player_id: t.player.name for s in (result.away, result.home) for t in s.plan.active
    }


def _clock(at: float) -> tuple[int, int]:
    """(quarter, seconds left in it) at ``at`` of regulation (quarter 5: overtime)."""
    if at > 1:
        return 5, 0
    quarter = min(int(at * 4), 3) + 1
    return quarter, int((quarter - at * 4) * 15 * 60)


def scoring_records(league: League, g: Game) -> list[dict[str, Any]]:
    """The ScoringPlay records of a started game so far, in order, with the running score."""
    result = league.result(g)
    elapsed = league.elapsed(g)
    names = _names(result)
    out = []
    away = home = 0
    for seq, s in enumerate(result.scoring, 1):
        if elapsed < 1 and s.at > elapsed:
            break
        if s.team == g.home.key:
            home += s.points
        else:
            away += s.points
        quarter, left = _clock(s.at)
        out.append(
            fill(
                "ScoringPlay",
                {
                    "GameKey": g.game_key,
                    "SeasonType": SEASON_TYPE_CODE[g.season_type],
                    "ScoringPlayID": g.score_id * 100 + seq,
                    "Season": g.season,
                    "Week": g.week,
                    "AwayTeam": g.away.key,
                    "HomeTeam": g.home.key,
                    "Date": eastern(g.kickoff + GAME_LENGTH * min(s.at, 1.0)),
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
        )
    return out


def plays(league: League, g: Game) -> list[dict[str, Any]]:
    """Every play of a started game run by the world's now, in order."""
    result = league.result(g)
    elapsed = league.elapsed(g)
    names = _names(result)
    records = iter(scoring_records(league, g))
    timeline: list[tuple[float, str, dict[str, Any]]] = []
    for offset, side, other in ((0.0, result.away, result.home), (0.5, result.home, result.away)):
        team, opp = side.plan.team.key, other.plan.team.key
        scores = [s for s in result.scoring if s.team == team]
        for i, chunk in enumerate(_chunks(side, league, g)):
            start, end = (i + offset) / DRIVES, (i + offset + 0.5) / DRIVES
            score = next((s for s in scores if start <= s.at < end), None)
            # A scoring drive's snaps come before its score.
            stop = score.at if score is not None else end
            for j, (kind, pid, passer, yards) in enumerate(chunk):
                at = start + (stop - start) * j / (len(chunk) + 1)
                text = _describe(kind, names, pid, passer, yards)
                play = {"Opponent": opp, "Type": kind, "YardsGained": yards, "Description": text}
                timeline.append((at, team, play))
        for s in scores:
            timeline.append((s.at, team, _scoring(s, opp, names)))
    timeline.sort(key=lambda t: t[0])
    out = []
    for seq, (at, team, facts) in enumerate(timeline, 1):
        if elapsed < 1 and at > elapsed:
            break
        quarter, left = _clock(at)
        when = g.kickoff + GAME_LENGTH * min(at, 1.0)
        scoring = facts.pop("_scoring", None)
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
                    "ScoringPlay": next(records) if scoring is not None else None,
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
