"""Secrets: the API key and the Redis and database passwords never reach a log (DEBUG included),
an error message, a repr, a cache key, a Redis value (of any type), a ``cache_entries`` row, the
output of a benchmark run and the results it writes, or a file the demo and the report write.
One session works through everything with distinctive secrets, wrong ones are tried too, and
everything it produced is searched; the demo and two benchmarks run with all three secrets.

Also: keys and invalidation patterns that carry SQL stay inert, and no cached data is ever
unpickled or evaluated."""

from __future__ import annotations

import ast
import io
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


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


def _redis_value(client: Any, key: bytes) -> bytes | None:
    """Everything held under ``key``, whatever its type, as bytes (None: gone meanwhile)."""
    kind = client.type(key)
    if kind == b"none":
        return None
    read = {
        b"string": lambda: client.get(key) or b"",
        b"hash": lambda: client.hgetall(key),
        b"zset": lambda: client.zrange(key, 0, -1, withscores=True),
        b"list": lambda: client.lrange(key, 0, -1),
        b"set": lambda: client.smembers(key),
        b"stream": lambda: client.xrange(key, "-", "+"),
    }
    # A type this search cannot read fails the test: nothing is left unsearched.
    assert kind in read, f"the Redis key {key!r} holds a {kind!r}, which this test cannot read"
    value = read[kind]()
    return value if isinstance(value, bytes) else repr(value).encode()


def _search_redis(server: OwnRedis) -> int:
    """Searches every key and value ``server`` holds for a secret; returns how many keys."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=server.port, password=REDIS_PASSWORD)
    try:
        keys = list(client.scan_iter(count=1000))
        for key in keys:
            _assert_clean("a Redis key", key)
            value = _redis_value(client, key)
            if value is not None:
                _assert_clean(f"the Redis value of {key!r}", value)
    finally:
        client.close()
    return len(keys)


def test_every_redis_type_is_searched(locked_redis: OwnRedis) -> None:
    # The search reads each type: a secret planted in any one of them is found.
    import redis

    client = redis.Redis(host="127.0.0.1", port=locked_redis.port, password=REDIS_PASSWORD)
    plant: dict[bytes, Any] = {
        b"string": lambda key, value: client.set(key, value),
        b"hash": lambda key, value: client.hset(key, "field", value),
        b"zset": lambda key, value: client.zadd(key, {value: 1.0}),
        b"list": lambda key, value: client.rpush(key, "first", value),
        b"set": lambda key, value: client.sadd(key, value),
        b"stream": lambda key, value: client.xadd(key, {"field": value}),
    }
    try:
        for kind, write in plant.items():
            client.flushall()
            write(b"planted:" + kind, f"<{API_KEY}>")
            assert client.type(b"planted:" + kind) == kind
            with pytest.raises(AssertionError, match="a secret in the Redis value"):
                _search_redis(locked_redis)
        client.flushall()
        client.set(b"clean", b"nothing secret")
        assert _search_redis(locked_redis) == 1
    finally:
        client.close()


def test_no_secret_reaches_logs_errors_reprs_keys_values_rows_or_files(
    emulator: EmulatorServer,
    locked_redis: OwnRedis,
    pg_database: str,
    namespace: str,
    tmp_path: Path,
    debug_log: io.StringIO,
) -> None:
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
    assert _search_redis(locked_redis) > 0  # the session did write there

    # PostgreSQL: every row of every table the session made.
    assert "cache_entries" in _rows_clean(pg_database)


def _files_clean(root: Path) -> int:
    """Searches every file under ``root`` for a secret; returns how many files."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        _assert_clean(str(path.relative_to(root)), path.read_bytes())
    return len(files)


def _rows_clean(database_url: str) -> set[str]:
    """Searches every row of every table in the database (any schema but the system's) for a
    secret; returns the tables' names."""
    import psycopg

    admin = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            rows = conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            _assert_clean(f"the table {schema}.{table}", repr(rows))
    return {table for _, table in tables}


def test_the_demo_and_its_files_hold_no_secret(
    tmp_path: Path, namespace: str, locked_redis: OwnRedis, pg_database: str
) -> None:
    # All three secrets in play: the API key, and the Redis and database passwords in the URLs
    # the demo is given (trust authentication accepts the database password unneeded).
    out, home = tmp_path / "out", tmp_path / "home"
    env = {
        **os.environ,
        "SPORTSDATAIO_API_KEY": API_KEY,
        "SPORTSFRAME_HOME": str(home),
        "SPORTSFRAME_NAMESPACE": namespace,
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{locked_redis.port}/0",
        "DATABASE_URL": _with_password(pg_database),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sportsframe.cli", "--debug", "demo", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"DEBUG" in done.stderr  # the debug log was on, and is searched
    _assert_clean("the demo's output", done.stdout + done.stderr)
    assert _files_clean(out) > 0
    _files_clean(home)
    # It used both servers it was given, and left no secret there either.
    assert _search_redis(locked_redis) > 0
    assert "cache_entries" in _rows_clean(pg_database)


#: Benchmarks whose run is searched, with their options for a Redis and a database URL.
BENCHMARK_OPTIONS = {
    "facade.py": ("--redis-url", "--database-url"),
    "tiers.py": ("--redis", "--database"),
}


@pytest.mark.parametrize("script", sorted(BENCHMARK_OPTIONS))
def test_a_benchmark_run_and_its_results_hold_no_secret(
    script: str, tmp_path: Path, namespace: str, locked_redis: OwnRedis, pg_database: str
) -> None:
    # A copy of the benchmarks runs: a script writes its results beside itself, so the copy's
    # results/ folder holds everything the run wrote and the project's own stays untouched.
    copy, home = tmp_path / "benchmarks", tmp_path / "home"
    copy.mkdir()
    for source in BENCHMARKS.glob("*.py"):
        shutil.copy(source, copy / source.name)
    redis_url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{locked_redis.port}/0"
    database_url = _with_password(pg_database)
    redis_opt, database_opt = BENCHMARK_OPTIONS[script]
    env = {
        **os.environ,
        "SPORTSDATAIO_API_KEY": API_KEY,
        "SPORTSFRAME_HOME": str(home),
        "SPORTSFRAME_NAMESPACE": namespace,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
    }
    argv = [sys.executable, str(copy / script), "--quick", redis_opt, redis_url]
    done = subprocess.run(
        [*argv, database_opt, database_url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    _assert_clean(f"the output of {script}", done.stdout + done.stderr)
    results = list((copy / "results").glob("*.json"))
    assert results, f"{script} wrote no results"
    _files_clean(copy / "results")
    _files_clean(home)
    _search_redis(locked_redis)  # whatever the run left (it removes its own keys)
    _rows_clean(pg_database)  # and the warm tables it left in the database it was given


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
