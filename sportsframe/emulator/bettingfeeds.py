"""The odds feeds: game odds (pre-game, live, line movement), player props, betting markets,
betting events and the legacy generated props.

Lines come from the book's view of the game (:class:`~.sim.GameMarket` and the prop lines),
which is set from the plan and moves from the open toward the close; live lines start from the
score so far. Each book quotes with its own margin and sometimes its own line.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sportsframe.emulator.book import (
    BOOKS,
    CONSENSUS,
    Book,
    GameQuote,
    game_quote,
    price,
    shifted,
)
from sportsframe.emulator.markets import Offer, market, outcome
from sportsframe.emulator.plan import MARGIN_SD
from sportsframe.emulator.records import day, eastern, fill, game_teams
from sportsframe.emulator.sim import MARKETS_OPEN, League
from sportsframe.emulator.world import GAME_LENGTH, SEASON_TYPE_CODE, Game, World

__all__ = ["BET_TYPES", "STAT_OF", "BettingFeeds"]

#: Player markets: bet type id and the PlayerGame stat that settles them.
BET_TYPES = {
    "Passing Yards": 40,
    "Passing Touchdowns": 41,
    "Passing Attempts": 42,
    "Rushing Yards": 43,
    "Rushing Attempts": 44,
    "Receptions": 45,
    "Receiving Yards": 46,
}
STAT_OF = {
    "Passing Yards": "PassingYards",
    "Passing Touchdowns": "PassingTouchdowns",
    "Passing Attempts": "PassingAttempts",
    "Rushing Yards": "RushingYards",
    "Rushing Attempts": "RushingAttempts",
    "Receptions": "Receptions",
    "Receiving Yards": "ReceivingYards",
}
_COUNTS = {"Passing Touchdowns", "Passing Attempts", "Rushing Attempts", "Receptions"}
_LIVE_CUTOFF = 0.97  # the last live quote comes with about two minutes left


class BettingFeeds:
    """Odds and betting payloads of one world's league."""

    def __init__(self, world: World, league: League) -> None:
        self.world = world
        self.league = league

    def markets_open(self, g: Game) -> bool:
        return g.kickoff <= self.world.now + MARKETS_OPEN

    def _shade(self, g: Game, book: Book) -> float:
        # A book that leans half a point off the market on this game.
        return self.league.stream("shade", g.score_id, book.book_id).choice((0, 0, 0, 0.5, -0.5))

    # -- game odds -------------------------------------------------------------------------
    def odd(
        self, g: Game, book: Book, quote: GameQuote, when: datetime, kind: str, index: int
    ) -> dict[str, Any]:
        """One book's GameOdd record of a quote (``index`` makes its id within the game)."""
        return fill(
            "GameOdd",
            {
                "GameOddId": g.score_id * 1000 + index,
                "Sportsbook": book.name,
                "SportsbookId": book.book_id,
                "ScoreId": g.score_id,
                "GameId": g.score_id,
                "Created": eastern(when),
                "Updated": eastern(when),
                "HomeMoneyLine": quote.home_moneyline,
                "AwayMoneyLine": quote.away_moneyline,
                "HomePointSpread": quote.home_spread,
                "AwayPointSpread": -quote.home_spread,
                "HomePointSpreadPayout": quote.home_spread_payout,
                "AwayPointSpreadPayout": quote.away_spread_payout,
                "OverUnder": quote.total,
                "OverPayout": quote.over_payout,
                "UnderPayout": quote.under_payout,
                "OddType": kind,
            },
        )

    def _pregame(self, g: Game, when: datetime, step: int) -> list[dict[str, Any]]:
        margin, total = self.league.market(g).at(when)
        return [
            self.odd(
                g,
                book,
                game_quote(margin, total, MARGIN_SD, book, self._shade(g, book)),
                when,
                "pregame",
                step * 10 + i,
            )
            for i, book in enumerate(BOOKS)
        ]

    def _live(self, g: Game) -> list[dict[str, Any]]:
        return self.live_quotes(g, min(self.league.elapsed(g), _LIVE_CUTOFF), 900)

    def live_quotes(self, g: Game, elapsed: float, first_id: int) -> list[dict[str, Any]]:
        """Every book's live quote with ``elapsed`` of the game played (0..1): the score so far
        plus the closing line's rate for the rest, its spread narrowing as time runs out. The
        quotes' GameOddIDs run from ``first_id``."""
        away, home = self.league.scoreboard(g).score_at(elapsed)
        market = self.league.market(g)
        left = 1 - elapsed
        margin = home - away + market.close_margin * left
        total = home + away + market.close_total * left
        when = g.kickoff + GAME_LENGTH * elapsed
        sd = MARGIN_SD * math.sqrt(left)
        return [
            self.odd(g, book, game_quote(margin, total, sd, book, 0.0), when, "live", first_id + i)
            for i, book in enumerate(BOOKS)
        ]

    def game_info(self, g: Game, pregame: list[Any], live: list[Any]) -> dict[str, Any]:
        """The game's GameInfo record carrying the given pre-game and live quotes."""
        status = g.status(self.world.now)
        away: int | None = None
        home: int | None = None
        if status != "Scheduled":
            elapsed = self.league.elapsed(g)
            away, home = self.league.scoreboard(g).score_at(elapsed if elapsed < 1 else 2.0)
        return fill(
            "GameInfo",
            {
                "GameId": g.score_id,
                "ScoreId": g.score_id,
                "GlobalGameId": g.score_id,
                "Season": g.season,
                "SeasonType": SEASON_TYPE_CODE[g.season_type],
                "Week": g.week,
                "Day": day(g.kickoff),
                "DateTime": eastern(g.kickoff),
                "Status": status,
                "AwayTeamId": g.away.team_id,
                "HomeTeamId": g.home.team_id,
                "GlobalAwayTeamId": g.away.team_id,
                "GlobalHomeTeamId": g.home.team_id,
                "AwayTeamName": g.away.key,
                "HomeTeamName": g.home.key,
                "HomeTeamScore": home,
                "AwayTeamScore": away,
                "TotalScore": home + away if home is not None and away is not None else None,
                "PregameOdds": pregame,
                "LiveOdds": live,
                "AlternateMarketPregameOdds": [],
            },
        )

    def game_odds(self, g: Game, live: bool = False) -> dict[str, Any]:
        """The game's latest pre-game quotes, or its live ones once it has kicked off."""
        if not self.markets_open(g):
            return self.game_info(g, [], [])
        if live:
            started = g.status(self.world.now) != "Scheduled"
            return self.game_info(g, [], self._live(g) if started else [])
        when = min(self.world.now, g.kickoff)
        step = len(self.league.market(g).moments(when)) - 1
        return self.game_info(g, self._pregame(g, when, step), [])

    def odds(self, season: int, season_type: str, week: int, live: bool) -> list[dict[str, Any]]:
        games = self.world.games(season, season_type, week)
        return [self.game_odds(g, live) for g in games if self.markets_open(g)]

    def line_movement(self, g: Game) -> list[dict[str, Any]]:
        """Every pre-game quote from the open to now (or the close), oldest first."""
        if not self.markets_open(g):
            return [self.game_info(g, [], [])]
        moments = self.league.market(g).moments(min(self.world.now, g.kickoff))
        quotes = [q for step, when in enumerate(moments) for q in self._pregame(g, when, step)]
        return [self.game_info(g, quotes, [])]

    # -- betting markets -------------------------------------------------------------------
    def _times(self, g: Game) -> tuple[str, str]:
        return eastern(g.kickoff - timedelta(days=5)), eastern(min(self.world.now, g.kickoff))

    def player_props(self, g: Game) -> list[dict[str, Any]]:
        """BettingMarket[] of one game's player props (with alternate lines)."""
        if not self.markets_open(g):
            return []
        times = self._times(g)
        open_for_bets = g.status(self.world.now) == "Scheduled"
        markets: list[dict[str, Any]] = []
        for prop in self.league.props(g):
            player, team = prop.player, prop.player.team
            market_id = g.score_id * 1000 + len(markets)
            rnd = self.league.stream("prop-books", g.score_id, player.player_id, prop.market)
            step = 1.0 if prop.market in _COUNTS else 10.0
            offers: list[Offer] = []
            # Two of the books quote each market: about 2,000 outcomes a week.
            for book in rnd.sample(BOOKS, 2):
                offset = 0.0 if prop.market in _COUNTS else rnd.choice((0.0, 0.0, 0.5, -0.5, 1.0))
                lines = [(offset, False)]
                if rnd.random() < 0.15:
                    lines.append((offset + step, True))
                for shift, alternate in lines:
                    value, p_over = shifted(prop, shift)
                    over, under = price(p_over, book.margin)
                    offers.append(Offer(book, "Over", value, over, alternate))
                    offers.append(Offer(book, "Under", value, under, alternate))
            outcomes = [
                outcome(market_id, i, o, player.name, team, player, times, open_for_bets)
                for i, o in enumerate(offers)
            ]
            markets.append(
                market(
                    g, market_id, (2, "Player Prop"), (BET_TYPES[prop.market], prop.market),
                    f"{player.name} {prop.market}", team, player, outcomes, times, open_for_bets,
                )
            )  # fmt: skip
        return markets

    def game_lines(self, g: Game) -> list[dict[str, Any]]:
        """BettingMarket[] of the game's moneyline, spread and total, every book quoting."""
        if not self.markets_open(g):
            return []
        times = self._times(g)
        open_for_bets = g.status(self.world.now) == "Scheduled"
        margin, total = self.league.market(g).at(min(self.world.now, g.kickoff))
        quotes = [
            (book, game_quote(margin, total, MARGIN_SD, book, self._shade(g, book)))
            for book in BOOKS
        ]
        bets: list[tuple[int, str, list[Offer]]] = [
            (1, "Moneyline", [
                o for b, q in quotes for o in (
                    Offer(b, "Home", None, q.home_moneyline),
                    Offer(b, "Away", None, q.away_moneyline),
                )
            ]),
            (2, "Spread", [
                o for b, q in quotes for o in (
                    Offer(b, "Home", q.home_spread, q.home_spread_payout),
                    Offer(b, "Away", -q.home_spread, q.away_spread_payout),
                )
            ]),
            (3, "Total Points", [
                o for b, q in quotes for o in (
                    Offer(b, "Over", q.total, q.over_payout),
                    Offer(b, "Under", q.total, q.under_payout),
                )
            ]),
        ]  # fmt: skip
        out = []
        for index, (bet_id, bet, offers) in enumerate(bets):
            market_id = g.score_id * 1000 + 900 + index
            outcomes = []
            for i, o in enumerate(offers):
                team = g.home if o.side == "Home" else g.away if o.side == "Away" else None
                name = team.full_name if team else o.side
                outcomes.append(outcome(market_id, i, o, name, team, None, times, open_for_bets))
            out.append(
                market(
                    g, market_id, (1, "Game Lines"), (bet_id, bet),
                    f"{g.away.key} @ {g.home.key} {bet}", None, None, outcomes, times,
                    open_for_bets,
                )
            )  # fmt: skip
        return out

    def betting_markets(self, g: Game) -> list[dict[str, Any]]:
        """Every market of the game: its game lines, then its player props."""
        return self.game_lines(g) + self.player_props(g)

    def betting_events(self, season: int) -> list[dict[str, Any]]:
        out = []
        for g in self.world.season_games(season):
            status = g.status(self.world.now)
            score: tuple[int | None, int | None] = (None, None)
            if status != "Scheduled":
                elapsed = self.league.elapsed(g)
                score = self.league.scoreboard(g).score_at(elapsed if elapsed < 1 else 2.0)
            away, home = score
            out.append(
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
                        "GameStatus": status,
                        **game_teams(g),
                        "AwayTeamScore": away,
                        "HomeTeamScore": home,
                        "TotalScore": away + home
                        if away is not None and home is not None
                        else None,
                        "BettingMarkets": [],
                    },
                )
            )
        return out

    def generated_props(self, season: int, season_type: str, week: int) -> list[dict[str, Any]]:
        out = []
        for g in self.world.games(season, season_type, week):
            if not self.markets_open(g):
                continue
            final = g.status(self.world.now) == "Final"
            result = self.league.result(g) if final else None
            for prop in self.league.props(g):
                team = prop.player.team
                opp = g.home if team.key == g.away.key else g.away
                over, under = price(prop.p_over, CONSENSUS.margin)
                stat: float | None = None
                verdict: str | None = None
                if result is not None:
                    line = result.side(team.key).lines.get(prop.player.player_id, {})
                    stat = float(line.get(STAT_OF[prop.market], 0.0))
                    verdict = "Over" if stat > prop.line else "Under"
                out.append(
                    fill(
                        "PlayerProp",
                        {
                            "PlayerID": prop.player.player_id,
                            "ScoreID": g.score_id,
                            "Name": prop.player.name,
                            "Team": team.key,
                            "Opponent": opp.key,
                            "DateTime": eastern(g.kickoff),
                            "Description": prop.market,
                            "OverUnder": prop.line,
                            "OverPayout": over,
                            "UnderPayout": under,
                            "BetResult": verdict,
                            "StatResult": stat,
                        },
                    )
                )
        return out
