"""Keyword filters that select each operation of a dataset, for tests that walk them all."""

from __future__ import annotations

from typing import Any

from sportsframe.registry.datasets import Dataset, Variant
from tests.samples import SAMPLE_VALUES

__all__ = ["FILTER_VALUES", "filters_of"]

#: A value for each filter that is not a flag or a choice.
FILTER_VALUES: dict[str, Any] = {
    "team": SAMPLE_VALUES["team"],
    "sportsbook_group": SAMPLE_VALUES["sportsbook_group"],
    "date": SAMPLE_VALUES["date"],
    "season": 2024,
    "week": 13,
    "rookie_year": 2024,
}


def filters_of(ds: Dataset, variant: Variant) -> dict[str, Any]:
    """Keyword filters that select ``variant`` of ``ds``."""
    kinds = {f.name: f.kind for f in ds.filters}
    out: dict[str, Any] = {}
    for token in variant.filters:
        name, _, value = token.partition("=")
        if value:
            out[name] = int(value)
        else:
            out[name] = True if kinds[name] == "flag" else FILTER_VALUES[name]
    return out
