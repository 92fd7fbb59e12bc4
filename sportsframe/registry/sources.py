"""Where data comes from, and how that shows in a key.

Keys are the registry's (``player_props:2024:18:True``). Data from any source other than the real
service (:data:`DEFAULT_SOURCE`) is stored under ``{source}/`` (``emulator/player_props:...``), so
demo data can never answer a call meant for the real service.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SOURCE", "source_key", "source_prefix"]

#: The real SportsDataIO service: its keys carry no prefix.
DEFAULT_SOURCE = "sportsdataio"


def source_prefix(source: str) -> str:
    """The prefix of ``source``'s keys: empty for the real service, else ``{source}/``."""
    return "" if source == DEFAULT_SOURCE else f"{source}/"


def source_key(source: str, key: str) -> str:
    """``key`` (or a key pattern) as ``source`` stores it."""
    prefix = source_prefix(source)
    return key if not prefix or key.startswith(prefix) else prefix + key
