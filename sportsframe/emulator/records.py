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
def _template(model: str) -> tuple[tuple[str, Any, str | None], ...]:
    # (field, immutable default, nested model to build fresh or None), in the model's order.
    out: list[tuple[str, Any, str | None]] = []
    for f in models()[model]:
        name, kind = f["name"], f["type"]
        if f["array"]:
            out.append((name, None, "[]"))
        elif kind == "str" or kind == "dt" or f["nullable"]:
            out.append((name, None, None))
        elif kind in _EMPTY:
            out.append((name, _EMPTY[kind], None))
        else:
            out.append((name, None, kind))
    return tuple(out)


@cache
def _kinds(model: str) -> dict[str, str]:
    return {f["name"]: f["type"] for f in models()[model] if not f["array"]}


def _typed(value: Any, kind: str | None) -> Any:
    # Stats are summed as floats; an integer field is still sent as a JSON integer, and a
    # decimal one as a number with a point, as the service does.
    if kind == "int" and isinstance(value, float):
        return round(value)
    if kind == "dec" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def fill(model: str, facts: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """A record of ``model`` with every field, ``facts`` applied over the empty values."""
    out: dict[str, Any] = {}
    for name, default, nested in _template(model):
        if name in facts:
            out[name] = _typed(facts[name], _kinds(model).get(name))
        elif nested == "[]":
            out[name] = []
        elif nested is not None:
            out[name] = fill(nested, {}, depth=depth + 1) if depth == 0 else None
        else:
            out[name] = default
    return out
