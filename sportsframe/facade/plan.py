"""Arguments into calls: the bound registry calls of a dataset call, validated, with no I/O.

``sf.props(2024, range(1, 9))`` is eight calls (one per week); ``sf.rosters(["KC", "BUF"])`` two.
Every argument is checked here, before anything is read, so bad input fails fast with an
:class:`~sportsframe.errors.InvalidParameterError`. A week left out (``week=None``) means "every
week with data so far", which needs the current week: :func:`plan` then returns None for the
calls and the session looks the week up (:func:`week_range` gives the bounds).
"""

from __future__ import annotations

import inspect
from typing import Any

from sportsframe.errors import InvalidParameterError
from sportsframe.facade.provenance import BACKENDS, Backend
from sportsframe.frames.topolars import check_polars
from sportsframe.registry import ENDPOINTS, BoundCall, max_week, min_week
from sportsframe.registry.datasets import DATASETS, Dataset, expand, values_of

__all__ = ["CONTROL_ARGUMENTS", "backend_of", "bind", "plan", "planned", "week_range"]

#: Arguments of a dataset method that steer the call rather than choose the data.
CONTROL_ARGUMENTS = ("refresh", "progress", "backend")


def backend_of(value: object, default: Backend) -> Backend:
    """The backend a call asked for (None: the session's ``default``), checked before any I/O:
    an unknown name is an InvalidParameterError, polars without its extra a ConfigurationError
    naming the extra."""
    if value is None:
        chosen = default
    else:
        found = [b for b in BACKENDS if isinstance(value, str) and value.strip().lower() == b]
        if not found:
            raise InvalidParameterError("backend", value, 'must be "pandas" or "polars"')
        chosen = found[0]
    if chosen == "polars":
        check_polars()
    return chosen


def bind(sig: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a dataset method call by name, defaults applied (a wrong call is an
    InvalidParameterError, like any other bad argument)."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise InvalidParameterError("arguments", (args, kwargs), str(exc)) from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    # The control arguments are the facade's own: no registry parameter checks them.
    if not isinstance(arguments.get("refresh", False), bool):
        raise InvalidParameterError("refresh", arguments["refresh"], "must be True or False")
    if not isinstance(arguments.get("progress"), bool | None):
        raise InvalidParameterError(
            "progress", arguments["progress"], "must be True, False or None (automatic)"
        )
    return arguments


def plan(
    ds: Dataset, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[list[BoundCall] | None, list[int], dict[str, Any]]:
    """(validated calls, or None when ``week=None`` needs the current week first; the seasons;
    the other arguments)."""
    ep = ds.endpoint
    extra = {k: v for k, v in kwargs.items() if v is not None}
    if not ep.typed_season:
        extra.pop("season_type", None)
    if ds.kind in ("week", "season"):
        seasons = values_of("season", args[0] if args else kwargs.get("season"))
        extra.pop("season", None)
        week_arg = extra.pop("week", None)
        if len(args) > 1:
            week_arg = args[1]
        if ds.kind == "season":
            return expand(ds, seasons=seasons, extra=extra), seasons, extra
        if week_arg is None:
            # Validate seasons and season type before the current week is looked up.
            for season in seasons:
                ENDPOINTS["scores"].bind(season=season, week=1, **extra)
            return None, seasons, extra
        weeks = values_of("week", week_arg)
        return expand(ds, seasons=seasons, weeks=weeks, extra=extra), seasons, extra
    if ds.kind == "none":
        return expand(ds, extra=extra), [], extra
    param = ep.params[0].name
    value = args[0] if args else extra.pop(param, None)
    extra.pop(param, None)
    if value is None:
        raise InvalidParameterError(param, None, "is required", endpoint=ep.name)
    return expand(ds, values=values_of(param, value), extra=extra), [], extra


def planned(dataset: str, values: dict[str, Any]) -> list[BoundCall] | None:
    """The bound calls of a dataset method call given by name (``values``), when they need no
    I/O to plan (else None)."""
    args = {k: v for k, v in values.items() if k not in CONTROL_ARGUMENTS}
    calls, _, _ = plan(DATASETS[dataset], (), args)
    return calls


def week_range(
    season: int, season_type: str, current_season: int, current_week: int | None
) -> list[int]:
    """Every week of ``season`` with data so far, given the current season and week: all weeks
    of a past season, up to the current week in the current one."""
    lo, hi = min_week(season_type), max_week(season, season_type)
    if season < current_season:
        return list(range(lo, hi + 1))
    if season > current_season:
        raise InvalidParameterError("season", season, "has no weeks with data yet")
    if current_week is None:
        return list(range(lo, hi + 1))
    return list(range(lo, min(current_week, hi) + 1))
