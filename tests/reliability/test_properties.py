"""Property tests: any JSON value comes back from every tier and the codec exactly as written, and
any cache key round-trips (unicode, ``:``, glob characters, keys longer than the warm tier's
255-character column).

Each test builds its tier once and runs its examples on one event loop of its own, with a fresh
key per example; hypothesis runs at least :data:`EXAMPLES` examples of each.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sportsframe.cache.entry import CacheEntry, entry_from_ipc
from sportsframe.clock import ManualClock
from tests.cache.conftest import build_tier

#: Examples per property (the issue's floor).
EXAMPLES = 500

#: Every tier a value is written to: the in-process one, Redis alone and as a three-node
#: Redis Cluster, and both SQL engines.
SERVICE_TIERS = ["memory", "redis", "cluster", "sqlite", "postgres"]

# JSON as the API sends it: numbers are int64 or finite doubles (orjson refuses anything wider).
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(got: Any, want: Any) -> bool:
    """JSON equality that tells ``True`` from ``1`` (``==`` does not) and the sign of a zero;
    an object's keys in any order, as JSON says. A number compares by value: the codec keeps
    a number's value, and widens a column that mixes integers and decimals to decimals
    (``[0, 0.5]`` comes back ``[0.0, 0.5]``), as :mod:`sportsframe.cache.codec` documents."""
    if _number(got) and _number(want):
        if isinstance(got, float) and isinstance(want, float):
            return got == want and math.copysign(1, got) == math.copysign(1, want)
        return bool(got == want)
    if type(got) is not type(want):
        return False
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))
    return bool(got == want)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for a whole property test (its tier lives on it)."""
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def open_tier(
    request: pytest.FixtureRequest,
    runner: asyncio.Runner,
    clock: ManualClock,
    tmp_path: Path,
    namespace: str,
) -> Iterator[Callable[[str], Any]]:
    """``open_tier(kind)``: that tier, built on :func:`runner`'s loop, closed after the test."""
    closers: list[Callable[[], Any]] = []

    def open_(kind: str) -> Any:
        tier, close = runner.run(build_tier(kind, request, clock, tmp_path, namespace))
        closers.append(close)
        return tier

    yield open_
    for close in closers:
        runner.run(close())


def _entry(clock: ManualClock, key: str, payload: Any) -> CacheEntry:
    now = clock.now()
    return CacheEntry.from_payload(
        key, payload, data_type="player_props", created_at=now, expires_at=now + timedelta(hours=1)
    )


def test_any_json_value_round_trips_through_the_codec() -> None:
    clock = ManualClock()
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(payload=json_values)
    def check(payload: Any) -> None:
        next(counter)
        written = _entry(clock, "player_props:2024:18:False", payload)
        read = entry_from_ipc(written.ipc)
        assert same(read.payload, payload), (read.payload, payload)
        assert read.key == written.key

    check()
    assert next(counter) >= EXAMPLES  # hypothesis ran every example it was asked for


@pytest.mark.parametrize("kind", SERVICE_TIERS)
def test_any_json_value_round_trips_through_a_tier(
    kind: str, open_tier: Callable[[str], Any], runner: asyncio.Runner, clock: ManualClock
) -> None:
    tier = open_tier(kind)
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(payload=json_values)
    def check(payload: Any) -> None:
        key = f"props:json:{next(counter)}"  # fresh per example: no example sees another's
        runner.run(tier.set(_entry(clock, key, payload)))
        got = runner.run(tier.get(key))
        assert got is not None
        assert same(got.payload, payload), (got.payload, payload)

    check()
    assert next(counter) >= EXAMPLES  # every example wrote and read a key of its own
