"""The package's shape: each layer imports only the layers below it, no import cycles, and no
module a newcomer cannot read in one sitting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sportsframe"

#: The most lines a module may have (the data tables, the NFL rows and the emulator's payload
#: builders, included).
MAX_LINES = 500


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the package under ``root``, with the contracts of its pyproject."""
    lint = str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run(
        [shutil.which("lint-imports") or lint, "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layer_contract_holds() -> None:
    # pyproject.toml declares the contracts: layers, the facade's access, no cycles.
    done = _lint(PACKAGE.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_broken_layer_is_caught(tmp_path: Path) -> None:
    # The contract is not vacuous: a copy of the package whose registry imports the cache fails.
    copy = tmp_path / "sportsframe"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path / "pyproject.toml")
    sources = copy / "registry" / "sources.py"
    sources.write_text(sources.read_text() + "\nimport sportsframe.cache.manager\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "sportsframe.registry is not allowed to import sportsframe.cache" in done.stdout


def test_an_import_cycle_inside_one_layer_is_caught(tmp_path: Path) -> None:
    # The no-cycles contract is not vacuous either: two registry modules that import each other
    # break the layers contract nowhere (they are one layer), yet the run fails naming them.
    copy = tmp_path / "sportsframe"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACKAGE.parent / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, other in (("glob", "sources"), ("sources", "glob")):
        path = copy / "registry" / f"{module}.py"
        path.write_text(path.read_text() + f"\nimport sportsframe.registry.{other}\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "No import cycles between the modules of any package BROKEN" in done.stdout
    assert "2 kept, 1 broken" in done.stdout  # the layers and the facade's access still hold
    assert "No cycles are allowed in sportsframe.registry" in done.stdout
    named = [f".{a} -> .{b}" for a, b in (("glob", "sources"), ("sources", "glob"))]
    assert any(edge in done.stdout for edge in named), done.stdout


@pytest.mark.parametrize(
    "module",
    sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")),
)
def test_no_module_is_over_500_lines(module: str) -> None:
    lines = len((PACKAGE / module).read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"
