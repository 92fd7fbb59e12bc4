"""Injuries: who is hurt each week, what the report says, and who actually plays.

Each team's season is walked week by week (bye weeks included, since injuries heal on a bye
too). New injuries strike at random; a serious one keeps the player ``Out`` for weeks, then
``Questionable`` the week he returns. What the report says decides whether he plays: an ``Out``
player never does, a ``Doubtful`` one rarely, a ``Questionable`` one usually. Every feed (injury
report, stats, depth charts, rosters, news, props) reads the same answer from here.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sportsframe.emulator.world import SEASON_TYPE_CODE, Player, World, stream
from sportsframe.league import TEAMS

__all__ = ["PLAY_CHANCE", "Availability", "InjuryNote"]

#: How likely a player listed with each status is to play (Out: never).
PLAY_CHANCE = {"Questionable": 0.85, "Doubtful": 0.12, "Out": 0.0}
# A player's chance of a new injury in a given week, by position (kickers rarely get hurt).
_WEEKLY_RISK = {"K": 0.005, "P": 0.005, "LS": 0.005}
_DEFAULT_RISK = 0.035
_BODY_PARTS = (
    "Knee",
    "Ankle",
    "Hamstring",
    "Shoulder",
    "Concussion",
    "Groin",
    "Foot",
    "Calf",
    "Back",
    "Hip",
    "Illness",
)


@dataclass(frozen=True, slots=True)
class InjuryNote:
    """One line of a week's injury report."""

    injury_id: int
    player: Player
    status: str  # Questionable | Doubtful | Out
    body_part: str
    start_week: int  # the week the injury happened
    plays: bool  # whether he ends up playing that week


@dataclass
class _Hurt:
    injury_id: int
    body_part: str
    start_week: int
    weeks_out: int  # weeks still to miss after this one


class Availability:
    """The injury reports of one season type, built week by week as far as asked."""

    def __init__(self, world: World, season: int, season_type: str) -> None:
        self.world = world
        self.season = season
        self.season_type = season_type
        self._weeks = list(world.weeks(season, season_type))
        self._done = 0  # how many weeks are built
        self._hurt: dict[str, dict[int, _Hurt]] = {t.key: {} for t in TEAMS}
        self._reports: dict[tuple[int, str], list[InjuryNote]] = {}

    def _build_through(self, week: int) -> None:
        # Injuries carry over from week to week, so a week needs every week before it.
        while self._done < len(self._weeks) and self._weeks[self._done] <= week:
            number = self._weeks[self._done]
            for team in TEAMS:
                self._reports[(number, team.key)] = self._week(
                    number, self.world.roster(team.key), self._hurt[team.key]
                )
            self._done += 1

    def _week(self, week: int, roster: list[Player], hurt: dict[int, _Hurt]) -> list[InjuryNote]:
        seed, season, kind = self.world.seed, self.season, self.season_type
        rnd = stream(seed, season, kind, "injuries", week, roster[0].team.key)
        notes = []
        for p in roster:
            known = hurt.get(p.player_id)
            if known is None:
                continue
            status = "Out" if known.weeks_out > 0 else "Questionable"
            if known.weeks_out > 0:
                known.weeks_out -= 1
            else:
                del hurt[p.player_id]  # back this week: listed once more, then healthy
            notes.append(self._note(p, known, status, rnd))
        listed = {n.player.player_id for n in notes}
        for p in self._new_injuries(roster, listed, rnd):
            severity = rnd.random()
            injury = _Hurt(self._injury_id(week, p), rnd.choice(_BODY_PARTS), week, weeks_out=0)
            if severity < 0.45:
                status = "Questionable"
            elif severity < 0.65:
                status = "Doubtful"
            else:
                status = "Out"
                # Out for one to five weeks, shorter stays being likelier.
                injury.weeks_out = min(int(rnd.expovariate(0.7)), 4)
                hurt[p.player_id] = injury
            notes.append(self._note(p, injury, status, rnd))
        notes.sort(key=lambda n: n.player.player_id)
        return notes

    @staticmethod
    def _new_injuries(roster: list[Player], listed: set[int], rnd: random.Random) -> list[Player]:
        """This week's newly hurt players: a Poisson count of the healthy, position-weighted."""
        healthy = [p for p in roster if p.player_id not in listed]
        weights = [_WEEKLY_RISK.get(p.position, _DEFAULT_RISK) for p in healthy]
        expected = sum(weights)
        # Knuth's Poisson draw: a handful of uniforms for about two injuries a week.
        count, product, limit = 0, rnd.random(), math.exp(-expected)
        while product > limit:
            count += 1
            product *= rnd.random()
        chosen: list[Player] = []
        while len(chosen) < min(count, len(healthy)):
            p = rnd.choices(healthy, weights)[0]
            if p not in chosen:
                chosen.append(p)
        return chosen

    def _note(self, p: Player, injury: _Hurt, status: str, rnd: random.Random) -> InjuryNote:
        plays = rnd.random() < PLAY_CHANCE[status]
        return InjuryNote(injury.injury_id, p, status, injury.body_part, injury.start_week, plays)

    def _injury_id(self, week: int, p: Player) -> int:
        code = SEASON_TYPE_CODE[self.season_type]
        # Unique per player, week and season; stays below 2**31 for seasons up to 2053.
        return (((self.season - 2000) * 400 + code * 100 + week) * 100000) + p.player_id

    def report(self, week: int, team_key: str) -> list[InjuryNote]:
        """The team's injury report of ``week`` (empty for weeks that do not exist)."""
        self._build_through(week)
        return self._reports.get((week, team_key), [])

    def out(self, week: int, team_key: str) -> set[int]:
        """The ids of the team's players who do not play in ``week``."""
        return {n.player.player_id for n in self.report(week, team_key) if not n.plays}

    def note(self, week: int, player: Player) -> InjuryNote | None:
        """The player's line on the report of ``week``, or None when he is healthy."""
        for n in self.report(week, player.team.key):
            if n.player.player_id == player.player_id:
                return n
        return None
