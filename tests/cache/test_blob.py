"""Whole-value packing (blob.py): round trips, values never packed, and corruption caught."""

from __future__ import annotations

import os
import struct

import pyarrow as pa
import pytest

from sportsframe.cache.sql import blob


@pytest.mark.parametrize(
    "data",
    [b"", b"x", bytes(range(256)) * 4000, os.urandom(300_000)],
    ids=["empty", "one-byte", "repetitive", "random"],
)
def test_pack_then_unpack_gives_the_bytes_back(data: bytes) -> None:
    packed = blob.pack(data)
    assert packed.startswith(blob.MAGIC)
    assert bytes(blob.unpack(packed)) == data
    assert bytes(blob.unpack(memoryview(packed))) == data


def test_a_repetitive_value_packs_small() -> None:
    assert len(blob.pack(bytes(1_000_000))) < 1_000


def test_an_arrow_stream_unpacks_as_itself() -> None:
    sink = pa.BufferOutputStream()
    table = pa.table({"a": [1, 2, 3]})
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    stream = sink.getvalue().to_pybytes()
    assert blob.unpack(stream) is stream
    assert pa.ipc.open_stream(blob.unpack(blob.pack(stream))).read_all().equals(table)


@pytest.mark.parametrize("value", [b"", b"SFZ", b"SFZ1", b"plain bytes, never packed"])
def test_values_without_a_whole_header_are_returned_as_they_are(value: bytes) -> None:
    assert blob.unpack(value) is value


def _with_size(packed: bytes, size: int) -> bytes:
    return struct.pack("<4sQ", blob.MAGIC, size) + packed[12:]


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda p: p[:-5],  # truncated
        lambda p: p[:12] + b"not a zstd frame at all",
        lambda p: _with_size(p, 10),  # recorded size too small
        lambda p: _with_size(p, 10_000_000),  # too large
        lambda p: _with_size(p, 1 << 62),  # impossible
    ],
    ids=["truncated", "garbage", "size-small", "size-large", "size-impossible"],
)
def test_a_corrupt_packed_value_raises_blob_error(corrupt: object) -> None:
    packed = blob.pack(bytes(range(256)) * 400)
    with pytest.raises(blob.BlobError):
        blob.unpack(corrupt(packed))  # type: ignore[operator]


def test_an_impossible_recorded_size_is_refused_before_any_allocation() -> None:
    packed = blob.pack(b"frame")
    with pytest.raises(blob.BlobError, match="impossible size"):
        blob.unpack(_with_size(packed, 1 << 62))
