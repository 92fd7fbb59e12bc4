"""The trends feed: a team's record straight up, against the spread and over/under, and the
record of two teams against each other, from the league's final games.

A game counts once it is final; its spread and total are the book's closing line (the same the
team game record carries). Team trends read the current and the previous season; matchup trends
read the meetings of the two teams over the last :data:`MATCHUP_SEASONS` seasons. The upcoming
game is the team's next game not yet final (its last game once the season is over).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sportsframe.emulator.book import half
from sportsframe.emulator.records import fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import Game, World
from sportsframe.league import TEAMS, Team

__all__ = ["MATCHUP_SEASONS", "Trends"]

#: Seasons back (the current one included) that matchup trends read.
MATCHUP_SEASONS = 4
_TEAMS = {t.key: t for t in TEAMS}


class Trends:
    """Team and matchup trends of one world's league."""

    def __init__(
        self, world: World, league: League, score: Callable[[Game], dict[str, Any]]
    ) -> None:
        self.world = world
        self.league = league
        self.score = score  # the scores feed's Score record of a game

    def _finals(self, team: str, seasons: int) -> list[Game]:
        """The team's final REG games of the last ``seasons`` seasons, newest first."""
        current = self.world.current_season()
        games = [
            g
            for season in range(current - seasons + 1, current + 1)
            for g in self.world.season_games(season)
            if team in (g.home.key, g.away.key) and g.status(self.world.now) == "Final"
        ]
        return sorted(games, key=lambda g: g.kickoff, reverse=True)

    def upcoming(self, team: str) -> Game:
        """The team's next game not yet final, or its last game."""
        games = [
            g
            for g in self.world.season_games(self.world.current_season())
            if team in (g.home.key, g.away.key)
        ]
        later = [g for g in games if g.status(self.world.now) != "Final"]
        return later[0] if later else games[-1]

    def _line(self, g: Game, team: str) -> tuple[int, int, float, float]:
        """(points for, points against, the team's closing spread, the closing total)."""
        away, home = self.league.scoreboard(g).score_at(2.0)
        market = self.league.market(g)
        home_spread = half(-market.close_margin)
        if team == g.home.key:
            return home, away, home_spread, half(market.close_total)
        return away, home, -home_spread, half(market.close_total)

    def _trend(self, scope: str, team: Team, games: list[Game], opp: Team | None) -> Any:
        wins = losses = ties = ats_w = ats_l = ats_p = overs = unders = pushes = 0
        scored = allowed = 0
        for g in games:
            mine, theirs, spread, total = self._line(g, team.key)
            scored, allowed = scored + mine, allowed + theirs
            wins, losses, ties = (
                wins + (mine > theirs),
                losses + (mine < theirs),
                ties + (mine == theirs),
            )
            cover = mine - theirs + spread
            ats_w, ats_l, ats_p = ats_w + (cover > 0), ats_l + (cover < 0), ats_p + (cover == 0)
            points = mine + theirs
            overs, unders = overs + (points > total), unders + (points < total)
            pushes += points == total
        n = len(games)
        return fill(
            "TeamGameTrends",
            {
                "Scope": scope,
                "TeamID": team.team_id,
                "Team": team.key,
                "OpponentID": opp.team_id if opp else None,
                "Opponent": opp.key if opp else None,
                "Wins": wins,
                "Losses": losses,
                "Ties": ties,
                "WinsAgainstTheSpread": ats_w,
                "LossesAgainstTheSpread": ats_l,
                "PushesAgainstTheSpread": ats_p,
                "Overs": overs,
                "Unders": unders,
                "OverUnderPushes": pushes,
                "AverageScore": round(scored / n, 1) if n else None,
                "AverageOpponentScore": round(allowed / n, 1) if n else None,
            },
        )  # fmt: skip

    def team(self, key: str) -> dict[str, Any]:
        """TeamTrends of a team: its last 5 and 10 games, at home and away."""
        team = _TEAMS[key]
        finals = self._finals(key, 2)
        scopes = [
            ("Last 5 games", finals[:5]),
            ("Last 10 games", finals[:10]),
            ("Last 10 home games", [g for g in finals if g.home.key == key][:10]),
            ("Last 10 away games", [g for g in finals if g.away.key == key][:10]),
        ]
        return fill(
            "TeamTrends",
            {
                "Team": key,
                "TeamID": team.team_id,
                "UpcomingGame": self.score(self.upcoming(key)),
                "TeamGameTrends": [self._trend(s, team, games, None) for s, games in scopes],
            },
        )

    def matchup(self, key: str, opponent: str) -> dict[str, Any]:
        """MatchupTrends of two teams: both teams' trends and their meetings."""
        team, opp = _TEAMS[key], _TEAMS[opponent]
        met = [
            g for g in self._finals(key, MATCHUP_SEASONS) if opponent in (g.home.key, g.away.key)
        ]
        upcoming = self.upcoming(key)
        meeting = [
            g
            for g in self.world.season_games(self.world.current_season())
            if {g.home.key, g.away.key} == {key, opponent} and g.status(self.world.now) != "Final"
        ]
        return fill(
            "MatchupTrends",
            {
                "UpcomingGame": self.score(meeting[0] if meeting else upcoming),
                "TeamTrends": [self.team(key), self.team(opponent)],
                "TeamMatchupTrends": [self._trend("Head to head", team, met, opp)],
                "OpponentMatchupTrends": [self._trend("Head to head", opp, met, team)],
                "PreviousGames": [self.score(g) for g in met],
            },
        )
