"""Shared fixtures: run course scripts as a student would, and train one small model per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.paths import PROJECT_ROOT

# Small settings for the session model: the default recipe with shorter inputs: ~0.9 test accuracy, two to three minutes on 2 CPU cores.
SMALL_TRAINING = ["--epochs", "4", "--max-length", "64", "--no-progress"]


def run_script(script: str, *args: str, cwd: Path | None = None, timeout: int = 900,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``examples/...`` or ``solutions/...`` with this interpreter and capture its output.

    Tests pass a temporary ``cwd`` on purpose: scripts must work from any working directory.
    """
    full_env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", **(env or {})}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / script), *args],
        cwd=cwd or PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """The Lab 4 classifier trained once (MiniLM-L6, small settings) for every test that needs one."""
    out = tmp_path_factory.mktemp("models") / "trail-minilm"
    result = run_script("examples/training/classifier.py", *SMALL_TRAINING, "--output", str(out),
                        cwd=tmp_path_factory.mktemp("cwd"))
    assert result.returncode == 0, result.stderr[-3000:]
    return out
