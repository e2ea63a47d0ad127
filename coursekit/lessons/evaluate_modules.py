"""Lesson layer (Lab 5): load the local ``evaluate`` metric modules (``metrics/<name>/<name>.py``), no Hub.

``evaluate.load("accuracy")`` downloads the metric script from the Hugging Face Hub and fails offline
(with a misleading "Couldn't find a module script at <cwd>/accuracy/accuracy.py"). Given an absolute
path to a folder holding ``<name>.py``, ``evaluate.load`` imports that file instead.
"""

from __future__ import annotations

from pathlib import Path

from coursekit.errors import CourseError
from coursekit.paths import PROJECT_ROOT

METRICS_DIR = PROJECT_ROOT / "metrics"


def available_metrics() -> list[str]:
    """Names of the local metric modules, e.g. ``["accuracy", "f1", "precision", "recall"]``."""
    return sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())


def metric_path(name: str) -> Path:
    """The absolute folder of a local metric module, or CourseError naming the ones that exist."""
    path = METRICS_DIR / name
    if not name or "/" in name or "\\" in name or not (path / f"{name}.py").is_file():
        raise CourseError(
            f"no local metric {name!r}; available: {', '.join(available_metrics())} "
            f"(modules live in {METRICS_DIR}/<name>/<name>.py)."
        )
    return path


def load_metric(name: str):
    """``evaluate.load`` for a course metric by name (``"accuracy"``, ``"f1"``, ...), offline."""
    import evaluate

    return evaluate.load(str(metric_path(name)))


def combine_metrics(names: list[str]):
    """``evaluate.combine`` of local modules; one ``compute`` call returns every metric's keys."""
    import evaluate

    return evaluate.combine([load_metric(name) for name in names])
