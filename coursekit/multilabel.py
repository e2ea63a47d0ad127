"""Core layer: multi-label classification, one model that answers several yes/no questions at once (Lab 5b; the
training path, inference, service and app use it).

A multi-label run (``TrainConfig(label_columns=["Blankets_Creek", "Rope_Mill"])``) has one output per label, each
an independent yes/no: float targets (0.0/1.0), ``problem_type="multi_label_classification"`` in the model config
(so the model's loss is ``BCEWithLogitsLoss``, one sigmoid per label, instead of a softmax over labels), and a
threshold per label tuned on the validation split (:func:`tune_thresholds`), saved next to the model in
:data:`THRESHOLDS_FILE` so every inference path applies the same ones. The label names (``id2label``) are the
columns: a post's labels are the trails that are open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coursekit.data import _is_integer_like, _list_rows, read_table, require_columns, require_texts
from coursekit.errors import CourseError
from coursekit.fileio import atomic_write_text

MULTI_LABEL = "multi_label_classification"
THRESHOLDS_FILE = "thresholds.json"
DEFAULT_LABEL_THRESHOLD = 0.5  # sigmoid(0): where a label is as likely on as off before tuning
# Candidate thresholds: 0.05 steps are as fine as 135 validation posts can tell apart.
THRESHOLD_GRID = tuple(round(float(t), 2) for t in np.arange(0.05, 0.96, 0.05))


@dataclass
class MultiLabelTexts:
    """Texts with one 0/1 target per label (``labels[i][j]`` is label ``j`` of text ``i``) and the label names."""

    texts: list[str]
    labels: list[list[float]]
    label_names: list[str]

    @property
    def id2label(self) -> dict[int, str]:
        """Output ``j`` of the model answers label ``label_names[j]``."""
        return dict(enumerate(self.label_names))


def load_multilabel_texts(path: str | Path, text_column: str, label_columns: list[str]) -> MultiLabelTexts:
    """Read a file whose ``label_columns`` hold 0 or 1 per row; fail naming every row that holds anything else."""
    path = Path(path).expanduser()
    frame = read_table(path, text_columns=[text_column])
    require_columns(frame, [text_column, *label_columns], path)
    texts = require_texts(frame, text_column, path)
    for column in label_columns:
        bad = [i for i, v in enumerate(frame[column]) if not (_is_integer_like(v) and int(float(v)) in (0, 1))]
        if bad:
            raise CourseError(
                f"{path}: column {column!r} must hold 0 or 1 in every row for a multi-label run; it does not at "
                f"{_list_rows(path, bad)}. Fix those rows, or train one label at a time with --label-column."
            )
        if frame[column].astype(float).nunique() < 2:
            raise CourseError(f"{path}: column {column!r} holds only one value; a label needs both 0 and 1 rows.")
    labels = frame[label_columns].astype(float).to_numpy().tolist()
    return MultiLabelTexts(texts=[t.strip() for t in texts], labels=labels, label_names=list(label_columns))


def sigmoid(logits: Any) -> np.ndarray:
    """Each output's probability on its own (a softmax would make the labels compete)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def multilabel_metrics(
    references: Any, probabilities: np.ndarray, label_names: list[str], thresholds: dict[str, float]
) -> dict[str, float]:
    """Accuracy per label, their mean (``accuracy``), exact match (every label right) and macro F1."""
    from sklearn.metrics import f1_score

    references = np.asarray(references).astype(int)
    predicted = (np.asarray(probabilities) >= np.array([thresholds[n] for n in label_names])).astype(int)
    per_label = (predicted == references).mean(axis=0)
    result = {
        "accuracy": float(per_label.mean()),
        "exact_match": float((predicted == references).all(axis=1).mean()),
        "f1_macro": float(f1_score(references, predicted, average="macro", zero_division=0)),
    }
    result.update({f"accuracy_{name}": float(a) for name, a in zip(label_names, per_label)})
    return result


def make_multilabel_compute_metrics(label_names: list[str]):
    """The Trainer's ``compute_metrics`` for a multi-label run: sigmoid, then every label at 0.5 (before tuning)."""
    untuned = dict.fromkeys(label_names, DEFAULT_LABEL_THRESHOLD)

    def compute_metrics(eval_pred) -> dict[str, float]:
        logits, references = eval_pred
        return multilabel_metrics(references, sigmoid(logits), label_names, untuned)

    return compute_metrics


def tune_thresholds(references: Any, probabilities: np.ndarray, label_names: list[str]) -> dict[str, float]:
    """Per label, the threshold of :data:`THRESHOLD_GRID` with the best validation accuracy (ties: nearest 0.5).

    Tuned on validation, never on test: the test split then says how well the tuned thresholds carry over.
    """
    references = np.asarray(references).astype(int)
    thresholds = {}
    for j, name in enumerate(label_names):
        scored = [
            (float(((probabilities[:, j] >= t).astype(int) == references[:, j]).mean()), -abs(t - 0.5), t)
            for t in THRESHOLD_GRID
        ]
        thresholds[name] = max(scored)[2]
    return thresholds


def save_thresholds(run_dir: Path, thresholds: dict[str, float]) -> None:
    """Write the tuned thresholds next to the model (they are part of the model: inference applies them)."""
    atomic_write_text(Path(run_dir) / THRESHOLDS_FILE, json.dumps(thresholds, indent=2) + "\n")


def read_thresholds(model_dir: Path, label_names: list[str]) -> dict[str, float]:
    """A multi-label run's tuned thresholds, or 0.5 per label for a model without the file (e.g. from the Hub)."""
    path = Path(model_dir) / THRESHOLDS_FILE
    if not path.is_file():
        return dict.fromkeys(label_names, DEFAULT_LABEL_THRESHOLD)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CourseError(f"{path} is not valid JSON ({exc.msg}); retrain or fix it.") from None
    missing = [n for n in label_names if not isinstance(saved.get(n), (int, float)) or not 0 <= saved[n] <= 1]
    if missing:
        raise CourseError(f"{path} has no threshold between 0 and 1 for {', '.join(missing)}; retrain or fix it.")
    return {n: float(saved[n]) for n in label_names}


def write_multilabel_predictions(
    texts: list[str],
    references: Any,
    probabilities: np.ndarray,
    label_names: list[str],
    thresholds: dict[str, float],
    path: Path,
) -> None:
    """One row per test text: ``true_<label>``, ``predicted_<label>`` (0/1 after the threshold), ``score_<label>``."""
    columns: dict[str, list] = {"text": list(texts)}
    for j, name in enumerate(label_names):
        columns[f"true_{name}"] = np.asarray(references)[:, j].astype(int).tolist()
        columns[f"predicted_{name}"] = (probabilities[:, j] >= thresholds[name]).astype(int).tolist()
        columns[f"score_{name}"] = probabilities[:, j].round(4).tolist()
    pd.DataFrame(columns).to_csv(path, index=False)
