"""Progress bars: a widget in a Jupyter kernel (no "IProgress not found" warning), text in a
terminal. A multi-week call with ``progress=True`` shows one bar over its parts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from sportsframe.emulator import EmulatorServer, start_emulator

CALL = "frame = sf.props(2024, [1, 2, 3], progress=True)"  # three parts: a bar to 3


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with start_emulator(now=datetime(2025, 3, 1, tzinfo=UTC)) as server:
        yield server


@pytest.fixture
def demo_env(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment of a user's process: demo data from this test's emulator, no Redis."""
    monkeypatch.setenv("SPORTSDATAIO_BASE_URL", emulator.base_url)
    monkeypatch.setenv("SPORTSFRAME_SOURCE", "emulator")
    monkeypatch.setenv("SPORTSFRAME_HOME", str(tmp_path))
    monkeypatch.setenv("SPORTSFRAME_RATE_LIMIT", "1000")
    monkeypatch.setenv("REDIS_HOST", "")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return dict(os.environ)


def _widget_states(notebook: Any) -> list[dict[str, Any]]:
    widgets = notebook.metadata.get("widgets", {})
    state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [{"model": w["model_name"], **w["state"]} for w in state.values()]


@pytest.mark.slow
def test_progress_is_a_widget_in_jupyter_without_a_warning(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("ipywidgets", reason="the notebook extra brings ipywidgets")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"import sportsframe as sf\n{CALL}\nlen(frame)")]
    kernel_cwd = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=120, resources=kernel_cwd).execute(env=demo_env)
    outputs = notebook.cells[0].outputs
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "IProgress" not in streams
    assert "sportsframe props" not in streams  # no text bar beside the widget
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
    # The widget's last state, as the kernel sent it: the bar went to the end.
    states = _widget_states(notebook)
    (bar,) = [s for s in states if s["model"] == "FloatProgressModel"]
    assert (bar["value"], bar["max"], bar["bar_style"]) == (3.0, 3.0, "success")
    labels = [s["value"] for s in states if s["model"] == "HTMLModel"]
    assert any("sportsframe" in label and "props" in label for label in labels)


def test_progress_is_text_in_a_terminal(demo_env: dict[str, str]) -> None:
    script = f"import sportsframe as sf\n{CALL}\nprint(len(frame))\n"
    run = subprocess.run(
        [sys.executable, "-c", script],
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().isdigit()
    assert "sportsframe props: 100%" in run.stderr
    assert "3/3" in run.stderr
    assert "IProgress" not in run.stderr
