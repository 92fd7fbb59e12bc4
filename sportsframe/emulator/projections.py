"""The projections feed: player, IDP and fantasy-defence projections by game and by season.

A game projection is the plan's expected line (:mod:`.expected`) for every active player of
the game: offensive players and kickers in the player feed (so every player with props that
week has one), defensive players in the IDP feed. It shares the stats feed's ids
(``PlayerGameID``, ``ScoreID``, ``GameKey``), so a projection joins its actual line.

When the service has them: a week is projected once its first game is within
:data:`PROJECTED_AHEAD` of the world's now (the current and the next week), and stays so;
weeks further ahead answer ``[]``. Season projections are the preseason view (every game of
the regular season with everyone healthy) for seasons up to the current one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sportsframe.emulator.expected import expected_lines, fantasy_points
from sportsframe.emulator.injuries import Availability
from sportsframe.emulator.plan import GamePlan, plan_game
from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.statfeeds import (
    LINE_POSITIONS,
    StatFeeds,
    player_season_facts,
    season_players,
)
from sportsframe.emulator.statlines import player_rates
from sportsframe.emulator.world import SEASON_TYPE_CODE, Game, Player, World
from sportsframe.league import TEAMS, Team

__all__ = [
    "DEFENSE",
    "PROJECTED_AHEAD",
    "Projections",
    "defense_season_facts",
    "dfs_salaries",
    "points_allowed_score",
]

#: How far ahead of now a week's projections (and DFS slates) are published.
PROJECTED_AHEAD = timedelta(days=8)
#: Positions of the IDP feed.
DEFENSE = frozenset({"DE", "DT", "LB", "CB", "S"})
_OFFENSE = LINE_POSITIONS - DEFENSE


def dfs_salaries(line: dict[str, float]) -> dict[str, int]:
    """Salaries priced from projected points, in each operator's steps and range."""
    ppr, half = line.get("FantasyPointsDraftKings", 0.0), line.get("FantasyPointsFanDuel", 0.0)
    return {
        "DraftKingsSalary": int(min(max(3000 + 330 * ppr, 3000), 9800) // 100 * 100),
        "FanDuelSalary": int(min(max(4500 + 400 * half, 4500), 10500) // 100 * 100),
        "YahooSalary": int(min(max(10 + 1.3 * half, 10), 50)),
    }


#: Standard DST points by points allowed: the points of the first row whose count the points
#: allowed exceed (a shutout scores 10).
_POINTS_ALLOWED = ((34, -1), (27, 0), (20, 1), (13, 4), (6, 7), (0, 10))


def points_allowed_score(allowed: float) -> int:
    """A defence's standard fantasy points for the points it allowed."""
    return next((pts for top, pts in _POINTS_ALLOWED if allowed > top), 10)


def defense_season_facts(team: Team, season: int, season_type: str, games: int) -> dict[str, Any]:
    """The fields that name a team's defence in a season record (its fantasy stats' and its
    projection's alike), with the ``games`` it played."""
    return {
        "SeasonType": SEASON_TYPE_CODE[season_type],
        "Season": season,
        "Team": team.key,
        "TeamID": team.team_id,
        "GlobalTeamID": team.team_id,
        "PlayerID": team.team_id,
        "Games": games,
    }


class _Healthy(Availability):
    """An injury report with nobody on it: the preseason view of a season."""

    def out(self, week: int, team_key: str) -> set[int]:
        """Nobody is out."""
        return set()


class Projections:
    """Projection payloads of one world's league."""

    def __init__(self, world: World, league: League, stats: StatFeeds) -> None:
        self.world = world
        self.league = league
        self.stats = stats
        self._lines: dict[int, dict[int, dict[str, float]]] = {}
        self._seasons: dict[tuple[int, str], list[tuple[GamePlan, dict[int, Any]]]] = {}

    def published(self, season: int, season_type: str, week: int) -> list[Game]:
        """The week's games if its projections are out (else none)."""
        games = self.world.games(season, season_type, week)
        if not games or min(g.kickoff for g in games) > self.world.now + PROJECTED_AHEAD:
            return []
        return games

    def lines(self, g: Game) -> dict[int, dict[str, float]]:
        """The game's expected lines by player id (kept: slates and ownership reuse them)."""
        if g.score_id not in self._lines:
            self._lines[g.score_id] = expected_lines(self.league.plan(g))
        return self._lines[g.score_id]

    # -- players by game ---------------------------------------------------------------------
    def _player_game(self, g: Game, p: Player, line: dict[str, float], plan: GamePlan) -> Any:
        side = plan.home if p.team.key == g.home.key else plan.away
        return fill(
            "PlayerGameProjection",
            {
                **self.stats.identity(g, p.team),
                **line,
                **dfs_salaries(line),
                **self.stats.player_in_game(g, p, p.player_id in side.starters()),
                "DraftKingsPosition": p.position,
                "FanDuelPosition": p.position,
                "YahooPosition": p.position,
                "IsGameOver": False,
                "Updated": eastern(min(self.world.now, g.kickoff)),
                "ScoringDetails": [],
            },
        )

    def game_players(self, g: Game, positions: frozenset[str], team: str | None) -> list[Any]:
        """The game's PlayerGameProjection records of ``positions`` (of one team)."""
        plan = self.league.plan(g)
        lines = self.lines(g)
        out = []
        for side in (plan.away, plan.home):
            if team is not None and side.team.key != team:
                continue
            for t in side.active:
                if t.player.position in positions:
                    out.append(self._player_game(g, t.player, lines[t.player.player_id], plan))
        return out

    def player_games(
        self, season: int, season_type: str, week: int, team: str | None = None, idp: bool = False
    ) -> list[dict[str, Any]]:
        """PlayerGameProjection[] of a week (``idp``: the defensive players), or one team's."""
        positions = DEFENSE if idp else _OFFENSE
        return [
            r
            for g in self.published(season, season_type, week)
            for r in self.game_players(g, positions, team)
        ]

    # -- team defences by game ---------------------------------------------------------------
    def defense_game(self, g: Game, team: Team) -> dict[str, Any]:
        """A team defence's FantasyDefenseGameProjection in ``g``."""
        plan = self.league.plan(g)
        mine, theirs = (plan.home, plan.away) if team.key == g.home.key else (plan.away, plan.home)
        lines = self.lines(g)
        facts = _defense_facts(
            [lines[t.player.player_id] for t in mine.active],
            [lines[t.player.player_id] for t in theirs.active],
            theirs.points,
        )
        return fill(
            "FantasyDefenseGameProjection",
            {
                **self.stats.identity(g, team),
                **facts,
                **dfs_salaries({"FantasyPointsDraftKings": facts["FantasyPoints"],
                                "FantasyPointsFanDuel": facts["FantasyPoints"]}),
                "Date": eastern(g.kickoff),
                "PlayerID": team.team_id,
                "FantasyDefenseID": g.score_id * 10 + int(team.key == g.home.key),
                "IsGameOver": False,
                "DraftKingsPosition": "DST",
                "FanDuelPosition": "D",
                "YahooPosition": "DEF",
            },
        )  # fmt: skip

    def defense_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """FantasyDefenseGameProjection[] of a projected week: both teams of every game."""
        return [
            self.defense_game(g, t)
            for g in self.published(season, season_type, week)
            for t in (g.away, g.home)
        ]

    # -- seasons -----------------------------------------------------------------------------
    def _season(self, season: int, season_type: str) -> list[tuple[GamePlan, dict[int, Any]]]:
        """Every game of the season planned with everyone healthy, and its expected lines."""
        if season > self.world.current_season():
            return []
        key = (season, season_type)
        if key not in self._seasons:
            healthy = _Healthy(self.world, season, season_type)
            talent = self.league.talent(season)
            plans = [plan_game(talent, healthy, g) for g in self.world.season_games(*key)]
            self._seasons[key] = [(plan, expected_lines(plan)) for plan in plans]
        return self._seasons[key]

    def player_seasons(
        self, season: int, season_type: str, team: str | None = None
    ) -> list[dict[str, Any]]:
        """PlayerSeasonProjection[] of the season's players (or one team's)."""
        planned = self._season(season, season_type)
        games: dict[int, list[dict[str, float]]] = {}
        for _, lines in planned:
            for pid, line in lines.items():
                games.setdefault(pid, []).append(line)
        out = []
        for t in TEAMS if planned else ():
            if team is not None and t.key != team:
                continue
            for p, played, totals in season_players(self.world.roster(t.key), games):
                out.append(
                    fill(
                        "PlayerSeasonProjection",
                        {
                            **totals,
                            **player_rates(totals),
                            **fantasy_points(totals),
                            **player_season_facts(p, t, season, season_type, played),
                        },
                    )
                )
        return out

    def defense_seasons(
        self, season: int, season_type: str, team: str | None = None
    ) -> list[dict[str, Any]]:
        """FantasyDefenseSeasonProjection[] of every team (or one)."""
        planned = self._season(season, season_type)
        per_team: dict[str, list[dict[str, float]]] = {t.key: [] for t in TEAMS}
        for plan, lines in planned:
            for side, other in ((plan.away, plan.home), (plan.home, plan.away)):
                mine = [lines[t.player.player_id] for t in side.active]
                theirs = [lines[t.player.player_id] for t in other.active]
                per_team[side.team.key].append(_defense_facts(mine, theirs, other.points))
        out = []
        for t in TEAMS if planned else ():
            if team is not None and t.key != team:
                continue
            rows = per_team[t.key]
            totals = {k: round(sum(r[k] for r in rows), 2) for k in (rows[0] if rows else {})}
            out.append(
                fill(
                    "FantasyDefenseSeasonProjection",
                    {**totals, **defense_season_facts(t, season, season_type, len(rows))},
                )
            )
        return out


def _defense_facts(
    mine: list[dict[str, float]], theirs: list[dict[str, float]], allowed: float
) -> dict[str, float]:
    """A defence's expected counts and standard DST points from both sides' lines."""

    def total(lines: list[dict[str, float]], stat: str) -> float:
        """The lines' sum of ``stat``."""
        return round(sum(line.get(stat, 0.0) for line in lines), 2)

    sacks, picks = total(mine, "Sacks"), total(mine, "Interceptions")
    recovered = 0.6  # a league-average defence recovers about one fumble every other game
    points = sacks + 2 * picks + 2 * recovered + points_allowed_score(allowed)
    return {
        "PointsAllowed": round(allowed, 2),
        "Sacks": sacks,
        "SackYards": total(mine, "SackYards"),
        "Interceptions": picks,
        "FumblesRecovered": recovered,
        "SoloTackles": total(mine, "SoloTackles"),
        "AssistedTackles": total(mine, "AssistedTackles"),
        "FantasyPointsAllowed": total(theirs, "FantasyPoints"),
        "FantasyPoints": round(points, 2),
        "FantasyPointsDraftKings": round(points, 2),
        "FantasyPointsFanDuel": round(points, 2),
        "FantasyPointsYahoo": round(points, 2),
    }
