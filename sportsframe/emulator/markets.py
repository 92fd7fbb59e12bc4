"""BettingMarket and BettingOutcome records: one builder for player props and game lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sportsframe.emulator.book import BOOKS, Book, decimal_odds
from sportsframe.emulator.records import fill
from sportsframe.emulator.world import Game, Player
from sportsframe.league import Team

__all__ = ["OUTCOME_TYPES", "Offer", "market", "outcome"]

#: SportsDataIO's BettingOutcomeTypeID of each side.
OUTCOME_TYPES = {"Home": 1, "Away": 2, "Over": 3, "Under": 4, "Participant": 5}


@dataclass(frozen=True, slots=True)
class Offer:
    """One side of a market at one book: its line (``value``) and its price."""

    book: Book
    side: str  # Home | Away | Over | Under | Participant (a futures pick)
    value: float | None
    payout: int
    alternate: bool = False


def outcome(
    market_id: int,
    index: int,
    offer: Offer,
    participant: str,
    team: Team | None,
    player: Player | None,
    times: tuple[str, str],
    available: bool,
) -> dict[str, Any]:
    """A BettingOutcome record of ``offer`` (``available``: still open for bets)."""
    return fill(
        "BettingOutcome",
        {
            "BettingOutcomeID": market_id * 100 + index,
            "BettingMarketID": market_id,
            "SportsBook": {"SportsbookID": offer.book.book_id, "Name": offer.book.name},
            "BettingOutcomeTypeID": OUTCOME_TYPES[offer.side],
            "BettingOutcomeType": offer.side,
            "PayoutAmerican": offer.payout,
            "PayoutDecimal": decimal_odds(offer.payout),
            "Value": offer.value,
            "Participant": participant,
            "IsAvailable": available,
            "IsAlternate": offer.alternate,
            "Created": times[0],
            "Updated": times[1],
            "TeamID": team.team_id if team else None,
            "PlayerID": player.player_id if player else None,
            "GlobalTeamID": team.team_id if team else None,
            "IsInPlay": False,
        },
    )


def market(
    g: Game,
    market_id: int,
    kind: tuple[int, str],
    bet: tuple[int, str],
    name: str,
    team: Team | None,
    player: Player | None,
    outcomes: list[dict[str, Any]],
    times: tuple[str, str],
    open_for_bets: bool,
) -> dict[str, Any]:
    """A BettingMarket record: ``kind`` and ``bet`` are (id, name) of its market and bet type."""
    return fill(
        "BettingMarket",
        {
            "BettingMarketID": market_id,
            "BettingEventID": g.score_id,
            "BettingMarketTypeID": kind[0],
            "BettingMarketType": kind[1],
            "BettingBetTypeID": bet[0],
            "BettingBetType": bet[1],
            "BettingPeriodTypeID": 1,
            "BettingPeriodType": "Full Game",
            "Name": name,
            "TeamID": team.team_id if team else None,
            "TeamKey": team.key if team else None,
            "PlayerID": player.player_id if player else None,
            "PlayerName": player.name if player else None,
            "Created": times[0],
            "Updated": times[1],
            "AvailableSportsbooks": [{"SportsbookID": b.book_id, "Name": b.name} for b in BOOKS],
            "AnyBetsAvailable": open_for_bets,
            "BettingOutcomes": outcomes,
            "ConsensusOutcomes": [],
            "IsArchived": False,
        },
    )
