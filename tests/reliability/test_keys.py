"""Any cache key round-trips through the cache manager over the real Redis (one server, and a
three-node Redis Cluster, where keys carry a hash tag) and PostgreSQL: unicode, ``:``, braces,
the glob characters ``* ? [ ] \\``, and keys longer than the warm tier's 255-character ``key``
column, which both tiers store under the same stable digest form (see
:mod:`sportsframe.cache.longkeys`), and which invalidation still reaches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sportsframe.cache import longkeys
from sportsframe.cache.manager import CacheManager
from sportsframe.cache.redis.tier import RedisTier
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.clock import ManualClock
from sportsframe.registry.glob import escape, matches
from sportsframe.settings import Settings
from tests.cache.servers import PATIENT

EXAMPLES = 500

# PostgreSQL text holds no NUL, and no string holds a lone surrogate: every other character.
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_pieces = st.one_of(
    st.text(_chars, min_size=1, max_size=12),
    st.sampled_from(
        [":", "*", "?", "[", "]", "\\", "[a-z]", "\\*", "é", "☃", "𝄞", " ", "{", "}", "{a}"]
    ),
)
keys = st.one_of(
    st.lists(_pieces, min_size=1, max_size=8).map("".join),
    # Around and beyond the column's width.
    st.tuples(st.integers(200, 600), _pieces).map(lambda t: "k" * t[0] + t[1]),
    st.lists(_pieces, min_size=30, max_size=80).map("".join),
)


class Tiers:
    """A manager over the real Redis and PostgreSQL, on a loop of its own."""

    def __init__(self, runner: asyncio.Runner, redis_url: str, pg_url: str, schema: str,
                 namespace: str, home: Path, cluster: bool) -> None:  # fmt: skip
        self.runner = runner
        self.clock = ManualClock()
        cfg = Settings(namespace=namespace, home=home, redis_host="", source="emulator")
        self.hot = RedisTier(
            redis_url, namespace=namespace, clock=self.clock, cluster=cluster, **PATIENT
        )
        self.warm = SqlTier(pg_url, clock=self.clock, schema=schema)
        self.manager = CacheManager(
            cfg, hot=self.hot, warm=self.warm, clock=self.clock, source="emulator"
        )

    def run(self, work: Any) -> Any:
        return self.runner.run(work)

    def close(self) -> None:
        self.run(self.hot.invalidate("*"))
        self.run(self.manager.close())
        self.run(self.hot.close())
        self.run(self.warm.close())


@pytest.fixture(params=["server", "cluster"])
def tiers(
    request: pytest.FixtureRequest, postgres_url: str, schema: str, namespace: str, tmp_path: Path
) -> Iterator[Tiers]:
    """The manager over PostgreSQL and Redis: the shared server, then the three-node cluster."""
    cluster = request.param == "cluster"
    if cluster:
        redis_url = request.getfixturevalue("redis_cluster").url
    else:
        redis_url = request.getfixturevalue("redis_url")
    with asyncio.Runner() as runner:
        built = Tiers(runner, redis_url, postgres_url, schema, namespace, tmp_path, cluster)
        try:
            yield built
        finally:
            built.close()


def _warm_keys(postgres_url: str, schema: str) -> list[str]:
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        return [r[0] for r in conn.execute(f'SELECT key FROM "{schema}".cache_entries')]


def test_any_key_round_trips_through_both_tiers(
    tiers: Tiers, postgres_url: str, schema: str
) -> None:
    m = tiers.manager
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(key=keys)
    def check(key: str) -> None:
        n = next(counter)
        key = f"{n}:{key}"  # fresh per example
        payload = {"n": n, "key": key}
        tiers.run(m.set(key, payload, "player_props"))
        hot = tiers.run(m.lookup(key))
        assert hot is not None
        assert (hot.served_from, hot.entry.payload) == ("hot", payload)
        assert tiers.run(m.drop_hot(key))
        warm = tiers.run(m.lookup(key))
        assert warm is not None
        assert (warm.served_from, warm.entry.payload) == ("warm", payload)
        tiers.run(m.settle())
        # Both tiers hold it under one stored key, the key itself when it fits.
        stored = m.storage_key(key)
        full = f"emulator/{key}"
        assert stored == (full if len(full) <= longkeys.KEY_LIMIT else longkeys.fit(full))
        assert len(stored) <= longkeys.KEY_LIMIT
        assert tiers.run(tiers.hot.keys(escape(stored))) == [stored]
        assert tiers.run(tiers.warm.keys(escape(stored))) == [stored]
        # The key, as a literal glob, invalidates it in both tiers.
        assert tiers.run(m.invalidate(escape(key))) == 1
        assert tiers.run(m.lookup(key)) is None

    check()
    assert next(counter) >= EXAMPLES
    assert _warm_keys(postgres_url, schema) == []


def test_the_digest_form_is_stable_distinct_and_fits() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert longkeys.fit(long_a) == longkeys.fit("a" * 300)
    assert longkeys.fit(long_a) != longkeys.fit(long_b)
    assert len(longkeys.fit(long_a)) == longkeys.KEY_LIMIT
    assert longkeys.is_digest(longkeys.fit(long_a))
    assert longkeys.fit(longkeys.fit(long_a)) == longkeys.fit(long_a)  # a stored key is stored
    short = "x" * longkeys.KEY_LIMIT
    assert longkeys.fit(short) == short
    assert not longkeys.is_digest(short)


@st.composite
def _families(draw: st.DrawFn) -> tuple[list[str], str]:
    """Long keys sharing long starts, and a glob over them."""
    stem = draw(st.sampled_from(["props:2024:", "odds:2023:", "[weird]*:"]))
    pad = draw(st.integers(150, 260))
    tails = draw(st.lists(st.text("ab:*?", min_size=1, max_size=4), min_size=1, max_size=4))
    found = [stem + "x" * pad + t for t in dict.fromkeys(tails)]
    if draw(st.booleans()):
        found.append(stem + "short")
    glob = draw(
        st.sampled_from([
            escape(stem) + "*",
            escape(stem) + "*a",
            escape(stem + "x" * pad) + "?",
            escape(stem) + "x*" + "b*",
            "*" + escape(found[0][-2:]),
            escape(found[0]),
        ])
    )  # fmt: skip
    return found, glob


def test_invalidation_reaches_every_long_key_it_names(tiers: Tiers) -> None:
    m = tiers.manager
    counter = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(family=_families())
    def check(family: tuple[list[str], str]) -> None:
        tiers.run(m.invalidate("*"))
        found, glob = family
        run = f"{next(counter)}:"
        written = [run + k for k in found]
        for key in written:
            tiers.run(m.set(key, [key], "player_props"))
        tiers.run(m.invalidate(escape(run) + glob))
        for key in written:
            held = tiers.run(m.lookup(key))
            if matches(escape(run) + glob, key):
                assert held is None, (glob, key)  # never left behind
            elif len(m.prefixed(key)) <= longkeys.KEY_LIMIT:
                assert held is not None, (glob, key)  # a key that fits is decided exactly

    check()
    assert next(counter) >= EXAMPLES  # every example wrote and invalidated a family of its own
