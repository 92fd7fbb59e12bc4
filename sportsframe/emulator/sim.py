"""The simulated league: talent, injuries, plans, results and markets, built lazily and kept.

Nothing is simulated until a feed asks for it, and then only what that feed needs: a week's
scores play that week's games, never the whole season. Every answer is kept, so all the feeds
of one emulator read the same games.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sportsframe.emulator.book import PropLine, prop_lines
from sportsframe.emulator.gamesim import GameResult, Scoreboard, scoreboard, simulate
from sportsframe.emulator.injuries import Availability
from sportsframe.emulator.plan import GamePlan, plan_game
from sportsframe.emulator.talent import SeasonTalent
from sportsframe.emulator.world import GAME_LENGTH, Game, World, stream

__all__ = ["MARKETS_OPEN", "GameMarket", "League"]

#: How long before kickoff a game's markets open.
MARKETS_OPEN = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class GameMarket:
    """The book's view of a game: its estimate of the home margin and total, open and close.

    The close is nearer the truth (the plan) than the open: news and money move the line toward
    what the game will be, which is also what the result is drawn from.
    """

    open_margin: float
    close_margin: float
    open_total: float
    close_total: float
    opens: datetime
    closes: datetime

    def at(self, when: datetime) -> tuple[float, float]:
        """The (home margin, total) estimate at ``when`` (moving in daily steps)."""
        span = (self.closes - self.opens).total_seconds()
        done = (min(max(when, self.opens), self.closes) - self.opens).total_seconds()
        steps = 6
        frac = int(done / span * steps) / steps if span > 0 else 1.0
        margin = self.open_margin + (self.close_margin - self.open_margin) * frac
        total = self.open_total + (self.close_total - self.open_total) * frac
        return margin, total

    def moments(self, until: datetime) -> list[datetime]:
        """The moments the line was quoted, from the open to ``until`` (at most the close)."""
        out = []
        step = (self.closes - self.opens) / 6
        for i in range(7):
            when = self.opens + step * i
            if when > until:
                break
            out.append(when)
        return out


class League:
    """Every simulated fact of one world, each built on first use and then kept."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._talent: dict[int, SeasonTalent] = {}
        self._availability: dict[tuple[int, str], Availability] = {}
        self._plans: dict[int, GamePlan] = {}
        self._boards: dict[int, Scoreboard] = {}
        self._results: dict[int, GameResult] = {}
        self._props: dict[int, list[PropLine]] = {}
        self._markets: dict[int, GameMarket] = {}

    def talent(self, season: int) -> SeasonTalent:
        if season not in self._talent:
            self._talent[season] = SeasonTalent(self.world, season)
        return self._talent[season]

    def availability(self, season: int, season_type: str) -> Availability:
        key = (season, season_type)
        if key not in self._availability:
            self._availability[key] = Availability(self.world, season, season_type)
        return self._availability[key]

    def plan(self, game: Game) -> GamePlan:
        if game.score_id not in self._plans:
            self._plans[game.score_id] = plan_game(
                self.talent(game.season), self.availability(game.season, game.season_type), game
            )
        return self._plans[game.score_id]

    def scoreboard(self, game: Game) -> Scoreboard:
        """The game's scoring only (cheap: no snaps are played)."""
        if game.score_id not in self._boards:
            self._boards[game.score_id] = scoreboard(self.plan(game), self.world.seed)
        return self._boards[game.score_id]

    def result(self, game: Game) -> GameResult:
        """The game played snap by snap: every player's line."""
        if game.score_id not in self._results:
            plan = self.plan(game)
            self._results[game.score_id] = simulate(plan, self.scoreboard(game), self.world.seed)
        return self._results[game.score_id]

    def props(self, game: Game) -> list[PropLine]:
        if game.score_id not in self._props:
            self._props[game.score_id] = prop_lines(self.plan(game))
        return self._props[game.score_id]

    def market(self, game: Game) -> GameMarket:
        if game.score_id not in self._markets:
            plan = self.plan(game)
            rnd = stream(self.world.seed, "market", game.score_id)
            self._markets[game.score_id] = GameMarket(
                open_margin=plan.home_margin + rnd.gauss(0, 1.8),
                close_margin=plan.home_margin + rnd.gauss(0, 0.7),
                open_total=plan.total + rnd.gauss(0, 2.2),
                close_total=plan.total + rnd.gauss(0, 0.9),
                opens=game.kickoff - MARKETS_OPEN,
                closes=game.kickoff,
            )
        return self._markets[game.score_id]

    def elapsed(self, game: Game) -> float:
        """The share of the game played at the world's now (0 before kickoff, 1 once final)."""
        played = (self.world.now - game.kickoff) / GAME_LENGTH
        return min(max(played, 0.0), 1.0)

    def stream(self, *parts: object) -> random.Random:
        """A named random stream of this world (see :func:`~.world.stream`)."""
        return stream(self.world.seed, *parts)

    def report_week(self) -> tuple[int, str, int] | None:
        """The (season, season type, week) whose injury report is current at the world's now.

        Between seasons it is the last week played, so rosters and news keep the season's end.
        """
        season = self.world.current_season()
        week = self.world.current_week()
        if week is not None:
            return season, "REG", week
        for year in (season, season - 1):
            games = self.world.season_games(year, "REG")
            if games and self.world.now > games[0].kickoff:
                played = [g.week for g in games if g.kickoff <= self.world.now]
                return year, "REG", max(played)
        return None
