"""The hot tier's pieces without a server: the key layout and the companion stamp
(:mod:`sportsframe.cache.redis.layout`), the decoding of an entry read with its companion
(:mod:`sportsframe.cache.redis.pairs`) and the one builder of both clients
(:mod:`sportsframe.cache.redis.client`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from sportsframe.cache import codec
from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.redis.client import CONNECT_TIMEOUT, READ_CHUNK, build_client
from sportsframe.cache.redis.layout import (
    COMPANION_STAMP_BYTES,
    TAG_CHARS,
    KeyLayout,
    companion_match,
    current_companion,
    entry_prefix,
    hash_tag,
    namespace_of,
    px_ms,
    stamp,
)
from sportsframe.cache.redis.pairs import entry_with_companion
from sportsframe.clock import ManualClock
from sportsframe.errors import ConfigurationError
from sportsframe.registry.glob import escape, matches

Make = Callable[..., CacheEntry]
PAYLOAD = [{"PlayerID": 1, "Outcomes": [{"Value": 1.5}]}]


def test_keys_of_entries_and_companions() -> None:
    namespace = namespace_of("sftest:v1:")
    assert namespace == "sftest:v1"
    assert entry_prefix(namespace) + "odds:2024:18" == "sftest:v1:odds:2024:18"
    ckey = KeyLayout(namespace).companion("frame-odds-1", "odds:2024:18")
    assert ckey == "sftest:v1#frame-odds-1:odds:2024:18"
    assert not ckey.startswith(entry_prefix(namespace))  # outside what SCAN-based ops walk
    layout = KeyLayout(namespace)
    assert layout.entry("odds:2024:18") == "sftest:v1:odds:2024:18"
    assert layout.companion("frame-odds-1", "odds:2024:18") == ckey
    assert layout.public(b"sftest:v1:odds:2024:18") == "odds:2024:18"
    assert layout.pair("frame-1", ["a", "b"]) == [
        "sftest:v1:a",
        "sftest:v1#frame-1:a",
        "sftest:v1:b",
        "sftest:v1#frame-1:b",
    ]


def test_companion_match_finds_companions_of_any_name_and_no_entries() -> None:
    match = companion_match("sf[x]", "odds:2024:*")  # a namespace with glob characters
    assert matches(match, "sf[x]#frame-odds-1:odds:2024:18")
    assert matches(match, "sf[x]#frame-odds-2:odds:2024:17")
    assert not matches(match, "sf[x]:odds:2024:18")
    assert not matches(match, "sfx#frame-odds-1:odds:2024:18")
    assert not matches(match, "sf[x]#frame-odds-1:teams:2024")


#: Public keys a cluster must place: braces (which would set a tag of their own), unicode, ':'
#: and glob characters, the empty key.
ODD_KEYS = [
    "odds:2024:18",
    "{odds}:2024",
    "a}b{c",
    "{}",
    "}",
    "☃:é:𝄞",
    "props:*:[a-z]?\\",
    "",
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_on_a_cluster_an_entry_and_its_companions_share_one_tag(key: str) -> None:
    layout = KeyLayout("sftest:v1", cluster=True)
    tag = hash_tag(key)
    assert len(tag) == TAG_CHARS
    assert not set(tag) & set("{}")
    entry = layout.entry(key)
    assert entry == f"sftest:v1:{{{tag}}}{key}"
    assert layout.companion("frame-odds-1", key) == f"sftest:v1#frame-odds-1:{{{tag}}}{key}"
    assert layout.pair("frame-1", [key]) == [entry, layout.companion("frame-1", key)]
    assert layout.public(entry) == key
    assert layout.public(entry.encode()) == key
    # SCAN patterns: the key's own (escaped) glob finds its entry and companions, no other's.
    assert matches(layout.entry_match(escape(key)), entry)
    assert matches(layout.entry_match("*"), entry)
    assert not matches(layout.entry_match(escape(key)), layout.entry(key + "x"))
    assert not matches(layout.entry_match("*"), layout.companion("frame-1", key))
    assert matches(layout.companion_match(escape(key)), layout.companion("frame-1", key))
    assert not matches(layout.companion_match("*"), entry)
    assert not matches(layout.companion_match(escape(key)), layout.companion("f", key + "x"))


def test_a_cluster_refuses_a_namespace_with_a_brace() -> None:
    assert KeyLayout("sf{x}").entry("k") == "sf{x}:k"  # one server: no tags, no harm
    for namespace in ("sf{x}", "sf{", "sf}"):
        with pytest.raises(ConfigurationError, match="braces"):
            KeyLayout(namespace, cluster=True)


def test_a_companion_is_current_only_for_the_entry_it_was_stamped_for(
    make_entry: Make, clock: ManualClock
) -> None:
    entry = make_entry("teams", PAYLOAD)
    value = stamp(entry.created_at) + b"frame"
    assert len(stamp(entry.created_at)) == COMPANION_STAMP_BYTES
    data = current_companion(value, entry)
    assert data is not None
    assert bytes(data) == b"frame"
    clock.advance(0.000001)  # one microsecond later: another version of the entry
    assert current_companion(value, make_entry("teams", PAYLOAD)) is None
    assert current_companion(b"frame", entry) is None  # shorter than a stamp
    assert current_companion(b"\x00" * COMPANION_STAMP_BYTES + b"frame", entry) is None


def test_px_rounds_up_to_the_next_millisecond() -> None:
    assert px_ms(1.0) == 1000
    assert px_ms(0.0001) == 1  # a value never leaves before its time
    assert px_ms(0.0) == 0
    assert px_ms(-2.5) == -2500


def test_entry_with_companion(make_entry: Make, clock: ManualClock) -> None:
    entry = make_entry("teams", PAYLOAD, ttl=60)
    extra = stamp(entry.created_at) + b"frame"
    found = entry_with_companion(entry.ipc, extra, clock.now())
    assert found is not None
    assert found.created_at == entry.created_at
    assert bytes(found.companion or b"") == b"frame"
    assert found.payload == PAYLOAD  # decoded when asked
    stale = stamp(entry.created_at - timedelta(microseconds=1)) + b"frame"
    other = entry_with_companion(entry.ipc, stale, clock.now())
    assert other is not None
    assert other.companion is None
    clock.advance(60)
    assert entry_with_companion(entry.ipc, extra, clock.now()) is None  # expired
    kept = entry_with_companion(entry.ipc, extra, clock.now(), include_stale=True)
    assert kept is not None
    assert kept.companion is not None
    with pytest.raises(codec.CodecError):
        entry_with_companion(b"\x00garbage", extra, clock.now())


def test_async_and_blocking_clients_get_the_same_options() -> None:
    url = "rediss://:pw@127.0.0.1:6379/0"  # building a client makes no connection
    built: list[Any] = [
        build_client(url, cluster=False, connect_timeout=0.1, socket_timeout=0.3),
        build_client(url, blocking=True, cluster=False, connect_timeout=0.1, socket_timeout=0.3),
    ]
    options = []
    for client in built:
        pool = client.connection_pool
        kwargs = pool.connection_kwargs
        options.append(
            (
                kwargs["socket_connect_timeout"],
                kwargs["socket_timeout"],
                kwargs["socket_read_size"],
                kwargs["decode_responses"],
                kwargs["retry"].get_retries(),
                pool.connection_class.__name__,  # TLS from the URL
            )
        )
    assert options[0] == options[1] == (0.1, 0.3, READ_CHUNK, False, 1, "SSLConnection")
    assert CONNECT_TIMEOUT == 0.2
