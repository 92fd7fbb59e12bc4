"""Records in the real response schema, built from the models JSON plus the league's facts.

``fill(model, facts)`` produces a record with every field of the model in the reference's order,
then overlays the facts. A field the league has no fact for gets what the service sends when it
has nothing to say: null where the reference allows it, otherwise zero, false, an empty list or
an empty nested record. Never a made-up placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import orjson

from sportsframe.emulator.world import EASTERN

__all__ = ["day", "eastern", "fill", "models"]


@cache
def models() -> dict[str, list[dict[str, Any]]]:
    """The models JSON: model name -> list of fields."""
    raw = resources.files("sportsframe").joinpath("sportsdataio-models.json").read_bytes()
    return {n: m["fields"] for n, m in orjson.loads(raw)["models"].items()}


def eastern(when: datetime) -> str:
    """An Eastern wall-clock string as SportsDataIO writes it."""
    return when.astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M:%S")


def day(when: datetime) -> str:
    """The Eastern date of ``when`` at midnight (SportsDataIO's ``Day``)."""
    return when.astimezone(EASTERN).strftime("%Y-%m-%dT00:00:00")


_EMPTY = {"int": 0, "dec": 0.0, "bool": False}


@cache
def _template(model: str) -> tuple[dict[str, Any], tuple[tuple[str, str], ...], dict[str, str]]:
    """The model's empty record (immutable values only), the fields whose empty value must be
    built fresh for each record (lists, nested records), and each scalar field's type."""
    empty: dict[str, Any] = {}
    fresh: list[tuple[str, str]] = []
    kinds: dict[str, str] = {}
    for f in models()[model]:
        name, kind = f["name"], f["type"]
        empty[name] = None
        if f["array"]:
            fresh.append((name, "[]"))
            continue
        kinds[name] = kind
        if kind in _EMPTY and not f["nullable"]:
            empty[name] = _EMPTY[kind]
        elif kind not in _EMPTY and kind not in ("str", "dt") and not f["nullable"]:
            fresh.append((name, kind))
    return empty, tuple(fresh), kinds


def _typed(value: Any, kind: str | None) -> Any:
    # Stats are summed as floats; an integer field is still sent as a JSON integer, and a
    # decimal one as a number with a point, as the service does.
    if kind == "int" and isinstance(value, float):
        return round(value)
    if kind == "dec" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def fill(model: str, facts: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """A record of ``model`` with every field, ``facts`` applied over the empty values.

    Facts that are not fields of the model are ignored, so one set of facts can fill related
    models (a Score and its Schedule subset).
    """
    empty, fresh, kinds = _template(model)
    out = dict(empty)  # field order is the model's: updates below keep it
    for name, nested in fresh:
        if name not in facts:
            if nested == "[]":
                out[name] = []
            elif depth == 0:
                out[name] = fill(nested, {}, depth=depth + 1)
    for name, value in facts.items():
        if name in out:
            out[name] = _typed(value, kinds.get(name))
    return out
