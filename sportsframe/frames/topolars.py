"""Arrow table → polars DataFrame, with no pandas in between.

polars is an optional extra (``pip install "sportsframe[polars]"``) and is imported on the first
conversion only: ``import sportsframe`` never pays for it. A finished frame table holds int64,
float64, bool, string, UTC nanosecond timestamps and dictionaries of strings; polars reads the
first five as ``Int64``, ``Float64``, ``Boolean``, ``String`` and ``Datetime("ns", "UTC")``. A
dictionary column becomes a ``pl.Enum`` of its dictionary, which is the column's declared category
set in declared order: the polars counterpart of the pandas frame's ``CategoricalDtype`` (a plain
``pl.Categorical`` would forget the set and its order).
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sportsframe.errors import ConfigurationError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "POLARS_INSTALL",
    "check_polars",
    "polars_available",
    "require_polars",
    "table_to_polars",
]

#: What installs polars for sportsframe; every error about a missing polars names it.
POLARS_INSTALL = 'pip install "sportsframe[polars]"'


def polars_available() -> bool:
    """Whether polars can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec("polars") is not None
    except (ImportError, ValueError):
        return False


def _missing(reason: str) -> ConfigurationError:
    return ConfigurationError(
        f'polars frames need the polars extra ({reason}): {POLARS_INSTALL}, or use backend="pandas"'
    )


def require_polars() -> ModuleType:
    """The polars module, imported now; a ConfigurationError naming the extra without it."""
    try:
        return importlib.import_module("polars")
    except ImportError as exc:
        raise _missing("polars is not installed" if exc.name == "polars" else str(exc)) from None


def check_polars() -> None:
    """Raise the ConfigurationError of :func:`require_polars` when polars is not installed,
    without importing it (a session asked for polars frames checks this when it is made)."""
    if not polars_available():
        raise _missing("polars is not installed")


def table_to_polars(table: pa.Table) -> pl.DataFrame:
    """``table`` (a finished frame table) as a polars DataFrame with native dtypes."""
    polars: Any = require_polars()
    casts = [
        polars.col(field.name).cast(_enum(tuple(categories)))
        for field in table.schema
        if (categories := _categories(table.column(field.name))) is not None
    ]
    frame = polars.from_arrow(table, rechunk=False)
    return frame.with_columns(casts) if casts else frame  # type: ignore[no-any-return]


def _categories(column: pa.ChunkedArray[Any]) -> list[str] | None:
    """The dictionary of a dictionary-of-strings column (its declared categories), else None."""
    t = column.type
    if not pa.types.is_dictionary(t) or not column.num_chunks:
        return None
    if not (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
        return None
    if column.num_chunks > 1:
        column = column.unify_dictionaries()
    chunk: Any = column.chunk(0)
    return list(chunk.dictionary.to_pylist())


@lru_cache(maxsize=256)
def _enum(categories: tuple[str, ...]) -> Any:
    # The same few category sets (teams, season types) come back on every conversion.
    return require_polars().Enum(list(categories))
