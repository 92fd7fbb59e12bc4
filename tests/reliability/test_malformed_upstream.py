"""Malformed upstream answers through the facade, over the real Redis and PostgreSQL tiers.

Each case is injected by the emulator (a 200 answer with a broken or drifted body) and checked
against what :mod:`sportsframe.api.client` documents for it: a broken body is a
:class:`MalformedResponseError` and leaves neither tier an entry; a drifted one parses
tolerantly into a frame of the declared dtypes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from sportsframe.emulator import EmulatorServer, FaultRule
from sportsframe.errors import MalformedResponseError
from sportsframe.facade.sync import Session
from sportsframe.frames.schema import schema
from sportsframe.registry import ENDPOINTS

#: The cache key and request path of the call every case makes: scores of 2024 week 13.
KEY = "emulator/" + ENDPOINTS["scores"].bind(2024, 13).key
PATH = ENDPOINTS["scores"].bind(2024, 13).path


@pytest.fixture
def session(
    emulator: EmulatorServer,
    redis_url: str,
    postgres_url: str,
    schema: str,
    namespace: str,
    tmp_path: Path,
) -> Iterator[Session]:
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        rate_limit=1000.0,
        retries=0,
        l0_max_bytes=0,
        redis_url_override=redis_url,
        redis_host="127.0.0.1",
        database_url=url,
        home=tmp_path,
    ) as built:
        yield built


def stored(redis_url: str, namespace: str, postgres_url: str, schema: str) -> tuple[int, int]:
    """(Redis entries, cache_entries rows) held for :data:`KEY`; Redis holding anything else
    for it (its finished frame) without the entry fails."""
    with redis.Redis.from_url(redis_url) as client:
        hot = int(client.exists(f"{namespace}:{KEY}"))
        if not hot:
            assert list(client.scan_iter(match=f"{namespace}*{KEY}")) == []
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f'"{schema}".cache_entries',)).fetchone()
        if exists is None or exists[0] is None:
            return hot, 0
        row = conn.execute(
            f'SELECT count(*) FROM "{schema}".cache_entries WHERE key = %s', (KEY,)
        ).fetchone()
    assert row is not None
    return hot, int(row[0])


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("malformed", "not valid JSON"),
        ("html", "not valid JSON"),
        ("empty", "body is empty"),
    ],
)
def test_a_broken_body_is_a_malformed_response_and_caches_nothing(
    kind: str,
    reason: str,
    session: Session,
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    postgres_url: str,
    schema: str,
) -> None:
    emulator.faults.add(FaultRule(kind, path=PATH, times=None))
    with pytest.raises(MalformedResponseError) as err:
        session.scores(2024, 13)
    assert reason in str(err.value)
    assert err.value.status == 200
    assert err.value.endpoint == "scores"
    session.settle()
    assert stored(redis_url, namespace, postgres_url, schema) == (0, 0)
    assert [r.fault for r in emulator.requests() if r.path == PATH] == [kind]
    # The next good answer is fetched and cached: nothing of the broken one was kept.
    emulator.faults.clear()
    frame = session.scores(2024, 13)
    assert frame.attrs["served_from"] == "api"
    assert len(frame) > 0
    session.settle()
    assert stored(redis_url, namespace, postgres_url, schema) == (1, 1)


def _declared(dataset: str) -> dict[str, str]:
    return {c.name: str(c.dtype) for c in schema(dataset).columns}


def test_wrong_field_types_become_nulls_of_the_declared_dtypes(
    session: Session, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    good = session.scores(2024, 13, refresh=True)
    emulator.faults.add(FaultRule("wrong_types", path=PATH, times=1))
    with caplog.at_level(logging.WARNING, logger="sportsframe"):
        drifted = session.scores(2024, 13, refresh=True)
    assert {c: str(t) for c, t in drifted.dtypes.items()} == _declared("scores")
    assert len(drifted) == len(good)
    # Every number came as text: those columns are null, the text columns are intact.
    assert drifted["score_id"].isna().all()
    assert good["score_id"].notna().all()
    assert list(drifted["home_team"]) == list(good["home_team"])
    assert any("do not convert" in r.getMessage() for r in caplog.records)


def test_extra_fields_are_ignored_and_missing_ones_are_null(
    session: Session, emulator: EmulatorServer
) -> None:
    good = session.scores(2024, 13, refresh=True)
    emulator.faults.add(FaultRule("extra_fields", path=PATH, times=1))
    extra = session.scores(2024, 13, refresh=True)
    assert list(extra.columns) == list(good.columns)
    assert {c: str(t) for c, t in extra.dtypes.items()} == _declared("scores")
    assert extra.equals(good)
    emulator.faults.add(FaultRule("missing_fields", path=PATH, times=1))
    missing = session.scores(2024, 13, refresh=True)
    assert {c: str(t) for c, t in missing.dtypes.items()} == _declared("scores")
    # The emulator drops each record's first field (GameKey): its column is null, the rest stay.
    assert missing["game_key"].isna().all()
    assert good["game_key"].notna().all()
    assert missing.drop(columns=["game_key"]).equals(good.drop(columns=["game_key"]))
