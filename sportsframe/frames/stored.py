"""The finished frame kept beside a cache entry: its name, and its bytes as Arrow IPC.

A hit that finds the finished frame skips the build: it reads the stored table back zero-copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from sportsframe.frames.build import to_pandas
from sportsframe.frames.schema import Column, arrow_type, schema

__all__ = [
    "FRAME_BUILD_VERSION",
    "companion_name",
    "frame_from_ipc",
    "table_from_ipc",
    "table_to_ipc",
    "warm_up",
]


#: Bump when the builder changes what it makes of the same payload: stored finished frames of
#: an older build are then never read again (their companion name changes).
FRAME_BUILD_VERSION = 1


@cache
def companion_name(dataset: str) -> str:
    """The name under which a finished frame of ``dataset`` is kept beside its cache entry.

    It fingerprints the build version and the declared columns and dtypes, so a frame stored by
    another version of sportsframe is never mistaken for this version's.
    """
    sch = schema(dataset)
    columns = [[c.name, str(c.dtype), str(arrow_type(c))] for c in sch.columns]
    shape = [FRAME_BUILD_VERSION, columns]
    digest = hashlib.sha256(orjson.dumps(shape)).hexdigest()[:12]
    return f"frame-{dataset}-{digest}"


def table_to_ipc(table: pa.Table) -> bytes:
    """A finished frame table as one uncompressed Arrow IPC stream (any Arrow reader opens it;
    uncompressed because reading it back is the hot path).

    Text columns are stored as ``large_string``: pandas' Arrow-backed ``str`` arrays hold that
    type, so reading them back takes no conversion.
    """
    fields = [
        f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema
    ]
    table = table.cast(pa.schema(fields))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def table_from_ipc(data: bytes | memoryview) -> pa.Table:
    """The table stored by :func:`table_to_ipc` (a zero-copy read)."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def frame_from_ipc(data: bytes | memoryview) -> pd.DataFrame:
    """The frame stored by :func:`table_to_ipc` (zero-copy read, then :func:`to_pandas`)."""
    return to_pandas(table_from_ipc(data))


@cache
def warm_up(dataset: str) -> None:
    """Build ``dataset``'s schema and companion name, and run a small frame of it (a row of
    values, then a row of nulls) through the IPC read and the conversion to pandas, so that the
    process's first real frame pays none of them (lazy imports, first use of each converter on
    values and on nulls, the pandas dtype of each declared category set: together about 10 ms
    for props). Datasets whose frames have the same columns share one conversion (half of them
    do: a dataset's operations by week, by game, by team ...). Once per process and dataset; a
    session does this in the background while idle."""
    sch = schema(dataset)
    _convert_sample(tuple((c.name, arrow_type(c), _categories(c)) for c in sch.columns))
    # The first hit of the dataset names its stored frame: a digest of the declared columns.
    companion_name(dataset)


#: A frame's columns as the conversion sees them: (name, Arrow type, declared categories).
_Shape = tuple[tuple[str, Any, tuple[str, ...]], ...]


@cache
def _convert_sample(shape: _Shape) -> None:
    """Run two rows of a frame of ``shape`` through the IPC write and read and the conversion
    (once per shape: the conversion keeps what it learns by the stored schema)."""
    rows = pa.table({name: _sample(t, categories) for name, t, categories in shape})
    frame_from_ipc(table_to_ipc(rows))


def _categories(column: Column) -> tuple[str, ...]:
    """The declared categories of a categorical column (empty for any other)."""
    categories = getattr(column.dtype, "categories", None)
    return () if categories is None else tuple(categories)


#: A value of each kind of Arrow type a frame holds (the warm-up's first row).
_SAMPLES: tuple[tuple[Callable[[pa.DataType], bool], object], ...] = (
    (pa.types.is_boolean, True),
    (pa.types.is_integer, 1),
    (pa.types.is_floating, 1.5),
    (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), "a"),
    (pa.types.is_timestamp, datetime(2024, 9, 8, 17, tzinfo=UTC)),
    (pa.types.is_date, date(2024, 9, 8)),
)


def _sample(t: Any, categories: tuple[str, ...] = ()) -> Any:
    """Two values of the Arrow type ``t``: a value (where this knows one), then a null."""
    if pa.types.is_dictionary(t) and categories:
        # The whole declared set, as every real frame's dictionary holds it (the builder's):
        # the conversion keeps one pandas dtype per set, and building one (an Index, a
        # uniqueness check) is most of a first conversion's extra cost.
        dictionary = pa.array(list(categories), t.value_type)
        return pa.DictionaryArray.from_arrays(pa.array([0, None], t.index_type), dictionary)
    kind = t.value_type if pa.types.is_dictionary(t) else t
    value = next((v for matches, v in _SAMPLES if matches(kind)), None)
    try:
        return pa.array([value, None], type=t)
    except (pa.ArrowException, TypeError, ValueError):
        return pa.nulls(2, t)
