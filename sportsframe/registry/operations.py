"""The official NFL v3 operations as registry rows, read from ``operations.json``.

``operations.json`` is generated from SportsDataIO's published OpenAPI specs by
``tools/generate_api.py`` (132 GET operations: path, parameters, response model, cache data
type). :func:`operation_rows` turns each into an :class:`~sportsframe.registry.endpoint.Endpoint`;
:mod:`.nfl` keeps its hand-written rows where it has one (they carry transforms, assemblers and
the parameter sets users' cache keys were built with) and takes these rows for the rest.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import orjson

from sportsframe.registry.endpoint import Endpoint
from sportsframe.registry.params import REQUIRED, Param, ParamKind
from sportsframe.registry.ttl import CacheDataType

__all__ = ["operation_facts", "operation_rows"]


@cache
def operation_facts() -> tuple[dict[str, Any], ...]:
    """Every operation of the specs as generated (name, operation_id, feed, path, params,
    shape, model, data_type, summary), in the specs' order."""
    raw = resources.files("sportsframe.registry").joinpath("operations.json").read_bytes()
    return tuple(orjson.loads(raw)["operations"])


def _param(facts: dict[str, Any]) -> Param:
    return Param(
        name=facts["name"],
        kind=ParamKind(facts["kind"]),
        path_name=facts.get("path_name"),
        default=facts.get("default", REQUIRED),
        choices=tuple(facts.get("choices", ())),
        minimum=facts.get("min", 0),
        style=facts.get("style", "iso"),
    )


def _description(facts: dict[str, Any]) -> str:
    # "Games - by Week [Final]" reads as "Games by week (final)." in a docstring.
    text = facts["summary"].replace(" - ", " ").replace("[", "(").replace("]", ")")
    return f"{text[:1].upper()}{text[1:]}."


def operation_rows() -> list[Endpoint]:
    """One endpoint row per operation of the specs."""
    rows = []
    for facts in operation_facts():
        shape = facts["shape"]
        rows.append(
            Endpoint(
                name=facts["name"],
                method=f"get_{facts['name']}",
                path=facts["path"],
                params=tuple(_param(p) for p in facts["params"]),
                data_type=CacheDataType(facts["data_type"]),
                model=facts["model"],
                shape=shape,
                description=_description(facts),
                operation=facts["operation_id"],
            )
        )
    return rows
