"""Sample arguments for any registry endpoint, for tests that walk every operation.

``fill_in(ep, given)`` completes ``given`` (say a season and week) with a valid value for every
other required parameter, chosen so that the emulator's league has data for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sportsframe.registry import Endpoint, ParamKind

__all__ = ["SAMPLE_VALUES", "fill_in"]

#: A value per parameter name; ids default to ones the emulator's 2024 league knows.
SAMPLE_VALUES: Mapping[str, Any] = {
    "team": "KC",
    "opponent": "BUF",
    "date": date(2024, 12, 1),
    "sportsbook_group": "G1100",
    "minutes": 2,
    "plays": 10,
    "games": "all",
    "team_id": 16,
}


def fill_in(ep: Endpoint, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` plus a sample value for every other required parameter of ``ep``."""
    out = dict(given)
    for param in ep.params:
        if param.name in out or not param.required:
            continue
        if param.name in SAMPLE_VALUES:
            out[param.name] = SAMPLE_VALUES[param.name]
        elif param.kind is ParamKind.CHOICE:
            out[param.name] = param.choices[0]
        else:
            raise KeyError(f"no sample value for {ep.name}.{param.name}")
    return out
