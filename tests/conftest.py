"""Shared fixtures: run course scripts as a student would, start real servers, find or train the Lab 4 model once."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from coursekit.paths import PROJECT_ROOT
from coursekit.scripts import load_example
from coursekit.trained_model import lab4_model_dir

# Small settings for training-script tests: the default recipe with shorter inputs (~0.9 test accuracy).
SMALL_TRAINING = ["--epochs", "4", "--max-length", "64", "--no-progress"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the trained Lab 4 model is slow (it may have to train it first), marked or not."""
    for item in items:
        if "trained_model_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def run_script(
    script: str, *args: str, cwd: Path | None = None, timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``examples/...`` or ``solutions/...`` with this interpreter and capture its output.

    Tests pass a temporary ``cwd`` on purpose: scripts must work from any working directory.
    """
    full_env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", **(env or {})}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / script), *args],
        cwd=cwd or PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def run_main(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Call ``examples/<script>``'s ``main(argv)`` in this process, from ``cwd``; same result shape as ``run_script``.

    For the many bad-input cases: each script is still run once as a real subprocess elsewhere, but a new
    interpreter costs ~9 s of importing torch and transformers before the script can even say "file not found".
    """
    module = load_example(script.removeprefix("examples/"))
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = module.main(list(args))
            except SystemExit as exc:  # friendly_errors and argparse exit with 2 after printing the message
                code = exc.code
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess([script, *args], code or 0, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A copy of the Lab 4 classifier for every test that needs a trained model.

    ``lab4_model_dir`` finds the run `make train` writes (outputs/blankets_creek-minilm-l6), or trains it once
    with the Lab 4 defaults; the Lab 7 and 8 notebooks then find it too instead of training it again. The tests
    work on a copy, so they never change a student's run.
    """
    copy = tmp_path_factory.mktemp("models") / "trail-minilm"
    shutil.copytree(lab4_model_dir(), copy)
    return copy


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
def running_server(
    command: list[str],
    port: int,
    health_path: str,
    cwd: Path,
    deadline_s: float = 120,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
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
