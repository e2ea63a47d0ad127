"""The SMS spam project's grader: a reference hand-in scores 100 and each defect loses exactly its rubric points.

No training: the hand-in is built in tmp_path (the solution notebook grades its real hand-in the same way).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import check, lost

from coursekit.grading import grade
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import load_answers, load_spec
from coursekit.metrics import classification_metrics

LAB = "project-sms-spam"
LABELS = ["HAM", "SPAM"]
N_HAM, N_SPAM = 80, 20


@pytest.fixture()
def answers(tmp_path) -> tuple[Path, dict[str, str]]:
    """Hidden answers: 80 HAM and 20 SPAM ids."""
    labels = {f"m{i:03d}": "SPAM" if i <= N_SPAM else "HAM" for i in range(1, N_HAM + N_SPAM + 1)}
    path = tmp_path / "secret" / "answers.csv"
    write_csv(path, ["id", "label"], [[i, label] for i, label in labels.items()])
    return path, labels


def held_out_rows() -> list[list]:
    """120 own test rows: 100 HAM all kept, 20 SPAM of which 18 caught (the threshold was chosen for precision)."""
    rows = [[f"see you at {i}", "HAM", "HAM", 0.01] for i in range(100)]
    rows += [[f"WIN £{i} now", "SPAM", "SPAM" if i < 18 else "HAM", 0.99 if i < 18 else 0.4] for i in range(20)]
    return rows


def make_reference(folder: Path, answer_labels: dict[str, str]) -> Path:
    """A hand-in whose predictions equal the answers and whose claims are consistent."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "p_spam"],
        [[i, label, 0.98 if label == "SPAM" else 0.02] for i, label in answer_labels.items()],
    )
    rows = held_out_rows()
    write_csv(folder / "test_predictions.csv", ["text", "true_label", "predicted_label", "p_spam"], rows)
    scores = classification_metrics([LABELS.index(r[1]) for r in rows], [LABELS.index(r[2]) for r in rows], LABELS)
    metrics = {
        "model": "minilm-l6",
        "threshold": 0.984,
        "target_precision": 0.99,
        "test_size": len(rows),
        "accuracy": round(scores["accuracy"], 4),
        "spam_precision": 1.0,
        "spam_recall": round(scores["recall_SPAM"], 4),
        "pr_auc": 0.998,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    write_csv(
        folder / "comparison.csv",
        ["model", "trainable_parameters", "train_seconds", "accuracy", "spam_precision", "spam_recall", "pr_auc"],
        [
            ["minilm-l6 full", 22713986, 60.5, 0.99, 0.92, 1.0, 1.0],
            ["minilm-l6 frozen", 148610, 25.0, 0.88, 1.0, 0.08, 0.93],
            ["tfidf + naive bayes", 0, 0.0, 0.98, 1.0, 0.86, 0.99],
        ],
    )
    (folder / "notes.md").write_text(
        "I would deploy the fine-tuned filter at the threshold chosen on validation, because it keeps "
        "real messages out of the spam folder and still catches most spam. " * 3,
        encoding="utf-8",
    )
    return folder


def grade_one(entry: Path, answers_path: Path):
    """Grade one hand-in in-process with the project's spec."""
    spec = load_spec(LAB)
    return grade.grade_entry(entry, spec, load_answers(answers_path, spec))


def test_spec_totals_100_and_scores_the_quality_floor():
    spec = load_spec(LAB)
    assert spec["max_points"] == 100
    floors = {c["id"]: c["metric"] for c in spec["checks"] if c["type"] == "predictions_vs_answers"}
    assert floors == {"ham_kept": "recall_HAM", "spam_caught": "recall_SPAM", "f1_macro": "f1_macro"}


def test_reference_handin_scores_full_marks(tmp_path, answers):
    answers_path, labels = answers
    result = grade_one(make_reference(tmp_path / "subs" / "ana", labels), answers_path)
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    assert "recall_SPAM 1.000 on 100 hidden labels" in check(result, "spam_caught").message


def test_missing_all_spam_costs_spam_recall_and_macro_f1(tmp_path, answers):
    answers_path, labels = answers
    folder = make_reference(tmp_path / "subs" / "ben", labels)
    write_csv(folder / "predictions.csv", ["id", "label", "p_spam"], [[i, "HAM", 0.1] for i in labels])
    # spam recall 0 (<= 0.50): all 15; macro F1 (0.889 + 0) / 2 = 0.444 (<= 0.60): all 10; ham recall 1: none
    assert lost(grade_one(folder, answers_path)) == {"spam_caught": 15.0, "f1_macro": 10.0}


def test_flagging_real_messages_costs_ham_points_linearly(tmp_path, answers):
    answers_path, labels = answers
    folder = make_reference(tmp_path / "subs" / "cy", labels)
    hams = [i for i, label in labels.items() if label == "HAM"][:4]  # 4 of 80 real messages flagged: recall 0.95
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "p_spam"],
        [[i, "SPAM" if i in hams else label, 0.5] for i, label in labels.items()],
    )
    result = grade_one(folder, answers_path)
    # ham recall 0.95: 15 * (0.95 - 0.90) / 0.08 = 9.375 kept; macro F1 (0.9744 + 0.9091) / 2 = 0.9417 >= 0.90: full
    assert lost(result) == {"ham_kept": 5.6}


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("integer_labels", {"predictions_labels": 4.0, "ham_kept": 15.0, "spam_caught": 15.0, "f1_macro": 10.0}),
        ("p_spam_out_of_range", {"predictions_p_spam": 5.0}),
        ("wrong_accuracy_claim", {"metrics_match_predictions": 4.0}),
        ("missing_pr_auc", {"metrics_keys": 10.0}),
        ("two_models", {"comparison_table": 8.0}),
        ("short_notes", {"notes": 7.0}),
    ],
)
def test_each_defect_costs_exactly_its_points(tmp_path, answers, defect, expected):
    answers_path, labels = answers
    folder = make_reference(tmp_path / "subs" / "dee", labels)
    metrics = json.loads((folder / "metrics.json").read_text())
    if defect == "integer_labels":
        rows = [[i, LABELS.index(label), 0.5] for i, label in labels.items()]
        write_csv(folder / "predictions.csv", ["id", "label", "p_spam"], rows)
    elif defect == "p_spam_out_of_range":
        rows = [[i, label, 1.5 if n == 3 else 0.5] for n, (i, label) in enumerate(labels.items())]
        write_csv(folder / "predictions.csv", ["id", "label", "p_spam"], rows)
    elif defect == "wrong_accuracy_claim":
        metrics["accuracy"] = 0.999
    elif defect == "missing_pr_auc":
        del metrics["pr_auc"]
    elif defect == "two_models":
        lines = (folder / "comparison.csv").read_text().splitlines()
        (folder / "comparison.csv").write_text("\n".join(lines[:3]) + "\n")
    elif defect == "short_notes":
        (folder / "notes.md").write_text("Deploy the fine-tuned one.\n")
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    assert lost(grade_one(folder, answers_path)) == expected
