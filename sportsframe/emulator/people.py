"""People and reference views: every player, profiles, rookies, injured players, free agents,
referees, weekly depth charts, pro bowlers, teams, news and transactions by date.

Player records carry the same facts as the rosters feed (:meth:`~.payloads.Payloads.player_facts`):
the basic and profile models are those records cut to their fields. The league's rosters are
full and nobody is unsigned, so the free-agent feeds answer ``[]``. A rookie of a season is a
player whose first season it is; a weekly depth chart drops the players ruled out that week (it
exists for weeks that are projected, :data:`~.projections.PROJECTED_AHEAD`). Pro bowlers are
the season's leaders at each position once its regular season has final games. Transactions
are the injury moves of the league's reports: a player ruled out goes on the report's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sportsframe.emulator.injuries import InjuryNote
from sportsframe.emulator.payloads import Payloads, depth_chart
from sportsframe.emulator.projections import Projections
from sportsframe.emulator.records import eastern, fill, models
from sportsframe.emulator.world import EASTERN, FIRST, LAST, Player, stream
from sportsframe.league import TEAMS, Team

__all__ = ["PRO_BOWL", "REFEREES", "People"]

#: Pro bowlers per position (both conferences together).
PRO_BOWL = {"QB": 3, "RB": 4, "WR": 6, "TE": 3, "K": 1, "P": 1, "DE": 4, "DT": 3, "LB": 4,
            "CB": 4, "S": 3}  # fmt: skip
#: Referees in the league (one crew each).
REFEREES = 17
_INACTIVES = timedelta(minutes=90)  # inactives are announced this long before kickoff


def _cut(model: str, record: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: record.get(f["name"]) for f in models()[model]}


class People:
    """Player and reference payloads of one world."""

    def __init__(self, payloads: Payloads, projections: Projections) -> None:
        self.p = payloads
        self.world = payloads.world
        self.projections = projections

    def _facts(self, player: Player) -> dict[str, Any]:
        facts = self.p.player_facts(player)
        season = self.world.current_season()
        facts["CollegeDraftYear"] = season - facts["Experience"]
        facts["ExperienceString"] = str(facts["Experience"])
        facts["CurrentTeam"] = player.team.key
        facts["GlobalTeamID"] = player.team.team_id
        return facts

    def players(self, team: str | None = None) -> list[dict[str, Any]]:
        """Player[] of every rostered player (or one team's)."""
        roster = (
            self.world.roster(team)
            if team is not None
            else [p for t in TEAMS for p in self.world.roster(t.key)]
        )
        return [fill("Player", self._facts(p)) for p in roster]

    def profiles(self, team: str | None = None) -> list[dict[str, Any]]:
        """PlayerBasic[] of every rostered player (or one team's)."""
        return [_cut("PlayerBasic", r) for r in self.players(team)]

    def rookies(self, season: int, *, basic: bool = False) -> list[dict[str, Any]]:
        """The players whose first season is ``season``."""
        rows = [r for r in self.players() if r["CollegeDraftYear"] == season]
        return [_cut("PlayerBasic", r) for r in rows] if basic else rows

    def injured(self) -> list[dict[str, Any]]:
        """Player[] of the players on the current injury report."""
        notes = self.p.current_notes()
        return [fill("Player", self._facts(self.world.players[pid])) for pid in sorted(notes)]

    def referees(self) -> list[dict[str, Any]]:
        """Referee[] of the league's referees."""
        out = []
        for i in range(1, REFEREES + 1):
            rnd = stream(self.world.seed, "referee", i)
            out.append(
                fill(
                    "Referee",
                    {
                        "RefereeID": i,
                        "Name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                        "Number": 10 + i * 3,
                        "Position": "Referee",
                        "Experience": rnd.randint(2, 25),
                    },
                )
            )
        return out

    # -- teams ---------------------------------------------------------------------------------
    def teams(self) -> list[dict[str, Any]]:
        """Team[] of the current season."""
        return self.p.teams(self.world.current_season())

    def teams_basic(self) -> list[dict[str, Any]]:
        """TeamBasic[] of the current season."""
        return [_cut("TeamBasic", t) for t in self.teams()]

    # -- depth charts by week ------------------------------------------------------------------
    def depth_charts_week(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """TeamDepthChartWeekly[] of a projected week: the ruled-out players dropped."""
        games = self.projections.published(season, season_type, week)
        if not games:
            return []
        availability = self.p.league.availability(season, season_type)
        talent = self.p.league.talent(season)
        updated = eastern(min(self.world.now, min(g.kickoff for g in games)) - timedelta(days=1))

        def ranked(team: Team) -> Iterator[tuple[Player, int, int]]:
            """The team's active players in depth order, ranked within their positions."""
            out_now = availability.out(week, team.key)
            rank: dict[str, int] = {}
            for t in talent.depth_chart(team.key):
                p = t.player
                if p.player_id in out_now:
                    continue
                rank[p.position] = rank.get(p.position, 0) + 1
                yield p, week * 1000000 + p.player_id, rank[p.position]

        return [depth_chart("DepthChartWeekly", team, ranked(team), updated) for team in TEAMS]

    # -- honours -------------------------------------------------------------------------------
    def pro_bowlers(self, season: int) -> list[dict[str, Any]]:
        """PlayerInfo[] of the season's leaders by position (none before a final game)."""
        rows = self.p.stats.player_seasons(season, "REG")
        if not any(r["Played"] for r in rows):
            return []
        out = []
        for position, count in PRO_BOWL.items():
            group = [r for r in rows if r["Position"] == position and r["Played"]]
            if position in ("DE", "DT", "LB", "CB", "S"):
                group.sort(
                    key=lambda r: (
                        -(r["Tackles"] + 4 * r["Sacks"] + 6 * r["Interceptions"]),
                        r["PlayerID"],
                    )
                )
            elif position in ("K", "P"):
                group.sort(key=lambda r: (-(r["FieldGoalsMade"] + r["Punts"]), r["PlayerID"]))
            else:
                group.sort(key=lambda r: (-r["FantasyPointsPPR"], r["PlayerID"]))
            out += [_cut("PlayerInfo", r) for r in group[:count]]
        return out

    # -- by date -------------------------------------------------------------------------------
    def news_on(self, when: date) -> list[dict[str, Any]]:
        """The news items published on an Eastern date."""
        pool: list[dict[str, Any]] = self.p.memo(("news-pool",), self.p.news_pool)
        return [n for n in pool if n["Updated"].startswith(when.isoformat())]

    def transactions(self, when: date) -> list[dict[str, Any]]:
        """The status changes posted on an Eastern date: players ruled out when a report is
        published (two days before their game) and players declared inactive on game day."""
        season = when.year if when.month >= 3 else when.year - 1
        out = []
        for season_type in ("PRE", "REG", "POST"):
            availability = self.p.league.availability(season, season_type)
            for week in self.world.weeks(season, season_type):
                for g in self.world.games(season, season_type, week):
                    moments = (
                        (g.kickoff - timedelta(days=2), "ruled out", True),
                        (g.kickoff - _INACTIVES, "declared inactive", False),
                    )
                    for posted, what, report in moments:
                        if posted.astimezone(EASTERN).date() != when or posted > self.world.now:
                            continue
                        for team in (g.away, g.home):
                            for note in availability.report(week, team.key):
                                new_out = note.status == "Out" and note.start_week == week
                                if new_out if report else not note.plays:
                                    out.append(_transaction(note.player, what, note, posted))
        return out


def _transaction(p: Player, what: str, note: InjuryNote, posted: datetime) -> dict[str, Any]:
    return fill(
        "Transaction",
        {
            "PlayerID": p.player_id,
            "Name": p.name,
            "FormerTeamID": p.team.team_id,
            "FormerTeam": p.team.key,
            "TeamID": p.team.team_id,
            "Team": p.team.key,
            "Type": "Status Change",
            "Date": eastern(posted),
            "Note": f"{p.name} {what} ({note.body_part.lower()})",
            "Created": eastern(posted),
            "Updated": eastern(posted),
        },
    )
