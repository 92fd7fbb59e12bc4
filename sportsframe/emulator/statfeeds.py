"""The stats feeds: player and team game lines, box scores, season totals and injury reports.

Every line is read from the simulated league: a player who does not play has no line, a team's
line is the sum of its players', and a season line is the sum of the game lines played so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from sportsframe.emulator.gamesim import GameResult, SideResult
from sportsframe.emulator.records import day, eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.statlines import (
    PLAYER_COUNTS,
    TEAM_COUNTS,
    player_rates,
    side_lines,
    sum_lines,
    team_line,
    team_rates,
)
from sportsframe.emulator.world import SEASON_TYPE_CODE, Game, Player, World
from sportsframe.league import TEAMS, Team

__all__ = ["LINE_POSITIONS", "StatFeeds", "player_game_id", "player_season_facts", "season_players"]

#: Positions that get a player game line (linemen and long snappers have no stats to show).
LINE_POSITIONS = frozenset({"QB", "RB", "FB", "WR", "TE", "DE", "DT", "LB", "CB", "S", "K", "P"})
_INACTIVE_DECLARED = timedelta(minutes=90)  # inactives are announced this long before kickoff


def player_game_id(g: Game, p: Player) -> int:
    """A player's id in one game (his line's and his projection's): unique in the league, as
    a player id's last four digits (team and roster slot) are unique."""
    return g.score_id * 10000 + p.player_id % 10000


def season_players(
    roster: Iterable[Player], games: Mapping[int, list[dict[str, float]]]
) -> Iterator[tuple[Player, int, dict[str, float]]]:
    """The players of ``roster`` who get a season line, each with his number of games in
    ``games`` (his game lines by player id) and the sum of their counting stats."""
    for p in roster:
        if p.position not in LINE_POSITIONS:
            continue
        played = games.get(p.player_id, [])
        yield p, len(played), sum_lines(played, PLAYER_COUNTS)


def player_season_facts(
    p: Player, team: Team, season: int, season_type: str, games: int
) -> dict[str, Any]:
    """The fields that name a player in a season record (his stats' and his projection's
    alike): ids, season, team, names and positions, and the ``games`` he played."""
    return {
        "PlayerSeasonID": season * 100000 + p.player_id,
        "PlayerID": p.player_id,
        "SeasonType": SEASON_TYPE_CODE[season_type],
        "Season": season,
        "Team": team.key,
        "TeamID": team.team_id,
        "GlobalTeamID": team.team_id,
        "Number": p.number,
        "Name": p.name,
        "Position": p.position,
        "PositionCategory": p.category,
        "FantasyPosition": p.position,
        "Activated": games,
        "Played": games,
        "ScoringDetails": [],
    }


class StatFeeds:
    """Player, team and injury payloads of one world's league."""

    def __init__(self, world: World, league: League) -> None:
        self.world = world
        self.league = league

    def started(self, g: Game) -> bool:
        return g.status(self.world.now) != "Scheduled"

    def played(self, season: int, season_type: str, week: int) -> list[Game]:
        return [g for g in self.world.games(season, season_type, week) if self.started(g)]

    def identity(self, g: Game, team: Team) -> dict[str, Any]:
        """The game and team fields every per-team-game record carries (stats, projections)."""
        home = team.key == g.home.key
        opponent = g.away if home else g.home
        return {
            "ScoreID": g.score_id,
            "GameKey": g.game_key,
            "SeasonType": SEASON_TYPE_CODE[g.season_type],
            "Season": g.season,
            "Week": g.week,
            "DateTime": eastern(g.kickoff),
            "Day": day(g.kickoff),
            "Team": team.key,
            "Opponent": opponent.key,
            "HomeOrAway": "HOME" if home else "AWAY",
            "TeamID": team.team_id,
            "OpponentID": opponent.team_id,
            "GlobalGameID": g.score_id,
            "GlobalTeamID": team.team_id,
            "GlobalOpponentID": opponent.team_id,
            "IsGameOver": g.status(self.world.now) == "Final",
        }

    # -- players ---------------------------------------------------------------------------
    def player_in_game(self, g: Game, p: Player, started: bool) -> dict[str, Any]:
        """The fields that name a player in one game and tell his part in it (his stat line's
        and his projection's alike): ids, names, positions, started, his injury that week."""
        note = self.league.availability(g.season, g.season_type).note(g.week, p)
        return {
            "PlayerGameID": player_game_id(g, p),
            "PlayerID": p.player_id,
            "GameDate": eastern(g.kickoff),
            "Number": p.number,
            "Name": p.name,
            "ShortName": f"{p.first_name[0]}. {p.last_name}",
            "Position": p.position,
            "PositionCategory": p.category,
            "FantasyPosition": p.position,
            "Activated": 1,
            "Played": 1,
            "Started": int(started),
            "InjuryStatus": note.status if note is not None else None,
            "InjuryBodyPart": note.body_part if note is not None else None,
        }

    def player_game(
        self, g: Game, p: Player, line: Mapping[str, float], started: bool
    ) -> dict[str, Any]:
        stats = {k: float(v) for k, v in line.items()}
        return fill(
            "PlayerGame",
            {
                **self.identity(g, p.team),
                **stats,
                **player_rates(stats),
                **self.player_in_game(g, p, started),
                "Updated": eastern(min(self.world.now, g.kickoff + timedelta(hours=4))),
                "ScoringDetails": [],
            },
        )

    def game_lines(self, g: Game) -> list[dict[str, Any]]:
        """Every player line of a started game (the players who played, no one else)."""
        result = self.league.result(g)
        elapsed = self.league.elapsed(g)
        out = []
        for side in (result.away, result.home):
            lines = side_lines(side, elapsed)
            starters = side.plan.starters()
            for t in side.plan.active:
                if t.player.position in LINE_POSITIONS:
                    pid = t.player.player_id
                    out.append(self.player_game(g, t.player, lines[pid], pid in starters))
        return out

    def player_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [r for g in self.played(season, season_type, week) for r in self.game_lines(g)]

    def player_seasons(self, season: int, season_type: str) -> list[dict[str, Any]]:
        games: dict[int, list[dict[str, float]]] = {}
        starts: dict[int, int] = {}
        for g in self.world.season_games(season, season_type):
            if g.status(self.world.now) != "Final":
                continue
            result = self.league.result(g)
            for side in (result.away, result.home):
                starters = side.plan.starters()
                for pid, line in side.lines.items():
                    games.setdefault(pid, []).append(line)
                    starts[pid] = starts.get(pid, 0) + int(pid in starters)
        out = []
        for team in TEAMS:
            for p, played, totals in season_players(self.world.roster(team.key), games):
                out.append(
                    fill(
                        "PlayerSeason",
                        {
                            **totals,
                            **player_rates(totals),
                            **player_season_facts(p, p.team, season, season_type, played),
                            "Started": starts.get(p.player_id, 0),
                        },
                    )
                )
        return out

    # -- teams -----------------------------------------------------------------------------
    def team_facts(self, g: Game, result: GameResult, side: SideResult) -> dict[str, float]:
        """A team's counting stats in a game so far (points, quarters and totals)."""
        elapsed = self.league.elapsed(g)
        other = result.home if side is result.away else result.away
        facts = team_line(side, side_lines(side, elapsed), side_lines(other, elapsed))
        away, home = result.score_at(elapsed if elapsed < 1 else 2.0)
        points = home if side is result.home else away
        quarters = [0, 0, 0, 0]
        overtime = 0
        for s in result.scoring:
            if s.team == side.plan.team.key and (elapsed >= 1 or s.at <= elapsed):
                if s.at > 1:
                    overtime += s.points
                else:
                    quarters[min(int(s.at * 4), 3)] += s.points
        facts["Score"] = points
        facts["ScoreOvertime"] = overtime
        for q in range(4):
            facts[f"ScoreQuarter{q + 1}"] = quarters[q]
        return facts

    def team_game(self, g: Game, team: Team) -> dict[str, Any]:
        result = self.league.result(g)
        side = result.side(team.key)
        other = result.home if side is result.away else result.away
        mine, theirs = self.team_facts(g, result, side), self.team_facts(g, result, other)
        market = self.league.market(g)
        margin, total = market.at(g.kickoff)
        spread = round(-margin * 2) / 2 if team.key == g.home.key else round(margin * 2) / 2
        return fill(
            "TeamGame",
            {
                **self.identity(g, team),
                **_with_rates(mine, theirs),
                "TeamGameID": g.score_id * 10 + int(team.key == g.home.key),
                "Date": eastern(g.kickoff),
                "DayOfWeek": g.eastern.strftime("%A"),
                "TeamName": team.name,
                "TotalScore": mine["Score"] + theirs["Score"],
                "PointDifferential": mine["Score"] - theirs["Score"],
                "TurnoverDifferential": mine["Takeaways"] - mine["Giveaways"],
                "OverUnder": round(total * 2) / 2,
                "PointSpread": spread,
                **_possession(mine["OffensivePlays"], theirs["OffensivePlays"]),
            },
        )

    def team_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [
            self.team_game(g, team)
            for g in self.played(season, season_type, week)
            for team in (g.away, g.home)
        ]

    def team_seasons(self, season: int, season_type: str) -> list[dict[str, Any]]:
        lines: dict[str, list[dict[str, float]]] = {t.key: [] for t in TEAMS}
        against: dict[str, list[dict[str, float]]] = {t.key: [] for t in TEAMS}
        for g in self.world.season_games(season, season_type):
            if g.status(self.world.now) != "Final":
                continue
            result = self.league.result(g)
            away = self.team_facts(g, result, result.away)
            home = self.team_facts(g, result, result.home)
            lines[g.away.key].append(away)
            against[g.away.key].append(home)
            lines[g.home.key].append(home)
            against[g.home.key].append(away)
        out = []
        for t in TEAMS:
            mine = sum_lines(lines[t.key], TEAM_COUNTS)
            theirs = sum_lines(against[t.key], TEAM_COUNTS)
            out.append(
                fill(
                    "TeamSeason",
                    {
                        **_with_rates(mine, theirs),
                        "SeasonType": SEASON_TYPE_CODE[season_type],
                        "Season": season,
                        "Team": t.key,
                        "TeamName": t.name,
                        "TeamID": t.team_id,
                        "TeamSeasonID": season * 100 + t.team_id,
                        "TeamStatID": t.team_id,
                        "GlobalTeamID": t.team_id,
                        "Games": len(lines[t.key]),
                        "TotalScore": mine["Score"] + theirs["Score"],
                        "PointDifferential": mine["Score"] - theirs["Score"],
                        "TurnoverDifferential": mine["Takeaways"] - mine["Giveaways"],
                    },
                )
            )
        return out

    # -- injuries --------------------------------------------------------------------------
    def injuries(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        games = self.world.games(season, season_type, week)
        if not games or self.world.now < min(g.kickoff for g in games) - timedelta(days=7):
            return []
        availability = self.league.availability(season, season_type)
        out = []
        for g in games:
            declared = self.world.now >= g.kickoff - _INACTIVE_DECLARED
            for team, opp in ((g.away, g.home), (g.home, g.away)):
                for note in availability.report(week, team.key):
                    p = note.player
                    out.append(
                        fill(
                            "Injury",
                            {
                                "InjuryID": note.injury_id,
                                "SeasonType": SEASON_TYPE_CODE[season_type],
                                "Season": season,
                                "Week": week,
                                "PlayerID": p.player_id,
                                "Name": p.name,
                                "Position": p.position,
                                "Number": p.number,
                                "Team": team.key,
                                "Opponent": opp.key,
                                "BodyPart": note.body_part,
                                "Status": note.status,
                                "Updated": eastern(
                                    min(self.world.now, g.kickoff - timedelta(days=2))
                                ),
                                "DeclaredInactive": declared and not note.plays,
                                "TeamID": team.team_id,
                                "OpponentID": opp.team_id,
                            },
                        )
                    )
        return out


def _with_rates(mine: Mapping[str, float], theirs: Mapping[str, float]) -> dict[str, float]:
    # A team line and its opponent's twin fields (OpponentPassingYards ...), rates included.
    out = {**mine, **team_rates(mine)}
    for name, value in {**theirs, **team_rates(theirs)}.items():
        out[f"Opponent{name}"] = value
    return out


def _possession(plays: float, opp_plays: float) -> dict[str, Any]:
    # The clock is shared in proportion to the snaps each side ran.
    seconds = round(3600 * plays / (plays + opp_plays)) if plays + opp_plays else 1800
    minutes, rest = divmod(seconds, 60)
    other = divmod(3600 - seconds, 60)
    return {
        "TimeOfPossessionMinutes": minutes,
        "TimeOfPossessionSeconds": rest,
        "TimeOfPossession": f"{minutes}:{rest:02d}",
        "OpponentTimeOfPossessionMinutes": other[0],
        "OpponentTimeOfPossessionSeconds": other[1],
        "OpponentTimeOfPossession": f"{other[0]}:{other[1]:02d}",
    }
