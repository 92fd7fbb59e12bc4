"""Views of the betting-markets feed: markets by event, type, id and sportsbook group, market
results, betting splits, futures, events by date and the metadata that names every id.

A game's betting event is the game (``BettingEventID`` = ``ScoreID``) and its markets are the
ones :meth:`~.bettingfeeds.BettingFeeds.betting_markets` lists, so a market fetched by id equals
the one in its game's list, and a group's markets are those with only the group's books. A
market's result settles its outcomes against the final score or the player's final line (no
outcome results before the game is final). Splits tie to the game-line markets: the share of
bets and of money on each side. Futures are one season-long event per season (the champion),
priced from the teams' ratings, for seasons up to the current one.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sportsframe.emulator.bettingfeeds import BET_TYPES, STAT_OF, BettingFeeds
from sportsframe.emulator.book import BOOKS, price
from sportsframe.emulator.markets import OUTCOME_TYPES, Offer, market, outcome
from sportsframe.emulator.oddsviews import group_books
from sportsframe.emulator.records import eastern, fill
from sportsframe.emulator.sim import League
from sportsframe.emulator.world import EASTERN, Game, World
from sportsframe.league import TEAMS

__all__ = ["FUTURES_EVENT_BASE", "BettingViews", "UnknownMarketError"]

#: Futures event ids: base + (season - 2000); their market ids are event id * 10 + n.
FUTURES_EVENT_BASE = 90000
_RESULT_TYPES = {"Win": 1, "Loss": 2, "Push": 3}
_MARKET_TYPES = {1: "Game Lines", 2: "Player Prop", 3: "Futures"}
_GAME_BETS = {1: "Moneyline", 2: "Spread", 3: "Total Points", 30: "Champion"}


class UnknownMarketError(LookupError):
    """No such event or market (the service answers 404)."""


def _in_group(m: dict[str, Any], books: frozenset[int]) -> dict[str, Any]:
    return {
        **m,
        "AvailableSportsbooks": [
            s for s in m["AvailableSportsbooks"] if s["SportsbookID"] in books
        ],
        "BettingOutcomes": [
            o for o in m["BettingOutcomes"] if o["SportsBook"]["SportsbookID"] in books
        ],
    }


class BettingViews:
    """Market, result, split and futures payloads of one world's league."""

    def __init__(self, world: World, league: League, betting: BettingFeeds) -> None:
        self.world = world
        self.league = league
        self.betting = betting

    def event(self, event_id: int) -> Game:
        """The game a betting event id names (UnknownMarketError if none)."""
        g = self.world.game(event_id)
        if g is None:
            raise UnknownMarketError(event_id)
        return g

    def markets(
        self, event_id: int, market_type: int | None = None, group: str | None = None
    ) -> list[dict[str, Any]]:
        """The event's markets (of one market type; with one group's books)."""
        if event_id >= FUTURES_EVENT_BASE and self.world.game(event_id) is None:
            found = self._futures_event(event_id)
            if found is None:
                raise UnknownMarketError(event_id)
            out: list[dict[str, Any]] = found["BettingMarkets"]
        else:
            out = self.betting.betting_markets(self.event(event_id))
        if market_type is not None:
            out = [m for m in out if m["BettingMarketTypeID"] == market_type]
        if group is not None:
            books = group_books(group)
            out = [_in_group(m, books) for m in out]
        return out

    def market(self, market_id: int, group: str | None = None) -> dict[str, Any]:
        """One market by id, as it is in its event's list."""
        event_id = market_id // 10 if market_id // 1000 < 100000 else market_id // 1000
        for m in self.markets(event_id, group=group):
            if m["BettingMarketID"] == market_id:
                return m
        raise UnknownMarketError(market_id)

    # -- results -----------------------------------------------------------------------------
    def result(self, market_id: int, group: str | None = None) -> dict[str, Any]:
        """BettingMarketResult of one market: its outcomes settled once the game is final."""
        m = self.market(market_id, group)
        g = self.world.game(m["BettingEventID"])
        settled: list[dict[str, Any]] = []
        if g is not None and g.status(self.world.now) == "Final":
            actual = self._actual(g, m)
            for o in m["BettingOutcomes"]:
                verdict = _verdict(o, actual)
                settled.append(
                    fill(
                        "BettingOutcomeResult",
                        {
                            "BettingOutcomeID": o["BettingOutcomeID"],
                            "BettingResultTypeID": _RESULT_TYPES[verdict],
                            "BettingResultType": verdict,
                            "BettingOutcomeTypeID": o["BettingOutcomeTypeID"],
                            "BettingOutcomeType": o["BettingOutcomeType"],
                            "BetValue": o["Value"],
                            "ActualValue": actual,
                        },
                    )
                )
        return fill(
            "BettingMarketResult",
            {**m, "BettingOutcomeResults": settled, "IsMarketResultingSupported": True},
        )

    def _actual(self, g: Game, m: dict[str, Any]) -> float:
        result = self.league.result(g)
        away, home = result.score_at(2.0)
        if m["BettingMarketTypeID"] == 2:
            team = m["TeamKey"]
            line = result.side(team).lines.get(m["PlayerID"], {})
            return float(line.get(STAT_OF[m["BettingBetType"]], 0.0))
        if m["BettingBetType"] == "Total Points":
            return float(away + home)
        return float(home - away)  # moneyline and spread settle on the home margin

    # -- splits ------------------------------------------------------------------------------
    def market_split(self, market_id: int) -> dict[str, Any]:
        """BettingMarketSplit of one market: the share of bets and money on each side."""
        m = self.market(market_id)
        sides = sorted({o["BettingOutcomeType"] for o in m["BettingOutcomes"]})
        rnd = self.league.stream("splits", market_id)
        bets = rnd.randint(30, 70)
        money = min(max(bets + rnd.randint(-15, 15), 5), 95)
        splits = []
        for i, side in enumerate(sides):
            share = (bets, money) if i == 0 else (100 - bets, 100 - money)
            splits.append(
                fill(
                    "BettingSplit",
                    {
                        "BettingMarketSplitID": market_id * 10 + i,
                        "BettingMarketID": market_id,
                        "BettingOutcomeTypeID": OUTCOME_TYPES.get(side),
                        "BettingOutcomeType": side,
                        "BetPercentage": share[0],
                        "MoneyPercentage": share[1],
                        "Created": m["Created"],
                        "LastSeen": m["Updated"],
                    },
                )
            )
        return fill("BettingMarketSplit", {**m, "BettingSplits": splits})

    def game_split(self, score_id: int) -> dict[str, Any]:
        """GameBettingSplit of a game: the splits of its game-line markets."""
        g = self.event(score_id)
        lines = self.betting.game_lines(g)
        return fill(
            "GameBettingSplit",
            {
                "ScoreId": g.score_id,
                "GameKey": g.game_key,
                "SeasonType": {"REG": 1, "PRE": 2, "POST": 3}[g.season_type],
                "Season": g.season,
                "Week": g.week,
                "Date": eastern(g.kickoff),
                "AwayTeam": g.away.key,
                "HomeTeam": g.home.key,
                "BettingMarketSplits": [self.market_split(m["BettingMarketID"]) for m in lines],
            },
        )

    # -- events ------------------------------------------------------------------------------
    def events_on(self, when: date) -> list[dict[str, Any]]:
        """The betting events of the games kicking off on an Eastern date."""
        season = when.year if when.month >= 3 else when.year - 1
        return [
            e
            for e in self.betting.betting_events(season)
            if self.event(e["BettingEventID"]).kickoff.astimezone(EASTERN).date() == when
        ]

    def _futures_event(self, event_id: int) -> dict[str, Any] | None:
        season = 2000 + event_id - FUTURES_EVENT_BASE
        if not 2000 <= season <= self.world.current_season():
            return None
        return self._futures(season)

    def _futures(self, season: int) -> dict[str, Any]:
        event_id = FUTURES_EVENT_BASE + season - 2000
        market_id = event_id * 10 + 1
        start = min(g.kickoff for g in self.world.season_games(season))
        times = (eastern(start - timedelta(days=120)), eastern(min(self.world.now, start)))
        talent = self.league.talent(season)
        power = {t.key: talent.teams[t.key].offense + talent.teams[t.key].defense for t in TEAMS}
        weights = {k: 2.0 ** (v / 3) for k, v in power.items()}
        total = sum(weights.values())
        offers = []
        for t in sorted(TEAMS, key=lambda t: -power[t.key]):
            for book in BOOKS:
                odds, _ = price(weights[t.key] / total, book.margin)
                offers.append((t, Offer(book, "Participant", None, odds)))
        outcomes = [
            outcome(market_id, i, o, t.full_name, t, None, times, start > self.world.now)
            for i, (t, o) in enumerate(offers)
        ]
        first = self.world.season_games(season)[0]
        record = market(
            first, market_id, (3, "Futures"), (30, "Champion"), f"{season} Champion", None, None,
            outcomes, times, start > self.world.now,
        )  # fmt: skip
        record["BettingEventID"] = event_id
        return fill(
            "BettingEvent",
            {
                "BettingEventID": event_id,
                "Name": f"{season} NFL Championship",
                "Season": season,
                "BettingEventTypeID": 2,
                "BettingEventType": "Future",
                "StartDate": eastern(start),
                "Created": times[0],
                "Updated": times[1],
                "BettingMarkets": [record],
            },
        )

    def futures(self, season: int, group: str | None = None) -> list[dict[str, Any]]:
        """The season's futures events (none for seasons after the current one)."""
        if season > self.world.current_season():
            return []
        event = self._futures(season)
        if group is not None:
            books = group_books(group)
            event = {
                **event,
                "BettingMarkets": [_in_group(m, books) for m in event["BettingMarkets"]],
            }
        return [event]

    # -- reference ---------------------------------------------------------------------------
    def sportsbooks(self) -> list[dict[str, Any]]:
        """Sportsbook[] of every book the league quotes."""
        return [fill("Sportsbook", {"SportsbookID": b.book_id, "Name": b.name}) for b in BOOKS]

    def metadata(self) -> dict[str, Any]:
        """Every id the betting feeds use, with its name."""

        def entries(named: dict[int, str]) -> list[dict[str, Any]]:
            """BettingEntityMetadata records of ``named``."""
            return [
                fill("BettingEntityMetadata", {"RecordId": k, "Name": v})
                for k, v in sorted(named.items())
            ]

        bets = {**_GAME_BETS, **{v: k for k, v in BET_TYPES.items()}}
        resulted = [(1, b, 1) for b in (1, 2, 3)] + [(2, b, 1) for b in BET_TYPES.values()]
        return fill(
            "BettingEntityMetadataCollection",
            {
                "BettingBetTypes": entries(bets),
                "BettingMarketTypes": entries(_MARKET_TYPES),
                "BettingPeriodTypes": entries({1: "Full Game"}),
                "BettingEventTypes": entries({1: "Game", 2: "Future"}),
                "BettingOutcomeTypes": entries({v: k for k, v in OUTCOME_TYPES.items()}),
                "ResultedMarketMetaData": [
                    fill(
                        "BettingResultingMetadata",
                        {"BettingMarketTypeId": m, "BettingBetTypeId": b, "BettingPeriodTypeId": p},
                    )
                    for m, b, p in resulted
                ],
                "BettingResultTypes": entries({v: k for k, v in _RESULT_TYPES.items()}),
            },
        )


def _verdict(o: dict[str, Any], actual: float) -> str:
    """Win, Loss or Push of one outcome given the settling value."""
    side, value = o["BettingOutcomeType"], o["Value"]
    if side in ("Over", "Under"):
        diff = actual - value if side == "Over" else value - actual
    elif side == "Home":
        diff = actual + value if value is not None else actual
    else:  # Away: the settling value is the home margin
        diff = -actual + value if value is not None else -actual
    return "Win" if diff > 0 else "Loss" if diff < 0 else "Push"
