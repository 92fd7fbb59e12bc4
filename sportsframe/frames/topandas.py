"""Arrow table → pandas DataFrame with sportsframe's dtypes, fast.

``Table.to_pandas(types_mapper=...)`` is general: it reconstructs pandas metadata, asks the
mapper about every column and builds a block per column through several layers. For the small
set of Arrow types a finished frame holds (int64, float64, bool, string, dictionary of strings,
UTC nanosecond timestamps) this module goes straight to pandas' own arrays — masked arrays from
the Arrow buffers, Arrow-backed strings without a copy, categoricals from the dictionary codes
with a cached dtype — and assembles the frame from those blocks in one step. At a props week's
size (about 2,600 rows × 40 columns) that is about twice as fast, and the hot-tier read path
spends most of its time here.

The result is identical to the general path (``tests/test_topandas.py`` compares them on every
dataset's frame); a table holding any other type takes the general path. When pandas' block
constructor (``pandas.api.internals``: young, and pandas has no upper bound here) is missing or no
longer takes the blocks this module builds, the same arrays go through the public ``DataFrame``
constructor instead, said once at DEBUG level: slower, same frame. (pyarrow's general path calls
that constructor too on pandas 3, so it is no way out.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from importlib import import_module
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["STRING_DTYPE", "arrow_types_mapper", "table_to_frame"]

log = logging.getLogger("sportsframe.frames")

#: The string dtype of every text column: pandas' ``str`` (Arrow-backed, NaN for missing).
STRING_DTYPE = pd.StringDtype(na_value=float("nan"))
#: Arrow arrays of any type (beyond pyarrow-stubs' generics), and the dtypes' ``__from_arrow__``
#: hooks (public pandas protocol, missing from pandas-stubs).
Arr = Any
_STRING: Any = STRING_DTYPE
_FLOAT: Any = pd.Float64Dtype()
_UTC: Any = pd.DatetimeTZDtype("ns", "UTC")
#: The constructor pandas' Arrow hook for datetimes ends in (private: where it is missing,
#: UTC timestamps take the hook itself).
_new_datetimes: Callable[..., Any] | None = getattr(pd.arrays.DatetimeArray, "_simple_new", None)
_INT64 = pa.int64()
_FLOAT64 = pa.float64()
_BOOL = pa.bool_()
_UTC_NS = pa.timestamp("ns", tz="UTC")


def arrow_types_mapper(t: pa.DataType) -> Any:
    """The ``types_mapper`` of the general path: nullable pandas dtypes for Arrow scalars."""
    if t == _INT64:
        return pd.Int64Dtype()
    if t == _FLOAT64:
        return pd.Float64Dtype()
    if t == _BOOL:
        return pd.BooleanDtype()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return STRING_DTYPE
    return None


#: The constructors pandas' own Arrow hooks end in, which skip the checks of the public ones
#: (their inputs here are right by construction); private, so the public ones stand in if a
#: pandas release drops them.
_INTS: Any = getattr(pd.arrays.IntegerArray, "_simple_new", pd.arrays.IntegerArray)
_BOOLS: Any = getattr(pd.arrays.BooleanArray, "_simple_new", pd.arrays.BooleanArray)
_FLOATS: Any = getattr(pd.arrays.FloatingArray, "_simple_new", pd.arrays.FloatingArray)


def _null_mask(a: Arr) -> np.ndarray:
    """True where ``a`` is null (from the validity bitmap, no Arrow compute call)."""
    n = len(a)
    validity = a.buffers()[0]
    if a.null_count == 0 or validity is None:
        return np.zeros(n, dtype=bool)
    bits = np.unpackbits(
        np.frombuffer(validity, dtype=np.uint8), count=n + a.offset, bitorder="little"
    )
    mask: np.ndarray = bits[a.offset :] == 0
    return mask


def _values(a: Arr, dtype: type[np.generic]) -> np.ndarray:
    """A writable copy of a fixed-width array's values (nulls hold whatever the buffer holds)."""
    data = a.buffers()[1]
    itemsize = np.dtype(dtype).itemsize
    return np.frombuffer(data, dtype=dtype, count=len(a), offset=a.offset * itemsize).copy()


def _int64(a: Arr) -> Any:
    return _INTS(_values(a, np.int64), _null_mask(a))


def _bool(a: Arr) -> Any:
    bits = np.unpackbits(
        np.frombuffer(a.buffers()[1], dtype=np.uint8), count=len(a) + a.offset, bitorder="little"
    )
    return _BOOLS(bits[a.offset :].astype(bool), _null_mask(a))


def _float64(a: Arr) -> Any:
    values, mask = _values(a, np.float64), _null_mask(a)
    nan = np.isnan(values)
    if nan.any() and (nan & ~mask).any():
        # pandas decides how NaN (a valid Arrow value) and null relate in a Float64 array.
        return _FLOAT.__from_arrow__(pa.chunked_array([a]))
    return _FLOATS(values, mask)


def _string(a: Arr) -> Any:
    return _STRING.__from_arrow__(pa.chunked_array([a]))


@lru_cache(maxsize=256)
def _categorical_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    # Building a CategoricalDtype validates its categories (an Index, a uniqueness check):
    # the same few sets (teams, season types) come back on every read, so build each once.
    return pd.CategoricalDtype(list(categories))


def _dictionary(a: Arr) -> Any:
    categories = tuple(a.dictionary.to_pylist())
    indices = a.indices
    codes = _values(indices, indices.type.to_pandas_dtype())
    codes[_null_mask(indices)] = -1
    return pd.Categorical.from_codes(codes, dtype=_categorical_dtype(categories))


#: ``iNaT``: the int64 that datetime64 reads as NaT.
_NAT: Final = np.iinfo(np.int64).min


def _timestamp(a: Arr) -> Any:
    if _new_datetimes is None:
        return _UTC.__from_arrow__(pa.chunked_array([a]))
    # What pandas' own ``DatetimeTZDtype.__from_arrow__`` does, minus its Arrow cast (to drop
    # the zone: a compute call costing twice the rest) and its chunked detour: nanoseconds
    # since the epoch with NaT where null, handed to the constructor that hook ends in.
    values = _values(a, np.int64)
    if a.null_count:
        values[_null_mask(a)] = _NAT
    return _new_datetimes(values.view("M8[ns]"), dtype=_UTC)


def _converter(t: pa.DataType) -> Callable[[Any], Any] | None:
    if t == _INT64:
        return _int64
    if t == _FLOAT64:
        return _float64
    if t == _BOOL:
        return _bool
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _string
    if t == _UTC_NS:
        return _timestamp
    if (
        pa.types.is_dictionary(t)
        and pa.types.is_signed_integer(t.index_type)  # codes use -1 for null
        and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type))
        and not t.ordered
    ):
        return _dictionary
    return None


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """``table`` as a DataFrame with nullable ``Int64``/``Float64``/``boolean``, ``str``,
    categorical and UTC datetime columns, and a ``RangeIndex``.

    Same result as ``table.to_pandas(types_mapper=arrow_types_mapper)`` for a table of
    metadata-free columns; faster for the types a finished frame holds.
    """
    # Keyed by the schema's IPC form (exact, unlike its text, where names are not escaped):
    # hashing a Schema itself costs several times more, and this runs on every hit.
    schema = table.schema
    converters, columns = _layout(schema.serialize().to_pybytes(), schema)
    if converters is None:
        return table.replace_schema_metadata(None).to_pandas(types_mapper=arrow_types_mapper)
    arrays = [
        convert(column.chunk(0) if column.num_chunks == 1 else column.combine_chunks())
        for convert, column in zip(converters, table.columns, strict=True)
    ]
    index = pd.RangeIndex(table.num_rows)
    # A shallow copy of the labels per frame: their data is shared, but not the Index object,
    # whose name a caller may set.
    build = _block_builder()
    if build is not None:
        frame = _from_blocks(build, arrays, index, columns.copy())
        if frame is not None:
            return frame
    # Without pandas' block constructor (pyarrow's general path needs it as well on pandas 3).
    frame = pd.DataFrame(dict(enumerate(arrays)), index=index, copy=False)
    frame.columns = columns.copy()
    return frame


def _layout(
    key: bytes, schema: pa.Schema
) -> tuple[tuple[Callable[[Any], Any], ...] | None, pd.Index]:
    """(the converter of each column, or None if any type has none; the column labels) of
    ``schema``, whose IPC form is ``key``.

    The same few schemas come back on every read, and building the labels is a fair share of
    a conversion: an Index of 40 names is an Arrow string array under pandas' ``str`` dtype.
    Its data is immutable, so the frames of one schema can share it.
    """
    found = _LAYOUTS.get(key)
    if found is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()  # many schemas is unusual: start again rather than grow
        found = _LAYOUTS[key] = _new_layout(schema)
    return found


_Layout = tuple[tuple[Callable[[Any], Any], ...] | None, pd.Index]
_LAYOUTS: dict[bytes, _Layout] = {}
_MAX_LAYOUTS = 256


def _new_layout(schema: pa.Schema) -> _Layout:
    converters = [_converter(field.type) for field in schema]
    columns = pd.Index(schema.names)
    if any(c is None for c in converters):
        return None, columns
    return tuple(c for c in converters if c is not None), columns


_UNRESOLVED: Final = object()
#: pandas' public low-level constructor (the one pyarrow uses; not in pandas-stubs): resolved on
#: the first conversion, None once it is known to be missing or changed.
_builder: Any = _UNRESOLVED


def _block_builder() -> Callable[..., Any] | None:
    global _builder
    if _builder is _UNRESOLVED:
        try:
            _builder = import_module("pandas.api.internals").create_dataframe_from_blocks
        except (ImportError, AttributeError) as exc:
            _give_up(exc)
    return _builder  # type: ignore[no-any-return]


def _give_up(exc: BaseException) -> None:
    global _builder
    _builder = None
    log.debug(
        "pandas %s: no usable pandas.api.internals.create_dataframe_from_blocks (%s: %s); "
        "frames are assembled by the DataFrame constructor",
        pd.__version__,
        type(exc).__name__,
        exc,
    )


def _from_blocks(
    build: Callable[..., Any], arrays: list[Any], index: pd.Index, columns: pd.Index
) -> pd.DataFrame | None:
    """The frame of one block per column, taken as is (about 3x cheaper than the dict
    constructor for 40 extension arrays); None when pandas no longer builds it that way."""
    blocks = [(array, np.array([i])) for i, array in enumerate(arrays)]
    try:
        frame = build(blocks, index=index, columns=columns)
    except (TypeError, ValueError, AttributeError, AssertionError) as exc:
        _give_up(exc)
        return None
    if not isinstance(frame, pd.DataFrame):
        _give_up(TypeError(f"it returned {type(frame).__name__}"))
        return None
    return frame
