"""Test order for ``make test``: longest files first, so two workers finish together.

``make test`` runs tests, notebooks and solutions on two workers with ``--dist loadfile`` (a file stays on one
worker) and ``--no-loadscope-reorder`` (files go out in collection order). This hook sorts the files by their
measured seconds, longest first (``tests/durations.json``), so that no worker starts a two-minute notebook while
the other has nothing left to do. Two files go first whatever they cost:
the file that trains the Lab 4 run (which a dozen other files reuse through the run cache) and the one that
trains the multi-label runs, so both are ready before the files that need them start.

``COURSE_RECORD_DURATIONS=1 make test`` measures the files again and rewrites ``tests/durations.json``
(seconds a file kept its worker busy, setup to teardown). A file that is not listed runs last, in collection order.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).parent / "tests" / "durations.json"
# The producers of shared runs: the Lab 4 run (trained_model_dir) and the Lab 5b runs, started on both workers at once.
FIRST = ("tests/test_lab7_serving.py", "tests/test_multilabel.py")
RECORD_VARIABLE = "COURSE_RECORD_DURATIONS"


def file_of(nodeid: str) -> str:
    """The file part of a test id (``tests/test_x.py::test_y[z]`` -> ``tests/test_x.py``)."""
    return nodeid.split("::", 1)[0]


def read_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """Measured seconds per file; none (every file equal) if the file is missing or unreadable."""
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def file_order(files: list[str], seconds: dict[str, float]) -> list[str]:
    """``files`` (in collection order) with :data:`FIRST` first, then by measured seconds, longest first."""
    first = [name for name in FIRST if name in files]
    rest = sorted((name for name in files if name not in first), key=lambda name: -seconds.get(name, 0.0))
    return first + rest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Reorder whole files (a file's own tests and cells keep their order)."""
    files = list(dict.fromkeys(file_of(item.nodeid) for item in items))
    rank = {name: i for i, name in enumerate(file_order(files, read_durations()))}
    items.sort(key=lambda item: rank[file_of(item.nodeid)])  # stable: within a file, collection order


_busy: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up each file's setup, call and teardown seconds (on the controller, from every worker)."""
    _busy[file_of(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With ``COURSE_RECORD_DURATIONS=1``, write the measured seconds (temporary file, then rename)."""
    if not os.environ.get(RECORD_VARIABLE) or hasattr(session.config, "workerinput") or not _busy:
        return
    measured = {name: round(seconds) for name, seconds in _busy.most_common() if seconds >= 1}
    partial = DURATIONS_FILE.with_name(f".{DURATIONS_FILE.name}.partial")
    partial.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")
    partial.replace(DURATIONS_FILE)
