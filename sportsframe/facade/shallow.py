"""A shallow copy of a pandas DataFrame for L0 hits, cheaper than ``DataFrame.copy(deep=False)``.

An L0 hit is one shallow copy of a frame of ~40 columns, one block per column (sportsframe's
frames are extension arrays: see :mod:`sportsframe.frames.topandas`). ``copy(deep=False)`` goes
through ``BlockManager.apply``, a general loop (argument checks, ``extend_blocks``, a block-count
recount) around each block's own ``Block.copy(deep=False)``, then ``__finalize__``; for a small
frame that loop is about a third of the hit. Here the same per-block copies are made directly
and the new manager is assembled from them: the blocks are pandas' own shallow copies, so each
one's values are a fresh view of the same data registered on the same copy-on-write references
(``Block.refs``). Either frame's in-place edit therefore copies its block first, and no edit of
one reaches the other, exactly as with ``copy(deep=False)``; only the loop around them is gone.

The assembly uses pandas internals (the block manager's constructor and ``DataFrame._from_mgr``,
which ``pandas.api.internals`` itself calls). Before it is first used, a self-check makes sure
that on this pandas a copy made this way is still independent of its source (:func:`prepare`,
run by a session's background frame warm-up, since it costs a fresh process about 2 ms; until
then the public path serves). When that check fails, or the internals are missing or refuse a
frame, the public ``copy(deep=False)`` serves instead (said once at DEBUG level): slower, same
frame. A frame whose copy would need more than its blocks (a subclass, flags) always takes the
public path.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

import pandas as pd

__all__ = ["prepare", "shallow_copy"]

log = logging.getLogger("sportsframe.l0")

_UNCHECKED: Any = object()
#: The block manager class, once the self-check has passed; None: the public path serves.
_manager: Any = _UNCHECKED


def shallow_copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A new frame sharing ``frame``'s data under copy-on-write, *without* its attrs: an edit
    of either (a column assigned, a cell set in place) never reaches the other."""
    # Until the self-check has run (prepare(), in a session's background warm-up), the public
    # path serves: the check costs a fresh process about 2 ms, which no call should wait for.
    manager = None if _manager is _UNCHECKED else _manager
    # Besides the blocks, ``copy(deep=False)`` carries over a subclass's metadata, the flags
    # and the attrs (the attrs are not wanted: L0 keeps them beside the frame). sportsframe's
    # frames are plain and flagless; anything else takes the public path.
    if manager is not None and type(frame) is pd.DataFrame and frame.flags.allows_duplicate_labels:
        out = _from_block_copies(manager, frame)
        if out is not None:
            return out
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def prepare() -> bool:
    """Run the self-check now, once per process (a session's background frame warm-up does):
    until it has, :func:`shallow_copy` takes the public path. True when the fast path serves."""
    manager = _check() if _manager is _UNCHECKED else _manager
    return manager is not None


def _from_block_copies(manager: Any, frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame.copy(deep=False)`` without ``BlockManager.apply``; None if pandas refuses."""
    mgr: Any = frame._mgr
    if type(mgr) is not manager:
        return None
    try:
        # Block.copy(deep=False): a view of the values on the same refs (pandas' own CoW copy).
        new = manager(
            tuple([block.copy(deep=False) for block in mgr.blocks]),
            [axis.view() for axis in mgr.axes],
            verify_integrity=False,
        )
        # As BlockManager.copy does: the column → block maps, rather than a rebuild later.
        if mgr._blknos is not None:
            new._blknos = mgr._blknos.copy()
            new._blklocs = mgr._blklocs.copy()
        out = pd.DataFrame._from_mgr(new, new.axes)  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError, AssertionError) as exc:
        _give_up(exc)
        return None
    return out if isinstance(out, pd.DataFrame) else None


def _check() -> Any:
    """The block manager class if copies made by :func:`_from_block_copies` are independent of
    their source on this pandas (checked once), else None."""
    global _manager
    try:
        manager = import_module("pandas.core.internals.managers").BlockManager
    except (ImportError, AttributeError) as exc:
        _give_up(exc)
        return None
    source = pd.DataFrame(
        {"n": pd.array([1, 2], dtype="Int64"), "s": pd.array(["a", "b"], dtype="str")}
    )
    first = _from_block_copies(manager, source)
    second = _from_block_copies(manager, source)
    if first is None or second is None:
        if _manager is _UNCHECKED:  # (else _give_up said why)
            _give_up(TypeError("the frame's manager is not the BlockManager"))
        return None
    first.iloc[0, 0] = 9  # in place, under CoW: must copy the block first
    first.loc[1, "s"] = "z"
    second["n"] = 0  # a column replaced
    second["s"].array[0] = "q"  # an Arrow-backed array set in place: the copy's own view
    if source["n"].tolist() != [1, 2] or source["s"].tolist() != ["a", "b"]:
        _give_up(AssertionError("an in-place edit of the copy reached its source"))
        return None
    _manager = manager
    return manager


def _give_up(exc: BaseException) -> None:
    global _manager
    _manager = None
    log.debug(
        "pandas %s: L0 hits take DataFrame.copy(deep=False) (%s: %s)",
        pd.__version__,
        type(exc).__name__,
        exc,
    )
