"""Endpoint parameters: their kinds, their validation, and the week bounds of a season.

A bad argument raises :class:`~sportsframe.errors.InvalidParameterError` naming the argument and
the endpoint, before any I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sportsframe.errors import InvalidParameterError
from sportsframe.league import is_team_key

__all__ = [
    "FIRST_SEASON",
    "MAX_COUNT",
    "MAX_ID",
    "REQUIRED",
    "SEASON_TYPES",
    "Param",
    "ParamKind",
    "date_segment",
    "latest_season",
    "max_week",
    "min_week",
    "validate_value",
]

#: The season types a call accepts (the frames know two more: OFF and STAR).
SEASON_TYPES = ("REG", "PRE", "POST")
#: The first season a call may name.
FIRST_SEASON = 2000
#: The largest id (player, game, score) accepted: ids are stored in 64-bit integer columns.
MAX_ID = 2**63 - 1
#: The largest COUNT accepted (minutes of a delta feed, plays of a simulation).
MAX_COUNT = 10_000
# A sportsbook group is letters and digits ("G1100"); anything else would only reach the
# service to come back a 404, so it is refused before any request.
_TOKEN = re.compile(r"[A-Za-z0-9]{1,40}")
#: The default of a parameter that has none (a sentinel: ``None`` is a valid default).
REQUIRED: Any = object()


class ParamKind(Enum):
    """What a parameter is, which decides how it is validated and written."""

    SEASON = "season"
    SEASON_TYPE = "season_type"
    WEEK = "week"
    TEAM = "team"
    ID = "id"  # player, score, game, event, market and slate ids: positive integers
    BOOL = "bool"
    DATE = "date"  # a day: datetime.date or "2024-09-08"
    TOKEN = "token"  # a short name such as a sportsbook group ("G1100")
    COUNT = "count"  # a whole number from the parameter's minimum (minutes, plays)
    GAMES = "games"  # how many games of a log: "all" or a positive number
    CHOICE = "choice"  # one of the parameter's choices


@dataclass(frozen=True, slots=True)
class Param:
    """One endpoint parameter.

    ``path_name`` is the placeholder in the path template (``None`` for parameters that only
    shape the key and the payload, such as ``include_alternate``).
    """

    name: str
    kind: ParamKind
    path_name: str | None = None
    default: Any = REQUIRED
    #: The values a CHOICE parameter takes.
    choices: tuple[str, ...] = ()
    #: The smallest value of a COUNT parameter.
    minimum: int = 0
    #: How a DATE is written in the path: "iso" (2024-09-08) or "month" (2024-SEP-08).
    style: str = "iso"

    @property
    def required(self) -> bool:
        """True when the caller must give this argument (it has no default)."""
        return self.default is REQUIRED


def min_week(season_type: str) -> int:
    """The first valid week of a season type (PRE starts at 0)."""
    return 0 if season_type == "PRE" else 1


def max_week(season: int, season_type: str) -> int:
    """The last valid week: REG 18 from 2021 (17 before), PRE 4, POST 4."""
    if season_type == "REG":
        return 18 if season >= 2021 else 17
    return 4


def latest_season() -> int:
    """The last season a call may name: next year (the schedule is out before it starts)."""
    return datetime.now(UTC).year + 1


def _check_int(name: str, value: Any, endpoint: str) -> int:
    # bool is an int subclass: True as a week or id is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(
            name, value, f"must be an integer, not {type(value).__name__}", endpoint=endpoint
        )
    return value


def validate_value(param: Param, value: Any, endpoint: str) -> Any:
    """``value`` checked and normalised for ``param`` (team and season type upper-cased).

    A week is checked as an integer only: its range depends on the season and season type,
    which :meth:`~sportsframe.registry.endpoint.Endpoint.bind` checks once all are known.
    """
    kind = param.kind
    if kind is ParamKind.SEASON:
        season = _check_int(param.name, value, endpoint)
        latest = latest_season()
        if not FIRST_SEASON <= season <= latest:
            raise InvalidParameterError(
                param.name,
                value,
                f"seasons run from {FIRST_SEASON} to {latest}",
                endpoint=endpoint,
            )
        return season
    if kind is ParamKind.SEASON_TYPE:
        if not isinstance(value, str) or value.upper() not in SEASON_TYPES:
            raise InvalidParameterError(
                param.name, value, "must be one of 'REG', 'PRE', 'POST'", endpoint=endpoint
            )
        return value.upper()
    if kind is ParamKind.WEEK:
        return _check_int(param.name, value, endpoint)  # range checked with the season later
    if kind is ParamKind.TEAM:
        if not isinstance(value, str) or not is_team_key(value.upper()):
            raise InvalidParameterError(
                param.name,
                value,
                "must be a team key such as 'KC' or 'PHI' (see sportsframe.league.TEAMS)",
                endpoint=endpoint,
            )
        return value.upper()
    if kind is ParamKind.ID:
        ident = _check_int(param.name, value, endpoint)
        if not 0 < ident <= MAX_ID:
            raise InvalidParameterError(
                param.name, value, "must be a positive 64-bit integer", endpoint=endpoint
            )
        return ident
    if kind is ParamKind.BOOL:
        if not isinstance(value, bool):
            raise InvalidParameterError(
                param.name, value, "must be True or False", endpoint=endpoint
            )
        return value
    return _validate_more(param, value, endpoint)


def _validate_more(param: Param, value: Any, endpoint: str) -> Any:
    """The kinds the official specs added: dates, tokens, counts, game counts and choices."""
    kind = param.kind
    if kind is ParamKind.DATE:
        return _check_date(param.name, value, endpoint)
    if kind is ParamKind.TOKEN:
        if not isinstance(value, str) or not _TOKEN.fullmatch(value):
            raise InvalidParameterError(
                param.name, value, "must be letters and digits (e.g. 'G1100')",
                endpoint=endpoint,
            )  # fmt: skip
        return value
    if kind is ParamKind.COUNT:
        count = _check_int(param.name, value, endpoint)
        if not param.minimum <= count <= MAX_COUNT:
            raise InvalidParameterError(
                param.name, value, f"must be from {param.minimum} to {MAX_COUNT}",
                endpoint=endpoint,
            )  # fmt: skip
        return count
    if kind is ParamKind.GAMES:
        if isinstance(value, str) and value.lower() == "all":
            return "all"
        games = _check_int(param.name, value, endpoint) if not isinstance(value, str) else 0
        if not 0 < games <= MAX_COUNT:
            raise InvalidParameterError(
                param.name, value, "must be 'all' or a positive number of games",
                endpoint=endpoint,
            )  # fmt: skip
        return games
    if kind is ParamKind.CHOICE:
        if not isinstance(value, str) or value.lower() not in param.choices:
            raise InvalidParameterError(
                param.name, value, f"must be one of {', '.join(map(repr, param.choices))}",
                endpoint=endpoint,
            )  # fmt: skip
        return value.lower()
    raise AssertionError(kind)  # pragma: no cover


def _check_date(name: str, value: Any, endpoint: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidParameterError(
        name, value, "must be a date: datetime.date or 'YYYY-MM-DD'", endpoint=endpoint
    )


def date_segment(param: Param, value: date, *, for_path: bool) -> str:
    """A DATE as a key segment (always ISO) or a path segment (in the parameter's style)."""
    if for_path and param.style == "month":
        return value.strftime("%Y-%b-%d").upper()
    return value.isoformat()
