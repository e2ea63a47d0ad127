"""The parts of the Lab 8 Streamlit app that do not need Streamlit: settings, finding models, reading
uploads, feedback, history statistics. Keeping them here keeps ``app.py`` about the page, and lets the
tests check them directly.

The model itself is loaded and run by :mod:`coursekit.inference` (the same code as the batch script
and the web service), so the app shows exactly the predictions the other two would give.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from coursekit.app_card import AppCard
from coursekit.data import READERS, read_table, require_texts
from coursekit.errors import CourseError
from coursekit.feedback_log import (
    PREDICTION_LOG_ENV,
    RotatingLog,
    append_jsonl,
    correction_record,
    model_version,
    prediction_record,
)
from coursekit.inference import NEEDS_REVIEW, Classifier, MultiLabelPrediction, Prediction, flat_record
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT, shown_path
from coursekit.trained_model import LAB4_MODEL_DIR

# `streamlit run app.py` has no options of its own for the app, so the two folders come from environment
# variables or from arguments after `--` (`streamlit run examples/app/app.py -- --models-dir DIR`).
MODELS_DIR_ENV = "COURSE_MODELS_DIR"
FEEDBACK_FILE_ENV = "COURSE_APP_FEEDBACK"
DEFAULT_FEEDBACK_FILE = OUTPUTS_DIR / "app_feedback.jsonl"
# Every prediction the app serves, with its confidence (read by examples/feedback/monitor.py); rotated, bounded.
DEFAULT_PREDICTION_LOG = OUTPUTS_DIR / "prediction_log.jsonl"
# Example texts on buttons are cut to this many characters (the whole text goes into the box).
EXAMPLE_LABEL_CHARS = 48
# How deep below the models folder to look (outputs/lab-9-notebook/registry/trail-status/v1 is 4 deep).
MAX_MODEL_DEPTH = 4
# A web page should not start an hour of work by accident; bigger files belong to batch_predict.py.
MAX_UPLOAD_ROWS = 5000
# Where Streamlit reads the upload limit (server.maxUploadSize) when started as `streamlit run examples/app/app.py`.
STREAMLIT_CONFIG = Path(__file__).with_name(".streamlit") / "config.toml"
MIB = 1024 * 1024  # Streamlit's "MB" in server.maxUploadSize
UPLOAD_TYPES = sorted(kind.lstrip(".") for kind in READERS)
TRAIN_HINT = "Train one with `make train` (or `python examples/training/classifier.py`)"


@dataclass(frozen=True)
class AppSettings:
    """Where the app looks for trained models and where it appends feedback."""

    models_dir: Path
    feedback_file: Path
    prediction_log: Path = DEFAULT_PREDICTION_LOG


@dataclass(frozen=True)
class ModelEntry:
    """A trained model folder found under the models folder."""

    path: Path
    name: str  # the folder relative to the models folder, e.g. "lab-6/email-minilm-l6"
    labels: list[str]
    test_accuracy: float | None
    base_model: str | None

    def title(self) -> str:
        """How the sidebar lists the model: test accuracy first (easy to compare, never cut off), then name."""
        accuracy = "n/a" if self.test_accuracy is None else f"{self.test_accuracy:.3f}"
        return f"{accuracy} · {self.name}"


def app_settings(argv: Sequence[str], environ: Mapping[str, str]) -> AppSettings:
    """Settings from ``-- --models-dir DIR --feedback-file FILE``, else the environment, else the defaults.

    Unknown arguments are ignored: under ``pytest`` the app sees pytest's command line.
    """
    parser = argparse.ArgumentParser(prog="app.py", allow_abbrev=False, add_help=False)
    parser.add_argument("--models-dir", type=Path, default=Path(environ.get(MODELS_DIR_ENV, OUTPUTS_DIR)))
    parser.add_argument(
        "--feedback-file", type=Path, default=Path(environ.get(FEEDBACK_FILE_ENV, DEFAULT_FEEDBACK_FILE))
    )
    parser.add_argument(
        "--prediction-log", type=Path, default=Path(environ.get(PREDICTION_LOG_ENV, DEFAULT_PREDICTION_LOG))
    )
    args, _ = parser.parse_known_args(list(argv))
    return AppSettings(
        models_dir=absolute(args.models_dir),
        feedback_file=absolute(args.feedback_file),
        prediction_log=absolute(args.prediction_log),
    )


def absolute(path: Path) -> Path:
    """Relative paths are relative to the project, so the app behaves the same from any directory."""
    path = path.expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``, or None if it is missing or unreadable (such folders are skipped)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def model_entry(folder: Path, root: Path) -> ModelEntry | None:
    """A :class:`ModelEntry` if ``folder`` holds a trained classifier (config.json with id2label and
    metrics.json), else None. Checkpoints and half-written runs have no metrics.json and are skipped."""
    config, metrics = read_json(folder / "config.json"), read_json(folder / "metrics.json")
    if config is None or metrics is None or not config.get("id2label"):
        return None
    try:
        labels = [config["id2label"][k] for k in sorted(config["id2label"], key=int)]
    except (AttributeError, TypeError, ValueError):
        return None  # not a config that transformers wrote
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
    accuracy = test.get("accuracy")
    name = folder.relative_to(root).as_posix() if folder != root else folder.name
    return ModelEntry(
        path=folder,
        name=name,
        labels=labels,
        test_accuracy=float(accuracy) if isinstance(accuracy, (int, float)) else None,
        base_model=metrics.get("model"),
    )


def find_models(root: Path, max_depth: int = MAX_MODEL_DEPTH) -> list[ModelEntry]:
    """Every trained model folder at most ``max_depth`` levels below ``root``, sorted by name.

    A missing folder or one without any model is a :class:`CourseError` saying how to get a model.
    """
    if not root.is_dir():
        raise CourseError(
            f"No models folder at {root}. {TRAIN_HINT}, or point the app at the folder "
            f"holding your runs: `{MODELS_DIR_ENV}=/path/to/runs streamlit run examples/app/app.py`."
        )
    # root/config.json, root/*/config.json, ...: a bounded search, even if root is a big folder.
    folders = [config.parent for depth in range(max_depth + 1) for config in root.glob("*/" * depth + "config.json")]
    entries = [e for e in (model_entry(f, root) for f in folders) if e is not None]
    if not entries:
        raise CourseError(
            f"No trained models in {root} (a model folder holds config.json and metrics.json, "
            f"as the training script writes them). {TRAIN_HINT}."
        )
    return sorted(entries, key=lambda e: e.name)


def default_model_index(entries: list[ModelEntry]) -> int:
    """Start with the Lab 4 model (`make train`) when it is there, else with the first one."""
    paths = [e.path.resolve() for e in entries]
    return paths.index(LAB4_MODEL_DIR.resolve()) if LAB4_MODEL_DIR.resolve() in paths else 0


def check_upload_size(name: str, size: int, limit_mb: int) -> None:
    """Refuse a file over the app's upload limit with the limit, where it is set and what to use instead.

    Streamlit's uploader refuses such a file in the browser already; this check also covers clients that skip
    the browser (and the AppTest tests), and says what to do rather than just "too large".
    """
    if size > limit_mb * MIB:
        raise CourseError(
            f"{name} is {size / MIB:.1f} MB; the app reads files of at most {limit_mb} MB (server.maxUploadSize "
            f"in {shown_path(STREAMLIT_CONFIG)}). Score big files with examples/inferencing/batch_predict.py."
        )


def read_upload(name: str, data: bytes, text_column: str) -> pd.DataFrame:
    """Read an uploaded file with the course's reader (same formats and error messages as the scripts);
    ``text_column`` is read as text (a post "NaN" is a post)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        try:
            return read_table(path, text_columns=[text_column])
        except CourseError as exc:
            # The reader names the temporary copy; the student knows the file by its own name.
            raise CourseError(str(exc).replace(str(path), name)) from None


def upload_texts(frame: pd.DataFrame, column: str, name: str) -> list[str]:
    """The texts in ``column`` of an uploaded table; a missing column, empty texts or too many rows are errors."""
    if column not in frame.columns:
        raise CourseError(
            f"{name} has no column {column!r}. Its columns are: "
            f"{', '.join(repr(str(c)) for c in frame.columns)}. Type the right one in 'Text column'."
        )
    if len(frame) > MAX_UPLOAD_ROWS:
        raise CourseError(
            f"{name} has {len(frame)} rows; the app scores at most {MAX_UPLOAD_ROWS}. "
            "Use examples/inferencing/batch_predict.py for big files."
        )
    return require_texts(frame, column, name)


def predict_with_progress(
    classifier: Classifier,
    texts: list[str],
    threshold: float,
    chunk_size: int,
    on_progress: Callable[[int, int], None],
) -> list[Prediction]:
    """Classify ``texts`` a chunk at a time, calling ``on_progress(done, total)`` after each chunk."""
    predictions: list[Prediction] = []
    for start in range(0, len(texts), chunk_size):
        predictions += classifier.predict(
            texts[start : start + chunk_size], batch_size=chunk_size, threshold=threshold
        )
        on_progress(len(predictions), len(texts))
    return predictions


def results_frame(predictions: list[Prediction], labels: list[str], ids: list | None = None) -> pd.DataFrame:
    """One row per text, with the columns of ``batch_predict.py --output x.csv`` (``score_<label>`` per label)."""
    frame = pd.DataFrame([flat_record(p.to_dict(), labels) for p in predictions])
    if ids is not None:
        frame.insert(0, "id", ids)
    return frame


def history_entry(prediction: Prediction, model: ModelEntry) -> dict:
    """What the session history keeps about one analysis."""
    return {
        "time": datetime.now().strftime("%H:%M:%S"),
        "model": model.name,
        "model_dir": str(model.path),
        "model_version": model_version(model.path),
        "text": prediction.text,
        "label": prediction.label,
        "predicted_label": prediction.predicted_label,
        "confidence": prediction.confidence,
        "scores": prediction.scores,
        "feedback": "",
        # A multi-label model (Lab 5b): the labels above their own thresholds, maybe none or several.
        **({"labels": prediction.labels} if isinstance(prediction, MultiLabelPrediction) else {}),
    }


def shown_labels(entry: Mapping) -> list[str]:
    """The labels to show for one analysis (a history entry): a multi-label model's labels above their thresholds
    (an empty list when none is on), else the single decided label; ``[NEEDS_REVIEW]`` when it needs review."""
    if entry["label"] == NEEDS_REVIEW or "labels" not in entry:
        return [entry["label"]]
    return list(entry["labels"])


def history_stats(history: list[dict]) -> dict:
    """Counts for the history tab: analyses, labels, how many needed review, mean confidence."""
    labels = Counter(entry["label"] for entry in history)
    confidences = [entry["confidence"] for entry in history]
    return {
        "analyses": len(history),
        "labels": dict(labels.most_common()),
        "mean_confidence": sum(confidences) / len(confidences) if confidences else None,
        "with_feedback": sum(1 for entry in history if entry["feedback"]),
    }


def feedback_record(entry: dict, correct: bool, true_label: str, user: str = "anonymous") -> dict:
    """One line of the feedback file: what the model said, and what the person (``user``) says is right.

    The core of the record (who, when, text, predicted, corrected, model version) is
    :func:`coursekit.feedback_log.correction_record`, which ``examples/feedback/retrain.py`` reads back.
    """
    corrected = entry["predicted_label"] if correct else true_label
    record = correction_record(
        entry["text"], entry["predicted_label"], corrected, entry["model_version"], user, entry["confidence"]
    )
    return {**record, "model": entry["model"], "model_dir": entry["model_dir"], "label": entry["label"]}


def append_feedback(path: Path, record: dict) -> None:
    """Append one JSON line to ``path`` (never rewrite it: earlier feedback is training data for later)."""
    append_jsonl(path, record)


def log_predictions(log_file: Path, predictions: list[Prediction], model_dir: Path, threshold: float) -> None:
    """Add the app's predictions to the prediction log (the monitor's input); a full log rotates, never grows."""
    version = model_version(model_dir)
    RotatingLog(log_file).append_many(prediction_record(p, version, "app", threshold) for p in predictions)


def example_label(text: str, limit: int = EXAMPLE_LABEL_CHARS) -> str:
    """An example text short enough for a button: cut at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def card_caption(card: AppCard, labels: list[str]) -> str:
    """The line under the title: the card's description, else what the model sorts into which labels."""
    return card.description or f"Sorts each {card.item} into one of: {', '.join(labels)}."


def settings_from_process() -> AppSettings:
    """The settings of this app process (its command line after ``--`` and its environment)."""
    return app_settings(sys.argv[1:], os.environ)
