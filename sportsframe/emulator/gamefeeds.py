"""Views of the game feeds: final-only, by team, by date, basic, game logs, deltas, simulations.

Each is a filter of a feed the league already builds (:class:`~.payloads.Payloads`), never a
new draw, so its records equal the full feed's:

* ``...Final`` keeps the final games (a week with none answers ``[]``);
* ``...ByTeam`` keeps one team's records; a by-team box score or play-by-play is the game that
  team plays that week (404 when it has a bye or the week does not exist);
* ``...ByDate`` keeps the games played on that Eastern date;
* ``...Basic`` records are the full records cut to the basic model's fields;
* a game log is a player's or team's lines of the season's final games, newest first;
* a delta feed keeps what changed in the last ``minutes``: lines of games in progress, or of
  games that ended within that window;
* a simulation answers the current week's games as they stand (the league plays every game
  once, so a simulated week is the real one).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sportsframe.emulator.payloads import Payloads
from sportsframe.emulator.records import models
from sportsframe.emulator.world import EASTERN, GAME_LENGTH, Game

__all__ = ["GameFeeds", "UnknownGameError"]


class UnknownGameError(LookupError):
    """No such game (a by-team call for a team without a game that week)."""


def _basic(model: str, record: dict[str, Any]) -> dict[str, Any]:
    names = [f["name"] for f in models()[model]]
    return {n: record.get(n) for n in names}


class GameFeeds:
    """Filtered views of one world's game feeds."""

    def __init__(self, payloads: Payloads) -> None:
        self.p = payloads
        self.world = payloads.world

    def final(self, g: Game) -> bool:
        """Whether the game is final at the world's now."""
        return g.status(self.world.now) == "Final"

    def team_game(self, season: int, season_type: str, week: int, team: str) -> Game:
        """The game ``team`` plays in the week (UnknownGameError when it has none)."""
        for g in self.world.games(season, season_type, week):
            if team in (g.home.key, g.away.key):
                return g
        raise UnknownGameError(team)

    def games_on(self, when: date) -> list[Game]:
        """The games kicking off on an Eastern date (of the season that date belongs to)."""
        season = when.year if when.month >= 3 else when.year - 1
        return [
            g
            for season_type in ("PRE", "REG", "POST")
            for week in self.world.weeks(season, season_type)
            for g in self.world.games(season, season_type, week)
            if g.kickoff.astimezone(EASTERN).date() == when
        ]

    # -- scores --------------------------------------------------------------------------------
    def scores(self, season: int, season_type: str, week: int, *, final: bool) -> list[Any]:
        """Score[] of a week (``final``: the final games only)."""
        games = self.world.games(season, season_type, week)
        return [self.p.score(g) for g in games if not final or self.final(g)]

    def season_scores(self, season: int, season_type: str, *, final: bool) -> list[Any]:
        """Score[] of a season (``final``: the final games only)."""
        games = self.world.season_games(season, season_type)
        return [self.p.score(g) for g in games if not final or self.final(g)]

    def scores_on(self, when: date, *, final: bool) -> list[Any]:
        """Score[] of the games on an Eastern date (``final``: the final ones only)."""
        return [self.p.score(g) for g in self.games_on(when) if not final or self.final(g)]

    def scores_basic(self, season: int, season_type: str, week: int, *, final: bool) -> list[Any]:
        """ScoreBasic[] of a week: the Score records cut to the basic fields."""
        return [
            _basic("ScoreBasic", {**r, "GameID": r["ScoreID"]})
            for r in self.scores(season, season_type, week, final=final)
        ]

    def schedules_basic(self, season: int, season_type: str) -> list[Any]:
        """ScheduleBasic[] of a season: the schedule cut to the basic fields."""
        return [
            _basic("ScheduleBasic", {**r, "GameID": r["ScoreID"]})
            for r in self.p.schedules(season, season_type)
        ]

    # -- stats ---------------------------------------------------------------------------------
    def player_games(
        self, season: int, season_type: str, week: int, *, team: str | None, final: bool
    ) -> list[Any]:
        """PlayerGame[] of a week's started games (one team's; final games only)."""
        out = []
        for g in self.p.stats.played(season, season_type, week):
            if final and not self.final(g):
                continue
            if team is not None and team not in (g.home.key, g.away.key):
                continue
            out += [r for r in self.p.stats.game_lines(g) if team is None or r["Team"] == team]
        return out

    def team_games_final(self, season: int, season_type: str, week: int) -> list[Any]:
        """TeamGame[] of a week's final games."""
        return [
            self.p.stats.team_game(g, t)
            for g in self.p.stats.played(season, season_type, week)
            if self.final(g)
            for t in (g.away, g.home)
        ]

    def player_log(self, season: int, season_type: str, player_id: int, games: str | int) -> Any:
        """A player's lines of the season's final games, newest first (``games``: how many)."""
        p = self.world.players[player_id]
        out = []
        for g in reversed(self.world.season_games(season, season_type)):
            if self.final(g) and p.team.key in (g.home.key, g.away.key):
                out += [r for r in self.p.stats.game_lines(g) if r["PlayerID"] == player_id]
        return out if games == "all" else out[: int(games)]

    def team_log(self, season: int, season_type: str, team_id: int, games: str | int) -> Any:
        """A team's lines of the season's final games, newest first."""
        out = []
        for g in reversed(self.world.season_games(season, season_type)):
            for t in (g.away, g.home):
                if t.team_id == team_id and self.final(g):
                    out.append(self.p.stats.team_game(g, t))
        return out if games == "all" else out[: int(games)]

    def box_score_by_team(
        self, season: int, season_type: str, week: int, team: str, *, final: bool
    ) -> Any:
        """The box score of the game ``team`` plays in the week."""
        g = self.team_game(season, season_type, week, team)
        if final and not self.final(g):
            raise UnknownGameError(team)
        return self.p.box_score(g)

    def play_by_play_by_team(
        self, season: int, season_type: str, week: int, team: str, *, final: bool
    ) -> Any:
        """The play-by-play of the game ``team`` plays in the week."""
        g = self.team_game(season, season_type, week, team)
        if final and not self.final(g):
            raise UnknownGameError(team)
        return self.p.play_by_play(g)

    # -- deltas and simulations ---------------------------------------------------------------
    def changed(self, g: Game, minutes: int) -> bool:
        """Whether the game's records changed in the last ``minutes`` (live, or just ended)."""
        status = g.status(self.world.now)
        if status == "InProgress":
            return True
        ended = g.kickoff + GAME_LENGTH
        return status == "Final" and self.world.now - ended <= timedelta(minutes=minutes)

    def current_games(self) -> list[Game]:
        """The games of the current report week (none before the first season)."""
        week = self.p.league.report_week()
        return list(self.world.games(*week)) if week is not None else []

    def _recent(self, season: int, season_type: str, week: int, minutes: int) -> list[Game]:
        return [g for g in self.world.games(season, season_type, week) if self.changed(g, minutes)]

    def player_games_delta(
        self, season: int, season_type: str, week: int, minutes: int
    ) -> list[Any]:
        """PlayerGame[] of the week's games that changed in the last ``minutes``."""
        games = self._recent(season, season_type, week, minutes)
        return [r for g in games for r in self.p.stats.game_lines(g)]

    def current_delta(self, minutes: int) -> list[Any]:
        """PlayerGame[] of the current week's games that changed in the last ``minutes``."""
        week = self.p.league.report_week()
        return self.player_games_delta(*week, minutes) if week is not None else []

    def box_scores_delta(
        self, season: int, season_type: str, week: int, players: str, minutes: int
    ) -> list[Any]:
        """BoxScoreV3[] of the week's changed games (``players``: all, fantasy or idp)."""
        out = []
        for g in self._recent(season, season_type, week, minutes):
            box = self.p.box_score(g)
            if players != "all":
                keep = "DEF" if players == "idp" else "OFF"
                cats = {keep, "ST"} if keep == "OFF" else {keep}
                box = {
                    **box,
                    "PlayerGames": [r for r in box["PlayerGames"] if r["PositionCategory"] in cats],
                }
            out.append(box)
        return out

    def play_by_play_delta(self, season: int, season_type: str, week: int, minutes: int) -> Any:
        """PlayByPlay[] of the week's games that changed in the last ``minutes``."""
        return [self.p.play_by_play(g) for g in self._recent(season, season_type, week, minutes)]

    def simulated_scores(self) -> list[Any]:
        """Score[] of the current week as it stands."""
        return [self.p.score(g) for g in self.current_games()]

    def simulated_box_scores(self) -> list[Any]:
        """BoxScoreV3[] of the current week as it stands."""
        return [self.p.box_score(g) for g in self.current_games()]

    def simulated_play_by_play(self) -> list[Any]:
        """PlayByPlay[] of the current week as it stands."""
        return [self.p.play_by_play(g) for g in self.current_games()]
