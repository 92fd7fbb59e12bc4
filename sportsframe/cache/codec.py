"""Arrow IPC codec: a cache entry's payload as one self-describing Arrow IPC *stream*.

The hot tier's value (and the warm tier's ``arrow`` column, the entry's Arrow copy) is what
:func:`encode` returns: one complete IPC stream, so ``pyarrow.ipc.open_stream(value).read_all()``
opens it with no other step (the hot tier adds a stamp after the stream's end, which the reader
never reaches: :mod:`sportsframe.cache.redis.layout`). The envelope (schema version, key, data
type, times, row count, layout, source, compression) lives in the Arrow schema metadata under
``sportsframe.`` keys.

Two layouts, so that the rule "every value is an Arrow stream" has no exception:

``records``
    The payload is a *uniform* list of JSON objects: one row per record, one column per field,
    names and nesting as served (objects become structs, arrays lists, strings stay strings).
    Uniform means that every object at the same place (the records themselves, and every nested
    object under the same field path) has the same set of keys, so that converting back yields
    exactly the payload: no key added (Arrow would fill a missing key with null) or dropped; and
    that Arrow did not have to turn a boolean into a number to unify a column.
``json``
    Anything else (an object, a scalar, ``null``, a list of mixed or non-uniform items, types
    Arrow cannot unify): a one-row table with one binary column ``json`` holding the orjson bytes.

``[]`` is a zero-row ``records`` table and decodes back to ``[]``. Numbers keep their value:
a field holding both ``2`` and ``1.5`` becomes a double column (``2.0 == 2``); integers that a
double cannot hold exactly, or booleans mixed with numbers, send the payload to ``json``.

Streams whose body is at least :data:`COMPRESSION_THRESHOLD` bytes use Arrow's own IPC buffer
compression (:data:`COMPRESSION`); never an outer gzip, never pickle. Encoding and decoding a
table are single C++ calls (no Python work per row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson
import pyarrow as pa

if TYPE_CHECKING:
    from sportsframe.cache.entry import CacheEntry

__all__ = [
    "COMPRESSION",
    "COMPRESSION_THRESHOLD",
    "JSON_COLUMN",
    "META_PREFIX",
    "SCHEMA_VERSION",
    "CodecError",
    "Envelope",
    "Layout",
    "decode",
    "encode",
    "envelope_of",
    "layout_of",
    "payload_to_table",
    "read_envelope",
    "table_to_payload",
    "with_envelope",
]

#: Version of the value layout; a stream written under another version does not decode (a miss),
#: so an upgrade can never read an old layout silently.
SCHEMA_VERSION: Final = "1"

#: Streams whose Arrow buffers total at least this many bytes are compressed. Below it the
#: compression frame overhead and the extra call cost more than the bytes saved on loopback.
COMPRESSION_THRESHOLD: Final = 64 * 1024

#: Arrow IPC buffer codec. Measured on a props week (250 markets x 8 outcomes, 1.1 MB of JSON,
#: 366 KB of Arrow buffers; pyarrow 26): lz4 stream 107 KB, decode 0.36 ms; zstd 59 KB, decode
#: 0.78 ms. Reads are the hot path and loopback bandwidth is cheap, so lz4 (frame) it is.
COMPRESSION: Final = "lz4"

#: Name of the single binary column of a ``json``-layout table.
JSON_COLUMN: Final = "json"

#: Prefix of every envelope key in the Arrow schema metadata.
META_PREFIX: Final = "sportsframe."

Layout = Literal["records", "json"]

_K_VERSION = b"sportsframe.schema_version"
_K_KEY = b"sportsframe.key"
_K_TYPE = b"sportsframe.data_type"
_K_CREATED = b"sportsframe.created_at"
_K_EXPIRES = b"sportsframe.expires_at"
_K_ROWS = b"sportsframe.rows"
_K_LAYOUT = b"sportsframe.layout"
_K_SOURCE = b"sportsframe.source"
_K_COMPRESSION = b"sportsframe.compression"

_WRITE_PLAIN = pa.ipc.IpcWriteOptions()
_WRITE_COMPRESSED = pa.ipc.IpcWriteOptions(compression=COMPRESSION)
_CODECS = {"none": _WRITE_PLAIN, COMPRESSION: _WRITE_COMPRESSED}
# Arrow raises these for values it cannot convert or streams it cannot read.
_ARROW_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError, OSError)


class CodecError(ValueError):
    """A value is not a sportsframe Arrow stream (garbage, foreign, truncated or another
    schema version), or a payload cannot be serialised as JSON."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The facts about an entry that travel with its table (in the schema metadata)."""

    key: str
    data_type: str
    created_at: datetime
    expires_at: datetime
    source: str = "sportsdataio"


def envelope_of(entry: CacheEntry) -> Envelope:
    """The envelope of a cache entry."""
    return Envelope(entry.key, entry.data_type, entry.created_at, entry.expires_at, entry.source)


def _iso(when: datetime) -> bytes:
    if when.tzinfo is None:
        raise ValueError("cache timestamps must be timezone-aware (UTC)")
    return when.astimezone(UTC).isoformat().encode()


def _metadata(
    envelope: Envelope, rows: int, layout: Layout, compression: str
) -> dict[bytes, bytes]:
    return {
        _K_VERSION: SCHEMA_VERSION.encode(),
        _K_KEY: envelope.key.encode(),
        _K_TYPE: envelope.data_type.encode(),
        _K_CREATED: _iso(envelope.created_at),
        _K_EXPIRES: _iso(envelope.expires_at),
        _K_ROWS: str(rows).encode(),
        _K_LAYOUT: layout.encode(),
        _K_SOURCE: envelope.source.encode(),
        _K_COMPRESSION: compression.encode(),
    }


def _compression_for(nbytes: int) -> str:
    return COMPRESSION if nbytes >= COMPRESSION_THRESHOLD else "none"


# -- payload -> table ----------------------------------------------------------------------------
def _walks(typ: pa.DataType) -> bool:
    """True when values of ``typ`` need a look: objects (key sets) or doubles (bools)."""
    if pa.types.is_struct(typ) or pa.types.is_floating(typ):
        return True
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return _walks(typ.value_type)
    return False


def _exact(values: list[Any], typ: pa.DataType) -> bool:
    """True when converting ``values`` (the non-null values Arrow typed as ``typ``) back from
    Arrow gives exactly ``values``.

    Two things Arrow's inference does would break that. It unions the keys of all objects at one
    place (a missing key comes back as null), so each object's keys are a subset of the struct's
    fields, and "the key counts add up to objects x fields" holds exactly when none is missing.
    And it unifies booleans with doubles (``false`` would come back ``0.0``); ints with doubles
    are fine (``2.0 == 2``; ints a double cannot hold exactly are refused by Arrow).

    ``sum(map(len, ...))`` and ``set(map(type, ...))`` run in C, and only paths whose type holds
    structs or doubles are visited: a few list comprehensions, not a walk of every value.
    """
    if pa.types.is_struct(typ):
        nfields = typ.num_fields
        if sum(map(len, values)) != len(values) * nfields:
            return False
        for i in range(nfields):
            field = typ.field(i)
            if _walks(field.type):
                name = field.name
                inner = [v for d in values if (v := d[name]) is not None]
                if not _exact(inner, field.type):
                    return False
        return True
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        inner = [v for seq in values for v in seq if v is not None]
        return _exact(inner, typ.value_type)
    if pa.types.is_floating(typ):
        return bool not in set(map(type, values))
    return True


def _records_table(payload: Any) -> pa.Table | None:
    """``payload`` as a one-row-per-record table, or None when it is not a uniform record list."""
    if type(payload) is not list:
        return None
    if not payload:
        return pa.table({})
    try:
        array = pa.array(payload)
    except _ARROW_ERRORS:
        return None
    # A struct array without nulls means every item was an object (None items make null slots;
    # scalars and lists give another type). Zero fields ([{}, {}]) would lose the row count.
    if not isinstance(array, pa.StructArray) or array.null_count or array.type.num_fields == 0:
        return None
    if not _exact(payload, array.type):
        return None
    return pa.Table.from_struct_array(array)


def _json_table(payload: Any) -> pa.Table:
    try:
        raw = orjson.dumps(payload)
    except orjson.JSONEncodeError as exc:
        raise CodecError(f"payload is not JSON-serialisable: {exc}") from None
    return pa.table({JSON_COLUMN: pa.array([raw], type=pa.binary())})


def payload_to_table(payload: Any, envelope: Envelope) -> pa.Table:
    """The payload as an Arrow table with ``envelope`` in its schema metadata.

    A uniform list of records gives one row per record (layout ``records``); anything else one
    row holding its JSON bytes (layout ``json``). Raises :class:`CodecError` if the payload is not
    JSON-serialisable.
    """
    table = _records_table(payload)
    layout: Layout = "records"
    if table is None:
        table = _json_table(payload)
        layout = "json"
    metadata = _metadata(envelope, table.num_rows, layout, _compression_for(table.nbytes))
    return table.replace_schema_metadata(metadata)


def with_envelope(table: pa.Table, envelope: Envelope) -> pa.Table:
    """``table`` (no data copied) with its envelope replaced by ``envelope``."""
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        _metadata(
            envelope,
            table.num_rows,
            layout_of(table),
            metadata.get(_K_COMPRESSION, _compression_for(table.nbytes).encode()).decode(),
        )
    )
    return table.replace_schema_metadata(metadata)


# -- table -> payload ----------------------------------------------------------------------------
def layout_of(table: pa.Table) -> Layout:
    """The table's layout (``records`` unless its metadata says ``json``)."""
    metadata = table.schema.metadata or {}
    return "json" if metadata.get(_K_LAYOUT) == b"json" else "records"


def table_to_payload(table: pa.Table) -> Any:
    """The payload a table holds, exactly as it was given to :func:`payload_to_table`."""
    if layout_of(table) == "json":
        column = table.column(JSON_COLUMN)
        if len(column) != 1:
            raise CodecError("a json-layout table must have exactly one row")
        raw = column[0].as_py()
        if not isinstance(raw, bytes):
            raise CodecError("a json-layout table must hold bytes")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise CodecError(f"json column does not parse: {exc}") from None
    return table.to_pylist()


# -- table <-> IPC bytes -------------------------------------------------------------------------
def encode(table: pa.Table) -> bytes:
    """One complete Arrow IPC stream holding ``table`` (compressed as its metadata says, or by
    size when the metadata does not say)."""
    metadata = table.schema.metadata or {}
    options = _CODECS.get(metadata.get(_K_COMPRESSION, b"").decode())
    if options is None:
        codec = _compression_for(table.nbytes)
        options = _CODECS[codec]
        table = table.replace_schema_metadata({**metadata, _K_COMPRESSION: codec.encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _check_metadata(metadata: Mapping[bytes, bytes] | None) -> Mapping[bytes, bytes]:
    if not metadata or _K_VERSION not in metadata:
        raise CodecError("not a sportsframe stream (no envelope metadata)")
    version = metadata[_K_VERSION]
    if version != SCHEMA_VERSION.encode():
        raise CodecError(f"stream schema version {version!r}, expected {SCHEMA_VERSION!r}")
    return metadata


def decode(value: bytes | bytearray | memoryview) -> pa.Table:
    """The table in one IPC stream written by :func:`encode`.

    Raises :class:`CodecError` for anything else: garbage, a truncated stream, a stream without
    sportsframe metadata or of another schema version.
    """
    try:
        table = pa.ipc.open_stream(pa.py_buffer(value)).read_all()
    except _ARROW_ERRORS as exc:
        raise CodecError(f"not an Arrow IPC stream: {type(exc).__name__}") from None
    metadata = _check_metadata(table.schema.metadata)
    if metadata.get(_K_LAYOUT) == b"json" and (
        table.num_rows != 1 or table.schema.names != [JSON_COLUMN]
    ):
        raise CodecError("malformed json-layout stream")
    return table


def _envelope_from_metadata(metadata: Mapping[bytes, bytes]) -> Envelope:
    try:
        created = datetime.fromisoformat(metadata[_K_CREATED].decode())
        expires = datetime.fromisoformat(metadata[_K_EXPIRES].decode())
        return Envelope(
            key=metadata[_K_KEY].decode(),
            data_type=metadata[_K_TYPE].decode(),
            created_at=created.astimezone(UTC),
            expires_at=expires.astimezone(UTC),
            source=metadata.get(_K_SOURCE, b"sportsdataio").decode(),
        )
    except (KeyError, ValueError) as exc:
        raise CodecError(f"bad envelope metadata: {type(exc).__name__}") from None


def read_envelope(value: bytes | bytearray | memoryview | pa.Table) -> Envelope:
    """The envelope of a table or of an IPC stream.

    For bytes only the schema message is read, so a *prefix* of a stream that covers its schema
    message is enough (the hot tier reads expiry this way without fetching whole values).
    """
    if isinstance(value, pa.Table):
        return _envelope_from_metadata(_check_metadata(value.schema.metadata))
    try:
        schema = pa.ipc.open_stream(pa.py_buffer(value)).schema
    except _ARROW_ERRORS as exc:
        raise CodecError(f"not an Arrow IPC stream: {type(exc).__name__}") from None
    return _envelope_from_metadata(_check_metadata(schema.metadata))
