"""Core layer: the run cache, so each distinct training run is made once (Labs 4-9, notebooks, solutions, tests).

:func:`find_or_train` returns the folder of a finished run of a :class:`~coursekit.training.TrainConfig`, training
it only when no finished run with the same key exists. The key (:func:`coursekit.training.run_key`) covers the data
file's bytes, the model, every hyper-parameter, the seed, the precision and ``CODE_VERSION``; it is stored in each
run's ``training_config.json``. A run counts as finished only when its ``metrics.json`` exists (written last, and
the folder is swapped in only after that), so an interrupted run is never reused (its staging folder is deleted
before the next training). A file lock next to the run folder makes a notebook and a test that ask for the same run
at once train it once: the second waits, then finds it.

:func:`cached_scores` does the same for scripts that keep a run's scores but not its model (Lab 3's remedies):
the scores are stored under ``outputs/cache/<name>/<key>.json`` once the run has finished.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from filelock import FileLock

from coursekit.device import detect_device, precision_settings
from coursekit.fileio import atomic_write_text
from coursekit.models import resolve_model
from coursekit.paths import OUTPUTS_DIR
from coursekit.training import (
    CODE_VERSION,
    TrainConfig,
    default_output_dir,
    run_key,
    run_label,
    train,
    whole_as_int,
)


def run_lock(run_dir: Path) -> FileLock:
    """A lock next to ``run_dir`` (``<run_dir>.lock``) for code that trains into it only if it is missing.

    (filelock comes with torch.)
    """
    Path(run_dir).parent.mkdir(parents=True, exist_ok=True)
    return FileLock(f"{run_dir}.lock")


def is_finished_run(path: Path) -> bool:
    """True when ``path`` holds a completed training run (``metrics.json`` is written last)."""
    return (Path(path) / "metrics.json").is_file() and (Path(path) / "config.json").is_file()


def stored_run_key(path: Path) -> str | None:
    """The cache key recorded in a run's ``training_config.json`` (None for runs of older code or none at all)."""
    try:
        return json.loads((Path(path) / "training_config.json").read_text(encoding="utf-8")).get("run_key")
    except (OSError, ValueError, AttributeError):
        return None


def holds_run(path: Path, key: str) -> bool:
    """True when ``path`` holds a finished run made with the cache key ``key``."""
    return is_finished_run(path) and stored_run_key(path) == key


def config_key(config: TrainConfig) -> str:
    """The cache key of ``config`` on this machine's device and precision policy."""
    return run_key(config, resolve_model(config.model), precision_settings(detect_device())[0])


def find_or_train(config: TrainConfig, reuse_from: Iterable[Path] = ()) -> Path:
    """The folder of a finished run of ``config``: found if one exists, else trained once into ``config.output``.

    ``reuse_from`` names other folders that may already hold the same run (e.g. the Lab 4 script's default folder,
    where ``make train`` writes); the first one holding a finished run with the same key is returned instead of
    training again. Training replaces an unfinished run or a run with other settings in ``config.output`` (only a
    run of this code: a foreign folder is refused), never any other folder.
    """
    choice = resolve_model(config.model)
    output = Path(config.output or default_output_dir(run_label(config), choice)).resolve()
    key = config_key(config)
    for candidate in [output, *reuse_from]:
        if holds_run(candidate, key):
            return Path(candidate)
    with run_lock(output):
        if not holds_run(output, key):  # another process may have trained it while we waited
            remove_abandoned_staging(output)
            train(replace(config, output=output, overwrite=True))
    return output


def remove_abandoned_staging(output: Path) -> None:
    """Delete staging folders a killed run left next to ``output`` (``.<name>.*.partial``, hundreds of MB each).

    Called only while holding ``output``'s lock, so no run of the cache is writing into them.
    """
    for leftover in Path(output).parent.glob(f".{Path(output).name}.*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)


def default_run_dir(config: TrainConfig) -> Path:
    """Where ``classifier.py`` with these settings and no ``--output`` writes its run (``outputs/<label>-<model>``)."""
    return default_output_dir(run_label(config), resolve_model(config.model)).resolve()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes: a run's key changes when its data (or code) changes, not when its name does."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cached_scores(
    name: str, settings: dict[str, object], files: Iterable[Path], compute: Callable[[], dict]
) -> tuple[dict, bool]:
    """A run's scores, and whether they were reused: found under ``outputs/cache/<name>/`` when a run with the same
    ``settings``, the same bytes of ``files`` (data and code), ``CODE_VERSION`` and precision policy finished
    before; else ``compute()`` trains and scores it once, and the scores are stored only after it returned.

    A lock makes two processes that ask at once compute it once: the second waits, then reads it.
    """
    key_parts = {
        "settings": {field: whole_as_int(value) for field, value in settings.items()},  # --epochs 2 == default 2
        "files": [file_digest(path) for path in files],
        "code_version": CODE_VERSION,
        "precision": precision_settings(detect_device())[0],
    }
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    stored = OUTPUTS_DIR / "cache" / name / f"{key}.json"
    with run_lock(stored.with_suffix("")):
        if stored.is_file():
            return json.loads(stored.read_text(encoding="utf-8")), True
        scores = compute()
        atomic_write_text(stored, json.dumps(scores, indent=2) + "\n")
    return scores, False
