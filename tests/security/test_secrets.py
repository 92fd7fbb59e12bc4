"""Secrets: the API key and the Redis and database passwords never reach a log (DEBUG included),
an error message, a repr, a cache key, a Redis value, a ``cache_entries`` row or a file the demo
and the report write. One session works through everything with distinctive secrets, wrong ones
are tried too, and everything it produced is searched.

Also: keys and invalidation patterns that carry SQL stay inert, and no cached data is ever
unpickled or evaluated."""

from __future__ import annotations

import ast
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

import sportsframe as sf
from sportsframe.emulator import EmulatorServer, FaultRule
from sportsframe.facade.sync import Session
from sportsframe.settings import Settings
from tests.cache.servers import OwnRedis

API_KEY = "sk-TESTSECRET-api-8d1f"
REDIS_PASSWORD = "redis-TESTSECRET-77c2"
DB_PASSWORD = "pg-TESTSECRET-41aa"
SECRETS = (API_KEY, REDIS_PASSWORD, DB_PASSWORD)
PACKAGE = Path(sf.__file__).resolve().parent


@pytest.fixture
def locked_redis(tmp_path: Path, free_port: int) -> Iterator[OwnRedis]:
    """A redis-server of the test's own that requires :data:`REDIS_PASSWORD`."""
    server = OwnRedis(free_port, tmp_path, password=REDIS_PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, by every logger, while the test runs."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _with_password(url: str) -> str:
    """``url`` (a PostgreSQL URL without a password) with :data:`DB_PASSWORD` in it; trust
    authentication accepts it, so the password travels without being needed."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{DB_PASSWORD}@{host}"


def _assert_clean(where: str, text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else text.encode()
    for secret in SECRETS:
        assert secret.encode() not in data, f"a secret in {where}"


def test_no_secret_reaches_logs_errors_reprs_keys_values_rows_or_files(
    emulator: EmulatorServer,
    locked_redis: OwnRedis,
    pg_database: str,
    namespace: str,
    tmp_path: Path,
    debug_log: io.StringIO,
) -> None:
    import psycopg
    import redis

    redis_url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{locked_redis.port}/0"
    database_url = _with_password(pg_database)
    settings = Settings(
        source="emulator",
        base_url=emulator.base_url,
        api_key=API_KEY,
        redis_url_override=redis_url,
        database_url=database_url,
        namespace=namespace,
        home=tmp_path / "home",
        rate_limit=1000.0,
    )
    texts: dict[str, str] = {}
    with Session(settings) as session:
        props = session.props(2024, 16)
        session.injuries(2024, range(1, 3))
        session.settle()
        session.drop_hot(props.attrs["key"])
        session.props(2024, 16)  # a warm hit, copied back to Redis
        session.clear_cache("injuries", season=2024, week=1)
        texts["stats"] = repr(session.cache_stats())
        report = session.efficiency()
        texts["report html"] = report.to_html()
        texts["report text"] = report.to_text()
        texts["reprs"] = " ".join(
            repr(x)
            for x in (
                settings,
                session,
                session.aio,
                session.aio.opened,
                session.aio.opened.manager if session.aio.opened else None,
                session.aio.opened.client if session.aio.opened else None,
            )
        )
        texts["tiers"] = " ".join(session.describe_tiers())
        emulator.faults.add(FaultRule(kind="status", status=503, times=1000))
        with pytest.raises(sf.SportsFrameError) as upstream:
            session.injuries(2023, 4)
        texts["upstream error"] = f"{upstream.value!s} {upstream.value!r}"

    # Wrong or unreachable servers, with the passwords in their URLs.
    wrong = settings.model_copy(
        update={
            "redis_url_override": SecretStr(redis_url.replace(REDIS_PASSWORD, "wrong-password")),
            "home": tmp_path / "home2",
        }
    )
    with Session(wrong) as session:
        session.props(2024, 16)  # Redis refuses the password: the in-process tier serves
    down = settings.model_copy(
        update={
            "database_url": SecretStr(database_url.replace("127.0.0.1:5432", "127.0.0.1:1")),
            "home": tmp_path / "home3",
        }
    )
    with Session(down) as session, pytest.raises(sf.SportsFrameError) as no_db:
        session.efficiency()
    texts["database error"] = f"{no_db.value!s} {no_db.value!r}"

    texts["log"] = debug_log.getvalue()
    assert "sportsframe.client DEBUG GET" in texts["log"]  # it captured the session's work
    for where, text in texts.items():
        _assert_clean(where, text)

    # Redis: every key and every value the session left.
    client = redis.Redis(host="127.0.0.1", port=locked_redis.port, password=REDIS_PASSWORD)
    try:
        keys = list(client.scan_iter(count=1000))
        assert keys  # the session did write there
        for key in keys:
            _assert_clean("a Redis key", key)
            kind = client.type(key)
            if kind == b"string":
                _assert_clean(f"the Redis value of {key!r}", client.get(key) or b"")
            elif kind == b"hash":
                _assert_clean(f"the Redis hash {key!r}", repr(client.hgetall(key)))
            elif kind == b"zset":
                _assert_clean(f"the Redis zset {key!r}", repr(client.zrange(key, 0, -1)))
    finally:
        client.close()

    # PostgreSQL: every row of every table the session made.
    admin = pg_database.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        assert "cache_entries" in tables
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            _assert_clean(f"the table {table}", repr(rows))


def test_the_demo_and_its_files_hold_no_secret(
    tmp_path: Path, namespace: str, redis_url: str
) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "SPORTSDATAIO_API_KEY": API_KEY,
        "SPORTSFRAME_HOME": str(tmp_path / "home"),
        "SPORTSFRAME_NAMESPACE": namespace,
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "sportsframe.cli", "--debug", "demo", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    _assert_clean("the demo's output", done.stdout + done.stderr)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for path in files:
        _assert_clean(str(path.name), path.read_bytes())


# -- inert input -------------------------------------------------------------------------------
SQL = ("%' OR 1=1 --", "'; DROP TABLE cache_entries; --", 'x" OR "1"="1')


@pytest.mark.parametrize("warm", ["sqlite", "postgres"])
async def test_keys_and_patterns_carrying_sql_stay_inert(
    warm: str, tmp_path: Path, namespace: str, redis_url: str, request: pytest.FixtureRequest
) -> None:
    from sportsframe.cache.manager import CacheManager
    from sportsframe.cache.redis.tier import RedisTier
    from sportsframe.cache.sql.tier import SqlTier
    from sportsframe.registry.ttl import CacheDataType

    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
        if warm == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    settings = Settings(home=tmp_path, namespace=namespace, redis_host="")
    manager = CacheManager(
        settings,
        hot=RedisTier(redis_url, namespace=namespace),
        warm=SqlTier(url),
    )
    try:
        await manager.set("teams:2024", [{"Key": "KC"}], CacheDataType.TEAMS)
        for text in SQL:
            key = f"teams:{text}"
            await manager.set(key, [{"Key": text}], CacheDataType.TEAMS)
            assert await manager.get(key) == [{"Key": text}]
        for text in SQL:
            # A pattern is a glob of keys, never SQL: it removes only its own key.
            assert await manager.invalidate(f"teams:{text}") == 1
        assert await manager.get("teams:2024") == [{"Key": "KC"}]  # the table is still there
        assert len(await manager.warm.keys("*")) == 1  # type: ignore[union-attr]
    finally:
        await manager.invalidate("*")
        await manager.close()


#: Where pickle, eval or exec may appear in the package, and why (nowhere, today).
ALLOWED: dict[str, str] = {}


def test_cached_data_is_never_unpickled_or_evaluated() -> None:
    found: list[str] = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id if node.func.id in ("eval", "exec") else None
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in ("pickle", "marshal", "dill", "cloudpickle"):
                    name = f"{node.value.id}.{node.attr}"
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None) or ""
                if {"pickle", "marshal", "dill", "cloudpickle"} & {module, *names}:
                    name = f"import {module or names}"
            if name is not None:
                where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', 0)}"
                if where.split(":")[0] not in ALLOWED:
                    found.append(f"{where} {name}")
    assert found == []
