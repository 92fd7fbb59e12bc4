"""Redis-style globs, the one pattern dialect of every tier (and of L0).

Syntax, as Redis ``KEYS`` / ``SCAN MATCH`` read it:

``*``      any run of characters (``:`` included), ``?`` exactly one character,
``[abc]``  one of the listed characters; ``[a-z]`` a range (reversed ranges are swapped, as in
           Redis); ``[^a]`` any character but those listed; ``\\`` escapes inside a class,
``\\x``    the character ``x`` literally (so ``\\*``, ``\\?``, ``\\[`` and ``\\\\`` match
           themselves); a trailing lone backslash matches a backslash.

Two corner cases are read the simple way rather than Redis's byte-level way: an unterminated
``[`` class runs to the end of the pattern, and ``-`` first or last in a class is a literal.
Matching is per character (Redis matches bytes; the keys are ASCII, so the two agree).

The SQL tier translates a glob with :func:`glob_to_like` into ``LIKE ... ESCAPE '\\'``; a class
has no LIKE form, so it widens to ``_`` and the caller re-checks candidates with :func:`matches`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = [
    "LIKE_ESCAPE",
    "LikePattern",
    "escape",
    "glob_to_like",
    "glob_to_regex",
    "is_literal",
    "literal_prefix",
    "matches",
]

#: The escape character of every LIKE pattern :func:`glob_to_like` returns.
LIKE_ESCAPE: Final = "\\"

_SPECIAL = frozenset("*?[]\\")


@dataclass(frozen=True, slots=True)
class _Class:
    negated: bool
    chars: str
    ranges: tuple[tuple[str, str], ...]


# A parsed glob: "*" (any run), "?" (one char), a _Class, or a literal one-character str in a
# 1-tuple (so that the literal "*" is not mistaken for the wildcard).
_Token = str | _Class | tuple[str]


def _parse(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if not tokens or tokens[-1] != "*":  # "**" is "*"
                tokens.append("*")
            i += 1
        elif ch == "?":
            tokens.append("?")
            i += 1
        elif ch == "\\":
            if i + 1 < n:
                tokens.append((pattern[i + 1],))
                i += 2
            else:
                tokens.append(("\\",))
                i += 1
        elif ch == "[":
            token, i = _parse_class(pattern, i + 1)
            tokens.append(token)
        else:
            tokens.append((ch,))
            i += 1
    return tokens


def _parse_class(pattern: str, i: int) -> tuple[_Class, int]:
    n = len(pattern)
    negated = i < n and pattern[i] == "^"
    if negated:
        i += 1
    chars: list[str] = []
    ranges: list[tuple[str, str]] = []
    while i < n and pattern[i] != "]":
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            chars.append(pattern[i + 1])
            i += 2
        elif i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            end = pattern[i + 2]
            if end == "\\" and i + 3 < n:
                end = pattern[i + 3]
                i += 1
            low, high = sorted((ch, end))
            ranges.append((low, high))
            i += 3
        else:
            chars.append(ch)
            i += 1
    return _Class(negated, "".join(chars), tuple(ranges)), i + 1  # past "]" (or the end)


def _class_regex(token: _Class) -> str:
    if not token.chars and not token.ranges:
        return r"[\s\S]" if token.negated else "(?!)"  # [^] any char; [] nothing
    body = "".join(re.escape(c) for c in token.chars)
    body += "".join(f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in token.ranges)
    return f"[{'^' if token.negated else ''}{body}]"


@lru_cache(maxsize=1024)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression that full-matches exactly the keys ``pattern`` matches."""
    parts: list[str] = []
    for token in _parse(pattern):
        if token == "*":
            parts.append(".*")
        elif token == "?":
            parts.append(".")
        elif isinstance(token, _Class):
            parts.append(_class_regex(token))
        else:
            parts.append(re.escape(token[0]))
    return re.compile("".join(parts), re.DOTALL)


def matches(pattern: str, key: str) -> bool:
    """True when ``key`` matches the Redis-style glob ``pattern``."""
    return glob_to_regex(pattern).fullmatch(key) is not None


@dataclass(frozen=True, slots=True)
class LikePattern:
    """A glob as SQL ``LIKE`` (escape character :data:`LIKE_ESCAPE`).

    ``exact`` is False when the glob had a ``[...]`` class, widened to ``_``: then the rows LIKE
    selects are candidates to re-check with :func:`matches`.
    """

    like: str
    exact: bool


def _like_escape(ch: str) -> str:
    return LIKE_ESCAPE + ch if ch in "%_\\" else ch


@lru_cache(maxsize=1024)
def glob_to_like(pattern: str) -> LikePattern:
    """``pattern`` as a LIKE pattern: ``*`` → ``%``, ``?`` → ``_``, a class → ``_`` (inexact),
    and the literal characters ``%``, ``_`` and ``\\`` escaped."""
    parts: list[str] = []
    exact = True
    for token in _parse(pattern):
        if token == "*":
            parts.append("%")
        elif token == "?":
            parts.append("_")
        elif isinstance(token, _Class):
            parts.append("_")
            exact = False
        else:
            parts.append(_like_escape(token[0]))
    return LikePattern("".join(parts), exact)


def escape(text: str) -> str:
    """``text`` as a glob that matches exactly ``text`` (special characters backslash-escaped)."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)


def is_literal(pattern: str) -> bool:
    """True when ``pattern`` has no wildcard or class (it matches one key at most)."""
    return all(isinstance(t, tuple) for t in _parse(pattern))


def literal_prefix(pattern: str) -> str:
    """The characters every key matching ``pattern`` starts with: its literal characters (escapes
    resolved) up to the first wildcard or class; the whole text when :func:`is_literal`."""
    out: list[str] = []
    for token in _parse(pattern):
        if not isinstance(token, tuple):
            break
        out.append(token[0])
    return "".join(out)
