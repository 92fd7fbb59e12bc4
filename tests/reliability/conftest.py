"""Fixtures of the reliability tests: the cache tests' own PostgreSQL schema fixture, which
:func:`tests.cache.conftest.build_tier` asks for by name."""

from __future__ import annotations

from tests.cache.conftest import pg_schema

__all__ = ["pg_schema"]
