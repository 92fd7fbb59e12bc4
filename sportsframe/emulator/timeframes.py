"""The season clock as the service reports it: timeframes, the current, upcoming and last
completed season and week, and whether any game is in progress.

A week's timeframe runs from the Tuesday before its Thursday game (Eastern midnight) to the
next week's start. The current timeframe is the REG week :meth:`~.world.World.current_week`
names (or, off the regular season, the preseason or postseason week whose window holds now);
the upcoming week is the first REG week none of whose games has kicked off; the last completed
week is the last REG week whose games are all final (between seasons, the last season's).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.world import EASTERN, GAME_LENGTH, SEASON_TYPE_CODE, Game, World

__all__ = ["Timeframes"]

_NAMES = {"PRE": "Preseason", "REG": "Week", "POST": "Postseason"}
_POST_NAMES = {
    1: "Wild Card",
    2: "Divisional Round",
    3: "Conference Championships",
    4: "Super Bowl",
}


class Timeframes:
    """The clock payloads of one world."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _window(self, games: list[Game]) -> tuple[datetime, datetime]:
        first = min(g.kickoff for g in games).astimezone(EASTERN)
        thursday = first.date() - timedelta(days=(first.weekday() - 3) % 7)
        start = datetime(thursday.year, thursday.month, thursday.day, tzinfo=EASTERN)
        start -= timedelta(days=2)
        return start, start + timedelta(days=7)

    def weeks(self, season: int) -> list[tuple[str, int, list[Game]]]:
        """Every (season type, week, games) of the season, in calendar order."""
        return [
            (st, week, self.world.games(season, st, week))
            for st in ("PRE", "REG", "POST")
            for week in self.world.weeks(season, st)
        ]

    def _record(self, season: int, season_type: str, week: int, games: list[Game]) -> Any:
        now = self.world.now
        start, end = self._window(games)
        first = min(g.kickoff for g in games)
        last_end = max(g.kickoff for g in games) + GAME_LENGTH
        name = _POST_NAMES[week] if season_type == "POST" else f"{_NAMES[season_type]} {week}"
        suffix = {"REG": "", "PRE": "PRE", "POST": "POST"}[season_type]
        return fill(
            "Timeframe",
            {
                "SeasonType": SEASON_TYPE_CODE[season_type],
                "Season": season,
                "Week": week,
                "Name": name,
                "ShortName": name if season_type == "POST" else f"{season_type[0]}{week}",
                "StartDate": eastern(start),
                "EndDate": eastern(end - timedelta(seconds=1)),
                "FirstGameStart": eastern(first),
                "FirstGameEnd": eastern(first + GAME_LENGTH),
                "LastGameEnd": eastern(last_end),
                "HasGames": True,
                "HasStarted": now >= start,
                "HasEnded": now >= end,
                "HasFirstGameStarted": now >= first,
                "HasFirstGameEnded": now >= first + GAME_LENGTH,
                "HasLastGameEnded": now >= last_end,
                "ApiSeason": f"{season}{suffix}",
                "ApiWeek": str(week),
            },
        )

    def _current_index(self, weeks: list[tuple[str, int, list[Game]]]) -> int | None:
        week = self.world.current_week()
        for i, (st, number, games) in enumerate(weeks):
            if week is not None and st == "REG" and number == week:
                return i
            start, end = self._window(games)
            if week is None and start <= self.world.now < end:
                return i
        return None

    def timeframes(self, kind: str) -> list[dict[str, Any]]:
        """The timeframes of ``kind``: current, upcoming, completed, recent or all."""
        season = self.world.current_season()
        weeks = self.weeks(season)
        records = [self._record(season, st, w, games) for st, w, games in weeks]
        if kind == "all":
            return records
        if kind == "completed":
            return [r for r in records if r["HasEnded"]]
        current = self._current_index(weeks)
        if kind == "current":
            return [records[current]] if current is not None else []
        if kind == "upcoming":
            upcoming = self.upcoming_week()
            return [r for r in records if r["SeasonType"] == 1 and r["Week"] == upcoming]
        # recent: the one before the current, the current and the one after
        if current is None:
            return []
        return records[max(current - 1, 0) : current + 2]

    # -- scalars -----------------------------------------------------------------------------
    def last_completed_week(self) -> int | None:
        """The last REG week whose games are all final (of the last season before week 1 ends)."""
        season, now = self.world.current_season(), self.world.now
        for year in (season, season - 1):  # between seasons: the last season's last week
            done = [
                week
                for week in self.world.weeks(year, "REG")
                if all(g.status(now) == "Final" for g in self.world.games(year, "REG", week))
            ]
            if done:
                return max(done)
        return None

    def upcoming_week(self) -> int | None:
        """The first REG week none of whose games has kicked off (None once all have)."""
        season = self.world.current_season()
        for week in self.world.weeks(season, "REG"):
            if all(g.kickoff > self.world.now for g in self.world.games(season, "REG", week)):
                return week
        return None

    def last_completed_season(self) -> int:
        """The current season once its Super Bowl is final, else the previous one."""
        season = self.world.current_season()
        games = self.world.games(season, "POST", 4)
        over = bool(games) and all(g.status(self.world.now) == "Final" for g in games)
        return season if over else season - 1

    def upcoming_season(self) -> int:
        """The season under way, or after a Super Bowl the next one (the service's rule: it
        changes right after the Super Bowl), so always the last completed season's next."""
        return self.last_completed_season() + 1

    def games_in_progress(self) -> bool:
        """Whether a game of the current REG week is being played."""
        week = self.world.current_week()
        if week is None:
            return False
        season = self.world.current_season()
        return any(
            g.status(self.world.now) == "InProgress" for g in self.world.games(season, "REG", week)
        )
