"""Shared fixtures: run course scripts as a student would, start real servers, train one small model per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Ask a server to stop (SIGTERM: uvicorn and streamlit shut down gracefully), kill it if it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_until_healthy(health_url: str, process: subprocess.Popen, log: Path, deadline_s: float) -> None:
    """Poll ``health_url`` until it answers 200, the process dies, or the deadline passes (never a fixed sleep)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"server did not answer {health_url} within {deadline_s} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_server(command: list[str], port: int, health_path: str, cwd: Path, deadline_s: float = 120,
                   env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``command`` (a server on 127.0.0.1:``port``), yield its URL once healthy, and always stop it.

    The output goes to ``cwd/server.log``, shown when the server dies or never answers.
    """
    log = cwd / "server.log"
    full_env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", **(env or {})}
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url + health_path, process, log, deadline_s)
        yield url
    finally:
        stop(process)
