"""Player props: the alternate-line filter of a game's props and the assembly of a props week.

SportsDataIO serves sportsbook props per game only; a week's props are the week's games (from
``scores``) and then each game's props, fetched through the same cache as any other call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sportsframe.registry.endpoint import Assembler, BoundCall, Endpoint, Fetch

__all__ = ["filter_alternates", "props_week_assembler"]


def filter_alternates(payload: Any, values: Mapping[str, Any]) -> Any:
    """Drop outcomes with ``IsAlternate == true`` unless ``include_alternate`` was asked for."""
    if values.get("include_alternate") or not isinstance(payload, list):
        return payload
    out = []
    for market in payload:
        if isinstance(market, dict) and isinstance(given := market.get("BettingOutcomes"), list):
            outcomes = [o for o in given if not o.get("IsAlternate")]
            if len(outcomes) != len(given):  # a market without alternates is kept as it came
                market = {**market, "BettingOutcomes": outcomes}
        out.append(market)
    return out


def props_week_assembler(scores: Endpoint, props_game: Endpoint) -> Assembler:
    """The assembler of a props week from the week's ``scores`` and each game's ``props_game``.

    The two endpoints are passed in because they are rows of the same table as the week's.
    """

    async def assemble_props_week(call: BoundCall, fetch: Fetch) -> list[Any]:
        """A props week: the week's ScoreIDs (from ``scores``), then each game's props in order."""
        values = call.values
        season, week, season_type = values["season"], values["week"], values["season_type"]
        games = await fetch(scores.bind(season, week, season_type=season_type))
        score_ids = sorted(
            {g["ScoreID"] for g in games or [] if isinstance(g, dict) and g.get("ScoreID")}
        )
        parts = await asyncio.gather(
            *(
                fetch(
                    props_game.bind(
                        season, week, sid, values["include_alternate"], season_type=season_type
                    )
                )
                for sid in score_ids
            )
        )
        return [market for part in parts for market in (part or [])]

    return assemble_props_week
