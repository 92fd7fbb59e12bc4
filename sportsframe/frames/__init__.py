"""Typed frames: the schema of each dataset, the build from a cached entry's Arrow table, the
conversion to pandas, and the finished frame kept beside its entry."""

from sportsframe.frames.build import (
    FRAME_BUILD_VERSION,
    SEASON_TYPE_CATEGORIES,
    Column,
    FrameSchema,
    build_frame,
    build_frame_from_payload,
    build_table,
    companion_name,
    datasets,
    dictionary,
    frame_from_ipc,
    schema,
    snake,
    table_to_ipc,
    to_pandas,
)

__all__ = [
    "FRAME_BUILD_VERSION",
    "SEASON_TYPE_CATEGORIES",
    "Column",
    "FrameSchema",
    "build_frame",
    "build_frame_from_payload",
    "build_table",
    "companion_name",
    "datasets",
    "dictionary",
    "frame_from_ipc",
    "schema",
    "snake",
    "table_to_ipc",
    "to_pandas",
]
