"""Records in the real response schema, built from the models JSON plus the league's facts.

``fill(model, facts)`` produces a record with every field of the model in the reference's order,
then overlays the facts. A field the league has no fact for gets what the service sends when it
has nothing to say: null where the reference allows it, otherwise zero, false, an empty list or
an empty nested record. Never a made-up placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import orjson

from sportsframe.emulator.world import EASTERN, Game

__all__ = ["day", "eastern", "fill", "game_teams", "models"]


@cache
def models() -> dict[str, list[dict[str, Any]]]:
    """The models JSON: model name -> list of fields."""
    raw = resources.files("sportsframe").joinpath("sportsdataio-models.json").read_bytes()
    return {n: m["fields"] for n, m in orjson.loads(raw)["models"].items()}


@lru_cache(maxsize=8192)
def eastern(when: datetime) -> str:
    """An Eastern wall-clock string as SportsDataIO writes it."""
    return when.astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=8192)
def day(when: datetime) -> str:
    """The Eastern date of ``when`` at midnight (SportsDataIO's ``Day``)."""
    return when.astimezone(EASTERN).strftime("%Y-%m-%dT00:00:00")


def game_teams(g: Game) -> dict[str, Any]:
    """The away and home teams' key, id and global id fields of a game's record."""
    return {
        "AwayTeam": g.away.key,
        "HomeTeam": g.home.key,
        "AwayTeamID": g.away.team_id,
        "HomeTeamID": g.home.team_id,
        "GlobalAwayTeamID": g.away.team_id,
        "GlobalHomeTeamID": g.home.team_id,
    }


_EMPTY = {"int": 0, "dec": 0.0, "bool": False}


@dataclass(frozen=True, slots=True)
class _Template:
    empty: dict[str, Any]  # every field with its empty value (immutable values only)
    fresh: tuple[tuple[str, str], ...]  # fields whose empty value is built per record
    ints: frozenset[str]
    decs: frozenset[str]


@cache
def _template(model: str) -> _Template:
    empty: dict[str, Any] = {}
    fresh: list[tuple[str, str]] = []
    ints, decs = set(), set()
    for f in models()[model]:
        name, kind = f["name"], f["type"]
        empty[name] = None
        if f["array"]:
            fresh.append((name, "[]"))
            continue
        if kind == "int":
            ints.add(name)
        elif kind == "dec":
            decs.add(name)
        if kind in _EMPTY and not f["nullable"]:
            empty[name] = _EMPTY[kind]
        elif kind not in _EMPTY and kind not in ("str", "dt") and not f["nullable"]:
            fresh.append((name, kind))
    return _Template(empty, tuple(fresh), frozenset(ints), frozenset(decs))


def fill(model: str, facts: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """A record of ``model`` with every field, ``facts`` applied over the empty values.

    Facts that are not fields of the model are ignored, so one set of facts can fill related
    models (a Score and its Schedule subset). Stats are summed as floats: an integer field is
    still sent as a JSON integer, and a decimal one as a number with a point, as the service
    does.
    """
    template = _template(model)
    out = dict(template.empty)  # the model's field order: updating keys keeps it
    out.update(facts)
    if len(out) != len(template.empty):
        for name in facts.keys() - template.empty.keys():
            del out[name]
    ints, decs = template.ints, template.decs
    for name, value in facts.items():
        kind = type(value)  # exact types: a bool is never a number here
        if kind is float and name in ints:
            out[name] = round(value)
        elif kind is int and name in decs:
            out[name] = float(value)
    for name, nested in template.fresh:
        if name not in facts:
            if nested == "[]":
                out[name] = []
            elif depth == 0:
                out[name] = fill(nested, {}, depth=depth + 1)
    return out
