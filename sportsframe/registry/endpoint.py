"""One registered endpoint and a call to it: cache keys, request paths and invalidation globs.

Cache keys are built exactly as the cache spec builds them, ``endpoint:param1:param2...`` with
``str()`` of each value (``player_props:2024:18:True``). The season segment is written ``2024`` for
the regular season and ``2024POST`` / ``2024PRE`` otherwise, the same rule for every endpoint that
takes a season type; the path gets ``2024REG`` / ``2024POST`` / ``2024PRE``.

Arguments are validated by :meth:`Endpoint.bind` before any I/O; a bad one raises
:class:`~sportsframe.errors.InvalidParameterError` naming the argument.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sportsframe.errors import InvalidParameterError
from sportsframe.registry.params import (
    Param,
    ParamKind,
    date_segment,
    latest_season,
    max_week,
    min_week,
    validate_value,
)
from sportsframe.registry.ttl import CacheDataType, Coverage

__all__ = ["Assembler", "BoundCall", "Endpoint", "Fetch", "Transform"]


#: Parameters that name one game (a score or game id).
_GAME_ID_PARAMS = frozenset({"score_id", "game_id"})


@dataclass(frozen=True, slots=True)
class BoundCall:
    """An endpoint with validated arguments: knows its cache key and request path."""

    endpoint: Endpoint
    values: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The cache key, ``name:seg1:seg2...`` (no namespace, no source prefix)."""
        return self.endpoint.build_key(self.values)

    @property
    def path(self) -> str:
        """The request path (``/v3/nfl/...``). Raises for assembled endpoints."""
        return self.endpoint.build_path(self.values)

    @property
    def params(self) -> dict[str, Any]:
        """The arguments as the caller would write them (for messages and provenance)."""
        return dict(self.values)

    @property
    def season(self) -> int | None:
        """The call's season, if it takes one."""
        value = self.values.get("season")
        return value if isinstance(value, int) else None

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.endpoint.name}({args})"


#: How an assembled endpoint reaches its parts: fetch one bound call (cached or not).
Fetch = Callable[[BoundCall], Awaitable[Any]]
#: Builds an assembled endpoint's payload from its parts (see :mod:`.props`).
Assembler = Callable[[BoundCall, Fetch], Awaitable[Any]]
#: Rewrites a payload as received, given the call's arguments (before it is returned and cached).
Transform = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One registered SportsDataIO endpoint (a row of the registry).

    Keyword-only, so that every row of :mod:`.nfl` says which value is which.
    """

    name: str
    method: str
    path: str | None
    params: tuple[Param, ...]
    data_type: CacheDataType
    model: str
    shape: Literal["list", "object", "scalar"]
    description: str
    #: Query string sent with every request (e.g. odds ``include``).
    query: Mapping[str, str] = field(default_factory=dict)
    #: Applied to the payload as received before it is returned and cached.
    transform: Transform | None = None
    #: For endpoints assembled from others (props by week): builds the payload from its parts.
    assembler: Assembler | None = None
    #: The operationId in SportsDataIO's OpenAPI specs (None for endpoints outside them).
    operation: str | None = None

    @property
    def feed(self) -> str:
        """The SportsDataIO feed (``scores``, ``stats``, ``odds``, ``pbp``) or ``assembled``."""
        return self.path.split("/")[3] if self.path else "assembled"

    @property
    def key_params(self) -> tuple[Param, ...]:
        """Parameters that make up the key, in key order (season_type folds into season)."""
        return tuple(p for p in self.params if p.kind is not ParamKind.SEASON_TYPE)

    @property
    def has_week(self) -> bool:
        """True when the endpoint takes a week (its keys are per week)."""
        return any(p.kind is ParamKind.WEEK for p in self.params)

    @property
    def coverage(self) -> Coverage:
        """Which games a call covers, for the freshness rules (see
        :class:`~sportsframe.registry.ttl.Coverage`): whether it names its games (a week, a
        date or one game, not a season's log), and whether it lists only the games final so
        far (a "...Final" operation over more than one game)."""
        one_game = any(p.name in _GAME_ID_PARAMS for p in self.params)
        fixed = one_game or any(p.kind in (ParamKind.WEEK, ParamKind.DATE) for p in self.params)
        op = self.operation or ""
        final_only = op.endswith("_final") and "_live_" not in op and not one_game
        return Coverage(fixed=fixed, final_only=final_only)

    @property
    def typed_season(self) -> bool:
        """True when the season takes a season type (``2024REG``)."""
        return any(p.kind is ParamKind.SEASON_TYPE for p in self.params)

    def bind(self, *args: Any, **kwargs: Any) -> BoundCall:
        """Validate arguments (positional in parameter order, or by name) into a :class:`BoundCall`.

        Raises :class:`InvalidParameterError` for a missing, unknown or invalid argument.
        """
        if len(args) > len(self.params):
            raise InvalidParameterError(
                "args", args, f"takes at most {len(self.params)} arguments", endpoint=self.name
            )
        given: dict[str, Any] = {}
        for param, value in zip(self.params, args, strict=False):
            given[param.name] = value
        for name, value in kwargs.items():
            if name in given:
                raise InvalidParameterError(name, value, "given twice", endpoint=self.name)
            given[name] = value
        known = {p.name for p in self.params}
        for name in given:
            if name not in known:
                expected = ", ".join(p.name for p in self.params) or "no arguments"
                raise InvalidParameterError(
                    name, given[name], f"unknown argument (expected {expected})", endpoint=self.name
                )
        values: dict[str, Any] = {}
        for param in self.params:
            if param.name in given:
                values[param.name] = validate_value(param, given[param.name], self.name)
            elif param.required:
                raise InvalidParameterError(param.name, None, "is required", endpoint=self.name)
            else:
                values[param.name] = param.default
        self._check_week(values)
        return BoundCall(self, values)

    def _check_week(self, values: Mapping[str, Any]) -> None:
        week = next((p for p in self.params if p.kind is ParamKind.WEEK), None)
        if week is None:
            return
        season = values.get("season", latest_season())
        season_type = values.get("season_type", "REG")
        lo, hi = min_week(season_type), max_week(season, season_type)
        value = values[week.name]
        if not lo <= value <= hi:
            raise InvalidParameterError(
                week.name,
                value,
                f"{season} {season_type} weeks run from {lo} to {hi}",
                endpoint=self.name,
            )

    def season_segment(self, values: Mapping[str, Any], *, for_path: bool) -> str:
        """The season as a key segment (``2024``, ``2024POST``) or a path one (``2024REG``)."""
        season = values["season"]
        if not self.typed_season:
            return str(season)
        season_type = values.get("season_type", "REG")
        if season_type == "REG" and not for_path:
            return str(season)
        return f"{season}{season_type}"

    def build_key(self, values: Mapping[str, Any]) -> str:
        """The cache key of validated ``values`` (see :attr:`BoundCall.key`)."""
        segments = [self._segment(p, values) for p in self.key_params]
        return ":".join([self.name, *segments]) if segments else self.name

    def _segment(self, param: Param, values: Mapping[str, Any], *, for_path: bool = False) -> str:
        if param.kind is ParamKind.SEASON:
            return self.season_segment(values, for_path=for_path)
        if param.kind is ParamKind.DATE:
            return date_segment(param, values[param.name], for_path=for_path)
        return str(values[param.name])

    def build_path(self, values: Mapping[str, Any]) -> str:
        """The request path of validated ``values`` (see :attr:`BoundCall.path`)."""
        if self.path is None:
            raise TypeError(f"{self.name} is assembled from other endpoints and has no path")
        filled = {
            p.path_name: self._segment(p, values, for_path=True)
            for p in self.params
            if p.path_name is not None
        }
        return self.path.format(**filled)

    def key_pattern(self, **fixed: Any) -> str:
        """A glob matching this endpoint's keys with some segments fixed, the rest ``*``.

        ``season`` is written as in keys (REG plain); pass ``season_type`` to choose another.
        """
        segments = []
        for param in self.key_params:
            if param.name in fixed:
                if param.kind is ParamKind.SEASON:
                    values = {"season": fixed["season"]}
                    values["season_type"] = fixed.get("season_type", "REG")
                    segments.append(_escape_glob(self.season_segment(values, for_path=False)))
                else:
                    segments.append(_escape_glob(str(fixed[param.name])))
            else:
                segments.append("*")
        return ":".join([self.name, *segments]) if segments else self.name

    def takes(self, kind: ParamKind) -> Param | None:
        """The first parameter of ``kind``, if any."""
        return next((p for p in self.params if p.kind is kind), None)


def _escape_glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
