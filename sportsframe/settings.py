"""Settings read from the environment (or given explicitly), frozen once built.

Every field is documented in the README's configuration table. Field names are short Python names
(``Settings(offline=True)``); the environment variable is each field's alias
(``SPORTSFRAME_OFFLINE=1``). Secrets are :class:`pydantic.SecretStr`, so they never show in
``repr``, ``str``, logs or error messages; a secret is revealed only where a connection is made.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sportsframe.errors import ConfigurationError

__all__ = ["DEFAULT_BASE_URL", "Settings", "default_home", "load_settings", "redact_url"]

DEFAULT_BASE_URL = "https://api.sportsdata.io"


def default_home() -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/sportsframe`` or ``~/.cache/sportsframe``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sportsframe"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs and reprs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class Settings(BaseSettings):
    """sportsframe's configuration. Build with ``Settings()`` (environment) or keyword arguments.

    Raises :class:`~sportsframe.errors.ConfigurationError` naming the variable when a value is bad
    (use :func:`load_settings`, or construct through it, to get that error type).
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # -- Redis (hot tier) -------------------------------------------------------------------
    redis_host: str = Field("localhost", validation_alias="REDIS_HOST")
    redis_port: int = Field(6379, ge=1, le=65535, validation_alias="REDIS_PORT")
    redis_db: int = Field(0, ge=0, validation_alias="REDIS_DB")
    redis_password: SecretStr | None = Field(None, validation_alias="REDIS_PASSWORD")
    redis_ssl: bool = Field(False, validation_alias="REDIS_SSL")
    redis_url_override: SecretStr | None = Field(None, validation_alias="REDIS_URL")
    redis_cluster: bool = Field(False, validation_alias="REDIS_CLUSTER")

    # -- SQL (warm tier) ----------------------------------------------------------------------
    database_url: SecretStr | None = Field(None, validation_alias="DATABASE_URL")

    # -- Cache behaviour ----------------------------------------------------------------------
    cache_default_ttl: int = Field(3600, gt=0, validation_alias="CACHE_DEFAULT_TTL")
    cache_max_size: int = Field(10000, gt=0, validation_alias="CACHE_MAX_SIZE")

    # -- SportsDataIO ---------------------------------------------------------------------------
    api_key: SecretStr | None = Field(None, validation_alias="SPORTSDATAIO_API_KEY")
    base_url: str = Field(DEFAULT_BASE_URL, validation_alias="SPORTSDATAIO_BASE_URL")
    source: Literal["sportsdataio", "emulator"] = Field(
        "sportsdataio", validation_alias="SPORTSFRAME_SOURCE"
    )

    # -- sportsframe ------------------------------------------------------------------------------
    home: Path = Field(default_factory=default_home, validation_alias="SPORTSFRAME_HOME")
    offline: bool = Field(False, validation_alias="SPORTSFRAME_OFFLINE")
    rate_limit: float = Field(2.0, gt=0, validation_alias="SPORTSFRAME_RATE_LIMIT")
    monthly_quota: int = Field(10000, ge=0, validation_alias="SPORTSFRAME_MONTHLY_QUOTA")
    stale_grace: int = Field(
        7 * 24 * 3600,
        ge=0,
        validation_alias="SPORTSFRAME_STALE_GRACE",
    )
    l0_max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=0,
        validation_alias="SPORTSFRAME_L0_MAX_BYTES",
    )
    namespace: str = Field(
        "sportsframe:v1",
        min_length=1,
        validation_alias="SPORTSFRAME_NAMESPACE",
    )
    http_timeout: float = Field(10.0, gt=0, validation_alias="SPORTSFRAME_HTTP_TIMEOUT")
    #: What dataset calls return by default: pandas or polars DataFrames (polars needs the
    #: ``sportsframe[polars]`` extra; a session asked for it checks that when it is made).
    backend: Literal["pandas", "polars"] = Field("pandas", validation_alias="SPORTSFRAME_BACKEND")
    retries: int = Field(3, ge=0, validation_alias="SPORTSFRAME_RETRIES")
    #: Open the tiers in the background when a sync session is created, so that its first call
    #: finds them open (False: the first call opens them).
    open_early: bool = Field(True, validation_alias="SPORTSFRAME_OPEN_EARLY")

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.sportsdata.io")
        return value.rstrip("/")

    @field_validator("backend", mode="before")
    @classmethod
    def _check_backend(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        if any(ch in value for ch in "*?[]\\ "):
            raise ValueError("must not contain glob characters or spaces")
        return value.rstrip(":")

    def __init__(self, **values: Any) -> None:
        # Python names (Settings(offline=True)) are mapped to their aliases here rather than with
        # populate_by_name, which would also read the environment by field name: HOME or SOURCE
        # would then be taken for settings.
        fields = type(self).model_fields
        aliased = {}
        for name, value in values.items():
            alias = fields[name].validation_alias if name in fields else None
            aliased[alias if isinstance(alias, str) else name] = value
        try:
            super().__init__(**aliased)
        except ValidationError as exc:
            raise _configuration_error(exc) from None

    # -- derived values ---------------------------------------------------------------------------
    @property
    def redis_enabled(self) -> bool:
        """False when ``REDIS_HOST=""`` and no REDIS_URL: the in-process hot tier serves."""
        return bool(self.redis_url_override) or bool(self.redis_host)

    @property
    def redis_url(self) -> str | None:
        """The Redis URL built as the cache spec does (``rediss://`` with SSL, password inside).

        Contains the password: give it to a client, never to a log. REDIS_URL overrides the parts.
        """
        if self.redis_url_override is not None:
            return self.redis_url_override.get_secret_value()
        if not self.redis_host:
            return None
        protocol = "rediss" if self.redis_ssl else "redis"
        auth = ""
        if self.redis_password is not None and self.redis_password.get_secret_value():
            auth = f":{quote(self.redis_password.get_secret_value(), safe='')}@"
        return f"{protocol}://{auth}{self.redis_host}:{self.redis_port}/{self.redis_db}"

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded warm tier lives when DATABASE_URL is unset."""
        return self.home / "cache.sqlite3"

    @property
    def database_url_value(self) -> str:
        """The SQLAlchemy URL of the warm tier (may contain a password: never log it)."""
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{self.sqlite_path}"

    def describe(self) -> dict[str, Any]:
        """A redacted, printable view of the settings (for ``sportsframe stats`` and logs)."""
        out = self.model_dump(exclude={"redis_password", "api_key", "redis_url_override"})
        out["database_url"] = redact_url(self.database_url_value)
        out["redis_url"] = redact_url(self.redis_url) if self.redis_url else None
        out["api_key"] = "set" if self.api_key else "unset"
        out["home"] = str(self.home)
        return out


def _configuration_error(exc: ValidationError) -> ConfigurationError:
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "?"
        env = _ENV_NAMES.get(field, field.upper())
        lines.append(f"{env}: {err['msg']}")
    return ConfigurationError("invalid setting — " + "; ".join(lines))


def _env_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        env = info.validation_alias if isinstance(info.validation_alias, str) else name.upper()
        names[name] = env
        names[env] = env
    return names


_ENV_NAMES = _env_names()


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings` from the environment plus ``overrides``."""
    return Settings(**overrides)
