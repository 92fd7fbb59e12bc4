"""CI's constraints file pins every package that ``pip install -e ".[dev]"`` installs.

The packages are found by walking the installed distributions' own requirements from
``sportsframe[dev]`` (markers evaluated for this interpreter), so the check is the same in a
developer's venv with extra tools in it. Under ``.ci/run`` (``PIP_CONSTRAINT`` names the file) the
installed versions must also be the pinned ones.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CONSTRAINTS = Path(__file__).resolve().parents[1] / ".ci" / "constraints.txt"


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin in {CONSTRAINTS.name}: {line!r}"
            pins[canonicalize_name(name)] = version.split(";", 1)[0].strip()
    return pins


def _installed_closure(root: str, extras: set[str]) -> dict[str, str]:
    """name -> installed version of ``root[extras]`` and everything it requires, transitively."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (name, wanted) in seen:
            continue
        seen.add((name, wanted))
        dist = metadata.distribution(name)
        found[canonicalize_name(name)] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            environments = [{"extra": extra} for extra in wanted] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(env) for env in environments):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return found


def test_constraints_pin_every_package_the_dev_install_brings() -> None:
    pins = _pins()
    installed = _installed_closure("sportsframe", {"dev"})
    installed.pop("sportsframe")
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"refresh the lock (bash .ci/lock): {unpinned} not pinned"
    # The closure is a real one: the dev tools and the runtime stack are both in it.
    assert {"pandas", "pyarrow", "redis", "pytest", "mypy", "ruff"} <= set(installed)


def test_ci_installs_exactly_the_pinned_versions() -> None:
    constraint = os.environ.get("PIP_CONSTRAINT")
    if not constraint or Path(constraint).resolve() != CONSTRAINTS:
        pytest.skip("not installed under the lock (only .ci/run installs with PIP_CONSTRAINT)")
    pins = _pins()
    installed = _installed_closure("sportsframe", {"dev"})
    installed.pop("sportsframe")
    drift = {name: (v, pins[name]) for name, v in installed.items() if pins.get(name) != v}
    assert not drift, f"installed (version, pinned) differ: {drift}"
    assert metadata.version("pip") == pins["pip"]
