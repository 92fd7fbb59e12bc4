"""Parts into frames: the finished frame of one cached part, its provenance, and the concatenation
of parts into the frame a dataset call returns.

A call of several parts (a season of weeks) is joined once: the joined frame is kept in L0
beside its parts (:func:`keep_joined`), and a repeat of the call is one L0 hit (:func:`joined`).

Every part, whichever path read it (L0, the blocking read in the caller's thread, the loop), ends
in :func:`finish_part`: its provenance says where it came from (``df.attrs``, or beside a polars
frame: :mod:`~sportsframe.facade.provenance`), and a fresh part is kept in L0. A part is made
from the finished Arrow table for either backend: pandas through :mod:`sportsframe.frames.topandas`,
polars straight from Arrow (:mod:`sportsframe.frames.topolars`), never through pandas.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from sportsframe import frames
from sportsframe.facade.provenance import Backend, Frame, attach, attrs_of
from sportsframe.frames.topolars import require_polars

if TYPE_CHECKING:
    from sportsframe.cached_client import CacheEntry, Lookup
    from sportsframe.facade.l0 import FrameCache
    from sportsframe.registry import BoundCall

__all__ = [
    "concat",
    "finish_part",
    "from_table",
    "joined",
    "keep_joined",
    "provenance",
    "stored_frame",
]

log = logging.getLogger("sportsframe")


def from_table(table: pa.Table, backend: Backend) -> Frame:
    """The frame of a finished frame table in ``backend``."""
    if backend == "polars":
        return frames.table_to_polars(table)
    return frames.to_pandas(table)


def stored_frame(entry: CacheEntry, backend: Backend = "pandas") -> Frame | None:
    """The finished frame kept beside ``entry``, or None (none came with it, or it does not
    read: logged, and the caller builds the frame from the entry instead)."""
    if entry.companion is None:
        return None
    try:
        return from_table(frames.table_from_ipc(entry.companion), backend)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        log.warning("unreadable stored frame beside %s (%s); rebuilding it", entry.key, exc)
        return None


def provenance(found: Lookup, endpoint_name: str, call: BoundCall) -> dict[Hashable, Any]:
    """The provenance of one part (``df.attrs``): where the frame came from."""
    entry = found.entry
    return {
        "key": found.key,
        "endpoint": endpoint_name,
        "params": call.params,
        "served_from": found.served_from,
        "fetched_at": entry.created_at,
        "expires_at": entry.expires_at,
        "stale": found.stale,
        "source": entry.source,
    }


def finish_part(
    l0: FrameCache,
    frame: Frame,
    found: Lookup,
    *,
    endpoint_name: str,
    call: BoundCall,
    generation: int,
    nbytes: int,
) -> Frame:
    """Give ``frame`` (the part of ``call``, read as ``found``) its provenance and, when it is
    fresh, keep it in ``l0``. ``generation``: L0's generation from before the part's data was
    read (an invalidation landing meanwhile wins); ``nbytes``: the size L0 charges for it."""
    attrs = provenance(found, endpoint_name, call)
    if not found.stale:
        # L0 keeps its own shallow copy: the caller's edits (attrs included) never reach it.
        # Put before the frame has attrs: pandas would deep-copy them.
        l0.put(
            found.key,
            frame,
            found.entry.expires_at,
            attrs=attrs,
            generation=generation,
            nbytes=nbytes,
        )
    attach(frame, attrs)
    return frame


def concat(parts: list[Frame], endpoint_name: str, backend: Backend = "pandas") -> Frame:
    """The frame of a call from its parts (one part is returned as it is)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return from_table(frames.build_table(endpoint_name, pa.table({})), backend)
    out: Frame
    if backend == "polars":
        polars: Any = require_polars()
        # Relaxed: a part whose text left its declared category set holds strings there.
        out = polars.concat(parts, how="vertical_relaxed")
    else:
        out = pd.concat([p for p in parts if isinstance(p, pd.DataFrame)], ignore_index=True)
    given = [attrs_of(p) for p in parts]
    tiers = [a.get("served_from") for a in given]
    attach(
        out,
        {
            "endpoint": endpoint_name,
            "served_from": tiers[0] if len(set(tiers)) == 1 else "mixed",
            "parts": [{"key": a.get("key"), "served_from": a.get("served_from")} for a in given],
            "fetched_at": min(a["fetched_at"] for a in given),
            "expires_at": min(a["expires_at"] for a in given),
            "stale": any(a.get("stale") for a in given),
            "source": given[0].get("source"),
        },
    )
    return out


def joined(l0: FrameCache, keys: Sequence[str], backend: Backend = "pandas") -> Frame | None:
    """The frame of a call of several parts from L0 as it was last joined (see
    :meth:`~sportsframe.facade.l0.FrameCache.get_joined`), served from L0; or None."""
    if len(keys) < 2:
        return None
    frame = l0.get_joined(keys, backend)
    if frame is not None:
        attrs = attrs_of(frame)
        attrs["served_from"] = "l0"
        for part in attrs.get("parts", ()):
            part["served_from"] = "l0"
    return frame


def keep_joined(l0: FrameCache, keys: Sequence[str], frame: Frame, generation: int) -> None:
    """Keep the frame joined from ``keys`` in L0 beside its parts, unless a part is stale.
    ``generation``: L0's generation from before the parts were read."""
    if len(keys) < 2:  # (every one-part call passes here: nothing to look at)
        return
    attrs = attrs_of(frame)
    if attrs.get("stale") or "expires_at" not in attrs:
        return
    l0.put_joined(keys, frame, attrs["expires_at"], attrs=attrs, generation=generation)
