"""The typed signatures of the dataset functions, for type checkers, IDEs and ``inspect``.

Every dataset function's parameters follow from its row of the dataset table: its positional
arguments (a season and weeks, a team, ids, dates ...), its keyword filters, the optional
parameters of its operations (``season_type`` ...), and the control arguments ``refresh``,
``progress`` and ``backend``. :func:`parameters` lists them, each with its annotation written as
source text; :func:`signature` gives the run-time signature from the same list, so
``inspect.signature(sf.props)`` and the argument binding agree with what mypy sees.

Type checkers read call shapes: callable :class:`~typing.Protocol` classes, generic in what a call
returns (a ``pd.DataFrame``, or an awaitable one for ``AsyncSession``) and what it returns with
``backend="polars"``, told apart by overloads. ``tools/generate_facade.py`` writes them from the
dataset table into :mod:`sportsframe.facade.shapes`, with :class:`DatasetMethods` (every dataset
method, declared once for both sessions) and the module functions' declarations; a test checks
that the generated files are up to date.
"""

from __future__ import annotations

import functools
import inspect
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd

from sportsframe.facade import shapes
from sportsframe.facade.calltypes import (
    AsyncFrame,
    AsyncPolarsFrame,
    Counts,
    Dates,
    Groups,
    Ids,
    PolarsFrame,
    Seasons,
    Teams,
    Weeks,
)
from sportsframe.facade.provenance import Backend
from sportsframe.registry import ParamKind
from sportsframe.registry.datasets import Dataset

# The argument types are declared, and listed, in .calltypes; the session modules take the
# frame types from here.
__all__ = [
    "CONTROL",
    "AsyncFrame",
    "AsyncPolarsFrame",
    "Parameter",
    "PolarsFrame",
    "annotation",
    "parameters",
    "shape",
    "shape_name",
    "signature",
]

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Parameter:
    """One parameter of a dataset function: its annotation as source text and its default."""

    name: str
    keyword_only: bool
    annotation: str
    default: Any = _EMPTY

    @property
    def source(self) -> str:
        """The parameter as written in a ``def`` (``week: Weeks | None = None``)."""
        text = f"{self.name}: {self.annotation}"
        return text if self.default is _EMPTY else f"{text} = {_literal(self.default)}"


def _literal(value: Any) -> str:
    # Double quotes, as the formatter writes them.
    return json.dumps(value) if isinstance(value, str) else repr(value)


#: The control arguments every dataset function ends with (``backend`` is overloaded by value).
CONTROL = (
    Parameter("refresh", True, "bool", False),
    Parameter("progress", True, "bool | None", None),
    Parameter("backend", True, "Backend | None", None),
)

# The annotation of a positional argument, by its kind (ids of every kind are Ids).
_POSITIONAL = {
    ParamKind.SEASON: "Seasons",
    ParamKind.WEEK: "Weeks",
    ParamKind.TEAM: "Teams",
    ParamKind.ID: "Ids",
    ParamKind.DATE: "Dates",
    ParamKind.COUNT: "Counts",
    ParamKind.TOKEN: "Groups",
}
# The annotation of a value filter, by the kind of the parameter it is passed to.
_FILTER = {
    ParamKind.SEASON: "int | None",
    ParamKind.WEEK: "int | None",
    ParamKind.TEAM: "str | None",
    ParamKind.TOKEN: "str | None",
    ParamKind.DATE: "date | str | None",
}


def _choices(values: Sequence[Any]) -> str:
    return "Literal[" + ", ".join(_literal(v) for v in values) + "]"


def parameters(ds: Dataset) -> list[Parameter]:
    """The parameters of the dataset function ``ds``, in order (control arguments last)."""
    out: list[Parameter] = []
    variant = ds.primary
    by_param = {p.name: p for p in variant.endpoint.params}
    for name in ds.positional:
        param = by_param[variant.param_name(name)]
        annotation = _POSITIONAL[param.kind]
        if name == "week" and ds.week_optional:
            out.append(Parameter(name, False, f"{annotation} | None", None))
        else:
            out.append(Parameter(name, False, annotation))
    for f in ds.filters:
        if f.kind == "flag":
            out.append(Parameter(f.name, True, "bool", False))
        elif f.kind == "choice":
            out.append(Parameter(f.name, True, f"{_choices(f.choices)} | None", None))
        else:
            chosen = next(v for v in ds.variants if f.name in v.filters)
            kind = next(
                p.kind for p in chosen.endpoint.params if p.name == chosen.param_name(f.name)
            )
            out.append(Parameter(f.name, True, _FILTER[kind], None))
    for p in ds.options:
        if p.kind is ParamKind.CHOICE:
            annotation = _choices(p.choices)
        elif p.kind is ParamKind.GAMES:
            annotation = 'int | Literal["all"]'
        elif p.kind is ParamKind.BOOL:
            annotation = "bool"
        else:
            annotation = "str"  # season_type: "REG", "PRE" or "POST" in any case
        out.append(Parameter(p.name, True, annotation, p.default))
    return [*out, *CONTROL]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def shape_name(ds: Dataset) -> str:
    """The name of the call shape of ``ds``: ``By`` + its positional arguments (``Week`` for a
    season and weeks) + ``With`` + its keyword parameters, e.g. ``ByWeekWithTeamSeasonType``."""
    params = [p for p in parameters(ds) if p not in CONTROL]
    positional = tuple(p.name for p in params if not p.keyword_only)
    if positional == ("season", "week") and ds.week_optional:
        head = "ByWeek"
    elif not positional:
        head = "ByNothing"
    else:
        head = "By" + "".join(_camel(n) for n in positional)
    keywords = "".join(_camel(p.name) for p in params if p.keyword_only)
    return f"{head}With{keywords}" if keywords else head


def shape(ds: Dataset) -> type[Any]:
    """The generated call shape (a Protocol) of ``ds``."""
    found: type[Any] = getattr(shapes, shape_name(ds))
    return found


# The names an annotation's text may use (the same objects the generated shapes import).
_NAMES: dict[str, Any] = {
    "Seasons": Seasons,
    "Weeks": Weeks,
    "Teams": Teams,
    "Ids": Ids,
    "Dates": Dates,
    "Counts": Counts,
    "Groups": Groups,
    "Backend": Backend,
    "date": date,
    "int": int,
    "str": str,
    "bool": bool,
    "None": None,
}
_LITERAL: Any = Literal  # subscripted with values known at run time


def annotation(text: str) -> Any:
    """The type an annotation's text stands for: a union (``|``) of the names above and
    ``Literal[...]`` terms (read, not evaluated)."""
    terms: list[Any] = []
    for term in text.split(" | "):
        if term.startswith("Literal[") and term.endswith("]"):
            terms.append(_LITERAL[tuple(json.loads(f"[{term[8:-1]}]"))])
        else:
            terms.append(_NAMES[term])
    return functools.reduce(operator.or_, terms) if len(terms) > 1 else terms[0]


def signature(ds: Dataset) -> inspect.Signature:
    """The run-time signature of a dataset function (without ``self``), returning a
    ``pd.DataFrame``: the parameters of :func:`parameters`, their annotations evaluated (once
    per dataset: both sessions and the module function share it)."""
    if ds.name not in _SIGNATURES:
        _SIGNATURES[ds.name] = _signature(ds)
    return _SIGNATURES[ds.name]


_SIGNATURES: dict[str, inspect.Signature] = {}


def _signature(ds: Dataset) -> inspect.Signature:
    return inspect.Signature(
        [
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY
                if p.keyword_only
                else inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=p.default,
                annotation=annotation(p.annotation),
            )
            for p in parameters(ds)
        ],
        return_annotation=pd.DataFrame,
    )
