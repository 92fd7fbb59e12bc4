"""Arguments into calls: the bound registry calls of a dataset call, validated, with no I/O.

``sf.props(2024, range(1, 9))`` is eight calls (one per week); ``sf.rosters(["KC", "BUF"])`` two.
Every argument is checked here, before anything is read, so bad input fails fast with an
:class:`~sportsframe.errors.InvalidParameterError`; the keyword filters choose the operation
(:func:`~sportsframe.registry.datasets.choose`). A week left out (``week=None``) means "every
week with data so far", which needs the current week: :func:`plan` then returns None for the
calls and the session looks the week up (:func:`week_range` gives the bounds).
"""

from __future__ import annotations

import inspect
from typing import Any

from sportsframe.errors import InvalidParameterError
from sportsframe.facade.provenance import BACKENDS, Backend
from sportsframe.frames.topolars import check_polars
from sportsframe.registry import BoundCall, max_week, min_week
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
) -> tuple[list[BoundCall] | None, dict[str, list[Any]], dict[str, Any]]:
    """(validated calls, or None when ``week=None`` needs the current week first; the values of
    each positional argument as a list; the filters and options)."""
    given = dict(kwargs)
    given.update(zip(ds.positional, args, strict=False))
    options = {
        k: v
        for k, v in given.items()
        if k not in ds.positional and k not in CONTROL_ARGUMENTS and v is not None
    }
    lists: dict[str, list[Any]] = {}
    for name in ds.positional:
        value = given.get(name)
        if value is None and not (name == "week" and ds.week_optional):
            raise InvalidParameterError(name, None, "is required", endpoint=ds.endpoint_name)
        if value is not None:
            lists[name] = values_of(name, value)
    if ds.week_optional and "week" not in lists:
        # Validate every argument (a first week stands in) before the current week is looked up.
        first = min_week(str(options.get("season_type", "REG")).upper())
        expand(ds, {**lists, "week": [first]}, options)
        return None, lists, options
    return expand(ds, lists, options), lists, options


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
