"""Redis over TLS from settings alone: a redis-server of the test's own speaking only TLS, with a
certificate from a CA the test makes (trustme); ``REDIS_URL=rediss://...?ssl_ca_certs=...`` is
all the session is told. The hot tier, the blocking reader in the caller's thread, the shared
rate limiter and L0's invalidation channel all work over it; without the CA the server is not
trusted and the session falls back to the in-process tier with one warning."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from sportsframe.settings import Settings
from tests.conftest import REQUIRE_SERVICES


class TlsRedis:
    """A redis-server of the test's own that accepts TLS connections only."""

    def __init__(self, port: int, directory: Path) -> None:
        import trustme

        self.port = port
        self.directory = directory
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.cert_file, self.key_file = directory / "server.pem", directory / "server.key"
        server.cert_chain_pems[0].write_to_path(str(self.cert_file))
        server.private_key_pem.write_to_path(str(self.key_file))
        self.log = directory / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL that trusts this server's CA."""
        return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.ca_file}"

    def start(self) -> None:
        with self.log.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = self._spawn(log)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                error = self.log.read_text(errors="replace")
                message = f"this redis-server does not speak TLS: {error.strip()[-200:]}"
                # As for the shared services (tests/conftest.py): a developer's redis-server
                # built without TLS skips, but a run that must exercise every server fails.
                if REQUIRE_SERVICES:
                    pytest.fail(f"{message} and SPORTSFRAME_REQUIRE_SERVICES=1", pytrace=False)
                pytest.skip(message)
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
            try:
                if client.ping():
                    return
            except (redis.RedisError, OSError):
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError("the TLS redis-server did not start")

    def _spawn(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "redis-server",
                "--port", "0",
                "--tls-port", str(self.port),
                "--bind", "127.0.0.1",
                "--tls-cert-file", str(self.cert_file),
                "--tls-key-file", str(self.key_file),
                "--tls-ca-cert-file", str(self.ca_file),
                "--tls-auth-clients", "no",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def tls_redis(tmp_path: Path, free_port: int) -> Iterator[TlsRedis]:
    server = TlsRedis(free_port, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("required", [True, False])
def test_a_redis_server_that_cannot_start_with_tls_fails_when_servers_are_required(
    tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch, required: bool
) -> None:
    # A certificate redis-server cannot load stands for a build without TLS: it exits at once.
    server = TlsRedis(free_port, tmp_path)
    server.cert_file.write_text("not a certificate")
    monkeypatch.setattr(sys.modules[__name__], "REQUIRE_SERVICES", required)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    # Caught by hand, not with pytest.raises: a skip escaping it would skip this test, which
    # would hide the very fault it is here for.
    stopped: BaseException | None = None
    try:
        server.start()
    except (pytest.fail.Exception, pytest.skip.Exception) as raised:
        stopped = raised
    finally:
        server.stop()
    assert type(stopped) is outcome, stopped
    assert "does not speak TLS" in str(stopped)


def _settings(emulator: EmulatorServer, url: str, namespace: str, home: Path) -> Settings:
    return Settings(
        source="emulator",
        base_url=emulator.base_url,
        redis_url_override=SecretStr(url),
        namespace=namespace,
        home=home,
        rate_limit=1000.0,
    )


def test_redis_over_tls_serves_every_part_from_settings_alone(
    emulator: EmulatorServer, tls_redis: TlsRedis, namespace: str, tmp_path: Path
) -> None:
    import redis

    settings = _settings(emulator, tls_redis.url, namespace, tmp_path / "a")
    with (
        Session(settings) as first,
        Session(settings.model_copy(update={"home": tmp_path / "b"})) as other,
    ):
        hot, _ = first.describe_tiers()
        assert hot.startswith("Redis")
        built = first.props(2024, 16)  # the API, written through to Redis over TLS
        first.settle()
        # Another session (another L0) reads it from Redis in the caller's thread.
        again = other.props(2024, 16)
        assert again.attrs["served_from"] == "hot"
        assert again.equals(built)
        # Clearing it in one session reaches the other's L0 over the TLS pub/sub channel.
        assert other.props(2024, 16).attrs["served_from"] == "l0"
        first.clear_cache("props", season=2024, week=16)
        deadline = time.monotonic() + 5
        while other.aio.l0.get(again.attrs["key"]) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.aio.l0.get(again.attrs["key"]) is None
        stats = first.cache_stats()
        assert stats["hot_cache"]["errors"] == 0
    client = redis.Redis.from_url(tls_redis.url)
    try:
        # The shared limiter kept its window in this Redis: the key's requests were paced there.
        assert list(client.scan_iter(match=f"{namespace}~ratelimit:*"))
    finally:
        client.close()


def test_a_server_whose_certificate_is_not_trusted_is_not_used(
    emulator: EmulatorServer,
    tls_redis: TlsRedis,
    namespace: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    untrusted = f"rediss://127.0.0.1:{tls_redis.port}/0"  # the system's CAs only
    settings = _settings(emulator, untrusted, namespace, tmp_path)
    with caplog.at_level(logging.WARNING, logger="sportsframe"), Session(settings) as session:
        hot, _ = session.describe_tiers()
        assert not hot.startswith("Redis")  # the in-process tier instead
        assert len(session.props(2024, 16)) > 0
    warnings = [r for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(warnings) == 1
