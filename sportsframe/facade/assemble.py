"""Parts into frames: the finished frame of one cached part, its provenance, and the concatenation
of parts into the frame a dataset call returns.

Every part, whichever path read it (L0, the blocking read in the caller's thread, the loop), ends
in :func:`finish_part`: ``df.attrs`` says where it came from, and a fresh part is kept in L0.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from sportsframe import frames

if TYPE_CHECKING:
    from sportsframe.cached_client import CacheEntry, Lookup
    from sportsframe.facade.l0 import FrameCache
    from sportsframe.registry import BoundCall

__all__ = ["concat", "finish_part", "provenance", "stored_frame"]

log = logging.getLogger("sportsframe")


def stored_frame(entry: CacheEntry) -> pd.DataFrame | None:
    """The finished frame kept beside ``entry``, or None (none came with it, or it does not
    read: logged, and the caller builds the frame from the entry instead)."""
    if entry.companion is None:
        return None
    try:
        return frames.frame_from_ipc(entry.companion)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        log.warning("unreadable stored frame beside %s (%s); rebuilding it", entry.key, exc)
        return None


def provenance(found: Lookup, endpoint_name: str, call: BoundCall) -> dict[Hashable | None, Any]:
    """``df.attrs`` of one part: where the frame came from."""
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
    frame: pd.DataFrame,
    found: Lookup,
    *,
    endpoint_name: str,
    call: BoundCall,
    generation: int,
    nbytes: int,
) -> pd.DataFrame:
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
    frame.attrs = attrs
    return frame


def concat(parts: list[pd.DataFrame], endpoint_name: str) -> pd.DataFrame:
    """The frame of a call from its parts (one part is returned as it is)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return frames.build_frame_from_payload(endpoint_name, [])
    out = pd.concat(parts, ignore_index=True)
    tiers = [p.attrs.get("served_from") for p in parts]
    out.attrs = {
        "endpoint": endpoint_name,
        "served_from": tiers[0] if len(set(tiers)) == 1 else "mixed",
        "parts": [
            {"key": p.attrs.get("key"), "served_from": p.attrs.get("served_from")} for p in parts
        ],
        "fetched_at": min(p.attrs["fetched_at"] for p in parts),
        "expires_at": min(p.attrs["expires_at"] for p in parts),
        "stale": any(p.attrs.get("stale") for p in parts),
        "source": parts[0].attrs.get("source"),
    }
    return out
