"""The argument and return types of the dataset functions' call shapes.

A module of its own, below both :mod:`.signatures` and the generated :mod:`.shapes`, which
import it.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import pandas as pd

if TYPE_CHECKING:
    from polars import DataFrame as PolarsFrame
else:

    class PolarsFrame:
        """``polars.DataFrame`` for type checkers; this stand-in at run time, so that neither
        ``import sportsframe`` nor ``typing.get_type_hints`` needs polars."""


__all__ = [
    "AsyncFrame",
    "AsyncPolarsFrame",
    "Counts",
    "Dates",
    "Groups",
    "Ids",
    "PolarsFrame",
    "RL_co",
    "R_co",
    "Seasons",
    "Teams",
    "Weeks",
]

#: A season (2024), or several: ``[2023, 2024]``, ``range(2020, 2025)``.
Seasons: TypeAlias = int | Sequence[int] | range
#: A week (18), or several: ``[17, 18]``, ``range(1, 19)``.
Weeks: TypeAlias = int | Sequence[int] | range
#: A team key ("KC"), or several.
Teams: TypeAlias = str | Sequence[str]
#: A SportsDataIO id (PlayerID, ScoreID, GameID, market, event, slate ...), or several.
Ids: TypeAlias = int | Sequence[int]
#: A day (``date(2024, 12, 1)`` or ``"2024-12-01"``), or several.
Dates: TypeAlias = date | str | Sequence[date | str]
#: A count (minutes of a delta feed, plays of a simulation), or several.
Counts: TypeAlias = int | Sequence[int]
#: A sportsbook group ("G1100"), or several.
Groups: TypeAlias = str | Sequence[str]
#: What an AsyncSession dataset method returns: ``await`` it for the frame.
AsyncFrame: TypeAlias = Coroutine[Any, Any, pd.DataFrame]
#: What an AsyncSession dataset method returns with ``backend="polars"``.
AsyncPolarsFrame: TypeAlias = Coroutine[Any, Any, PolarsFrame]

#: What a call returns by default (pandas), and with ``backend="polars"``. A call that leaves
#: ``backend`` out is typed by the default; a session configured for polars returns polars
#: frames there too, which type checkers see only when ``backend="polars"`` is written.
R_co = TypeVar("R_co", covariant=True)
RL_co = TypeVar("RL_co", covariant=True)
