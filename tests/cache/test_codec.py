"""The Arrow IPC codec: the value is a plain Arrow stream, the envelope is in its metadata, the
payload round-trips exactly, compression is Arrow's own above the threshold, garbage is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry, entry_from_ipc

CREATED = datetime(2024, 12, 29, 17, 0, tzinfo=UTC)
ENV = codec.Envelope(
    "player_props:2024:18:True", "player_props", CREATED, CREATED + timedelta(minutes=5)
)

RECORDS = [
    {
        "BettingMarketID": 1,
        "Updated": "2024-12-29T10:00:00",
        "TeamKey": "SF",
        "Outcomes": [{"ID": 10, "Value": 250.5}, {"ID": 11, "Value": 250.5}],
        "Book": {"ID": 7, "Name": "DK"},
    },
    {
        "BettingMarketID": 2,
        "Updated": None,
        "TeamKey": "KC",
        "Outcomes": [],
        "Book": None,
    },
]


def _encode(payload: Any, envelope: codec.Envelope = ENV) -> bytes:
    return codec.encode(codec.payload_to_table(payload, envelope))


def test_value_opens_with_plain_open_stream() -> None:
    table = pa.ipc.open_stream(_encode(RECORDS)).read_all()
    assert table.num_rows == 2
    assert table.column("TeamKey").to_pylist() == ["SF", "KC"]


def test_envelope_in_schema_metadata() -> None:
    metadata = pa.ipc.open_stream(_encode(RECORDS)).read_all().schema.metadata
    assert metadata is not None
    meta = {k.decode(): v.decode() for k, v in metadata.items()}
    assert meta == {
        "sportsframe.schema_version": codec.SCHEMA_VERSION,
        "sportsframe.key": "player_props:2024:18:True",
        "sportsframe.data_type": "player_props",
        "sportsframe.created_at": "2024-12-29T17:00:00+00:00",
        "sportsframe.expires_at": "2024-12-29T17:05:00+00:00",
        "sportsframe.rows": "2",
        "sportsframe.layout": "records",
        "sportsframe.source": "sportsdataio",
        "sportsframe.compression": "none",
    }
    assert codec.read_envelope(_encode(RECORDS)) == ENV


def test_records_keep_names_nesting_and_strings() -> None:
    schema = codec.payload_to_table(RECORDS, ENV).schema
    assert schema.names == ["BettingMarketID", "Updated", "TeamKey", "Outcomes", "Book"]
    assert schema.field("Updated").type == pa.string()  # strings stay strings
    assert pa.types.is_list(schema.field("Outcomes").type)
    assert pa.types.is_struct(schema.field("Outcomes").type.value_type)
    assert pa.types.is_struct(schema.field("Book").type)


@pytest.mark.parametrize(
    "payload",
    [
        {"Season": 2024},
        42,
        "text",
        None,
        True,
        [1, 2, 3],
        [{"a": 1}, {"b": 1}],  # keys differ
        [{"a": 1}, {"a": 1, "b": None}],  # a missing key is not a null
        [{"a": {"x": 1}}, {"a": {"y": 1}}],  # nested keys differ
        [{"a": [{"x": 1}]}, {"a": [{"x": 1}, {"x": 2, "y": 3}]}],  # inside lists too
        [{"a": 1}, None],
        [{"a": "x"}, {"a": 1}],  # types Arrow cannot unify
        [{"a": 2**60}, {"a": 0.5}],  # a double cannot hold the int exactly
        [{"a": False}, {"a": 0.5}],  # Arrow would make the bool a double
        [{"a": [{"x": [True, 1.5]}]}],
        [{}],
    ],
)
def test_everything_else_is_one_json_row(payload: Any) -> None:
    table = codec.payload_to_table(payload, ENV)
    assert codec.layout_of(table) == "json"
    assert table.num_rows == 1
    assert table.schema.names == [codec.JSON_COLUMN]
    assert table.column(0)[0].as_py() == orjson.dumps(payload)
    assert codec.table_to_payload(codec.decode(codec.encode(table))) == payload


def test_empty_list_is_zero_rows() -> None:
    table = codec.decode(_encode([]))
    assert table.num_rows == 0
    assert codec.layout_of(table) == "records"
    assert codec.table_to_payload(table) == []


def test_mixed_int_and_float_keep_their_value() -> None:
    payload = [{"Value": 2}, {"Value": 1.5}]
    assert codec.table_to_payload(codec.decode(_encode(payload))) == payload


def test_compression_above_the_threshold_only() -> None:
    big = [{"ID": i, "Name": f"Player {i % 50}", "Value": i * 0.5} for i in range(20_000)]
    assert codec.payload_to_table(big, ENV).nbytes >= codec.COMPRESSION_THRESHOLD
    value = _encode(big)
    table = pa.ipc.open_stream(value).read_all()  # still opens with no other step
    assert table.schema.metadata is not None
    assert table.schema.metadata[b"sportsframe.compression"] == codec.COMPRESSION.encode()
    plain = pa.BufferOutputStream()
    with pa.ipc.new_stream(plain, table.schema) as writer:
        writer.write_table(table)
    assert len(value) < plain.getvalue().size / 2
    assert codec.table_to_payload(table) == big
    small = codec.decode(_encode(RECORDS)).schema.metadata
    assert small is not None
    assert small[b"sportsframe.compression"] == b"none"


def _foreign_stream(metadata: dict[bytes, bytes] | None) -> bytes:
    table = pa.table({"a": [1]}).replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x00garbage, not an arrow stream",
        orjson.dumps(RECORDS),
        _foreign_stream(None),  # an Arrow stream, but not ours
        _foreign_stream({b"sportsframe.schema_version": b"0"}),  # an older layout
    ],
    ids=["empty", "garbage", "json", "foreign", "old-version"],
)
def test_garbage_raises_codec_error(value: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode(value)
    with pytest.raises(codec.CodecError):
        entry_from_ipc(value)


def test_truncated_stream_raises_codec_error() -> None:
    value = _encode(RECORDS)
    with pytest.raises(codec.CodecError):
        codec.decode(value[: len(value) - 20])


def test_envelope_from_a_prefix_of_the_stream() -> None:
    big = [{"ID": i, "Name": "x" * 50} for i in range(5000)]
    value = _encode(big)
    assert codec.read_envelope(value[:4096]) == ENV


def test_entry_from_ipc_sets_table_and_bytes() -> None:
    value = _encode(RECORDS)
    entry = entry_from_ipc(value)
    assert entry._ipc is value
    assert entry._table is not None
    assert not entry.has_payload()
    assert (entry.key, entry.expires_at) == (ENV.key, ENV.expires_at)
    assert entry.payload == RECORDS
    assert entry.ipc is value  # promoted as is, never re-encoded


def test_cache_entry_lazy_forms_agree() -> None:
    entry = CacheEntry.from_payload(
        ENV.key,
        RECORDS,
        data_type=ENV.data_type,
        created_at=ENV.created_at,
        expires_at=ENV.expires_at,
    )
    assert codec.envelope_of(entry) == ENV
    assert entry_from_ipc(entry.ipc).payload == RECORDS


def test_with_envelope_replaces_the_envelope_only() -> None:
    table = codec.payload_to_table(RECORDS, ENV)
    later = codec.Envelope(ENV.key, ENV.data_type, ENV.created_at, ENV.expires_at + timedelta(1))
    moved = codec.with_envelope(table, later)
    assert codec.read_envelope(codec.encode(moved)) == later
    assert codec.table_to_payload(moved) == RECORDS


def test_naive_timestamps_are_refused() -> None:
    naive = codec.Envelope("k", "teams", datetime(2024, 1, 1), datetime(2024, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        codec.payload_to_table([], naive)


def test_unserialisable_payload_raises_codec_error() -> None:
    with pytest.raises(codec.CodecError):
        codec.payload_to_table({1: object()}, ENV)


# -- property: every JSON payload round-trips exactly --------------------------------------------
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)
_field_names = st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=4, unique=True)


@st.composite
def _record_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Lists of records sharing their keys (mostly uniform, so the records layout is exercised)."""
    names = draw(_field_names)
    value = draw(
        st.sampled_from([_scalars, _json, st.lists(st.fixed_dictionaries({"x": _scalars}))])
    )
    count = draw(st.integers(min_value=0, max_value=5))
    return [{name: draw(value) for name in names} for _ in range(count)]


@settings(max_examples=500, deadline=None)
@given(st.one_of(_json, _record_lists()))
def test_every_payload_round_trips_exactly(payload: Any) -> None:
    back = codec.table_to_payload(codec.decode(_encode(payload)))
    assert back == payload
    # exact: no key added or dropped at any depth, same JSON shape
    assert orjson.loads(orjson.dumps(back)) == orjson.loads(orjson.dumps(payload))
    assert _shape(back) == _shape(payload)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (
        type(value).__name__
        if not isinstance(value, (int, float)) or isinstance(value, bool)
        else "num"
    )
