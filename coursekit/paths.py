"""Core layer: where the course's folders are, independent of the working directory (every lab, script and test)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
EXAMPLES_DIR = PROJECT_ROOT / "examples"
# Trained models and run artefacts; git-ignored. COURSE_OUTPUTS moves it (e.g. to a bigger disk).
OUTPUTS_DIR = Path(os.environ.get("COURSE_OUTPUTS", PROJECT_ROOT / "outputs")).resolve()
# Models assembled from packaged pieces (MPNet) are extracted here once.
CACHE_DIR = Path(os.environ.get("COURSE_CACHE", Path.home() / ".cache" / "coursekit")).resolve()

TRAIL_STATUS_CSV = DATA_DIR / "trail_status.csv"


def data_path(name: str) -> Path:
    """Return the path of a file shipped in ``data/`` (``data_path("trail_status.csv")``)."""
    return DATA_DIR / name


# Where the reference solutions write their hand-ins. Never handin/: that folder belongs to the student.
REFERENCE_HANDINS_DIR = OUTPUTS_DIR / "reference-handins"


def shown_path(path: str | Path) -> str:
    """``path`` as printed for people: relative to the project when inside it (no machine paths in outputs)."""
    resolved = Path(path).resolve()
    return resolved.relative_to(PROJECT_ROOT).as_posix() if resolved.is_relative_to(PROJECT_ROOT) else str(resolved)
