"""The Lab 6 spec: the reference hand-in scores 100, and each broken variant loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import lost

from coursekit.grading.checks import load_spec
from coursekit.grading.grade import grade_entry
from coursekit.lessons.error_analysis import build_report

LABELS = ["billing", "breakdown", "collision", "glass_damage", "renewal_quote", "theft"]
# The test split's class counts (stratified 15 % of data/email_triage.csv, seed 42): 150 emails.
TEST_COUNTS = {"billing": 13, "breakdown": 29, "collision": 39, "glass_damage": 23, "renewal_quote": 25, "theft": 21}


def reference_report() -> dict:
    """A report as evaluate_model.py writes it: 150 test emails, 12 mistakes spread over the classes."""
    y_true = [label for label, n in TEST_COUNTS.items() for _ in range(n)]
    y_pred = list(y_true)
    for position, index in enumerate(range(0, 150, 12)):
        y_pred[index] = LABELS[(LABELS.index(y_true[index]) + 1 + position) % len(LABELS)]
        if y_pred[index] == y_true[index]:
            y_pred[index] = LABELS[(LABELS.index(y_true[index]) + 1) % len(LABELS)]
    texts = [f"email {i} about a {label}" for i, label in enumerate(y_true)]
    confidence = [0.5 + (i % 50) / 100 for i in range(150)]
    report = build_report(y_true, y_pred, confidence, texts, LABELS, model="email-minilm-l6", data="email_test.csv")
    return report


def write_handin(folder: Path, report: dict, baselines: list[list] | None = None) -> Path:
    """report.json plus baselines.csv whose fine-tuned row repeats the report."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    rows = baselines or [
        ["majority", 0.26, 0.0688, 0.1073],
        ["tfidf-logreg", 0.88, 0.87, 0.88],
        ["tfidf-nb", 0.61, 0.53, 0.58],
        ["fine-tuned", report["accuracy"], report["f1_macro"], report["f1_weighted"]],
    ]
    lines = ["model,accuracy,f1_macro,f1_weighted"] + [",".join(str(v) for v in row) for row in rows]
    (folder / "baselines.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def grade(folder: Path):
    """Grade a folder with the Lab 6 spec (no hidden answers needed)."""
    return grade_entry(folder, load_spec(6), None)


def test_spec_totals_100_and_reference_handin_scores_full_marks(tmp_path):
    spec = load_spec(6)
    assert spec["max_points"] == 100
    result = grade(write_handin(tmp_path / "lab-6", reference_report()))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]


def broken_accuracy(report):
    report["accuracy"] = round(report["accuracy"] - 0.05, 4)


def broken_support(report):
    report["per_class"]["theft"]["support"] += 1


def broken_macro(report):
    report["f1_macro"] = report["f1_weighted"] - 0.05


def broken_recall(report):
    report["per_class"]["billing"]["recall"] = 1.0


def extra_key(report):
    report["notes"] = "x"


def wrong_split(report):
    report["n"] = 149


def percent_confidence(report):
    report["most_confident_mistakes"][0]["confidence"] = 93


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (broken_accuracy, {"report_consistency": 10, "fine_tuned_matches_report": 10}),
        (broken_support, {"report_consistency": 8}),
        (broken_macro, {"report_consistency": 9, "fine_tuned_matches_report": 10}),
        (broken_recall, {"report_consistency": 8}),
        (extra_key, {"report_keys": 10}),
        (wrong_split, {"report_values": 10, "report_consistency": 8}),
        (percent_confidence, {"mistakes_list": 10}),
    ],
)
def test_broken_report_loses_exactly_its_points(tmp_path, mutate, expected):
    report = reference_report()
    good = dict(report)
    mutate(report)
    rows = [
        ["majority", 0.26, 0.0688, 0.1073],
        ["tfidf-logreg", 0.88, 0.87, 0.88],
        ["tfidf-nb", 0.61, 0.53, 0.58],
        ["fine-tuned", good["accuracy"], good["f1_macro"], good["f1_weighted"]],
    ]
    assert lost(grade(write_handin(tmp_path / "lab-6", report, rows))) == expected


def test_feedback_names_the_inconsistent_numbers(tmp_path):
    report = reference_report()
    report["accuracy"] = 0.5
    result = grade(write_handin(tmp_path / "lab-6", report))
    message = next(c.message for c in result.checks if c.check_id == "report_consistency")
    assert "accuracy is 0.5 but the matrix gives trace/sum = 0.9133" in message


@pytest.mark.parametrize(
    "rows, expected, text",
    [
        (
            [["majority", 0.26, 0.0688, 0.1073], ["tfidf-logreg", 0.88, 0.87, 0.88], ["tfidf-nb", 0.61, 0.53, 0.58]],
            {"baselines_table": 10, "fine_tuned_matches_report": 10},
            "needs exactly one row with model 'fine-tuned'",
        ),
        (
            [
                ["majority", 0.3, 0.0688, 0.1073],
                ["tfidf-logreg", 0.88, 0.87, 0.88],
                ["tfidf-nb", 0.61, 0.53, 0.58],
                ["fine-tuned", 0.92, None, None],
            ],
            {"majority_row": 5},
            "majority accuracy is '0.3' but it must be 0.26",
        ),
        (
            [
                ["majority", 0.26, 0.0688, 0.1073],
                ["tfidf-logreg", 88, 0.87, 0.88],
                ["tfidf-nb", 0.61, 0.53, 0.58],
                ["fine-tuned", 0.92, None, None],
            ],
            {"baselines_table": 10},
            "column 'accuracy' is above 1",
        ),
    ],
)
def test_broken_baselines_lose_exactly_their_points(tmp_path, rows, expected, text):
    report = reference_report()
    for row in rows:
        if row[0] == "fine-tuned":
            row[1:] = [report["accuracy"], report["f1_macro"], report["f1_weighted"]]
    result = grade(write_handin(tmp_path / "lab-6", report, rows))
    assert lost(result) == expected
    assert any(text in c.message for c in result.checks), [c.message for c in result.checks]


def test_macro_f1_below_080_loses_the_quality_points(tmp_path):
    report = reference_report()
    report["f1_macro"] = 0.75  # consistency fails too: the matrix implies a higher macro F1
    rows = [
        ["majority", 0.26, 0.0688, 0.1073],
        ["tfidf-logreg", 0.88, 0.87, 0.88],
        ["tfidf-nb", 0.61, 0.53, 0.58],
        ["fine-tuned", report["accuracy"], 0.75, report["f1_weighted"]],
    ]
    assert lost(grade(write_handin(tmp_path / "lab-6", report, rows))) == {
        "model_quality": 10,
        "report_consistency": 9,
    }
