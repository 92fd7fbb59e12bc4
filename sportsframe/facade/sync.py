"""``Session``: the sync facade (scripts, notebooks, threads) over :class:`AsyncSession`.

A dataset call first tries to answer in the caller's thread, so that a hit never waits on the
event loop: L0 (the finished frames of this process), then the shared tiers through the cached
client's blocking read (:mod:`sportsframe.cache.blocking`), which serves when every part is
fresh with its finished frame beside it. Anything else (a miss, a refresh, a part without its
finished frame, a call that needs the current week first) runs on sportsframe's background
event loop (:mod:`sportsframe.loop`), which works in scripts, from many threads at once and
inside Jupyter's running loop.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import inspect
import logging
from collections.abc import Callable, Coroutine, Hashable, Iterable
from datetime import date
from time import perf_counter
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd

from sportsframe import frames
from sportsframe.facade.assemble import concat, finish_part, joined, keep_joined, stored_frame
from sportsframe.facade.docstrings import describe_method
from sportsframe.facade.opening import note_call
from sportsframe.facade.plan import backend_of, bind, planned
from sportsframe.facade.provenance import Backend, Frame, attrs_of
from sportsframe.facade.session import AsyncSession
from sportsframe.facade.shapes import DatasetMethods
from sportsframe.facade.signatures import PolarsFrame, signature
from sportsframe.loop import in_loop_thread, run_sync, start, wait
from sportsframe.registry import BoundCall
from sportsframe.registry.datasets import DATASETS, Dataset
from sportsframe.settings import Settings

__all__ = ["Session"]

log = logging.getLogger("sportsframe")

P = ParamSpec("P")
T = TypeVar("T")

#: The plans a session remembers, and the bound arguments a dataset method does (a notebook
#: repeats a handful of calls; a memo is dropped whole when it is full).
_PLANS_MAX = 256
#: The argument types a remembered plan is keyed by (with the types themselves: ``True`` is not
#: ``1`` to the registry). A datetime is not among them: two equal aware datetimes may fall on
#: different dates.
_PLAIN: frozenset[type] = frozenset({int, str, bool, type(None), date})


def _memo_key(
    arguments: Iterable[tuple[Hashable, Any]], *, sequences: bool
) -> tuple[Any, ...] | None:
    """A memo key of named arguments, each with its type (and its items' types: a list, with
    ``sequences``), or None when one is of another type (that call is not remembered)."""
    key: list[Any] = []
    for name, value in arguments:
        kind = type(value)
        if kind in _PLAIN:
            key.append((name, kind, value))
        elif sequences and (kind is list or kind is tuple):
            kinds = tuple(map(type, value))
            if not _PLAIN.issuperset(kinds):
                return None
            key.append((name, kind, kinds, tuple(value)))
        else:
            return None
    return tuple(key)


def _remember(memo: dict[tuple[Any, ...], T], key: tuple[Any, ...], value: T) -> None:
    """Keep ``value`` under ``key``, dropping the whole memo first when it is full."""
    if len(memo) >= _PLANS_MAX:
        memo.clear()
    memo[key] = value


def _plan_key(dataset: str, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """A key telling apart any two calls that planning could tell apart, or None when an
    argument is of another type (that call is planned every time)."""
    key = _memo_key(values.items(), sequences=True)
    return None if key is None else (dataset, *key)


def _blocking(
    method: Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[Session, P], T]:
    """The Session twin of an AsyncSession method: runs it on the background loop and waits."""

    def call(self: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        self._opened()
        return run_sync(method(self.aio, *args, **kwargs))

    call.__name__ = method.__name__
    call.__qualname__ = f"Session.{method.__name__}"
    call.__doc__ = method.__doc__
    call.__signature__ = _evaluated_signature(method)  # type: ignore[attr-defined]
    return call


async def _open_early(aio: AsyncSession) -> None:
    """:meth:`AsyncSession.prepare`, in the background: a failure is only logged (by type: no
    secret), since the first call opens the tiers again and reports what it meets."""
    try:
        await aio.prepare()
    except Exception as exc:
        log.debug(
            "opening the tiers early failed (%s); the first call opens them", type(exc).__name__
        )
        return
    aio.prepare_frames_soon()  # behind the opening: the first call does not wait for it


def _evaluated_signature(method: Callable[..., Any]) -> inspect.Signature:
    # Types rather than their names where they can be resolved at run time (for help()).
    try:
        return inspect.signature(method, eval_str=True)
    except NameError:
        return inspect.signature(method)


class Session(DatasetMethods[pd.DataFrame, PolarsFrame]):
    """The sync facade over :class:`AsyncSession` (same methods, plain return values).

    Calls run on sportsframe's background event loop, so they work in scripts, from many threads
    at once and inside Jupyter's running loop; hits are answered in the caller's thread.
    """

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        self.aio = AsyncSession(settings, **kwargs)
        #: Plans by call (see :meth:`_plan`).
        self._plans: dict[tuple[Any, ...], tuple[list[BoundCall], list[str]]] = {}
        # The tiers open in the background now, so that the first call finds them open: a
        # notebook's first call comes a cell later, a script's overlaps what it does first.
        self._opening: concurrent.futures.Future[None] | None = None
        if self.settings.open_early:
            self._opening = start(_open_early(self.aio))

    @property
    def settings(self) -> Settings:
        """The session's settings."""
        return self.aio.settings

    def __repr__(self) -> str:
        return f"Session(source={self.settings.source!r}, offline={self.settings.offline})"

    def close(self) -> None:
        """Flush pending writes and close connections."""
        self._opened()  # what is opening now is closed too
        with contextlib.suppress(RuntimeError):
            run_sync(self.aio.aclose())

    def _opened(self) -> None:
        """Wait for the background opening, if one is under way (its failure is left for the
        call that meets it)."""
        opening = self._opening
        # (On the loop's own thread the opening could never finish: run_sync refuses that.)
        if opening is not None and not opening.done() and not in_loop_thread():
            wait(opening)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the caller's thread ----------------------------------------------------------------------
    def dataset(self, dataset: str, values: dict[str, Any]) -> Frame:
        """The frame of the dataset method ``dataset`` called with ``values`` (by name): from
        L0 or the tiers in this thread when they hold every part, else on the loop."""
        # Every call waits for the opening under way: it creates the warm tier's tables, and
        # no other work (a quota row, a write) may touch the database while it does.
        self._opened()
        note_call()  # the background frame warm-up waits for a gap between calls
        backend = backend_of(values.get("backend"), self.settings.backend)
        values = {**values, "backend": backend}
        # Planned once for both reads (no plan: a refresh, or a call that needs the current
        # week first; both are the loop's work).
        plan = None if values.get("refresh") else self._plan(dataset, values)
        if plan is not None:
            calls, keys = plan
            frame = self.cached_frame(dataset, calls, backend, keys=keys)
            if frame is None:
                frame = self.tier_frame(dataset, calls, backend, keys=keys)
            if frame is not None:
                return frame
        return run_sync(self.aio.dataset(dataset, values))

    def _plan(
        self, dataset: str, values: dict[str, Any]
    ) -> tuple[list[BoundCall], list[str]] | None:
        """The bound calls of a call and their keys (see :func:`planned`), remembered: a
        notebook repeats its calls, and planning them again (binding and validating every part,
        building its key) was a fifth of an L0 hit on a small frame.

        Planning depends on the arguments alone, except the latest season a call may name
        (next year): that only grows, so a call planned once stays valid. Calls that fail to
        plan are not remembered (they raise every time).
        """
        key = _plan_key(dataset, values)
        known = self._plans.get(key) if key is not None else None
        if known is not None:
            return known
        calls = planned(dataset, values)
        if calls is None:
            return None
        known = (calls, [self.aio.key(call) for call in calls])
        if key is not None:
            _remember(self._plans, key, known)
        return known

    def cached_frame(
        self,
        dataset: str,
        calls: list[BoundCall],
        backend: Backend = "pandas",
        *,
        keys: list[str] | None = None,
    ) -> Frame | None:
        """The ``backend`` frame of ``calls`` from L0 alone, when every part is there (else
        None). ``keys``: the calls' keys, when the caller has them."""
        aio = self.aio
        if not aio.l0.enabled:
            return None
        parts = []
        started = perf_counter()  # one timing for the whole read: an L0 hit is ~0.1 ms
        if keys is None:
            keys = [aio.key(call) for call in calls]
        whole = joined(aio.l0, keys, backend)
        if whole is not None:
            aio.count_l0(len(keys), perf_counter() - started)
            return whole
        generation = aio.l0.generation
        for key in keys:
            frame = aio.l0.get(key, backend)
            if frame is None:
                return None
            attrs_of(frame)["served_from"] = "l0"
            parts.append(frame)
        aio.count_l0(len(parts), perf_counter() - started)
        out = concat(parts, DATASETS[dataset].endpoint_name, backend)
        keep_joined(aio.l0, keys, out, generation)
        return out

    def tier_frame(
        self,
        dataset: str,
        calls: list[BoundCall],
        backend: Backend = "pandas",
        *,
        keys: list[str] | None = None,
    ) -> Frame | None:
        """The frame of ``calls`` from the shared tiers, read in this thread, when every part is
        fresh with its finished frame beside it (else None: the loop reads instead); in
        ``backend``. ``keys``: the calls' keys, when the caller has them.

        A hit then costs one blocking MGET (and, for parts Redis lacks, one statement each) and
        the conversion to pandas, with no hand-off to the event loop; the counts, hit records
        and copies to Redis reach the manager through the loop, behind the answer.
        """
        aio = self.aio
        self._opened()  # (also for a caller that comes here directly)
        client = aio.opened
        if client is None:
            return None
        name = DATASETS[dataset].endpoint_name
        if keys is None:
            keys = [aio.key(call) for call in calls]
        # Read before the data: an invalidation landing while this thread converts must win.
        generation = aio.l0.generation
        read = client.read_blocking(keys, frames.companion_name(name))
        if read is None or len(read.plan.found) != len(keys):
            return None
        built = []
        for key in keys:
            found = read.plan.found[key]
            frame = stored_frame(found.entry, backend)
            if frame is None:
                return None  # the loop's path rebuilds it
            built.append((frame, found))
        parts = [
            # L0 charges the size of the Arrow stream the frame was read from.
            finish_part(
                aio.l0,
                frame,
                found,
                endpoint_name=name,
                call=call,
                generation=generation,
                nbytes=len(found.entry.companion or b""),
            )
            for (frame, found), call in zip(built, calls, strict=True)
        ]
        out = concat(parts, name, backend)
        keep_joined(aio.l0, keys, out, generation)
        # Last: the loop thread this wakes competes for the GIL with the work above.
        client.hand_over(read)
        return out

    # -- the loop ---------------------------------------------------------------------------------
    # The helpers of the module facade (the dataset methods are set below, one per dataset).
    current_season = _blocking(AsyncSession.current_season)
    current_week = _blocking(AsyncSession.current_week)
    games_in_progress = _blocking(AsyncSession.games_in_progress)
    last_completed_season = _blocking(AsyncSession.last_completed_season)
    last_completed_week = _blocking(AsyncSession.last_completed_week)
    upcoming_season = _blocking(AsyncSession.upcoming_season)
    upcoming_week = _blocking(AsyncSession.upcoming_week)
    warm = _blocking(AsyncSession.warm)
    warm_current = _blocking(AsyncSession.warm_current)
    warm_upcoming = _blocking(AsyncSession.warm_upcoming)
    clear_cache = _blocking(AsyncSession.clear_cache)
    cache_stats = _blocking(AsyncSession.cache_stats)
    cleanup = _blocking(AsyncSession.cleanup)
    efficiency = _blocking(AsyncSession.efficiency)
    quota = _blocking(AsyncSession.quota)

    def __getattr__(self, name: str) -> Any:
        # Any other coroutine method of the AsyncSession, run on the background loop.
        target = getattr(self.aio, name, None)
        if name.startswith("_") or target is None or not inspect.iscoroutinefunction(target):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._opened()
            return run_sync(target(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = target.__doc__
        with contextlib.suppress(ValueError, TypeError):
            call.__signature__ = inspect.signature(target)  # type: ignore[attr-defined]
        return call

    def __dir__(self) -> list[str]:
        # With what __getattr__ serves, for tab completion.
        served = [
            name
            for name in dir(AsyncSession)
            if not name.startswith("_") and inspect.iscoroutinefunction(getattr(AsyncSession, name))
        ]
        return sorted({*super().__dir__(), *served})


def _dataset_method(ds: Dataset) -> Callable[..., Frame]:
    name, sig = ds.name, signature(ds)
    # Each call's arguments by name, remembered: binding them to the signature (inspect's
    # general machinery) was a tenth of a small frame's L0 hit, and the result depends on the
    # arguments alone. Only calls of plain scalars are remembered, so what is kept can never
    # change afterwards (a caller's list could); a call that fails to bind is not.
    bound: dict[tuple[Any, ...], dict[str, Any]] = {}

    def method(self: Session, *args: Any, **kwargs: Any) -> Frame:
        # Only plain scalars: a caller's list could change after it is remembered.
        key = _memo_key([*enumerate(args), *kwargs.items()], sequences=False)
        values = bound.get(key) if key is not None else None
        if values is None:
            values = bind(sig, args, kwargs)
            if key is not None:
                _remember(bound, key, values)
        return self.dataset(name, dict(values))

    describe_method(method, "Session", ds)
    return method


for _ds in DATASETS.values():
    setattr(Session, _ds.name, _dataset_method(_ds))
