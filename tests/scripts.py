"""Run a Python script in a fresh interpreter, as a user's script or a restarted kernel runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["run_script"]


def run_script(script: str, *, timeout: float = 120, stderr: list[str] | None = None) -> Any:
    """Run ``script`` in a new ``python`` process (this environment) and return the JSON value
    its last line of output prints; a non-zero exit fails the test with its stderr. ``stderr``:
    a list that gets what the script wrote there."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    if stderr is not None:
        stderr.append(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])
