"""Lesson layer (Lab 5b): one multi-label model for both trails against two single-label models.

The three runs share one recipe (the Lab 4 settings) and one train / validation / test split (stratified by
Blankets_Creek), so their test numbers are about the same 135 posts:

* :data:`BLANKETS_TRAINING` is the Lab 4 run itself (``make train``), reused, never retrained here;
* :data:`ROPE_MILL_TRAINING` is the same recipe on the Rope_Mill column;
* :data:`MULTI_LABEL_TRAINING` is one model with one sigmoid output per trail.

:func:`comparison` turns their ``test_predictions.csv`` files into the table of Lab 5b: accuracy per trail and
exact match (both trails right) with 95 % Wilson intervals, training time and size on disk.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from coursekit.data import TRAIL_LABEL_COLUMNS
from coursekit.metrics import wilson_interval
from coursekit.paths import OUTPUTS_DIR
from coursekit.trained_model import LAB4_TRAINING

BLANKETS_TRAINING = LAB4_TRAINING
ROPE_MILL_TRAINING = replace(
    LAB4_TRAINING,
    label_column="Rope_Mill",
    stratify_column="Blankets_Creek",  # the Lab 4 run's split, so both single-label models see the same posts
    output=OUTPUTS_DIR / "lab-5b" / "rope_mill-minilm-l6",
)
MULTI_LABEL_TRAINING = replace(
    LAB4_TRAINING,
    label_columns=list(TRAIL_LABEL_COLUMNS),  # stratified by the first, Blankets_Creek: the same split again
    output=OUTPUTS_DIR / "lab-5b" / "trails-multilabel-minilm-l6",
)


def single_label_answers(run_dir: Path) -> tuple[list[str], list[int], list[int]]:
    """Texts, true and predicted 0/1 (1 = open) of a single-label trail run's test split."""
    frame = pd.read_csv(Path(run_dir) / "test_predictions.csv", keep_default_na=False)
    return (
        frame["text"].tolist(),
        (frame["true_label"] == "open").astype(int).tolist(),
        (frame["predicted_label"] == "open").astype(int).tolist(),
    )


def run_size_mb(run_dir: Path) -> float:
    """Megabytes on disk of everything a run saved (the weights are nearly all of it)."""
    return sum(f.stat().st_size for f in Path(run_dir).rglob("*") if f.is_file()) / 1e6


def train_seconds(run_dir: Path) -> float:
    """The training time recorded in a run's ``metrics.json``."""
    return float(json.loads((Path(run_dir) / "metrics.json").read_text(encoding="utf-8"))["train_seconds"])


def train_steps(run_dir: Path) -> int:
    """Optimizer steps of a run (its last evaluation's step): the work, whatever else ran on the machine."""
    history = json.loads((Path(run_dir) / "metrics.json").read_text(encoding="utf-8"))["validation_history"]
    return int(history[-1]["step"])


def accuracy_cell(right: pd.Series) -> str:
    """``0.933 [0.878, 0.965]``: the share of True in ``right`` with its 95 % Wilson interval."""
    low, high = wilson_interval(int(right.sum()), len(right))
    return f"{right.mean():.3f} [{low:.3f}, {high:.3f}]"


def comparison(blankets_dir: Path, rope_mill_dir: Path, multi_label_dir: Path) -> pd.DataFrame:
    """One row per approach: accuracy per trail and exact match with intervals, training steps and seconds (as
    measured: seconds depend on the machine's load at the time), MB on disk.

    The three runs must hold the same test posts in the same order (one split); anything else is an error.
    """
    texts, blankets_true, blankets_pred = single_label_answers(blankets_dir)
    rope_texts, rope_true, rope_pred = single_label_answers(rope_mill_dir)
    multi = pd.read_csv(Path(multi_label_dir) / "test_predictions.csv", keep_default_na=False)
    if not texts == rope_texts == multi["text"].tolist():
        raise ValueError("the runs were not tested on the same posts: train them on the same split")
    single = pd.DataFrame(
        {
            "Blankets_Creek": pd.Series(blankets_pred) == pd.Series(blankets_true),
            "Rope_Mill": pd.Series(rope_pred) == pd.Series(rope_true),
        }
    )
    joint = pd.DataFrame({c: multi[f"predicted_{c}"] == multi[f"true_{c}"] for c in TRAIL_LABEL_COLUMNS})
    rows = []
    for name, right, dirs in (
        ("two single-label models", single, [blankets_dir, rope_mill_dir]),
        ("one multi-label model", joint, [multi_label_dir]),
    ):
        rows.append(
            {
                "approach": name,
                "Blankets_Creek": accuracy_cell(right["Blankets_Creek"]),
                "Rope_Mill": accuracy_cell(right["Rope_Mill"]),
                "exact match": accuracy_cell(right.all(axis=1)),
                "train steps": sum(train_steps(d) for d in dirs),
                "train s": round(sum(train_seconds(d) for d in dirs)),
                "MB on disk": round(sum(run_size_mb(d) for d in dirs)),
            }
        )
    return pd.DataFrame(rows).set_index("approach")
