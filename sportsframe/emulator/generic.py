"""A baseline answer for operations that have no league-built payload yet: one record of the
operation's model with every field, carrying the call's own facts (season, week, team, ids).

It keeps the promise every route makes (every declared field present, in the official schema);
the league builders in :mod:`.payloads`, :mod:`.statfeeds` and :mod:`.bettingfeeds` replace it
operation by operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sportsframe.emulator.records import fill
from sportsframe.registry import Endpoint

__all__ = ["generic_payload"]

_FACT_FIELDS = {
    "season": "Season",
    "week": "Week",
    "team": "Team",
    "opponent": "Opponent",
    "player_id": "PlayerID",
    "score_id": "ScoreID",
    "game_id": "GameID",
    "event_id": "BettingEventID",
    "market_id": "BettingMarketID",
    "slate_id": "SlateID",
    "team_id": "TeamID",
}


def generic_payload(ep: Endpoint, args: Mapping[str, Any]) -> Any:
    """The baseline payload of ``ep`` for path arguments ``args`` (already parsed)."""
    if ep.shape == "scalar":
        return False if ep.model == "bool" else None
    facts = {_FACT_FIELDS[k]: v for k, v in args.items() if k in _FACT_FIELDS}
    record = fill(ep.model, facts)
    return record if ep.shape == "object" else [record]
