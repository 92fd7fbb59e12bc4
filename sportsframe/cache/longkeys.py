"""Keys longer than the warm tier's ``key`` column (255 characters) under a stable digest.

The cache spec gives ``cache_entries.key`` 255 characters; PostgreSQL refuses a longer value,
SQLite would store it. So that every key works, and works the same in both tiers, the manager
stores a key longer than :data:`KEY_LIMIT` in *both* tiers as its first :data:`KEPT` characters,
``#sha256=`` and the SHA-256 of the whole key (hex): exactly 255 characters, the same for the
same key in every process, different for different keys. A key of 255 characters or fewer is
stored as it is, and so is a digest form itself (storing is idempotent: a stored key given back
to the manager names the same entry).

Invalidation stays correct: a digest key cannot be matched against a glob (the key's tail is
gone), so :func:`may_hold` keeps it a candidate whenever the kept characters agree with the
pattern's literal start (every key a pattern matches begins with that). A pattern without
wildcards is decided exactly (its own digest). That can remove an over-long entry a pattern did
not quite name, which costs one refetch; it never leaves one the pattern names, which could
serve data the caller meant to drop. :func:`candidates` is one glob that finds every key a
pattern could mean, digest forms included, so the manager lists each tier once.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from sportsframe.registry.glob import escape, is_literal, literal_prefix

__all__ = ["KEPT", "KEY_LIMIT", "candidates", "fit", "is_digest", "may_hold"]

#: The longest key stored as it is (the width of the warm tier's key column).
KEY_LIMIT: Final = 255
_MARK: Final = "#sha256="
#: How many characters of an over-long key its digest form keeps.
KEPT: Final = KEY_LIMIT - len(_MARK) - 64
_DIGEST_FORM = re.compile(rf".{{{KEPT}}}{re.escape(_MARK)}[0-9a-f]{{64}}", re.DOTALL)


def fit(key: str) -> str:
    """``key`` as both tiers store it: as it is up to :data:`KEY_LIMIT` characters, else its
    digest form."""
    if len(key) <= KEY_LIMIT:
        return key
    return key[:KEPT] + _MARK + hashlib.sha256(key.encode()).hexdigest()


def is_digest(key: str) -> bool:
    """True for a stored key that is the digest form of a longer one."""
    return len(key) == KEY_LIMIT and _DIGEST_FORM.fullmatch(key) is not None


def may_hold(pattern: str, key: str) -> bool:
    """True when the digest key ``key`` may stand for a key that ``pattern`` matches (never
    False when it does; see the module docstring)."""
    start = literal_prefix(pattern)
    if is_literal(pattern):
        return fit(start) == key
    kept = key[:KEPT]
    return kept.startswith(start) or start.startswith(kept)


def candidates(pattern: str) -> str:
    """A glob matching every stored key that ``pattern`` may mean: the keys it matches and the
    digest forms of longer ones (both start with the pattern's literal start, up to
    :data:`KEPT` characters)."""
    return escape(literal_prefix(pattern)[:KEPT]) + "*"
