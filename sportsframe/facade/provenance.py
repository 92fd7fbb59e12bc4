"""Where a frame came from, for pandas and polars frames alike.

A pandas frame carries its provenance in ``df.attrs`` (pandas keeps attrs through many
operations). A polars DataFrame has no attrs, so sportsframe keeps the provenance of each polars
frame it returns in a registry beside it, keyed by the frame object and dropped when the frame is
collected (a weak reference: the registry never keeps a frame alive). ``sf.provenance(frame)``
reads either.

Why a registry rather than a polars subclass or a wrapper: the call must return a plain
``polars.DataFrame`` (a wrapper is not one, and a subclass is lost or mishandled by polars
operations and libraries that check the exact type), and polars has no frame-level metadata to
carry it. The cost: provenance belongs to the very frame sportsframe returned; a frame derived
from it (``df.filter(...)``) has none, and ``sf.provenance`` answers None for it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pandas as pd

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BACKENDS", "Backend", "Frame", "attach", "attrs_of", "provenance"]

#: What a dataset call returns: ``pandas`` DataFrames (the default) or ``polars`` DataFrames.
Backend: TypeAlias = Literal["pandas", "polars"]
BACKENDS: tuple[Backend, ...] = ("pandas", "polars")
#: A frame of either backend.
Frame: TypeAlias = "pd.DataFrame | pl.DataFrame"

_lock = threading.Lock()
#: id(frame) → (a weak reference to it, its provenance).
_registry: dict[int, tuple[weakref.ref[Any], dict[Hashable, Any]]] = {}


def _forget(ref: weakref.ref[Any], frame_id: int) -> None:
    # Called as the frame is collected, before its id can be reused; only its own entry goes
    # (a later attach to the same frame replaced the reference).
    with _lock:
        entry = _registry.get(frame_id)
        if entry is not None and entry[0] is ref:
            del _registry[frame_id]


def attach(frame: Frame, attrs: dict[Hashable, Any]) -> None:
    """Give ``frame`` its provenance (a pandas frame's ``attrs``; the registry for polars)."""
    if isinstance(frame, pd.DataFrame):
        frame.attrs = attrs
        return
    frame_id = id(frame)
    ref = weakref.ref(frame, lambda r: _forget(r, frame_id))
    with _lock:
        _registry[frame_id] = (ref, attrs)


def attrs_of(frame: Frame) -> dict[Hashable, Any]:
    """The provenance dict of a frame sportsframe made (empty when it has none)."""
    if isinstance(frame, pd.DataFrame):
        return frame.attrs
    with _lock:
        entry = _registry.get(id(frame))
    if entry is None or entry[0]() is not frame:
        return {}
    return entry[1]


def provenance(frame: Any) -> Mapping[Hashable, Any] | None:
    """Where a frame returned by a dataset call came from, or None for any other frame.

    Keys: ``served_from`` (``l0``, ``hot``, ``warm``, ``api``, or ``mixed`` for a call whose
    parts came from several), ``fetched_at`` and ``expires_at`` (UTC), ``stale``, ``key`` (one
    part) or ``parts`` (each part's key and tier), ``endpoint``, ``params`` and ``source``. For
    a pandas frame this is ``df.attrs``; a polars frame has no attrs and its provenance is kept
    beside it (only the frame the call returned has it, not frames derived from it).
    """
    if isinstance(frame, pd.DataFrame):
        return dict(frame.attrs) or None
    attrs = attrs_of(frame)
    return dict(attrs) if attrs else None
