"""The facade's datasets: which operations each public function reads and how its arguments expand.

One row per public dataset function (``props``, ``injuries``, ...; the rows are in
:mod:`.dataset_table`). A dataset lists its *variants*: the registry operations that answer it,
each with the keyword filters it answers (``player_game_stats(2024, 13, team="KC", final=True)``
is ``PlayerGameStatsByTeamFinal``). :func:`choose` picks the variant whose filters are exactly the
ones the caller set, the narrowest operation that answers the call; a combination no operation
answers is an :class:`~sportsframe.errors.InvalidParameterError` before any I/O. Every variant of a
dataset returns the same response model, so the frame and its schema are one per dataset.

The positional arguments (a season and weeks, a team, ids, dates, ...) are the first variant's
required parameters that are not filters. Each accepts one value or a list or a range of them and
expands into one bound call per combination; every element is validated before any I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from sportsframe.errors import InvalidParameterError
from sportsframe.registry.dataset import Dataset, Filter, Variant
from sportsframe.registry.dataset_table import ROWS
from sportsframe.registry.endpoint import BoundCall

__all__ = [
    "DATASETS",
    "Dataset",
    "Filter",
    "Variant",
    "choose",
    "expand",
    "filter_tokens",
    "values_of",
]


def filter_tokens(dataset: Dataset, options: Mapping[str, Any]) -> frozenset[str]:
    """The tokens of the filters set in ``options`` (validated: a flag is a bool, a choice one
    of its choices)."""
    tokens = set()
    for f in dataset.filters:
        value = options.get(f.name, f.default)
        if f.kind == "flag":
            if not isinstance(value, bool):
                raise InvalidParameterError(f.name, value, "must be True or False")
            if value:
                tokens.add(f.name)
        elif value is not None:
            if f.kind == "choice":
                if value not in f.choices or isinstance(value, bool):
                    allowed = ", ".join(map(repr, (None, *f.choices)))
                    raise InvalidParameterError(f.name, value, f"must be one of {allowed}")
                tokens.add(f"{f.name}={value}")
            else:
                tokens.add(f.name)
    return frozenset(tokens)


def choose(dataset: Dataset, options: Mapping[str, Any]) -> Variant:
    """The variant answering exactly the filters set in ``options`` (the narrowest operation).

    Raises :class:`InvalidParameterError` naming the filters when no operation answers them.
    """
    tokens = filter_tokens(dataset, options)
    for variant in dataset.variants:
        if variant.filters == tokens:
            return variant
    answered = "; ".join(" + ".join(sorted(v.filters)) or "no filter" for v in dataset.variants)
    raise InvalidParameterError(
        "filters",
        ", ".join(sorted(tokens)),
        f"no {dataset.name} operation answers this combination (answered: {answered})",
    )


def values_of(name: str, value: Any) -> list[Any]:
    """``value`` as a non-empty list of values: one value, or a list, tuple, range or other
    iterable of them (each is checked when the call is bound). A string is one value, not the
    characters in it."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = list(value)
        if not items:
            raise InvalidParameterError(name, value, "must not be empty")
        return items
    return [value]


def expand(
    dataset: Dataset, values: Mapping[str, list[Any]], options: Mapping[str, Any] | None = None
) -> list[BoundCall]:
    """Bind one call per combination of the positional ``values`` (a list per positional
    argument) to the variant the filters in ``options`` choose, validating every one before any
    I/O. ``options`` holds the filters and the optional parameters (``season_type`` ...)."""
    options = dict(options or {})
    variant = choose(dataset, options)
    ep = variant.endpoint
    taken = {p.name for p in ep.params}
    fixed: dict[str, Any] = {}
    for f in dataset.filters:
        value = options.get(f.name)
        if f.kind == "value" and value is not None:
            fixed[variant.param_name(f.name)] = value
    for p in dataset.options:
        value = options.get(p.name, p.default)
        if p.name in taken:
            fixed[p.name] = value
        elif value != p.default:
            raise InvalidParameterError(
                p.name, value, f"is not taken by {ep.name} (chosen by the filters given)"
            )
    names = dataset.positional
    for name in names:
        if not values.get(name):
            raise InvalidParameterError(name, None, "is required", endpoint=ep.name)
    calls = [
        ep.bind(**{variant.param_name(n): v for n, v in zip(names, combo, strict=True)}, **fixed)
        for combo in itertools.product(*(values[n] for n in names))
    ]
    # The same call twice (week=[18, 18]) is fetched once.
    unique: dict[str, BoundCall] = {}
    for call in calls:
        unique.setdefault(call.key, call)
    return list(unique.values())


#: Every public dataset by function name.
DATASETS: Mapping[str, Dataset] = {d.name: d for d in ROWS}
