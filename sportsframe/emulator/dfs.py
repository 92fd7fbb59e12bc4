"""Daily-fantasy slates and their ownership projections, built from the week's projections.

Each operator (DraftKings, FanDuel, Yahoo) runs an all-week slate (every game, from the
Thursday game) and a Sunday main slate (the Sunday afternoon games). A slate's players are
the projected offensive players and team defences of its games, priced from their projected
points; ownership follows salary value. Slates exist exactly when the week's projections do
(:data:`~.projections.PROJECTED_AHEAD`); a slate id names its week's first game
(``ScoreID * 10 + n``), so an unknown id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sportsframe.emulator.projections import Projections
from sportsframe.emulator.records import day, eastern, fill, models
from sportsframe.emulator.world import EASTERN, Game, World

__all__ = ["OPERATORS", "Dfs", "UnknownSlateError"]

#: Operators: (name, salary field, salary cap, roster slots).
OPERATORS = (
    ("DraftKings", "DraftKingsSalary", 50000,
     ("QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST")),
    ("FanDuel", "FanDuelSalary", 60000,
     ("QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "D")),
    ("Yahoo", "YahooSalary", 200,
     ("QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DEF")),
)  # fmt: skip
_DFS_POSITIONS = {"QB", "RB", "WR", "TE"}
_FLEX = {"RB", "WR", "TE"}
_TOP_OWNED = 40.0  # the projected ownership of a slate's dearest player (percent)


class UnknownSlateError(LookupError):
    """No such slate (the service answers 404)."""


class Dfs:
    """Slate and ownership payloads of one world's league."""

    def __init__(
        self, world: World, projections: Projections, schedule: Callable[[Game], dict[str, Any]]
    ) -> None:
        self.world = world
        self.projections = projections
        self.schedule = schedule  # the scores feed's record of a game (before its result)

    def _kinds(self, games: list[Game]) -> list[tuple[str, list[Game]]]:
        sunday = [g for g in games if g.eastern.weekday() == 6 and g.eastern.hour < 18]
        out = [("All Week", games)]
        if sunday:
            out.append(("Main", sunday))
        return out

    def _slate(
        self, week_games: list[Game], index: int, name: str, games: list[Game], op: int
    ) -> dict[str, Any]:
        operator, salary_field, cap, slots = OPERATORS[op]
        slate_id = week_games[0].score_id * 10 + index
        schedule = {f["name"] for f in models()["Schedule"]}
        slate_games: list[dict[str, Any]] = []
        players: list[dict[str, Any]] = []
        for i, g in enumerate(games):
            slate_game_id = slate_id * 100 + i
            slate_games.append(
                fill(
                    "DfsSlateGame",
                    {
                        "SlateGameID": slate_game_id,
                        "SlateID": slate_id,
                        "GameID": g.score_id,
                        "OperatorGameID": g.score_id,
                        "RemovedByOperator": False,
                        "ScoreID": g.score_id,
                        "Game": {k: v for k, v in self.schedule(g).items() if k in schedule},
                    },
                )
            )
            rows = self.projections.game_players(g, frozenset(_DFS_POSITIONS), None)
            rows += [self.projections.defense_game(g, t) for t in (g.away, g.home)]
            for r in rows:
                dst = "FantasyDefenseID" in r
                position = slots[-1] if dst else r["Position"]
                roster = [position, "FLEX"] if position in _FLEX else [position]
                n = len(players)
                players.append(
                    fill(
                        "DfsSlatePlayer",
                        {
                            "SlatePlayerID": slate_id * 1000 + n,
                            "SlateID": slate_id,
                            "SlateGameID": slate_game_id,
                            "PlayerID": r["PlayerID"],
                            "PlayerGameProjectionStatID": None if dst else r["PlayerGameID"],
                            "FantasyDefenseProjectionStatID": r["FantasyDefenseID"]
                            if dst
                            else None,
                            "OperatorPlayerID": str(r["PlayerID"]),
                            "OperatorSlatePlayerID": f"{slate_id}-{r['PlayerID']}",
                            "OperatorPlayerName": r["Team"] if dst else r["Name"],
                            "OperatorPosition": position,
                            "OperatorRosterSlots": roster,
                            "OperatorSalary": r[salary_field],
                            "Team": r["Team"],
                            "TeamID": r["TeamID"],
                            "RemovedByOperator": False,
                        },
                    )
                )
        first = min(g.kickoff for g in games)
        return fill(
            "DfsSlate",
            {
                "SlateID": slate_id,
                "Operator": operator,
                "OperatorSlateID": slate_id,
                "OperatorName": name,
                "OperatorDay": day(first),
                "OperatorStartTime": eastern(first),
                "NumberOfGames": len(games),
                "IsMultiDaySlate": len({g.eastern.date() for g in games}) > 1,
                "RemovedByOperator": False,
                "OperatorGameType": "Classic",
                "DfsSlateGames": slate_games,
                "DfsSlatePlayers": players,
                "SlateRosterSlots": list(slots),
                "SalaryCap": cap,
            },
        )

    def slates(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """DfsSlate[] of a projected week (none for a week not yet projected)."""
        games = self.projections.published(season, season_type, week)
        if not games:
            return []
        out = []
        for k, (name, chosen) in enumerate(self._kinds(games)):
            for op in range(len(OPERATORS)):
                out.append(self._slate(games, k * len(OPERATORS) + op, name, chosen, op))
        return out

    def slates_on(self, when: date) -> list[dict[str, Any]]:
        """The slates starting on an Eastern date."""
        season = when.year if when.month >= 3 else when.year - 1
        out = []
        for st in ("PRE", "REG", "POST"):
            for week in self.world.weeks(season, st):
                games = self.world.games(season, st, week)
                dates = {g.kickoff.astimezone(EASTERN).date() for g in games}
                if when in dates:
                    out += [
                        s
                        for s in self.slates(season, st, week)
                        if s["OperatorDay"].startswith(when.isoformat())
                    ]
        return out

    def _week_of(self, slate_id: int) -> tuple[int, str, int]:
        g = self.world.game(slate_id // 10)
        if g is None:
            raise UnknownSlateError(slate_id)
        return g.season, g.season_type, g.week

    def ownership(self, slate: dict[str, Any]) -> dict[str, Any]:
        """DfsSlateWithOwnershipProjection of a slate: the dearest players are the most owned
        (ownership grows with the cube of the salary's share of the slate's top salary)."""
        players = slate["DfsSlatePlayers"]
        top = max((p["OperatorSalary"] or 0 for p in players), default=0) or 1
        rows = []
        for p in players:
            dst = p["FantasyDefenseProjectionStatID"] is not None
            rows.append(
                fill(
                    "DfsSlatePlayerOwnershipProjection",
                    {
                        "SlateID": slate["SlateID"],
                        "PlayerID": None if dst else p["PlayerID"],
                        "FantasyDefensePlayerID": p["PlayerID"] if dst else None,
                        "ProjectedOwnershipPercentage": round(
                            _TOP_OWNED * ((p["OperatorSalary"] or 0) / top) ** 3, 1
                        ),
                        "IsCaptain": False,
                    },
                )
            )
        head = ("SlateID", "Operator", "OperatorSlateID", "OperatorName", "OperatorDay",
                "OperatorStartTime")  # fmt: skip
        return fill(
            "DfsSlateWithOwnershipProjection",
            {**{k: slate[k] for k in head}, "SlateOwnershipProjections": rows},
        )

    def slate_ownership(self, slate_id: int) -> dict[str, Any]:
        """The ownership projections of one slate (UnknownSlateError if none)."""
        for slate in self.slates(*self._week_of(slate_id)):
            if slate["SlateID"] == slate_id:
                return self.ownership(slate)
        raise UnknownSlateError(slate_id)

    def upcoming_ownership(self) -> list[dict[str, Any]]:
        """Ownership of the slates not yet started, of the first projected week with any."""
        season = self.world.current_season()
        for st in ("PRE", "REG", "POST"):
            for week in self.world.weeks(season, st):
                if all(g.kickoff <= self.world.now for g in self.world.games(season, st, week)):
                    continue
                later = [
                    s
                    for s in self.slates(season, st, week)
                    if min(g["Game"]["DateTimeUTC"] for g in s["DfsSlateGames"])
                    > self.world.now.strftime("%Y-%m-%dT%H:%M:%S")
                ]
                if later:
                    return [self.ownership(s) for s in later]
        return []
