"""Typed frames: the schema of each dataset (:mod:`.schema`), the build from a cached entry's Arrow
table and the conversion to pandas (:mod:`.build`, :mod:`.topandas`) or to polars (:mod:`.topolars`,
polars imported on first use), and the finished frame kept beside its entry (:mod:`.stored`)."""

from sportsframe.frames.build import (
    build_frame,
    build_frame_from_payload,
    build_table,
    to_pandas,
)
from sportsframe.frames.schema import (
    SEASON_TYPE_CATEGORIES,
    Column,
    FrameSchema,
    datasets,
    dictionary,
    row_rule,
    schema,
    snake,
)
from sportsframe.frames.stored import (
    FRAME_BUILD_VERSION,
    companion_name,
    frame_from_ipc,
    table_from_ipc,
    table_to_ipc,
    warm_up,
)
from sportsframe.frames.topolars import POLARS_INSTALL, check_polars, table_to_polars

__all__ = [
    "FRAME_BUILD_VERSION",
    "POLARS_INSTALL",
    "SEASON_TYPE_CATEGORIES",
    "Column",
    "FrameSchema",
    "build_frame",
    "build_frame_from_payload",
    "build_table",
    "check_polars",
    "companion_name",
    "datasets",
    "dictionary",
    "frame_from_ipc",
    "row_rule",
    "schema",
    "snake",
    "table_from_ipc",
    "table_to_ipc",
    "table_to_polars",
    "to_pandas",
    "warm_up",
]
