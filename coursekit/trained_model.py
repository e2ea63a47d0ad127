"""Core layer: the Lab 4 classifier that later labs build on (Labs 7-9 serving, apps, publishing; tests).

``lab4_model_dir()`` finds the run ``make train`` writes, or trains it once with the Lab 4 defaults through the run
cache (``coursekit.run_cache.find_or_train``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from coursekit.errors import CourseError
from coursekit.logs import quiet_libraries
from coursekit.paths import OUTPUTS_DIR
from coursekit.run_cache import find_or_train, is_finished_run
from coursekit.training import TrainConfig

# Where `make train` (examples/training/classifier.py with its defaults) writes the Lab 4 run.
LAB4_MODEL_DIR = OUTPUTS_DIR / "blankets_creek-minilm-l6"
# The Lab 4 defaults, as `make train` runs them (TrainConfig's defaults are the Lab 4 script's flags).
LAB4_TRAINING = TrainConfig(no_progress=True)

__all__ = ["LAB4_MODEL_DIR", "LAB4_TRAINING", "is_finished_run", "lab4_model_dir"]


def lab4_model_dir(train_if_missing: bool = True, path: Path = LAB4_MODEL_DIR) -> Path:
    """The directory of the trained Lab 4 classifier, training it with the Lab 4 defaults if it is missing.

    Labs 7-9 start from the model a student trained in Lab 4 (``make train``). A student who skipped
    that step, or a fresh clone in CI, gets the same run made here once (about two minutes on 2 CPU cores);
    later calls find it and return at once. An existing finished run is never replaced, whatever its settings:
    it is the student's own Lab 4 model.
    """
    if is_finished_run(path):
        return path
    if not train_if_missing:
        raise CourseError(
            f"No trained Lab 4 model in {path}. Run `make train` (or "
            "`python examples/training/classifier.py`) first, or pass the folder of your own run."
        )
    print(
        f"No trained Lab 4 model in {path}: training it now with the Lab 4 defaults "
        "(about two minutes on 2 CPU cores; `make train` does the same).",
        flush=True,
    )
    quiet_libraries()
    run = find_or_train(replace(LAB4_TRAINING, output=path))
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    print(f"trained: test accuracy {metrics['test']['accuracy']:.3f} on {metrics['test_size']} held-out posts")
    return run
