"""Views of the game-odds feed: sportsbook groups, alternate lines, live line movement and line
movement with its resulting.

A sportsbook group (``G1100``...) is a set of the league's books (:data:`GROUPS`); a call for a
group answers the same records as the plain call with only that group's quotes (an unknown
group is a 404). Alternate lines are each book's spread and total moved three points either
way, priced on the same view of the game. Live movement is the live quote at every eighth of
the game played so far. Resulting settles each quote of a final game: Win, Loss or Push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sportsframe.emulator.bettingfeeds import BettingFeeds
from sportsframe.emulator.book import BOOKS, Book, game_quote
from sportsframe.emulator.plan import MARGIN_SD
from sportsframe.emulator.records import fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import Game, World

__all__ = ["ALTERNATE_SHIFT", "GROUPS", "OddsViews", "UnknownGroupError", "group_books"]

#: Sportsbook groups by name: the books each one quotes.
GROUPS: dict[str, tuple[Book, ...]] = {
    "G1100": BOOKS,  # every book the league quotes
    "G1101": tuple(b for b in BOOKS if b.name in ("DraftKings", "FanDuel")),
    "G1102": tuple(b for b in BOOKS if b.name in ("BetMGM", "Caesars")),
}
#: Points an alternate spread or total sits from the book's main line.
ALTERNATE_SHIFT = 3.0
_LIVE_STEPS = 8
_RESULT_TYPES = {"Win": 1, "Loss": 2, "Push": 3}
_SCORE_FIELDS = ("Quarter", "TimeRemaining", "AwayScoreQuarter", "HomeScoreQuarter", "AwayScoreO",
                 "HomeScoreO")  # fmt: skip


class UnknownGroupError(LookupError):
    """No such sportsbook group (the service answers 404)."""


def group_books(name: str) -> frozenset[int]:
    """The book ids of a sportsbook group (UnknownGroupError for an unknown one)."""
    books = GROUPS.get(name.upper())
    if books is None:
        raise UnknownGroupError(name)
    return frozenset(b.book_id for b in books)


def _keep(odds: list[dict[str, Any]], books: frozenset[int]) -> list[dict[str, Any]]:
    return [o for o in odds if o["SportsbookId"] in books]


def in_group(info: dict[str, Any], books: frozenset[int]) -> dict[str, Any]:
    """A GameInfo record with only the group's quotes."""
    return {
        **info,
        "PregameOdds": _keep(info["PregameOdds"], books),
        "LiveOdds": _keep(info["LiveOdds"], books),
        "AlternateMarketPregameOdds": _keep(info["AlternateMarketPregameOdds"], books),
    }


class OddsViews:
    """Group, alternate, live-movement and resulting views of one world's game odds."""

    def __init__(
        self,
        world: World,
        league: League,
        betting: BettingFeeds,
        score: Callable[[Game], dict[str, Any]],
    ) -> None:
        self.world = world
        self.league = league
        self.betting = betting
        self.score = score  # the game's Score record (the scores feed's)

    def odds_by_group(
        self, season: int, season_type: str, week: int, group: str, *, live: bool
    ) -> list[dict[str, Any]]:
        """GameInfo[] of a week (pre-game or live) with one group's quotes."""
        books = group_books(group)
        return [in_group(i, books) for i in self.betting.odds(season, season_type, week, live)]

    def movement_by_group(self, g: Game, group: str, *, live: bool) -> list[dict[str, Any]]:
        """A game's line movement (pre-game or live) with one group's quotes."""
        books = group_books(group)
        moves = self.live_movement(g) if live else self.betting.line_movement(g)
        return [in_group(i, books) for i in moves]

    # -- alternate lines ---------------------------------------------------------------------
    def _alternates(self, g: Game) -> list[dict[str, Any]]:
        when = min(self.world.now, g.kickoff)
        margin, total = self.league.market(g).at(when)
        out = []
        for i, book in enumerate(BOOKS):
            for j, shift in enumerate((-ALTERNATE_SHIFT, ALTERNATE_SHIFT)):
                quote = game_quote(margin, total, MARGIN_SD, book, shift)
                out.append(self.betting.odd(g, book, quote, when, "alternate", 500 + i * 10 + j))
        return out

    def alternate_game(self, g: Game) -> dict[str, Any]:
        """A game's GameInfo carrying its alternate spreads and totals."""
        info = self.betting.game_info(g, [], [])
        if self.betting.markets_open(g):
            info["AlternateMarketPregameOdds"] = self._alternates(g)
        return info

    def alternate_odds(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        """GameInfo[] of a week's priced games, with alternate lines."""
        games = self.world.games(season, season_type, week)
        return [self.alternate_game(g) for g in games if self.betting.markets_open(g)]

    # -- live movement -----------------------------------------------------------------------
    def live_movement(self, g: Game) -> list[dict[str, Any]]:
        """Every live quote so far: one per eighth of the game played (before the last one)."""
        played = self.league.elapsed(g)
        steps = [s for s in range(_LIVE_STEPS) if s / _LIVE_STEPS <= played] if played else []
        quotes = [
            q for s in steps for q in self.betting.live_quotes(g, s / _LIVE_STEPS, 900 + s * 10)
        ]
        return [self.betting.game_info(g, [], quotes)]

    # -- resulting ---------------------------------------------------------------------------
    def resulted(self, g: Game, group: str, *, live: bool) -> list[dict[str, Any]]:
        """GameInfoResult[] of the line movement, each quote settled once the game is final."""
        books = group_books(group)
        info = self.movement_by_group(g, group, live=live)[0]
        record = self.score(g)
        final = record["Status"] == "Final"
        score = (record["AwayScore"], record["HomeScore"]) if final else None
        quarters = {k: v for k, v in record.items() if k.startswith(_SCORE_FIELDS)}

        def settle(odds: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """The group's quotes as GameOddResult records."""
            return [_resulted(o, score) for o in odds if o["SportsbookId"] in books]

        facts = {
            **{k: v for k, v in info.items() if not k.endswith("Odds")},
            **quarters,
            "ScoreID": g.score_id,
            "GameID": g.score_id,
            "GlobalGameID": g.score_id,
            "AwayTeamID": g.away.team_id,
            "HomeTeamID": g.home.team_id,
            "GlobalAwayTeamID": g.away.team_id,
            "GlobalHomeTeamID": g.home.team_id,
            "IsClosed": score is not None,
            "PregameOdds": settle(info["PregameOdds"]),
            "LiveOdds": settle(info["LiveOdds"]),
            "AlternateMarketPregameOdds": [],
        }
        return [fill("GameInfoResult", facts)]


def _outcome(
    odd: dict[str, Any], kind: str, bet: float | None, actual: float | None, won: int
) -> Any:
    verdict = "Win" if won > 0 else "Loss" if won < 0 else "Push"
    return fill(
        "GameOddOutcome",
        {
            "GameOddId": odd["GameOddId"],
            "GameOddResultTypeId": _RESULT_TYPES[verdict],
            "GameOddResultType": verdict,
            "OddType": odd["OddType"],
            "GameOddType": kind,
            "BetValue": bet,
            "ActualValue": actual,
        },
    )


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _resulted(odd: dict[str, Any], score: tuple[int, int] | None) -> dict[str, Any]:
    """A GameOdd as a GameOddResult, with its outcomes settled when the score is known."""
    outcomes: list[dict[str, Any]] = []
    if score is not None:
        away, home = score
        margin, total = home - away, home + away
        if odd["HomeMoneyLine"] is not None:
            outcomes.append(_outcome(odd, "HomeMoneyLine", None, margin, _sign(margin)))
            outcomes.append(_outcome(odd, "AwayMoneyLine", None, -margin, _sign(-margin)))
        if odd["HomePointSpread"] is not None:
            line = odd["HomePointSpread"]
            outcomes.append(_outcome(odd, "HomePointSpread", line, margin, _sign(margin + line)))
            outcomes.append(_outcome(odd, "AwayPointSpread", -line, -margin, _sign(-margin - line)))
        if odd["OverUnder"] is not None:
            line = odd["OverUnder"]
            outcomes.append(_outcome(odd, "Over", line, total, _sign(total - line)))
            outcomes.append(_outcome(odd, "Under", line, total, _sign(line - total)))
    renamed = {
        **odd,
        "GameOddID": odd["GameOddId"],
        "ScoreID": odd["ScoreId"],
        "GameID": odd["GameId"],
        "SportsbookID": odd["SportsbookId"],
    }
    return {**fill("GameOddResult", renamed), "GameOddOutcomeResults": outcomes}
