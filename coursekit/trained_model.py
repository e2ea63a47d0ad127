"""The Lab 4 classifier that later labs (serving, apps, publishing) build on: find it, or train it once."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from coursekit.errors import CourseError
from coursekit.logs import quiet_libraries
from coursekit.paths import OUTPUTS_DIR
from coursekit.scripts import load_example

# Where `make train` (examples/training/classifier.py with its defaults) writes the Lab 4 run.
LAB4_MODEL_DIR = OUTPUTS_DIR / "blankets_creek-minilm-l6"


def is_finished_run(path: Path) -> bool:
    """True when ``path`` holds a completed training run (``metrics.json`` is written last)."""
    return (path / "metrics.json").is_file() and (path / "config.json").is_file()


def lab4_model_dir(train_if_missing: bool = True, path: Path = LAB4_MODEL_DIR) -> Path:
    """The directory of the trained Lab 4 classifier, training it with the Lab 4 defaults if it is missing.

    Labs 7 and 8 start from the model a student trained in Lab 4 (``make train``). A student who skipped
    that step, or a fresh clone in CI, gets the same run made here once (about two minutes on 2 CPU cores);
    later calls find it and return at once. An existing run is never replaced.
    """
    if is_finished_run(path):
        return path
    if not train_if_missing:
        raise CourseError(
            f"No trained Lab 4 model in {path}. Run `make train` (or "
            "`python examples/training/classifier.py`) first, or pass the folder of your own run."
        )
    with run_lock(path):
        if not is_finished_run(path):
            train_lab4_model(path)
    return path


def run_lock(run_dir: Path) -> FileLock:
    """A lock next to ``run_dir`` for code that trains into it only if it is missing.

    Two notebooks opened at once on a fresh clone would otherwise both train into the same folder; with the
    lock the second waits and then finds the finished run. (filelock comes with torch.)
    """
    Path(run_dir).parent.mkdir(parents=True, exist_ok=True)
    return FileLock(f"{run_dir}.lock")


def train_lab4_model(path: Path) -> None:
    """Train the Lab 4 classifier into ``path`` with the Lab 4 defaults (what `make train` does)."""
    print(
        f"No trained Lab 4 model in {path}: training it now with the Lab 4 defaults "
        "(about two minutes on 2 CPU cores; `make train` does the same).",
        flush=True,
    )
    quiet_libraries()
    classifier = load_example("training/classifier.py")
    # --overwrite only ever replaces an unfinished run of the same script (it refuses foreign folders).
    args = classifier.build_parser().parse_args(["--no-progress", "--overwrite", "--output", str(path)])
    result = classifier.train(args)
    print(f"trained: test accuracy {result.test['accuracy']:.3f} on {result.test_size} held-out posts", flush=True)
