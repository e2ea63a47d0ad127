"""Helpers shared by the tests: run course scripts as a student would (or in-process), and start real servers.

Tests import them with ``from helpers import ...`` (pytest puts ``tests/`` on the path); fixtures stay in
``conftest.py``.
"""

from __future__ import annotations

import importlib.util
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
from types import ModuleType

import pytest

from coursekit.paths import EXAMPLES_DIR, PROJECT_ROOT

# Small settings for training-script tests: the default recipe with shorter inputs (~0.9 test accuracy).
SMALL_TRAINING = ["--epochs", "4", "--max-length", "64", "--no-progress"]


def import_script(relative_path: str) -> ModuleType:
    """Import ``examples/<relative_path>`` as a module, once, so a test can call its functions or ``main(argv)``.

    Only tests do this: the scripts are programs for students (their folders are not packages), and the course
    package, notebooks and solutions never import them (they use ``coursekit`` or run a script as a process).
    """
    name = "script_under_test_" + relative_path.replace("/", "_").removesuffix(".py").replace("-", "_")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES_DIR / relative_path)
        assert spec is not None and spec.loader is not None, relative_path
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


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
    module = import_script(script.removeprefix("examples/"))
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


# --- Headless Chromium (the browser tests of Lab 8 and the feedback project; fixture `browser` in conftest.py) ---

PAGE_TIMEOUT = 120  # seconds for the browser to show the page (the server loads the model first)
# What `make browser` installs (Debian's chromium and chromium-driver: /usr/bin/chromium, /usr/bin/chromedriver).
BROWSER_PROGRAMS = ("chromium", "chromedriver")
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
]
SCREENSHOTS = PROJECT_ROOT / "labs" / "img"  # the pictures the lab texts show


def keep_screenshot(path: Path) -> None:
    """With ``COURSE_UPDATE_SCREENSHOTS=1``, copy a browser test's screenshot over the lab's picture of the same name
    (run the browser tests once so, then commit labs/img/); otherwise the screenshot stays in the test's tmp_path."""
    if os.environ.get("COURSE_UPDATE_SCREENSHOTS"):
        shutil.copyfile(path, SCREENSHOTS / path.name)
