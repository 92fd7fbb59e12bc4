"""One contract, every tier: MemoryTier, RedisTier (fakeredis and the real server) and SqlTier
(SQLite and the real PostgreSQL) must behave the same through the Tier protocol.

Time is a ManualClock: expiry, stale reads and cleanup are driven by moving it, never by sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sportsframe.cache.entry import CacheEntry
from sportsframe.cache.tier import Tier
from sportsframe.clock import ManualClock
from sportsframe.registry.glob import escape

Make = Callable[..., CacheEntry]

NESTED_RECORDS = [
    {
        "BettingMarketID": 1,
        "Name": "Passing Yards",
        "Updated": "2024-12-29T10:00:00",
        "TeamKey": "SF",
        "BettingOutcomes": [
            {"BettingOutcomeID": 10, "PayoutAmerican": -110, "Value": 250.5, "Unlisted": None},
            {"BettingOutcomeID": 11, "PayoutAmerican": 100, "Value": 250.5, "Unlisted": None},
        ],
        "SportsBook": {"SportsbookID": 7, "Name": "DraftKings"},
    },
    {
        "BettingMarketID": 2,
        "Name": "Receptions",
        "Updated": "2024-12-29T11:00:00",
        "TeamKey": "KC",
        "BettingOutcomes": [],
        "SportsBook": None,
    },
]

PAYLOADS: dict[str, Any] = {
    "nested_records": NESTED_RECORDS,
    "empty_list": [],
    "scalar": 42,
    "string": "2024REG",
    "object": {"Season": 2024, "Week": 18, "Teams": ["SF", "KC"], "Meta": {"a": None}},
    "null": None,
    "non_uniform": [{"a": 1}, {"b": 2}, 3],
}


def test_is_a_tier(tier: Any) -> None:
    assert isinstance(tier, Tier)
    assert tier.name in ("hot", "warm")


@pytest.mark.parametrize("name", list(PAYLOADS))
async def test_round_trip(tier: Any, make_entry: Make, name: str) -> None:
    payload = PAYLOADS[name]
    written = make_entry("player_props:2024:18:True", payload, source="emulator")
    await tier.set(written)
    got = await tier.get("player_props:2024:18:True")
    assert got is not None
    assert got.payload == payload
    assert type(got.payload) is type(payload)
    assert (got.key, got.data_type, got.source) == (written.key, "player_props", "emulator")
    assert got.created_at == written.created_at
    assert got.expires_at == written.expires_at
    assert got.table.num_rows == (len(payload) if name in ("nested_records", "empty_list") else 1)


async def test_absent_key_is_none(tier: Any) -> None:
    assert await tier.get("teams:2024") is None
    assert await tier.get_many(["teams:2024"]) == {}
    assert await tier.ttl("teams:2024") is None
    assert await tier.delete("teams:2024") is False


async def test_overwrite_replaces(tier: Any, make_entry: Make) -> None:
    await tier.set(make_entry("teams:2024", [{"Key": "SF"}]))
    await tier.set(make_entry("teams:2024", [{"Key": "KC"}, {"Key": "BUF"}]))
    got = await tier.get("teams:2024")
    assert got is not None
    assert got.payload == [{"Key": "KC"}, {"Key": "BUF"}]
    assert await tier.keys() == ["teams:2024"]


async def test_expiry_follows_the_injected_clock(
    tier: Any, make_entry: Make, clock: ManualClock
) -> None:
    await tier.set(make_entry("odds:2024:18", [{"Line": -3.5}], ttl=300), grace=3600)
    clock.advance(299)
    assert await tier.get("odds:2024:18") is not None
    assert await tier.ttl("odds:2024:18") == pytest.approx(1, abs=0.01)
    clock.advance(1)
    assert await tier.get("odds:2024:18") is None  # expired: hidden
    stale = await tier.get("odds:2024:18", include_stale=True)  # but kept for the grace window
    assert stale is not None
    assert stale.payload == [{"Line": -3.5}]
    assert stale.is_expired(clock.now())
    assert await tier.ttl("odds:2024:18") == pytest.approx(0, abs=0.01)
    clock.advance(600)
    assert await tier.ttl("odds:2024:18") == pytest.approx(-600, abs=0.01)
    assert await tier.keys("odds:*") == ["odds:2024:18"]  # expired-but-kept entries are listed


async def test_cleanup_removes_only_entries_past_the_grace(
    tier: Any, make_entry: Make, clock: ManualClock
) -> None:
    await tier.set(make_entry("injuries:2024:18", [{"Status": "Out"}], ttl=60), grace=10_000)
    await tier.set(make_entry("teams:2024", [{"Key": "SF"}], ttl=7 * 86400), grace=10_000)
    clock.advance(120)  # injuries expired 60 s ago
    assert await tier.cleanup(100) == 0
    assert await tier.get("injuries:2024:18", include_stale=True) is not None
    clock.advance(50)  # now 110 s ago
    assert await tier.cleanup(100) == 1
    assert await tier.get("injuries:2024:18", include_stale=True) is None
    assert await tier.keys() == ["teams:2024"]
    assert await tier.cleanup(0) == 0  # teams is fresh


async def test_cleanup_with_zero_grace_takes_every_expired_entry(
    tier: Any, make_entry: Make, clock: ManualClock
) -> None:
    for i in range(3):
        await tier.set(make_entry(f"odds:2024:{i + 1}", [], ttl=10 * (i + 1)), grace=10_000)
    clock.advance(25)
    assert await tier.cleanup(0) == 2
    assert await tier.keys() == ["odds:2024:3"]


async def test_get_many_and_set_many(tier: Any, make_entry: Make, clock: ManualClock) -> None:
    entries = [
        make_entry("players:SF", [{"PlayerID": 1}], ttl=100),
        make_entry("players:KC", [], ttl=100),
        make_entry("players:BUF", {"note": "object"}, ttl=10),
    ]
    await tier.set_many(entries, grace=1000)
    got = await tier.get_many(["players:SF", "players:KC", "players:BUF", "players:DAL"])
    assert {k: e.payload for k, e in got.items()} == {
        "players:SF": [{"PlayerID": 1}],
        "players:KC": [],
        "players:BUF": {"note": "object"},
    }
    clock.advance(20)
    assert set(await tier.get_many(["players:SF", "players:BUF"])) == {"players:SF"}
    stale = await tier.get_many(["players:SF", "players:BUF"], include_stale=True)
    assert set(stale) == {"players:SF", "players:BUF"}
    await tier.set_many([])
    assert await tier.get_many([]) == {}


async def test_delete(tier: Any, make_entry: Make) -> None:
    await tier.set(make_entry("teams:2024", [{"Key": "SF"}]))
    assert await tier.delete("teams:2024") is True
    assert await tier.get("teams:2024", include_stale=True) is None
    assert await tier.delete("teams:2024") is False


# Keys holding every character that is special to a glob or to SQL LIKE, literally.
ODD_KEYS = [
    "odd:100%",
    "odd:1000",
    "odd:a_b",
    "odd:axb",
    "odd:[x]",
    "odd:x",
    "odd:*star",
    "odd:Xstar",
    "odd:back\\slash",
    "odd:ABC",
    "other:abc",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (escape("odd:100%"), ["odd:100%"]),  # % is literal, not "anything"
        (escape("odd:a_b"), ["odd:a_b"]),  # _ is literal, not "one character"
        (escape("odd:[x]"), ["odd:[x]"]),
        (escape("odd:*star"), ["odd:*star"]),
        (escape("odd:back\\slash"), ["odd:back\\slash"]),
        ("odd:a?b", ["odd:a_b", "odd:axb"]),
        ("odd:a[x_]b", ["odd:a_b", "odd:axb"]),
        ("odd:a[^_]b", ["odd:axb"]),
        ("odd:[a-b]*", ["odd:a_b", "odd:axb", "odd:back\\slash"]),
        ("odd:abc", []),  # case-sensitive
        ("odd:*", sorted(k for k in ODD_KEYS if k.startswith("odd:"))),
        ("*abc", ["other:abc"]),
        ("*", sorted(ODD_KEYS)),
    ],
)
async def test_glob_keys_and_invalidate(
    tier: Any, make_entry: Make, pattern: str, expected: list[str]
) -> None:
    await tier.set_many([make_entry(k, [{"k": k}]) for k in ODD_KEYS])
    assert await tier.keys(pattern) == expected
    assert await tier.invalidate(pattern) == len(expected)
    assert await tier.keys() == sorted(set(ODD_KEYS) - set(expected))
    for key in expected:
        assert await tier.get(key) is None


async def test_ping(tier: Any) -> None:
    assert await tier.ping() is True
