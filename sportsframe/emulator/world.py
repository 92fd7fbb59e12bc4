"""The emulator's deterministic league: rosters, schedules and game states for any season.

Everything is derived from a seed and the season, so two processes (or two runs) build the same
world and serve the same bytes. The clock (``now``) decides which games are final, in progress or
scheduled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sportsframe.league import TEAMS, Team

__all__ = ["EASTERN", "Game", "Player", "World", "season_start", "stream"]

EASTERN = ZoneInfo("America/New_York")
SEASON_TYPE_CODE = {"REG": 1, "PRE": 2, "POST": 3}
_TYPE_OFFSET = {"REG": 0, "PRE": 400, "POST": 700}
GAME_LENGTH = timedelta(hours=3, minutes=30)

# A 53-man roster by position.
ROSTER = (
    ["QB"] * 3
    + ["RB"] * 4
    + ["FB"]
    + ["WR"] * 6
    + ["TE"] * 3
    + ["OT"] * 4
    + ["G"] * 4
    + ["C"] * 2
    + ["DE"] * 4
    + ["DT"] * 4
    + ["LB"] * 6
    + ["CB"] * 6
    + ["S"] * 4
    + ["K", "P", "LS"]
)
OFFENSE = {"QB", "RB", "FB", "WR", "TE", "OT", "G", "C"}
SPECIAL = {"K", "P", "LS"}
FIRST = (
    "Jalen",
    "Josh",
    "Patrick",
    "Lamar",
    "Justin",
    "Tyreek",
    "Travis",
    "Derrick",
    "Saquon",
    "CeeDee",
    "Amon",
    "Ja'Marr",
    "Davante",
    "Cooper",
    "Mark",
    "George",
    "Nick",
    "Aaron",
    "Micah",
    "Myles",
    "T.J.",
    "Sauce",
    "Fred",
    "Bijan",
    "Puka",
    "Brock",
    "Jordan",
    "Kyler",
)
LAST = (
    "Allen",
    "Jackson",
    "Mahomes",
    "Hurts",
    "Herbert",
    "Hill",
    "Kelce",
    "Henry",
    "Barkley",
    "Lamb",
    "St. Brown",
    "Chase",
    "Adams",
    "Kupp",
    "Andrews",
    "Kittle",
    "Bosa",
    "Donald",
    "Parsons",
    "Garrett",
    "Watt",
    "Gardner",
    "Warner",
    "Robinson",
    "Nacua",
    "Purdy",
    "Love",
)


def stream(*parts: object) -> random.Random:
    """A random stream named by ``parts``: the same name gives the same draws in every process.

    ``random.Random`` seeds a string through SHA-512, so unlike ``hash()`` it is not salted per
    process.
    """
    return random.Random(":".join(str(p) for p in parts))


def season_start(season: int) -> date:
    """Labor Day (first Monday of September) of ``season``: week 1's Thursday is 3 days later."""
    first = date(season, 9, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


@dataclass(frozen=True, slots=True)
class Player:
    """A rostered player."""

    player_id: int
    team: Team
    number: int
    first_name: str
    last_name: str
    position: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def category(self) -> str:
        if self.position in OFFENSE:
            return "OFF"
        return "ST" if self.position in SPECIAL else "DEF"


@dataclass(frozen=True, slots=True)
class Game:
    """One game of the schedule."""

    score_id: int
    season: int
    season_type: str
    week: int
    home: Team
    away: Team
    kickoff: datetime  # UTC

    @property
    def game_key(self) -> str:
        code = SEASON_TYPE_CODE[self.season_type]
        return f"{self.season}{code}{self.week:02d}{self.home.team_id:02d}"

    @property
    def eastern(self) -> datetime:
        return self.kickoff.astimezone(EASTERN)

    def status(self, now: datetime) -> str:
        if now >= self.kickoff + GAME_LENGTH:
            return "Final"
        if now >= self.kickoff:
            return "InProgress"
        return "Scheduled"


class World:
    """The league as seen at ``now``."""

    def __init__(self, *, now: datetime | None = None, seed: int = 2024) -> None:
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.seed = seed
        self._schedules: dict[tuple[int, str, int], list[Game]] = {}

    # -- players -------------------------------------------------------------------------
    @cached_property
    def players(self) -> dict[int, Player]:
        out: dict[int, Player] = {}
        for team in TEAMS:
            rnd = stream(self.seed, "roster", team.key)
            for i, position in enumerate(ROSTER):
                pid = 10000 + team.team_id * 100 + i
                out[pid] = Player(
                    pid, team, (i * 7) % 99 + 1, rnd.choice(FIRST), rnd.choice(LAST), position
                )
        return out

    @cached_property
    def _rosters(self) -> dict[str, list[Player]]:
        out: dict[str, list[Player]] = {t.key: [] for t in TEAMS}
        for p in self.players.values():
            out[p.team.key].append(p)
        return out

    def roster(self, team_key: str) -> list[Player]:
        """The team's players in roster order (a new list: callers may sort it)."""
        return list(self._rosters.get(team_key, []))

    # -- schedule ------------------------------------------------------------------------
    def weeks(self, season: int, season_type: str) -> range:
        if season_type == "REG":
            return range(1, 19 if season >= 2021 else 18)
        if season_type == "PRE":
            return range(1, 4) if season >= 2021 else range(1, 5)
        return range(1, 5)

    def games(self, season: int, season_type: str, week: int) -> list[Game]:
        """The games of one week, in ScoreID order (empty for weeks that do not exist)."""
        key = (season, season_type, week)
        if key not in self._schedules:
            self._schedules[key] = self._build_week(season, season_type, week)
        return self._schedules[key]

    def season_games(self, season: int, season_type: str = "REG") -> list[Game]:
        return [
            g for w in self.weeks(season, season_type) for g in self.games(season, season_type, w)
        ]

    def game(self, score_id: int) -> Game | None:
        """The game with ``score_id`` (any season), or None."""
        base = score_id - 100000
        if base < 0:
            return None
        season, rest = 2000 + base // 1000, base % 1000
        for season_type, offset in _TYPE_OFFSET.items():
            if offset <= rest < offset + 300:
                for week in self.weeks(season, season_type):
                    for game in self.games(season, season_type, week):
                        if game.score_id == score_id:
                            return game
        return None

    def _build_week(self, season: int, season_type: str, week: int) -> list[Game]:
        if week not in self.weeks(season, season_type):
            return []
        rnd = stream(self.seed, season, season_type, week)
        teams = list(TEAMS)
        rnd.shuffle(teams)
        if season_type == "POST":
            teams = teams[: {1: 12, 2: 8, 3: 4, 4: 2}[week]]
        elif season_type == "REG" and 6 <= week <= 13:
            # Four byes a week over weeks 6-13 give every team one bye.
            order = sorted(TEAMS, key=lambda t: stream(self.seed, season, "bye", t.key).random())
            byes = {t.key for t in order[(week - 6) * 4 : (week - 5) * 4]}
            teams = [t for t in teams if t.key not in byes]
        pairs = [(teams[i], teams[i + 1]) for i in range(0, len(teams) - 1, 2)]
        offset = _TYPE_OFFSET[season_type]
        first_index = (
            sum(len(self.games(season, season_type, w)) for w in range(1, week)) if week > 1 else 0
        )
        thursday = self._thursday(season, season_type, week)
        games = []
        for i, (away, home) in enumerate(pairs):
            kickoff = self._kickoff(thursday, i, len(pairs), season_type)
            score_id = 100000 + (season - 2000) * 1000 + offset + first_index + i
            games.append(Game(score_id, season, season_type, week, home, away, kickoff))
        return games

    def byes(self, season: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for week in self.weeks(season, "REG"):
            playing = {t.key for g in self.games(season, "REG", week) for t in (g.home, g.away)}
            for team in TEAMS:
                if team.key not in playing and team.key not in out:
                    out[team.key] = week
        return out

    @staticmethod
    def _thursday(season: int, season_type: str, week: int) -> date:
        start = season_start(season) + timedelta(days=3)
        if season_type == "PRE":
            return start - timedelta(days=7 * (5 - week))
        if season_type == "POST":
            return start + timedelta(days=7 * (17 + week))
        return start + timedelta(days=7 * (week - 1))

    @staticmethod
    def _kickoff(thursday: date, index: int, count: int, season_type: str) -> datetime:
        sunday = thursday + timedelta(days=3)
        if season_type != "POST" and index == 0:
            day, hour, minute = thursday, 20, 15
        elif season_type != "POST" and index == count - 1:
            day, hour, minute = thursday + timedelta(days=4), 20, 15
        elif index == count - 2:
            day, hour, minute = sunday, 20, 20
        else:
            day, hour, minute = sunday, (13, 16)[index % 2], (0, 25)[index % 2]
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN)
        return local.astimezone(UTC)

    # -- the clock -----------------------------------------------------------------------
    def current_season(self) -> int:
        """The season year: from March on, the year's season; before, the previous one."""
        return self.now.year if self.now.month >= 3 else self.now.year - 1

    def current_week(self) -> int | None:
        """The REG week whose games are next or in progress; None off-season."""
        season = self.current_season()
        for week in self.weeks(season, "REG"):
            games = self.games(season, "REG", week)
            if games and self.now < max(g.kickoff for g in games) + GAME_LENGTH:
                start = self._thursday(season, "REG", week) - timedelta(days=2)
                if self.now.date() >= start or (week == 1 and self.now.month >= 8):
                    return week
                return None
        return None
