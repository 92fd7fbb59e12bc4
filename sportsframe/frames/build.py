"""The build of a typed frame from a cached entry's Arrow table, and its conversion to pandas.

Every tier hands over the same Arrow table for an entry (one row per record, nesting as served;
or a one-row ``json`` column for payloads that are not a uniform list of records). The builder
picks the dataset's *grain* (props: one row per sportsbook outcome; odds: one row per game and
sportsbook quote; play-by-play: one row per play ...), flattens with Arrow compute, and applies the
declared schema (:mod:`.schema`), so the API, warm and hot paths return identical frames and an
empty week is an empty frame with every column.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as _compute

from sportsframe.frames.schema import (
    ARROW_TYPES,
    SEASON_TYPE_CATEGORIES,
    UTC_NS,
    Column,
    FrameSchema,
    arrow_type,
    schema,
)
from sportsframe.frames.topandas import table_to_frame

__all__ = ["build_frame", "build_frame_from_payload", "build_table", "to_pandas"]

log = logging.getLogger("sportsframe.frames")

#: Arrow arrays of any type: the column-generic code below is beyond pyarrow-stubs' overloads.
Arr = Any
pc: Any = _compute
_pa: Any = pa


def _records_table(table: pa.Table) -> pa.Table:
    """The records table of an entry; JSON-layout entries are decoded to records first."""
    meta = table.schema.metadata or {}
    if meta.get(b"sportsframe.layout") != b"json":
        return table
    payload = orjson.loads(table.column("json")[0].as_py()) if table.num_rows else None
    return _payload_table(payload)


def _payload_table(payload: Any) -> pa.Table:
    if payload is None:
        records: list[Any] = []
    elif isinstance(payload, dict):
        records = [payload]
    elif isinstance(payload, list):
        records = [r for r in payload if isinstance(r, dict)]
    else:
        records = []
    if not records:
        return pa.table({})
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:
        # Mixed types across records: keep each record's own JSON and decode per field below.
        return pa.Table.from_pylist([orjson.loads(orjson.dumps(r)) for r in records])
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _column_by_column(records)


def _column_by_column(records: list[dict[str, Any]]) -> pa.Table:
    """The records' table, one column at a time: a field whose values Arrow cannot hold in one
    array (an undeclared field of mixed types, say) becomes their JSON text, so one odd field
    never fails the whole frame; the declared columns are typed from it below."""
    names = list(dict.fromkeys(name for record in records for name in record))
    columns: dict[str, Arr] = {}
    for name in names:
        values = [record.get(name) for record in records]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = [None if v is None else orjson.dumps(v).decode() for v in values]
            columns[name] = pa.array(text, pa.string())
    return pa.table(columns)


def _get(obj: pa.Table | pa.StructArray, name: str) -> Arr | None:
    if isinstance(obj, pa.Table):
        return obj.column(name).combine_chunks() if name in obj.column_names else None
    index = obj.type.get_field_index(name)
    return obj.field(index) if index >= 0 else None


def _nested(obj: pa.Table | pa.StructArray, path: str) -> Arr | None:
    current: Any = obj
    for part in path.split("."):
        if current is None:
            return None
        if isinstance(current, pa.ChunkedArray):
            current = current.combine_chunks()
        if isinstance(current, pa.Table | pa.StructArray):
            current = _get(current, part)
        else:
            return None
    if isinstance(current, pa.ChunkedArray):
        current = current.combine_chunks()
    return current if isinstance(current, pa.Array) else None


def _with_context(
    sch: FrameSchema, data: dict[str, Any], rows: int, params: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Fill the columns that come from the call (season/week of props) rather than the payload."""
    for c in sch.columns:
        if c.level == "context":
            value = (params or {}).get(c.name)
            data[c.name] = pa.array([value] * rows) if value is not None else None
    return data


def _build(dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None) -> pa.Table:
    sch = schema(dataset)
    grain = sch.grain
    root = _records_table(table)
    n_root = root.num_rows
    parent: Any = root
    if grain.parent_from is not None and n_root:
        parent = _nested(root, grain.parent_from)
    data: dict[str, Any] = {}
    if grain.child_model is None:
        for c in sch.columns:
            data[c.name] = _nested(root, c.field) if n_root else None
        return _finish(sch, _with_context(sch, data, n_root, params), n_root)
    # The records holding the child lists: the root's, or those of a list between (via).
    holders: Any = root if n_root else None
    holder_parent: Arr | None = None  # each holder's root record, for a via grain
    if grain.via is not None and holders is not None:
        mids = _nested(root, grain.via)
        if mids is not None and _is_list(mids.type) and pa.types.is_struct(mids.type.value_type):
            holder_parent = pc.list_parent_indices(mids)
            holders = pc.list_flatten(mids)
        else:
            holders = None
    pieces: list[tuple[Arr, Arr, str]] = []  # holder index, children, label
    for i, list_name in enumerate(grain.child_lists):
        lists = _nested(holders, list_name) if holders is not None else None
        if lists is None or not _is_list(lists.type):
            continue
        flat = pc.list_flatten(lists)
        if not pa.types.is_struct(flat.type):
            continue
        label = grain.label[1][i] if grain.label else ""
        pieces.append((pc.list_parent_indices(lists), flat, label))
    rows = sum(len(p[1]) for p in pieces)
    for c in sch.columns:
        parts: list[Arr] = []
        for idx, flat, label in pieces:
            if c.level == "parent":
                src = _nested(parent, c.field) if parent is not None else None
                at = holder_parent.take(idx) if holder_parent is not None else idx
                parts.append(src.take(at) if src is not None else None)
            elif c.level == "middle":
                src = _nested(holders, c.field)
                parts.append(src.take(idx) if src is not None else None)
            elif c.level == "child":
                parts.append(_nested(flat, c.field))
            elif c.level == "context":
                parts.append(None)
            else:
                parts.append(pa.array([label] * len(flat), pa.string()))
        data[c.name] = _concat_parts(parts, [len(p[1]) for p in pieces])
    return _finish(sch, _with_context(sch, data, rows, params), rows)


def _is_list(t: pa.DataType) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t))


def _concat_parts(parts: list[Arr], sizes: list[int]) -> Arr | None:
    if not parts or all(p is None for p in parts):
        return None
    filled = []
    types = [p.type for p in parts if p is not None and not pa.types.is_null(p.type)]
    target = types[0] if types else pa.null()
    for part, size in zip(parts, sizes, strict=True):
        if part is None or pa.types.is_null(part.type):
            filled.append(_pa.nulls(size, target))
        elif part.type != target:
            filled.append(
                part.cast(target) if _castable(part.type, target) else _pa.nulls(size, target)
            )
        else:
            filled.append(part)
    return pa.concat_arrays(filled)


def _castable(a: pa.DataType, b: pa.DataType) -> bool:
    numeric = pa.types.is_integer(a) or pa.types.is_floating(a)
    return numeric and (pa.types.is_integer(b) or pa.types.is_floating(b))


_EASTERN = "America/New_York"


def _is_string(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _typed(col: Column, values: Arr | None, rows: int) -> Arr:
    """``values`` converted to the column's declared Arrow type (all-null when absent)."""
    try:
        return _convert(col, values, rows)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Values of another type than the API documents (text for a number): nulls of the
        # declared dtype, never a column of the wrong dtype.
        assert values is not None
        log.warning("%s: values of type %s do not convert to %s", col.name, values.type, col.kind)
        return _convert(col, None, rows)


def _convert(col: Column, values: Arr | None, rows: int) -> Arr:
    if values is None or pa.types.is_null(values.type) or len(values) != rows:
        if isinstance(col.dtype, pd.CategoricalDtype):
            # All-null, but with the full declared category set, so frames stay concatenable.
            categories = pa.array(list(col.dtype.categories), pa.string())
            return _pa.DictionaryArray.from_arrays(_pa.nulls(rows, pa.int32()), categories)
        return _pa.nulls(rows, arrow_type(col))
    kind = col.kind
    if kind == "season_type":
        codes = pc.subtract(pc.cast(values, pa.int32(), safe=False), 1)
        valid = pc.and_(pc.greater_equal(codes, 0), pc.less(codes, len(SEASON_TYPE_CATEGORIES)))
        indices = pc.if_else(valid, codes, pa.scalar(None, pa.int32()))
        return _pa.DictionaryArray.from_arrays(indices, pa.array(SEASON_TYPE_CATEGORIES))
    if kind == "dt":
        # Timestamps repeat a lot (a market's Created/Updated on each of its outcomes): parse
        # the distinct values once and spread them back.
        distinct = pc.unique(values)
        if len(distinct) * 4 < len(values):
            parsed = _timestamps(col, distinct)
            return pc.take(parsed, pc.index_in(values, value_set=distinct))
        return _timestamps(col, values)
    if kind in ("int", "dec", "bool"):
        target = ARROW_TYPES[kind]
        if values.type == target:
            return values
        if kind == "int" and not pa.types.is_integer(values.type):
            values = pc.cast(values, pa.float64(), safe=False)
        return pc.cast(values, target, safe=False)
    text = values if _is_string(values.type) else pc.cast(values, pa.string())
    if isinstance(col.dtype, pd.CategoricalDtype):
        categories = pa.array(list(col.dtype.categories), pa.string())
        indices = pc.index_in(text, value_set=categories)
        if indices.null_count != text.null_count:
            # A value outside the declared set: never lose data, keep the column as strings.
            return pc.cast(text, pa.string())
        return _pa.DictionaryArray.from_arrays(pc.cast(indices, pa.int32()), categories)
    return text if text.type == pa.string() else pc.cast(text, pa.string())


def _timestamps(col: Column, values: Arr) -> Arr:
    """Date-time strings of ``col`` as UTC timestamps (Eastern wall clock converted).

    Seconds precision: fractional seconds and a trailing "Z" are cut before parsing.
    """
    text = values if _is_string(values.type) else pc.cast(values, pa.string())
    text = pc.utf8_slice_codeunits(text, 0, 19)
    naive = pc.strptime(text, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    if col.field.endswith("UTC"):
        return pc.cast(pc.assume_timezone(naive, "UTC"), UTC_NS)
    # Eastern wall clock: an ambiguous hour is read as standard time, a missing one is shifted
    # forward (pandas' ambiguous=False, nonexistent="shift_forward"); pandas' vectorised
    # localisation is far faster than Arrow's assume_timezone here.
    wall = pd.DatetimeIndex(pc.cast(naive, pa.timestamp("ns")).to_numpy(False))
    local = wall.tz_localize(_EASTERN, ambiguous=False, nonexistent="shift_forward")
    return pa.array(local.tz_convert("UTC"), UTC_NS)


def _finish(sch: FrameSchema, data: Mapping[str, Any], rows: int) -> pa.Table:
    arrays = [_typed(c, data.get(c.name), rows) for c in sch.columns]
    return pa.Table.from_arrays(arrays, names=sch.names)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A finished frame table as pandas with sportsframe's dtypes (see :mod:`.topandas`)."""
    return table_to_frame(table)


def build_table(dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None) -> pa.Table:
    """The finished frame of ``dataset`` as an Arrow table (declared columns and types), from an
    entry's Arrow table (any tier); :func:`to_pandas` turns it into the frame.

    ``params`` are the call's arguments: they fill the season/week columns of datasets whose
    payload does not carry them (props).
    """
    return _build(dataset, table, params)


def build_frame(
    dataset: str, table: pa.Table, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The typed frame of ``dataset`` from an entry's Arrow table (any tier); see
    :func:`build_table`."""
    return to_pandas(_build(dataset, table, params))


def build_frame_from_payload(
    dataset: str, payload: Any, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The typed frame of ``dataset`` from a JSON payload (identical to the table path)."""
    return to_pandas(_build(dataset, _payload_table(payload), params))
