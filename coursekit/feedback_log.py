"""Core layer: what a deployed model saw and what people said about it, as bounded JSON Lines logs (Lab 8's app and
service, the product-feedback project's monitor and retrain scripts).

    from coursekit.feedback_log import RotatingLog, prediction_record
    log = RotatingLog("outputs/feedback/predictions.jsonl", max_bytes=5_000_000)
    log.append(prediction_record(prediction, model_version="feedback/v1", source="app"))
    records, skipped = log.read()          # oldest first; a damaged line is skipped and counted, never fatal

Two logs close the loop of a deployed classifier:

* the **prediction log**: every served prediction with its confidence (who sent it is not recorded). It grows with
  traffic, so it is *rotated*: when the current file would pass its share of ``max_bytes`` it becomes ``.1`` (the
  previous ``.1`` becomes ``.2`` ... the oldest is dropped), so all files together never hold more than
  ``max_bytes``;
* the **corrections file**: what a person said the right label is (who, when, text, predicted, corrected, model
  version). It is small and precious (it becomes training data), so it is appended to and never rotated.

Appends from several threads or processes (the service's thread pool, two app tabs) take turns through a file lock
next to the log, and each record is one ``write`` of one line, so lines never interleave.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from coursekit.errors import CourseError

# Enough for ~20,000 predictions of a few hundred characters; a laptop never notices 5 MB.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BACKUPS = 1
PREDICTION_LOG_ENV = "COURSE_PREDICTION_LOG"
VERSIONS_FILE = "versions.json"  # written by coursekit.lessons.publishing next to each registry version


def now() -> str:
    """The current UTC time as ISO 8601 to the second (sorts as text, the same in every time zone)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def model_version(model_dir: str | Path) -> str:
    """A short, stable name for the model that answered: ``<name>/vN`` for a registry version, else the run folder
    with the first 8 characters of its run key (``feedback-minilm-l6@1a2b3c4d``)."""
    folder = Path(model_dir)
    if (folder.parent / VERSIONS_FILE).is_file():
        return f"{folder.parent.name}/{folder.name}"
    try:
        key = json.loads((folder / "training_config.json").read_text(encoding="utf-8")).get("run_key") or ""
    except (OSError, ValueError, AttributeError):
        key = ""
    return f"{folder.name}@{key[:8]}" if key else folder.name


def prediction_record(prediction: Any, model_version: str, source: str, threshold: float | None = None) -> dict:
    """One line of the prediction log for a :class:`coursekit.inference.Prediction`."""
    return {
        "time": now(),
        "source": source,
        "model_version": model_version,
        "text": prediction.text,
        "label": prediction.label,
        "predicted_label": prediction.predicted_label,
        "confidence": prediction.confidence,
        "threshold": threshold,
    }


def correction_record(
    text: str, predicted_label: str, corrected_label: str, model_version: str, user: str, confidence: float
) -> dict:
    """One line of the corrections file: who said what the right label of ``text`` is, when, for which model."""
    return {
        "time": now(),
        "user": user.strip() or "anonymous",
        "model_version": model_version,
        "text": text,
        "predicted_label": predicted_label,
        "confidence": confidence,
        "correct": corrected_label == predicted_label,
        "true_label": corrected_label,
    }


@dataclass(frozen=True)
class ReadResult:
    """The records of a log (oldest first) and how many lines were skipped because they were not JSON objects."""

    records: list[dict]
    skipped: int


def read_jsonl(paths: Iterable[Path]) -> ReadResult:
    """Every JSON-object line of ``paths`` in order; blank lines are ignored, damaged ones skipped and counted.

    A log written by a process that was killed mid-write can end in half a line; the rest is still worth reading.
    """
    records: list[dict] = []
    skipped = 0
    for path in paths:
        if not Path(path).is_file():
            continue
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    skipped += 1
                    continue
                if isinstance(record, dict):
                    records.append(record)
                else:
                    skipped += 1
    return ReadResult(records, skipped)


@dataclass(frozen=True)
class RotatingLog:
    """A JSON Lines log whose files together never hold more than ``max_bytes`` (``path``, ``path.1`` ...)."""

    path: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    backups: int = DEFAULT_BACKUPS

    def __post_init__(self) -> None:
        """Normalise the path and refuse limits that cannot hold a single record."""
        object.__setattr__(self, "path", Path(self.path).expanduser())
        if self.backups < 0 or self.max_bytes < 1024 * (self.backups + 1):
            raise CourseError(
                f"a log needs at least 1 KB per file and backups >= 0 (got max_bytes={self.max_bytes}, "
                f"backups={self.backups})."
            )

    @property
    def file_limit(self) -> int:
        """Bytes one file may hold: the total shared by the current file and its backups."""
        return self.max_bytes // (self.backups + 1)

    def files(self) -> list[Path]:
        """The log's files, oldest first (``path.N`` ... ``path.1``, ``path``)."""
        backups = [self.path.with_name(f"{self.path.name}.{n}") for n in range(self.backups, 0, -1)]
        return [*backups, self.path]

    def append(self, record: dict) -> None:
        """Append one record."""
        self.append_many([record])

    def append_many(self, records: Iterable[dict]) -> None:
        """Append records as lines, rotating first whenever the current file would pass :attr:`file_limit`."""
        lines = [(json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8") for r in records]
        too_long = [len(line) for line in lines if len(line) > self.file_limit]
        if too_long:
            raise CourseError(
                f"a record of {too_long[0]:,} bytes does not fit a log file of {self.file_limit:,} bytes; "
                "raise max_bytes."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{self.path}.lock"):
            for line in lines:
                size = self.path.stat().st_size if self.path.exists() else 0
                if size + len(line) > self.file_limit:
                    self.rotate()
                # One write of one whole line in append mode: concurrent writers never split a line.
                with self.path.open("ab") as handle:
                    handle.write(line)

    def rotate(self) -> None:
        """Shift ``path`` to ``path.1``, ``path.1`` to ``path.2`` ...; the oldest backup is dropped."""
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        files = self.files()  # oldest first: each is replaced by its younger neighbour
        for older, younger in zip(files, files[1:]):
            if younger.exists():
                os.replace(younger, older)

    def read(self) -> ReadResult:
        """Every record still held, oldest first, and the number of damaged lines skipped."""
        return read_jsonl(self.files())

    def size(self) -> int:
        """Bytes held by all files of the log."""
        return sum(p.stat().st_size for p in self.files() if p.exists())


def append_jsonl(path: str | Path, record: dict) -> None:
    """Append one record to a file that is never rotated (the corrections file), under the same lock."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    with FileLock(f"{path}.lock"), path.open("ab") as handle:
        handle.write(line)


def prediction_log_from_env(environ: dict[str, str] | None = None) -> RotatingLog | None:
    """The prediction log named by ``$COURSE_PREDICTION_LOG`` (None when unset: logging is opt-in)."""
    value = (os.environ if environ is None else environ).get(PREDICTION_LOG_ENV)
    return RotatingLog(Path(value)) if value else None
