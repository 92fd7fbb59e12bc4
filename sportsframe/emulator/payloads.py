"""Every endpoint's payload for one world: reference data, rosters, news, depth charts and games.

The stats and odds feeds live in :mod:`.statfeeds` and :mod:`.bettingfeeds`; all of them read
the same simulated league (:class:`~.sim.League`), so ids, players, injuries, scores and lines
agree across endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from sportsframe.emulator.bettingfeeds import BettingFeeds
from sportsframe.emulator.book import CONSENSUS, game_quote
from sportsframe.emulator.injuries import InjuryNote
from sportsframe.emulator.plan import MARGIN_SD
from sportsframe.emulator.plays import plays, scoring_records
from sportsframe.emulator.records import day, eastern, fill, game_teams, models
from sportsframe.emulator.sim import League
from sportsframe.emulator.standings import standings
from sportsframe.emulator.statfeeds import StatFeeds
from sportsframe.emulator.world import GAME_LENGTH, SEASON_TYPE_CODE, Game, Player, World
from sportsframe.league import TEAMS, Team

__all__ = ["Payloads", "depth_chart"]

# Typical build by position: (height in inches, weight in pounds).
_BUILD = {
    "QB": (75, 220), "RB": (70, 215), "FB": (72, 245), "WR": (72, 200), "TE": (77, 250),
    "OT": (78, 315), "G": (76, 315), "C": (75, 305), "DE": (76, 270), "DT": (75, 305),
    "LB": (74, 240), "CB": (71, 195), "S": (72, 205), "K": (72, 195), "P": (74, 215),
    "LS": (74, 240),
}  # fmt: skip
_NEWS_KEPT = 40


def depth_chart(
    model: str, team: Team, ranked: Iterable[tuple[Player, int, int]], updated: str
) -> dict[str, Any]:
    """A team's depth chart: its ``ranked`` players (each with his record's id and his depth
    order) as ``model`` records, in offence, defence and special-teams units."""
    units: dict[str, list[dict[str, Any]]] = {"OFF": [], "DEF": [], "ST": []}
    for p, record_id, order in ranked:
        units[p.category].append(
            fill(
                model,
                {
                    f"{model}ID": record_id,
                    "TeamID": team.team_id,
                    "PlayerID": p.player_id,
                    "Name": p.name,
                    "PositionCategory": p.category,
                    "Position": p.position,
                    "DepthOrder": order,
                    "Updated": updated,
                },
            )
        )
    return {
        "TeamID": team.team_id,
        "Offense": units["OFF"],
        "Defense": units["DEF"],
        "SpecialTeams": units["ST"],
    }


class Payloads:
    """Every endpoint's payload for one world (memoised per request path by the app)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.league = League(world)
        self.stats = StatFeeds(world, self.league)
        self.betting = BettingFeeds(world, self.league)
        self._memo: dict[tuple[Any, ...], Any] = {}

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
            )
            for t in TEAMS
        ]

    # -- the current week's injuries, as rosters, depth charts and news see them ---------
    def current_notes(self) -> dict[int, InjuryNote]:
        """The current injury report by player id (empty with no report week)."""
        week = self.league.report_week()
        if week is None:
            return {}
        season, season_type, number = week
        availability = self.league.availability(season, season_type)
        return {n.player.player_id: n for t in TEAMS for n in availability.report(number, t.key)}

    def depth(self, team: Team) -> list[tuple[Player, int]]:
        """The team's players and depth order; a player ruled out drops below the healthy."""
        built: list[tuple[Player, int]] = self.memo(("depth", team.key), partial(self._depth, team))
        return built

    def _depth(self, team: Team) -> list[tuple[Player, int]]:
        week = self.league.report_week()
        season = week[0] if week else self.world.current_season()
        notes = self.memo(("notes",), self.current_notes)
        out_now = {pid for pid, n in notes.items() if n.status == "Out"}
        talent = self.league.talent(season).depth_chart(team.key)
        ordered = sorted(
            talent, key=lambda t: (t.player.position, t.player.player_id in out_now, t.depth)
        )
        rank: dict[str, int] = {}
        out = []
        for t in ordered:
            pos = t.player.position
            rank[pos] = rank.get(pos, 0) + 1
            out.append((t.player, rank[pos]))
        return out

    def player_facts(self, p: Player) -> dict[str, Any]:
        notes: dict[int, InjuryNote] = self.memo(("notes",), self.current_notes)
        note = notes.get(p.player_id)
        order = dict((q.player_id, d) for q, d in self.depth(p.team))
        rnd = self.league.stream("bio", p.player_id)
        height, weight = _BUILD[p.position]
        height += rnd.randint(-2, 2)
        age = rnd.randint(22, 34)
        birth_year = self.world.current_season() - age
        upcoming = self._upcoming(p.team)
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
            "Height": f"{height // 12}'{height % 12}\"",
            "HeightFeet": height // 12,
            "HeightInches": height % 12,
            "Weight": weight + rnd.randint(-12, 12),
            "BirthDate": f"{birth_year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T00:00:00",
            "Age": age,
            "Experience": max(age - 22, 0),
            "ByeWeek": self.world.byes(self.world.current_season()).get(p.team.key),
            "UpcomingGameOpponent": upcoming[0],
            "UpcomingGameWeek": upcoming[1],
            "DepthPosition": p.position,
            "DepthOrder": order.get(p.player_id),
            "InjuryStatus": note.status if note else None,
            "InjuryBodyPart": note.body_part if note else None,
            "InjuryStartDate": self._injury_start(note),
            "DeclaredInactive": bool(note and not note.plays and note.status == "Out"),
            "IsUndraftedFreeAgent": False,
        }

    def _upcoming(self, team: Team) -> tuple[str | None, int]:
        season = self.world.current_season()
        for g in self.world.season_games(season):
            if g.status(self.world.now) != "Final" and team.key in (g.home.key, g.away.key):
                return (g.away.key if g.home.key == team.key else g.home.key), g.week
        return None, 0

    def _injury_start(self, note: InjuryNote | None) -> str | None:
        week = self.league.report_week()
        if note is None or week is None:
            return None
        games = self.world.games(week[0], week[1], note.start_week)
        start = min((g.kickoff for g in games), default=None)
        return eastern(start - timedelta(days=3)) if start else None

    def player_detail(self, p: Player) -> dict[str, Any]:
        facts = {**self.player_facts(p), "PlayerSeason": None, "LatestNews": []}
        return fill("PlayerDetail", facts)

    def players(self, team: str) -> list[dict[str, Any]]:
        return [self.player_detail(p) for p in self.world.roster(team)]

    def news(self, team: str | None = None, player_id: int | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.memo(("news-pool",), self.news_pool)
        if team is not None:
            items = [n for n in items if n["Team"] == team]
        if player_id is not None:
            items = [n for n in items if n["PlayerID"] == player_id]
        return items[:_NEWS_KEPT]

    def news_pool(self) -> list[dict[str, Any]]:
        """The recent news: injury updates of the last weeks and the last week's big games."""
        week = self.league.report_week()
        if week is None:
            return []
        season, season_type, current = week
        availability = self.league.availability(season, season_type)
        raw: list[tuple[Any, int, str, Player, str]] = []  # when, week, title, player, category
        for number in range(max(current - 2, 1), current + 1):
            for g in self.world.games(season, season_type, number):
                for team, opp in ((g.away, g.home), (g.home, g.away)):
                    for n in availability.report(number, team.key):
                        raw.append(
                            (
                                g.kickoff - timedelta(days=2),
                                number,
                                _injury_title(n, number, opp),
                                n.player,
                                "Injury",
                            )
                        )
                if g.status(self.world.now) == "Final":
                    raw += self._game_news(g, number)
        raw = [r for r in raw if r[0] <= self.world.now]
        raw.sort(key=lambda r: (r[0], r[3].player_id), reverse=True)
        out = []
        for i, (when, number, title, p, category) in enumerate(raw):
            out.append(
                fill(
                    "News",
                    {
                        "NewsID": 500000 + ((season - 2000) * 20 + number) * 1000 + i % 1000,
                        "Source": "Emulator Wire",
                        "Updated": eastern(when),
                        "Title": title,
                        "Content": title,
                        "Categories": category,
                        "PlayerID": p.player_id,
                        "TeamID": p.team.team_id,
                        "Team": p.team.key,
                    },
                )
            )
        return out

    def _game_news(self, g: Game, week: int) -> list[tuple[Any, int, str, Player, str]]:
        result = self.league.result(g)
        when = g.kickoff + GAME_LENGTH + timedelta(minutes=30)
        out = []
        for side, other in ((result.away, result.home), (result.home, result.away)):
            passer = side.plan.passer
            if passer is None:
                continue
            line = side.lines[passer.player.player_id]
            verdict = "win" if side.points > other.points else "loss"
            title = (
                f"{passer.player.name} throws for {int(line.get('PassingYards', 0))} yards and "
                f"{int(line.get('PassingTouchdowns', 0))} TD in {verdict} over "
                f"{other.plan.team.key}"
            ).replace("loss over", "loss to")
            out.append((when, week, title, passer.player, "Game Recap"))
        return out

    def depth_charts(self) -> list[dict[str, Any]]:
        out = []
        updated = eastern(self.world.now - timedelta(days=1))
        for team in TEAMS:
            ranked = ((p, p.player_id, order) for p, order in self.depth(team))
            out.append(depth_chart("DepthChart", team, ranked, updated))
        return out

    # -- games ---------------------------------------------------------------------------
    def score(self, g: Game, *, result: bool = True) -> dict[str, Any]:
        """The game's Score record; ``result=False`` leaves out what only the result knows
        (a schedule has no scores, so it need not play the season)."""
        status = g.status(self.world.now)
        final = status == "Final"
        started = status != "Scheduled"
        elapsed = self.league.elapsed(g)
        facts: dict[str, Any] = {
            "GameKey": g.game_key,
            "SeasonType": SEASON_TYPE_CODE[g.season_type],
            "Season": g.season,
            "Week": g.week,
            "ScoreID": g.score_id,
            "GlobalGameID": g.score_id,
            **game_teams(g),
            "Date": eastern(g.kickoff),
            "DateTime": eastern(g.kickoff),
            "Day": day(g.kickoff),
            "DateTimeUTC": g.kickoff.strftime("%Y-%m-%dT%H:%M:%S"),
            "Status": status,
            "HasStarted": started,
            "IsInProgress": status == "InProgress",
            "IsOver": final,
            "IsClosed": final,
            "Closed": final,
            "Canceled": False,
            "NeutralVenue": False,
            "StadiumID": g.home.team_id,
            "StadiumDetails": self.stadium(g.home),
            "LastUpdated": eastern(min(self.world.now, g.kickoff + timedelta(hours=4))),
            "GameEndDateTime": eastern(g.kickoff + GAME_LENGTH) if final else None,
            "Attendance": 60000 + g.home.team_id * 100 if final else 0,
            "IsOvertime": False,
        }
        facts.update(self._lines(g))
        for q, flag in enumerate(("Has1st", "Has2nd", "Has3rd", "Has4th")):
            facts[f"{flag}QuarterStarted"] = started and elapsed >= q / 4
        if started and result:
            facts.update(self._score_so_far(g, elapsed))
        return fill("Score", facts)

    def _lines(self, g: Game) -> dict[str, Any]:
        if not self.betting.markets_open(g):
            return {}
        margin, total = self.league.market(g).at(min(self.world.now, g.kickoff))
        quote = game_quote(margin, total, MARGIN_SD, CONSENSUS, 0.0)
        return {
            "PointSpread": quote.home_spread,
            "OverUnder": quote.total,
            "AwayTeamMoneyLine": quote.away_moneyline,
            "HomeTeamMoneyLine": quote.home_moneyline,
            "PointSpreadAwayTeamMoneyLine": quote.away_spread_payout,
            "PointSpreadHomeTeamMoneyLine": quote.home_spread_payout,
            "OverPayout": quote.over_payout,
            "UnderPayout": quote.under_payout,
        }

    def _score_so_far(self, g: Game, elapsed: float) -> dict[str, Any]:
        board = self.league.scoreboard(g)
        final = elapsed >= 1
        facts: dict[str, Any] = {}
        overtime = any(s.at > 1 for s in board.scoring)
        for side, key in (("Away", g.away.key), ("Home", g.home.key)):
            quarters: list[int | None] = [0, 0, 0, 0]
            for q in range(4):
                if not final and elapsed < q / 4:
                    quarters[q] = None
            extra = 0
            for s in board.scoring:
                if s.team != key or (not final and s.at > elapsed):
                    continue
                if s.at > 1:
                    extra += s.points
                else:
                    q = min(int(s.at * 4), 3)
                    quarters[q] = (quarters[q] or 0) + s.points
            for q in range(4):
                facts[f"{side}ScoreQuarter{q + 1}"] = quarters[q]
            facts[f"{side}ScoreOvertime"] = extra if final else None
            facts[f"{side}Score"] = sum(v or 0 for v in quarters) + extra
        if final:
            facts["Quarter"] = "F/OT" if overtime else "F"
            facts["IsOvertime"] = overtime
        else:
            quarter = min(int(elapsed * 4), 3)
            left = int((1 - (elapsed * 4 - quarter)) * 15 * 60)
            facts["Quarter"] = str(quarter + 1)
            facts["TimeRemaining"] = f"{left // 60}:{left % 60:02d}"
            facts["Possession"] = g.home.key if int(elapsed * 44) % 2 else g.away.key
        return facts

    def scores(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [self.score(g) for g in self.world.games(season, season_type, week)]

    def schedules(self, season: int, season_type: str) -> list[dict[str, Any]]:
        names = {f["name"] for f in models()["Schedule"]}
        return [
            {k: v for k, v in self.score(g, result=False).items() if k in names}
            for g in self.world.season_games(season, season_type)
        ]

    def byes(self, season: int) -> list[dict[str, Any]]:
        return [
            {"Season": season, "Week": w, "Team": t}
            for t, w in sorted(self.world.byes(season).items())
        ]

    def standings(self, season: int, season_type: str) -> list[dict[str, Any]]:
        return standings(self.world, self.league, season, season_type)

    def quarters(self, score: dict[str, Any]) -> list[dict[str, Any]]:
        """The Quarter records of a Score record: one per quarter begun."""
        return [
            fill(
                "Quarter",
                {
                    "QuarterID": score["ScoreID"] * 10 + q,
                    "ScoreID": score["ScoreID"],
                    "Number": q,
                    "Name": str(q),
                    "AwayTeamScore": score[f"AwayScoreQuarter{q}"],
                    "HomeTeamScore": score[f"HomeScoreQuarter{q}"],
                },
            )
            for q in range(1, 5)
            if score[f"HomeScoreQuarter{q}"] is not None
        ]

    def box_score(self, g: Game) -> dict[str, Any]:
        started = self.stats.started(g)
        score = self.score(g)
        return {
            "Score": score,
            "Quarters": self.quarters(score) if started else [],
            "TeamGames": [self.stats.team_game(g, t) for t in (g.away, g.home)] if started else [],
            "PlayerGames": self.stats.game_lines(g) if started else [],
            "FantasyDefenseGames": [],
            "ScoringPlays": scoring_records(self.league, g) if started else [],
            "ScoringDetails": [],
        }

    def box_scores(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        return [
            self.box_score(g)
            for g in self.world.games(season, season_type, week)
            if g.status(self.world.now) == "Final"
        ]

    def play_by_play(self, g: Game) -> dict[str, Any]:
        started = g.status(self.world.now) != "Scheduled"
        score = self.score(g)
        return {
            "Score": score,
            "Quarters": self.quarters(score) if started else [],
            "Plays": plays(self.league, g) if started else [],
        }


def _injury_title(note: InjuryNote, week: int, opponent: Team) -> str:
    p, part = note.player, note.body_part.lower()
    if note.status == "Out" and note.start_week < week:
        return f"{p.name} ({part}) remains out for Week {week} against {opponent.key}"
    if note.status == "Out":
        return f"{p.name} ({part}) ruled out for Week {week} against {opponent.key}"
    if note.start_week < week:
        return f"{p.name} ({part}) returns to practice, questionable for Week {week}"
    return f"{p.name} ({part}) listed {note.status.lower()} for Week {week} against {opponent.key}"
