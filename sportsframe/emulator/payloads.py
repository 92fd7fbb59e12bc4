"""Payloads in the real response schema, built from the models JSON plus the world's facts.

``fill(model, facts)`` produces a record with every field of the model, typed as the reference
says (ints, decimals, strings, booleans, Eastern date-time strings, nested models), then overlays
the meaningful facts (ids, teams, players, dates, scores, odds). So every field exists with the
right JSON type, and the ids agree across endpoints.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import orjson

from sportsframe.emulator.world import EASTERN, GAME_LENGTH, SEASON_TYPE_CODE, Game, Player, World
from sportsframe.league import TEAMS, Team

__all__ = ["Payloads", "fill", "models"]

SPORTSBOOKS = ((7, "DraftKings"), (8, "FanDuel"), (19, "BetMGM"), (21, "Caesars"))
RECEIVERS = ("WR", "TE", "RB")
PROP_TYPES = {
    "QB": ("Passing Yards", "Passing Touchdowns", "Passing Attempts", "Rushing Yards"),
    "RB": ("Rushing Yards", "Rushing Attempts", "Receptions"),
    "WR": ("Receiving Yards", "Receptions"),
    "TE": ("Receiving Yards", "Receptions"),
}


@cache
def models() -> dict[str, list[dict[str, Any]]]:
    """The models JSON: model name -> list of fields."""
    raw = resources.files("sportsframe").joinpath("sportsdataio-models.json").read_bytes()
    return {n: m["fields"] for n, m in orjson.loads(raw)["models"].items()}


def decimal_odds(american: int) -> float:
    """American odds as decimal odds (-110 -> 1.909)."""
    return round(1 + (100 / -american if american < 0 else american / 100), 3)


def eastern(when: datetime) -> str:
    """An Eastern wall-clock string as SportsDataIO writes it."""
    return when.astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M:%S")


def fill(
    model: str, facts: Mapping[str, Any], rnd: random.Random, *, depth: int = 0
) -> dict[str, Any]:
    """A record of ``model`` with every field typed per the reference, then ``facts`` applied."""
    out: dict[str, Any] = {}
    for f in models()[model]:
        name, kind = f["name"], f["type"]
        if name in facts:
            out[name] = facts[name]
        elif f["array"]:
            out[name] = []
        elif kind == "int":
            out[name] = rnd.randint(0, 30)
        elif kind == "dec":
            out[name] = round(rnd.random() * 50, 1)
        elif kind == "bool":
            out[name] = False
        elif kind == "str":
            out[name] = (
                None if f["nullable"] and rnd.random() < 0.2 else f"{name} {rnd.randint(1, 9)}"
            )
        elif kind == "dt" or f["nullable"] or depth > 0:
            out[name] = None
        else:
            out[name] = fill(kind, {}, rnd, depth=depth + 1)
    return out


class Payloads:
    """Every endpoint's payload for one world (memoised per request)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.seed = world.seed
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _rnd(self, *parts: Any) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def memo(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    # -- reference data ------------------------------------------------------------------
    def stadium(self, team: Team) -> dict[str, Any]:
        return fill(
            "Stadium",
            {
                "StadiumID": team.team_id,
                "Name": f"{team.city} Stadium",
                "City": team.city,
                "State": None,
                "Country": "USA",
                "Capacity": 65000 + team.team_id * 100,
                "PlayingSurface": "Grass",
                "Type": "Outdoor",
            },
            self._rnd("stadium", team.key),
        )

    def stadiums(self) -> list[dict[str, Any]]:
        return [self.stadium(t) for t in TEAMS]

    def teams(self, season: int) -> list[dict[str, Any]]:
        byes = self.world.byes(season)
        return [
            fill(
                "Team",
                {
                    "Key": t.key,
                    "TeamID": t.team_id,
                    "PlayerID": t.team_id,
                    "City": t.city,
                    "Name": t.name,
                    "FullName": t.full_name,
                    "Conference": t.conference,
                    "Division": t.division,
                    "StadiumID": t.team_id,
                    "ByeWeek": byes.get(t.key),
                    "GlobalTeamID": t.team_id,
                    "StadiumDetails": self.stadium(t),
                },
                self._rnd("team", t.key),
            )
            for t in TEAMS
        ]

    def player_facts(self, p: Player) -> dict[str, Any]:
        return {
            "PlayerID": p.player_id,
            "Team": p.team.key,
            "TeamID": p.team.team_id,
            "Number": p.number,
            "FirstName": p.first_name,
            "LastName": p.last_name,
            "Name": p.name,
            "ShortName": f"{p.first_name[0]}. {p.last_name}",
            "Position": p.position,
            "PositionCategory": p.category,
            "FantasyPosition": p.position,
            "Status": "Active",
            "Active": True,
            "BirthDate": "1998-05-04T00:00:00",
            "InjuryStatus": None,
            "InjuryStartDate": None,
            "UpcomingGameWeek": 1,
            "DeclaredInactive": False,
            "IsUndraftedFreeAgent": False,
        }

    def player_detail(self, p: Player) -> dict[str, Any]:
        facts = {**self.player_facts(p), "PlayerSeason": None, "LatestNews": []}
        return fill("PlayerDetail", facts, self._rnd("player", p.player_id))

    def players(self, team: str) -> list[dict[str, Any]]:
        return [self.player_detail(p) for p in self.world.roster(team)]

    def news(self, team: str | None = None, player_id: int | None = None) -> list[dict[str, Any]]:
        out = []
        players = list(self.world.players.values())
        rnd = self._rnd("news", self.world.now.date())
        for i in range(40):
            p = players[rnd.randrange(len(players))]
            when = self.world.now - timedelta(hours=3 * i + 1)
            out.append(
                fill(
                    "News",
                    {
                        "NewsID": 500000 + i,
                        "Source": "Emulator Wire",
                        "Updated": eastern(when),
                        "Title": f"{p.name} news item {i}",
                        "PlayerID": p.player_id,
                        "TeamID": p.team.team_id,
                        "Team": p.team.key,
                        "PlayerID2": None,
                        "TeamID2": None,
                        "Team2": None,
                    },
                    rnd,
                )
            )
        if team is not None:
            out = [n for n in out if n["Team"] == team]
        if player_id is not None:
            out = [n for n in out if n["PlayerID"] == player_id]
        return out

    def depth_charts(self) -> list[dict[str, Any]]:
        out = []
        for team in TEAMS:
            units: dict[str, list[dict[str, Any]]] = {"OFF": [], "DEF": [], "ST": []}
            for order, p in enumerate(self.world.roster(team.key)):
                units[p.category].append(
                    fill(
                        "DepthChart",
                        {
                            "DepthChartID": p.player_id,
                            "TeamID": team.team_id,
                            "PlayerID": p.player_id,
                            "Name": p.name,
                            "PositionCategory": p.category,
                            "Position": p.position,
                            "DepthOrder": order % 3 + 1,
                            "Updated": eastern(self.world.now - timedelta(days=1)),
                        },
                        self._rnd("depth", p.player_id),
                    )
                )
            out.append(
                {
                    "TeamID": team.team_id,
                    "Offense": units["OFF"],
                    "Defense": units["DEF"],
                    "SpecialTeams": units["ST"],
                }
            )
        return out

    # -- games ---------------------------------------------------------------------------
    def score(self, g: Game) -> dict[str, Any]:
        status = g.status(self.world.now)
        final = status == "Final"
        started = status != "Scheduled"
        away, home = g.score(self.seed) if started else (None, None)
        if status == "InProgress" and away is not None and home is not None:
            away, home = away // 2, home // 2
        facts: dict[str, Any] = {
            "GameKey": g.game_key,
            "SeasonType": SEASON_TYPE_CODE[g.season_type],
            "Season": g.season,
            "Week": g.week,
            "ScoreID": g.score_id,
            "GlobalGameID": g.score_id,
            "AwayTeam": g.away.key,
            "HomeTeam": g.home.key,
            "AwayTeamID": g.away.team_id,
            "HomeTeamID": g.home.team_id,
            "GlobalAwayTeamID": g.away.team_id,
            "GlobalHomeTeamID": g.home.team_id,
            "Date": eastern(g.kickoff),
            "DateTime": eastern(g.kickoff),
            "Day": g.eastern.strftime("%Y-%m-%dT00:00:00"),
            "DateTimeUTC": g.kickoff.strftime("%Y-%m-%dT%H:%M:%S"),
            "Status": status,
            "AwayScore": away,
            "HomeScore": home,
            "HasStarted": started,
            "IsInProgress": status == "InProgress",
            "IsOver": final,
            "IsClosed": final,
            "Closed": final,
            "Canceled": False,
            "Quarter": "F" if final else ("2" if started else None),
            "StadiumID": g.home.team_id,
            "StadiumDetails": self.stadium(g.home),
            "LastUpdated": eastern(min(self.world.now, g.kickoff + timedelta(hours=4))),
            "GameEndDateTime": eastern(g.kickoff + GAME_LENGTH) if final else None,
            "Possession": g.home.key if status == "InProgress" else None,
            "PointSpread": -3.0,
            "OverUnder": 45.5,
            "Attendance": 65000 if final else 0,
        }
        for side, pts in (("Away", away), ("Home", home)):
            for q in range(1, 5):
                facts[f"{side}ScoreQuarter{q}"] = (
                    (pts // 4 if q < 4 else pts - 3 * (pts // 4))
                    if final and pts is not None
                    else None
                )
            facts[f"{side}ScoreOvertime"] = 0 if final else None
        for flag in (
            "Has1stQuarterStarted",
            "Has2ndQuarterStarted",
            "Has3rdQuarterStarted",
            "Has4thQuarterStarted",
        ):
            facts[flag] = started
        facts["IsOvertime"] = False
        return fill("Score", facts, self._rnd("score", g.score_id))

    def scores(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [self.score(g) for g in self.world.games(season, season_type, week)]

    def schedules(self, season: int, season_type: str) -> list[dict[str, Any]]:
        names = {f["name"] for f in models()["Schedule"]}
        return [
            {k: v for k, v in self.score(g).items() if k in names}
            for g in self.world.season_games(season, season_type)
        ]

    def byes(self, season: int) -> list[dict[str, Any]]:
        return [
            {"Season": season, "Week": w, "Team": t}
            for t, w in sorted(self.world.byes(season).items())
        ]

    def standings(self, season: int, season_type: str) -> list[dict[str, Any]]:
        out = []
        for t in TEAMS:
            rnd = self._rnd("standing", season, t.key)
            wins = rnd.randint(2, 14)
            out.append(
                fill(
                    "Standing",
                    {
                        "SeasonType": SEASON_TYPE_CODE[season_type],
                        "Season": season,
                        "Conference": t.conference,
                        "Division": t.division,
                        "Team": t.key,
                        "Name": t.name,
                        "TeamID": t.team_id,
                        "GlobalTeamID": t.team_id,
                        "Wins": wins,
                        "Losses": 17 - wins,
                        "Ties": 0,
                        "Percentage": round(wins / 17, 3),
                    },
                    rnd,
                )
            )
        return out

    def _played(self, season: int, season_type: str, week: int) -> list[Game]:
        return [
            g
            for g in self.world.games(season, season_type, week)
            if g.status(self.world.now) != "Scheduled"
        ]

    def team_game(self, g: Game, team: Team, opponent: Team, home: bool) -> dict[str, Any]:
        away_pts, home_pts = g.score(self.seed)
        pts, opp = (home_pts, away_pts) if home else (away_pts, home_pts)
        return fill(
            "TeamGame",
            {
                "TeamGameID": g.score_id * 10 + int(home),
                "ScoreID": g.score_id,
                "GameKey": g.game_key,
                "SeasonType": SEASON_TYPE_CODE[g.season_type],
                "Season": g.season,
                "Week": g.week,
                "Date": eastern(g.kickoff),
                "DateTime": eastern(g.kickoff),
                "Day": g.eastern.strftime("%Y-%m-%dT00:00:00"),
                "Team": team.key,
                "Opponent": opponent.key,
                "HomeOrAway": "HOME" if home else "AWAY",
                "TeamID": team.team_id,
                "OpponentID": opponent.team_id,
                "Score": pts,
                "OpponentScore": opp,
                "TotalScore": pts + opp,
                "IsGameOver": True,
                "GlobalTeamID": team.team_id,
                "GlobalOpponentID": opponent.team_id,
                "GlobalGameID": g.score_id,
            },
            self._rnd("teamgame", g.score_id, team.key),
        )

    def team_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        out = []
        for g in self._played(season, season_type, week):
            out += [
                self.team_game(g, g.away, g.home, False),
                self.team_game(g, g.home, g.away, True),
            ]
        return out

    def team_seasons(self, season: int, season_type: str) -> list[dict[str, Any]]:
        return [
            fill(
                "TeamSeason",
                {
                    "SeasonType": SEASON_TYPE_CODE[season_type],
                    "Season": season,
                    "Team": t.key,
                    "TeamID": t.team_id,
                    "TeamSeasonID": season * 100 + t.team_id,
                    "TeamStatID": t.team_id,
                    "GlobalTeamID": t.team_id,
                    "Games": 17,
                },
                self._rnd("teamseason", season, t.key),
            )
            for t in TEAMS
        ]

    def player_game(self, g: Game, p: Player) -> dict[str, Any]:
        home = p.team.key == g.home.key
        opponent = g.away if home else g.home
        rnd = self._rnd("pg", g.score_id, p.player_id)
        return fill(
            "PlayerGame",
            {
                "PlayerGameID": g.score_id * 100 + p.player_id % 100,
                "PlayerID": p.player_id,
                "ScoreID": g.score_id,
                "GameKey": g.game_key,
                "SeasonType": SEASON_TYPE_CODE[g.season_type],
                "Season": g.season,
                "Week": g.week,
                "GameDate": eastern(g.kickoff),
                "Day": g.eastern.strftime("%Y-%m-%dT00:00:00"),
                "DateTime": eastern(g.kickoff),
                "Team": p.team.key,
                "Opponent": opponent.key,
                "HomeOrAway": "HOME" if home else "AWAY",
                "TeamID": p.team.team_id,
                "OpponentID": opponent.team_id,
                "Number": p.number,
                "Name": p.name,
                "ShortName": f"{p.first_name[0]}. {p.last_name}",
                "Position": p.position,
                "PositionCategory": p.category,
                "FantasyPosition": p.position,
                "Activated": 1,
                "Played": 1,
                "Started": 1,
                "IsGameOver": True,
                "InjuryStatus": None,
                "Updated": eastern(g.kickoff + timedelta(hours=4)),
                "GlobalGameID": g.score_id,
                "GlobalTeamID": p.team.team_id,
                "GlobalOpponentID": opponent.team_id,
                "ScoringDetails": [],
                "PassingYards": float(rnd.randint(150, 350)) if p.position == "QB" else 0.0,
                "RushingYards": float(rnd.randint(0, 120)) if p.position in ("QB", "RB") else 0.0,
                "ReceivingYards": float(rnd.randint(0, 110)) if p.position in RECEIVERS else 0.0,
                "Receptions": float(rnd.randint(0, 9)) if p.position in RECEIVERS else 0.0,
            },
            rnd,
        )

    def skill_players(self, team: Team) -> list[Player]:
        return [p for p in self.world.roster(team.key) if p.position in PROP_TYPES]

    def player_games(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [
            self.player_game(g, p)
            for g in self._played(season, season_type, week)
            for team in (g.away, g.home)
            for p in self.world.roster(team.key)
            if p.position not in ("OT", "G", "C", "LS")
        ]

    def box_score(self, g: Game) -> dict[str, Any]:
        played = g.status(self.world.now) != "Scheduled"
        players = (
            [self.player_game(g, p) for team in (g.away, g.home) for p in self.skill_players(team)]
            if played
            else []
        )
        quarters = (
            [
                fill(
                    "Quarter",
                    {
                        "QuarterID": g.score_id * 10 + q,
                        "ScoreID": g.score_id,
                        "Number": q,
                        "Name": str(q),
                    },
                    self._rnd("q", g.score_id, q),
                )
                for q in range(1, 5)
            ]
            if played
            else []
        )
        return {
            "Score": self.score(g),
            "Quarters": quarters,
            "TeamGames": [
                self.team_game(g, g.away, g.home, False),
                self.team_game(g, g.home, g.away, True),
            ]
            if played
            else [],
            "PlayerGames": players,
            "FantasyDefenseGames": [],
            "ScoringPlays": [],
            "ScoringDetails": [],
        }

    def box_scores(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [
            self.box_score(g)
            for g in self.world.games(season, season_type, week)
            if g.status(self.world.now) == "Final"
        ]

    def player_seasons(self, season: int, season_type: str) -> list[dict[str, Any]]:
        return [
            fill(
                "PlayerSeason",
                {
                    "PlayerSeasonID": season * 100000 + p.player_id,
                    "PlayerID": p.player_id,
                    "SeasonType": SEASON_TYPE_CODE[season_type],
                    "Season": season,
                    "Team": p.team.key,
                    "TeamID": p.team.team_id,
                    "Number": p.number,
                    "Name": p.name,
                    "Position": p.position,
                    "PositionCategory": p.category,
                    "FantasyPosition": p.position,
                    "ScoringDetails": [],
                },
                self._rnd("ps", season, p.player_id),
            )
            for team in TEAMS
            for p in self.skill_players(team)
        ]

    def injuries(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        games = self.world.games(season, season_type, week)
        if not games or self.world.now < min(g.kickoff for g in games) - timedelta(days=7):
            return []
        out = []
        for g in games:
            for team, opp in ((g.away, g.home), (g.home, g.away)):
                rnd = self._rnd("inj", g.score_id, team.key)
                for p in rnd.sample(self.world.roster(team.key), 3):
                    out.append(
                        fill(
                            "Injury",
                            {
                                "InjuryID": g.score_id * 100 + p.player_id % 100,
                                "SeasonType": SEASON_TYPE_CODE[season_type],
                                "Season": season,
                                "Week": week,
                                "PlayerID": p.player_id,
                                "Name": p.name,
                                "Position": p.position,
                                "Number": p.number,
                                "Team": team.key,
                                "Opponent": opp.key,
                                "BodyPart": rnd.choice(("Knee", "Ankle", "Hamstring")),
                                "Status": rnd.choice(("Questionable", "Doubtful", "Out")),
                                "Updated": eastern(g.kickoff - timedelta(days=2)),
                                "DeclaredInactive": False,
                                "TeamID": team.team_id,
                                "OpponentID": opp.team_id,
                            },
                            rnd,
                        )
                    )
        return out

    def play_by_play(self, g: Game) -> dict[str, Any]:
        plays = []
        if g.status(self.world.now) != "Scheduled":
            rnd = self._rnd("pbp", g.score_id)
            for i in range(120):
                team, opp = (g.home, g.away) if i % 2 else (g.away, g.home)
                when = g.kickoff + timedelta(minutes=i)
                plays.append(
                    fill(
                        "Play",
                        {
                            "PlayID": g.score_id * 1000 + i,
                            "QuarterID": g.score_id * 10 + i // 30 + 1,
                            "QuarterName": str(i // 30 + 1),
                            "Sequence": i + 1,
                            "Team": team.key,
                            "Opponent": opp.key,
                            "PlayTime": eastern(when),
                            "Updated": eastern(when),
                            "Created": eastern(when),
                            "Type": rnd.choice(("Rush", "PassCompleted", "PassIncomplete", "Punt")),
                            "ScoringPlay": None,
                            "PlayStats": [],
                            "IsScoringPlay": False,
                        },
                        rnd,
                    )
                )
        return {"Score": self.score(g), "Quarters": [], "Plays": plays}

    # -- odds and props ------------------------------------------------------------------
    def markets_open(self, g: Game) -> bool:
        return g.kickoff <= self.world.now + timedelta(days=7)

    def game_odds(self, g: Game, live: bool = False) -> dict[str, Any]:
        rnd = self._rnd("odds", g.score_id, live)
        away, home = g.score(self.seed) if g.status(self.world.now) == "Final" else (None, None)
        odds = []
        if self.markets_open(g) and (not live or g.status(self.world.now) != "Scheduled"):
            for book_id, book in SPORTSBOOKS:
                spread = rnd.choice((-7.5, -6.5, -3.5, -3.0, -2.5, 1.5, 3.0, 4.5))
                odds.append(
                    fill(
                        "GameOdd",
                        {
                            "GameOddId": g.score_id * 100 + book_id,
                            "Sportsbook": book,
                            "SportsbookId": book_id,
                            "ScoreId": g.score_id,
                            "GameId": g.score_id,
                            "Created": eastern(g.kickoff - timedelta(days=6)),
                            "Updated": eastern(min(self.world.now, g.kickoff)),
                            "HomeMoneyLine": -150,
                            "AwayMoneyLine": 130,
                            "DrawMoneyLine": None,
                            "HomePointSpread": spread,
                            "AwayPointSpread": -spread,
                            "HomePointSpreadPayout": -110,
                            "AwayPointSpreadPayout": -110,
                            "OverUnder": rnd.choice((41.5, 44.0, 47.5)),
                            "OverPayout": -110,
                            "UnderPayout": -110,
                            "OddType": "live" if live else "pregame",
                            "Unlisted": None,
                        },
                        rnd,
                    )
                )
        return fill(
            "GameInfo",
            {
                "GameId": g.score_id,
                "ScoreId": g.score_id,
                "GlobalGameId": g.score_id,
                "Season": g.season,
                "SeasonType": SEASON_TYPE_CODE[g.season_type],
                "Week": g.week,
                "Day": g.eastern.strftime("%Y-%m-%dT00:00:00"),
                "DateTime": eastern(g.kickoff),
                "Status": g.status(self.world.now),
                "AwayTeamId": g.away.team_id,
                "HomeTeamId": g.home.team_id,
                "GlobalAwayTeamId": g.away.team_id,
                "GlobalHomeTeamId": g.home.team_id,
                "AwayTeamName": g.away.key,
                "HomeTeamName": g.home.key,
                "HomeTeamScore": home,
                "AwayTeamScore": away,
                "TotalScore": (home + away) if home is not None and away is not None else None,
                "PregameOdds": [] if live else odds,
                "LiveOdds": odds if live else [],
                "AlternateMarketPregameOdds": [],
            },
            rnd,
        )

    def odds(self, season: int, season_type: str, week: int, live: bool) -> list[dict[str, Any]]:
        games = [g for g in self.world.games(season, season_type, week) if self.markets_open(g)]
        return [self.game_odds(g, live) for g in games]

    def player_props(self, g: Game) -> list[dict[str, Any]]:
        """BettingMarket[] of one game's player props (with alternate lines)."""
        if not self.markets_open(g):
            return []
        markets: list[dict[str, Any]] = []
        rnd = self._rnd("props", g.score_id)
        created = eastern(g.kickoff - timedelta(days=5))
        updated = eastern(min(self.world.now, g.kickoff))
        for team in (g.away, g.home):
            players = self.skill_players(team)
            starters = (
                [p for p in players if p.position == "QB"][:1]
                + [p for p in players if p.position == "RB"][:2]
                + [p for p in players if p.position == "WR"][:3]
                + [p for p in players if p.position == "TE"][:1]
            )
            for p in starters:
                for bet in PROP_TYPES[p.position]:
                    market_id = g.score_id * 1000 + len(markets)
                    line = round(rnd.uniform(0.5, 280.5) * 2) / 2
                    outcomes: list[dict[str, Any]] = []
                    # Two of the books quote each market: about 2,000 outcomes a week.
                    for book_id, book in rnd.sample(SPORTSBOOKS, 2):
                        lines = [(line, False)]
                        if rnd.random() < 0.15:
                            lines.append((line + 10.0, True))
                        for value, alternate in lines:
                            for side in ("Over", "Under"):
                                payout = rnd.choice((-125, -115, -110, -105, 100, 105))
                                outcomes.append(
                                    fill(
                                        "BettingOutcome",
                                        {
                                            "BettingOutcomeID": market_id * 100 + len(outcomes),
                                            "BettingMarketID": market_id,
                                            "SportsBook": {"SportsbookID": book_id, "Name": book},
                                            "BettingOutcomeTypeID": 3 if side == "Over" else 4,
                                            "BettingOutcomeType": side,
                                            "PayoutAmerican": payout,
                                            "PayoutDecimal": decimal_odds(payout),
                                            "Value": value,
                                            "Participant": p.name,
                                            "IsAvailable": True,
                                            "IsAlternate": alternate,
                                            "Created": created,
                                            "Updated": updated,
                                            "Unlisted": None,
                                            "TeamID": team.team_id,
                                            "PlayerID": p.player_id,
                                            "GlobalTeamID": team.team_id,
                                            "IsInPlay": False,
                                        },
                                        rnd,
                                    )
                                )
                    markets.append(
                        fill(
                            "BettingMarket",
                            {
                                "BettingMarketID": market_id,
                                "BettingEventID": g.score_id,
                                "BettingMarketTypeID": 2,
                                "BettingMarketType": "Player Prop",
                                "BettingBetTypeID": 40 + list(PROP_TYPES[p.position]).index(bet),
                                "BettingBetType": bet,
                                "BettingPeriodTypeID": 1,
                                "BettingPeriodType": "Full Game",
                                "Name": f"{p.name} {bet}",
                                "TeamID": team.team_id,
                                "TeamKey": team.key,
                                "PlayerID": p.player_id,
                                "PlayerName": p.name,
                                "Created": created,
                                "Updated": updated,
                                "AvailableSportsbooks": [
                                    {"SportsbookID": b, "Name": n} for b, n in SPORTSBOOKS
                                ],
                                "AnyBetsAvailable": True,
                                "BettingOutcomes": outcomes,
                                "ConsensusOutcomes": [],
                                "IsArchived": False,
                                "ArchiveLocation": None,
                            },
                            rnd,
                        )
                    )
        return markets

    def betting_markets(self, g: Game) -> list[dict[str, Any]]:
        return self.player_props(g)

    def betting_events(self, season: int) -> list[dict[str, Any]]:
        return [
            fill(
                "BettingEvent",
                {
                    "BettingEventID": g.score_id,
                    "Name": f"{g.away.key} @ {g.home.key}",
                    "Season": season,
                    "BettingEventTypeID": 1,
                    "BettingEventType": "Game",
                    "StartDate": eastern(g.kickoff),
                    "GameStartTime": eastern(g.kickoff),
                    "Created": eastern(g.kickoff - timedelta(days=10)),
                    "Updated": eastern(min(self.world.now, g.kickoff)),
                    "ScoreID": g.score_id,
                    "GlobalScoreID": g.score_id,
                    "GameStatus": g.status(self.world.now),
                    "AwayTeam": g.away.key,
                    "HomeTeam": g.home.key,
                    "AwayTeamID": g.away.team_id,
                    "HomeTeamID": g.home.team_id,
                    "GlobalAwayTeamID": g.away.team_id,
                    "GlobalHomeTeamID": g.home.team_id,
                    "BettingMarkets": [],
                },
                self._rnd("event", g.score_id),
            )
            for g in self.world.season_games(season)
        ]

    def generated_props(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        out = []
        for g in self.world.games(season, season_type, week):
            if not self.markets_open(g):
                continue
            for team, opp in ((g.away, g.home), (g.home, g.away)):
                for p in self.skill_players(team)[:6]:
                    rnd = self._rnd("gprop", g.score_id, p.player_id)
                    out.append(
                        fill(
                            "PlayerProp",
                            {
                                "PlayerID": p.player_id,
                                "ScoreID": g.score_id,
                                "Name": p.name,
                                "Team": team.key,
                                "Opponent": opp.key,
                                "DateTime": eastern(g.kickoff),
                                "Description": PROP_TYPES[p.position][0],
                                "OverUnder": round(rnd.uniform(10, 250), 1),
                                "OverPayout": -110,
                                "UnderPayout": -110,
                                "BetResult": None,
                                "StatResult": None,
                            },
                            rnd,
                        )
                    )
        return out
