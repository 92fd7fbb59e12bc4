"""Settings: environment names, validation naming the variable, secrets hidden."""

from __future__ import annotations

import pytest

from sportsframe import errors
from sportsframe.errors import ConfigurationError
from sportsframe.settings import Settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [("REDIS_PORT", "abc"), ("CACHE_DEFAULT_TTL", "-1"), ("SPORTSFRAME_RATE_LIMIT", "0")],
)
def test_bad_values_name_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        Settings()


def test_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("SPORTSFRAME_OFFLINE", "1")
    monkeypatch.setenv("CACHE_MAX_SIZE", "50")
    settings = Settings()
    assert (settings.redis_port, settings.offline, settings.cache_max_size) == (6380, True, 50)
    assert Settings(offline=False).offline is False  # Python names as keyword arguments


def test_unrelated_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/nowhere")
    monkeypatch.setenv("SOURCE", "emulator")
    monkeypatch.delenv("SPORTSFRAME_HOME", raising=False)
    settings = Settings()
    assert settings.source == "sportsdataio"
    assert str(settings.home).endswith("sportsframe")


def test_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", "hunter2-redis")
    monkeypatch.setenv("SPORTSDATAIO_API_KEY", "key-1234567890")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:pg-secret@db:5432/x")
    settings = Settings()
    for text in (repr(settings), str(settings), str(settings.describe())):
        for secret in ("hunter2-redis", "key-1234567890", "pg-secret"):
            assert secret not in text


def test_redis_url_is_built_like_the_spec() -> None:
    assert Settings(redis_host="h", redis_port=1, redis_db=2).redis_url == "redis://h:1/2"
    secure = Settings(redis_host="h", redis_ssl=True, redis_password="p@ss")
    assert secure.redis_url == "rediss://:p%40ss@h:6379/0"
    assert Settings(redis_url_override="redis://x:9/1").redis_url == "redis://x:9/1"


def test_empty_redis_host_turns_redis_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_HOST", "")
    settings = Settings()
    assert settings.redis_enabled is False
    assert settings.redis_url is None


def test_embedded_default_is_sqlite_under_home(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings(home=str(tmp_path))
    assert settings.database_url_value.startswith("sqlite+aiosqlite:///")
    assert str(tmp_path) in settings.database_url_value


def test_the_error_tree() -> None:
    assert issubclass(errors.InvalidParameterError, ValueError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.SportsFrameError)
    assert issubclass(errors.UpstreamTimeoutError, errors.UpstreamError)
    assert issubclass(errors.RateLimitedError, errors.APIError)
    err = errors.RateLimitedError(retry_after=3.0, endpoint="teams", params={"season": 2024})
    assert err.retry_after == 3.0
    assert "teams(season=2024)" in str(err)
