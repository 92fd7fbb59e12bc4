"""Schema drift through the facade, over the real Redis and PostgreSQL tiers: an entry whose Arrow
envelope carries another codec ``SCHEMA_VERSION``, and a finished frame stored by another
``FRAME_BUILD_VERSION``, are misses. The frame is built again from the payload with the current
dtypes; neither is ever served as a frame of the wrong dtypes.

The drifted copies are made as an older sportsframe would have left them, and with every column
turned into text, so that serving one would show in the dtypes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
import redis
from pandas.testing import assert_frame_equal

from sportsframe import frames
from sportsframe.cache import codec
from sportsframe.cache.sql import blob
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from sportsframe.frames import stored
from sportsframe.frames.schema import schema
from sportsframe.registry import ENDPOINTS

KEY = "emulator/" + ENDPOINTS["scores"].bind(2024, 13).key
#: The Redis stamp in front of a stored finished frame (created_at of its entry).
STAMP_SIZE = 12


@pytest.fixture
def open_session(
    emulator: EmulatorServer,
    redis_url: str,
    postgres_url: str,
    schema: str,
    namespace: str,
    tmp_path: Path,
) -> Callable[[], Session]:
    """Opens sessions (one per sportsframe "version") over the same Redis and PostgreSQL."""
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"

    def make() -> Session:
        return Session(
            source="emulator",
            base_url=emulator.base_url,
            namespace=namespace,
            rate_limit=1000.0,
            l0_max_bytes=0,
            redis_url_override=redis_url,
            redis_host="127.0.0.1",
            database_url=url,
            home=tmp_path,
        )

    return make


def _as_text(table: pa.Table, version: bytes | None = None) -> pa.Table:
    """``table`` with every column cast to text (and its envelope's version replaced)."""
    columns = [
        pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
        if not pa.types.is_string(col.type)
        else col.combine_chunks()
        for col in table.columns
    ]
    metadata = dict(table.schema.metadata or {})
    if version is not None:
        metadata[b"sportsframe.schema_version"] = version
    return pa.table(columns, names=table.column_names).replace_schema_metadata(metadata)


def _stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _envelope_version(ipc: bytes) -> bytes:
    meta = pa.ipc.open_stream(ipc).schema.metadata or {}
    return bytes(meta[b"sportsframe.schema_version"])


def _declared() -> dict[str, str]:
    return {c.name: str(c.dtype) for c in schema("scores").columns}


def test_an_entry_of_another_codec_schema_version_is_a_miss(
    open_session: Callable[[], Session],
    redis_url: str,
    postgres_url: str,
    schema: str,
    namespace: str,
) -> None:
    with open_session() as session:
        built = session.scores(2024, 13)
        session.settle()
    assert codec.SCHEMA_VERSION != "0"
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with redis.Redis.from_url(redis_url) as hot, psycopg.connect(dsn, autocommit=True) as warm:
        current = hot.get(f"{namespace}:{KEY}")
        assert current is not None
        assert _envelope_version(current) == codec.SCHEMA_VERSION.encode()
        old = _stream(_as_text(pa.ipc.open_stream(current).read_all(), version=b"0"))
        # As an older sportsframe left them: its Arrow copies, and no finished frames.
        hot.set(f"{namespace}:{KEY}", old, keepttl=True)
        for companion in hot.scan_iter(match=f"{namespace}#*"):
            hot.delete(companion)
        warm.execute(f'UPDATE "{schema}".cache_entries SET arrow = %s WHERE key = %s', (old, KEY))
        warm.execute(f'DELETE FROM "{schema}".cache_companions')
        with open_session() as session:
            again = session.scores(2024, 13)
            session.settle()
        # Redis's copy was a miss; the warm row's was too, and its JSON payload (the source of
        # truth) answered, typed by this version's builder.
        assert again.attrs["served_from"] == "warm"
        assert {c: str(t) for c, t in again.dtypes.items()} == _declared()
        assert_frame_equal(again, built)
        # Both copies are this version's again.
        promoted = hot.get(f"{namespace}:{KEY}")
        assert promoted is not None
        assert _envelope_version(promoted) == codec.SCHEMA_VERSION.encode()
        row = warm.execute(
            f'SELECT arrow FROM "{schema}".cache_entries WHERE key = %s', (KEY,)
        ).fetchone()
        assert row is not None
        assert _envelope_version(bytes(row[0])) == codec.SCHEMA_VERSION.encode()


def test_a_frame_stored_by_another_frame_build_version_is_never_read(
    open_session: Callable[[], Session],
    redis_url: str,
    postgres_url: str,
    schema: str,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current_name = frames.companion_name("scores")
    with monkeypatch.context() as older:
        older.setattr(stored, "FRAME_BUILD_VERSION", stored.FRAME_BUILD_VERSION - 1)
        frames.companion_name.cache_clear()
        old_name = frames.companion_name("scores")
        with open_session() as session:
            built = session.scores(2024, 13)
            session.settle()
    frames.companion_name.cache_clear()
    assert frames.companion_name("scores") == current_name != old_name
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with redis.Redis.from_url(redis_url) as hot, psycopg.connect(dsn, autocommit=True) as warm:
        # The older build's frames, made visibly wrong: every column text.
        rkey = f"{namespace}#{old_name}:{KEY}"
        value = hot.get(rkey)
        assert value is not None
        table = pa.ipc.open_stream(value[STAMP_SIZE:]).read_all()
        wrong = _stream(_as_text(table))
        hot.set(rkey, value[:STAMP_SIZE] + wrong, keepttl=True)
        updated = warm.execute(
            f'UPDATE "{schema}".cache_companions SET data = %s WHERE key = %s AND name = %s',
            (blob.pack(wrong), KEY, old_name),
        )
        assert updated.rowcount == 1
        with open_session() as session:
            from_hot = session.scores(2024, 13)
            session.drop_hot(KEY)
            from_warm = session.scores(2024, 13)
            session.settle()
        assert (from_hot.attrs["served_from"], from_warm.attrs["served_from"]) == ("hot", "warm")
        for frame in (from_hot, from_warm):
            assert {c: str(t) for c, t in frame.dtypes.items()} == _declared()
            assert_frame_equal(frame, built)
        # This version's frame now sits beside the entry under its own name.
        assert hot.exists(f"{namespace}#{current_name}:{KEY}")
