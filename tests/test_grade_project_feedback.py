"""The product-feedback project spec: the reference hand-in scores 100, and each defect loses exactly its points."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from grading_builders import lost

from coursekit.grading.checks import load_spec
from coursekit.grading.grade import grade_entry
from coursekit.lessons.feedback_project import FEEDBACK_LABELS
from coursekit.metrics import wilson_interval

SPEC = "project-product-feedback"
# The frozen test split's class counts (20 % of the 477 clean rows, stratified, seed 42).
TEST_COUNTS = {"bug_report": 29, "praise": 27, "feature_request": 21, "billing": 12, "other": 7}


def baseline_row(model: str, correct: int) -> dict:
    low, high = wilson_interval(correct, 96)
    return {"model": model, "correct": correct, "total": 96, "accuracy": round(correct / 96, 4),
            "ci_low": round(low, 4), "ci_high": round(high, 4)}  # fmt: skip


def reference_handin(folder: Path) -> dict[str, object]:
    """What the solution writes: 96 predictions with 3 mistakes, the three models, the retrain comparison."""
    true = [label for label, n in TEST_COUNTS.items() for _ in range(n)]
    predicted = list(true)
    for index in (0, 40, 90):
        predicted[index] = "other" if true[index] != "other" else "billing"
    return {
        "test_predictions.csv": pd.DataFrame(
            {"text": [f"message {i}" for i in range(96)], "true_label": true, "predicted_label": predicted}
        ),
        "baselines.csv": pd.DataFrame(
            [baseline_row("tfidf-logreg", 95), baseline_row("embeddings-logreg", 86), baseline_row("fine-tuned", 93)]
        ),
        "summary.json": {"fine_tuned_accuracy": round(93 / 96, 4), "fine_tuned_correct": 93, "test_size": 96},
        "retrain.json": {
            "old_version": "v1",
            "new_version": "v2",
            "promoted": True,
            "test_size": 96,
            "old_test_correct": 93,
            "new_test_correct": 93,
            "corrected_total": 2,
            "old_corrected_correct": 0,
            "new_corrected_correct": 2,
        },
    }


def write(folder: Path, files: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, pd.DataFrame):
            content.to_csv(folder / name, index=False)
        else:
            (folder / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
    return folder


def grade(folder: Path):
    return grade_entry(folder, load_spec(SPEC), None)


def test_spec_totals_100_and_the_reference_handin_scores_full_marks(tmp_path):
    assert load_spec(SPEC)["max_points"] == 100
    result = grade(write(tmp_path / SPEC, reference_handin(tmp_path)))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]


def no_interval(files):
    files["baselines.csv"] = files["baselines.csv"].drop(columns=["ci_low", "ci_high"])


def other_split(files):
    files["baselines.csv"].loc[0, "total"] = 120


def fine_tuned_row_disagrees(files):
    files["baselines.csv"].loc[2, "accuracy"] = 0.99


def predictions_missing_rows(files):
    files["test_predictions.csv"] = files["test_predictions.csv"].head(90)


def claimed_accuracy_wrong(files):
    files["summary.json"]["fine_tuned_accuracy"] = 0.99
    files["baselines.csv"].loc[2, "accuracy"] = 0.99


def retrain_extra_key(files):
    files["retrain.json"]["notes"] = "x"


def retrain_other_test_split(files):
    files["retrain.json"]["test_size"] = 90


def retrain_impossible_count(files):
    files["retrain.json"]["new_corrected_correct"] = 3


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (no_interval, {"baselines_table": 20}),
        (other_split, {"baselines_table": 20}),
        (fine_tuned_row_disagrees, {"fine_tuned_row": 15}),
        (predictions_missing_rows, {"predictions_file": 10, "summary_claims": 25}),
        (claimed_accuracy_wrong, {"summary_claims": 15}),
        (retrain_extra_key, {"retrain_keys": 10}),
        (retrain_other_test_split, {"retrain_values": 10}),
        (retrain_impossible_count, {"retrain_relations": 10}),
    ],
)
def test_each_defect_loses_exactly_its_points(tmp_path, mutate, expected):
    files = reference_handin(tmp_path)
    mutate(files)
    assert lost(grade(write(tmp_path / SPEC, files))) == expected


def test_the_labels_come_from_the_project():
    assert sorted(TEST_COUNTS) == sorted(FEEDBACK_LABELS) and sum(TEST_COUNTS.values()) == 96
