"""The tweet-sentiment project's grader: the reference hand-in scores 100, and each defect loses exactly its rubric
points. The hidden answers are made by the challenge maker (public seed 2026, the committed posts.csv)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from grading_builders import lost, png_bytes

from coursekit.grading import grade
from coursekit.grading.challenge import make
from coursekit.grading.checks import load_answers, load_spec
from coursekit.lessons.tweets import CHALLENGE_POSTS

LAB = "project-tweet-sentiment"


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> Path:
    """The hidden answers of the committed challenge tweets (seed 2026, as data/challenges/... was made)."""
    folder = tmp_path_factory.mktemp("challenge")
    posts, answers_path = make(LAB, 2026, folder, rows=150)
    assert posts.read_bytes() == CHALLENGE_POSTS.read_bytes(), "the committed challenge tweets are seed 2026's"
    return answers_path


def perfect(folder: Path, answers_path: Path) -> Path:
    """A hand-in that predicts every hidden label (scores agree with the labels)."""
    folder.mkdir(parents=True)
    rows = list(csv.DictReader(answers_path.open(encoding="utf-8")))
    with (folder / "predictions.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label", "score"])
        writer.writerows([r["id"], r["label"], 0.9 if r["label"] == "positive" else 0.1] for r in rows)
    threshold = {"positive_label": "positive", "threshold": 0.42, "rule": "best F1", "validation_f1": 0.95}
    (folder / "threshold.json").write_text(json.dumps(threshold))
    (folder / "confusion_matrix.png").write_bytes(png_bytes())
    return folder


def graded(folder: Path, answers_path: Path):
    spec = load_spec(LAB)
    return grade.grade_entry(folder, spec, load_answers(answers_path, spec))


def edit_predictions(folder: Path, change) -> None:
    """Rewrite predictions.csv with ``change(rows)`` applied to its rows (dicts)."""
    path = folder / "predictions.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_spec_totals_100():
    spec = load_spec(LAB)
    assert spec["max_points"] == 100
    assert {c["id"] for c in spec["checks"]} == {
        "predictions_ids", "predictions_labels", "predictions_score", "accuracy", "f1_macro", "threshold",
        "report_figure",
    }  # fmt: skip


def test_a_perfect_hand_in_scores_100(tmp_path, answers):
    result = graded(perfect(tmp_path / LAB, answers), answers)
    assert result.points == 100 and lost(result) == {}


def flip(share: float):
    """Turn the first ``share`` of the labels into the other label (a weaker model)."""

    def change(rows):
        for row in rows[: int(len(rows) * share)]:
            row["label"] = "negative" if row["label"] == "positive" else "positive"
        return rows

    return change


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("score_above_one", {"predictions_score": 10}),
        ("no_threshold", {"threshold": 10}),
        ("threshold_other_label", {"threshold": 10}),
        ("no_figure", {"report_figure": 10}),
        ("labels_as_0_4", {"predictions_labels": 10, "accuracy": 30, "f1_macro": 20}),
        ("below_the_floor", {"accuracy": 30, "f1_macro": 20}),
    ],
)
def test_each_defect_costs_its_points(tmp_path, answers, defect, expected):
    folder = perfect(tmp_path / LAB, answers)
    if defect == "score_above_one":
        edit_predictions(folder, lambda rows: [{**r, "score": "1.5"} if i == 0 else r for i, r in enumerate(rows)])
    elif defect == "no_threshold":
        (folder / "threshold.json").unlink()
    elif defect == "threshold_other_label":
        (folder / "threshold.json").write_text(
            json.dumps({"threshold": 0.4, "positive_label": "4", "validation_f1": 1})
        )
    elif defect == "no_figure":
        (folder / "confusion_matrix.png").unlink()
    elif defect == "labels_as_0_4":
        edit_predictions(folder, lambda rows: [{**r, "label": "4" if r["label"] == "positive" else "0"} for r in rows])
    elif defect == "below_the_floor":
        edit_predictions(folder, flip(0.45))  # accuracy 0.55: under the 0.60 floor
    assert lost(graded(folder, answers)) == expected


def test_a_weaker_model_gets_partial_credit(tmp_path, answers):
    folder = perfect(tmp_path / LAB, answers)
    edit_predictions(folder, flip(0.2))  # accuracy 0.80: 30 * (0.80 - 0.60) / 0.25 = 24 of 30
    result = lost(graded(folder, answers))
    assert result["accuracy"] == pytest.approx(6, abs=0.1) and set(result) == {"accuracy", "f1_macro"}


@pytest.mark.slow
def test_the_reference_hand_in_scores_100(tmp_path, answers):
    """The solution's hand-in, made from the notebook's run (found through the run cache, not trained again)."""
    from coursekit.lessons.tweets import TweetConfig, write_handin
    from coursekit.run_cache import find_or_train

    folder = write_handin(find_or_train(TweetConfig()), CHALLENGE_POSTS, tmp_path / LAB)
    result = graded(folder, answers)
    assert result.points == 100, lost(result)
    shutil.rmtree(folder)
