"""Every notebook in ``notebooks/`` runs top to bottom under nbclient in a fresh kernel against the
emulator (the sync facade inside a kernel's running event loop), and none is stored with outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sportsframe.emulator import EmulatorServer

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there() -> None:
    names = [path.stem for path in NOTEBOOKS]
    assert names == ["01_quickstart", "02_cache_performance", "03_modelling_example"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell carries outputs"
            assert cell.execution_count is None, f"{path.name}: a cell carries an execution count"


def _execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=dict(os.environ))
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_end_to_end_on_the_emulator(
    path: Path, emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel inherits this environment: no key, so demo data, from this test's emulator.
    monkeypatch.setenv("SPORTSDATAIO_BASE_URL", emulator.base_url)
    monkeypatch.setenv("SPORTSFRAME_HOME", str(tmp_path))
    monkeypatch.setenv("SPORTSFRAME_RATE_LIMIT", "1000")
    monkeypatch.setenv("REDIS_HOST", "")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = _execute(path, tmp_path)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    # The first cell says the data is the emulator's, since no key is set.
    assert "emulator" in "".join(str(o.get("text", "")) for o in notebook.cells[1].outputs)
    assert emulator.requests(), "the notebook never reached the emulator"
    if path.stem == "01_quickstart":
        assert "('api'," in text  # the first props call reached the emulator
        assert "'l0'" in text  # the repeat came from memory
        assert "offline mode" in text  # the offline rerun's miss was explained
    else:
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, "the notebook drew no chart"
