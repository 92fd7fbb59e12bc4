"""The quickstart notebook runs top to bottom under nbclient (the sync facade inside a kernel's
running event loop)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sportsframe.emulator import EmulatorServer, start_emulator

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "01_quickstart.ipynb"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(now=datetime(2025, 3, 1, tzinfo=UTC))
    try:
        yield server
    finally:
        server.stop()


def test_quickstart_notebook_executes(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel inherits this environment: demo data from this test's emulator, no Redis.
    monkeypatch.setenv("SPORTSDATAIO_BASE_URL", emulator.base_url)
    monkeypatch.setenv("SPORTSFRAME_HOME", str(tmp_path))
    monkeypatch.setenv("SPORTSFRAME_RATE_LIMIT", "1000")
    monkeypatch.setenv("REDIS_HOST", "")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=dict(os.environ))
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "('api'," in text  # the first props call reached the emulator
    assert "'l0'" in text  # the repeat came from memory
    assert any(
        "player_props" in r.path.lower() or "bettingplayerprops" in r.path.lower()
        for r in emulator.requests()
    )
