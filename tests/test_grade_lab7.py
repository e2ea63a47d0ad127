"""The Lab 7 spec: the reference hand-in scores 100, and each broken variant loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import lost

from coursekit.grading.checks import Answers, load_spec
from coursekit.grading.grade import grade_entry

LABELS = ["closed", "open"]
REVIEW = "needs review"
THRESHOLD = 0.9
# 20 hidden answers; the reference predicts 18 confidently (17 right) and sends the 2 least confident to review.
ANSWERS = {f"p{i:03d}": LABELS[i % 2] for i in range(1, 21)}


def record(post_id: str, predicted: str, confidence: float, threshold: float = THRESHOLD) -> dict:
    """One record as batch_predict.py writes it."""
    other = LABELS[1 - LABELS.index(predicted)]
    scores = {predicted: confidence, other: round(1 - confidence, 4)}
    return {
        "id": post_id,
        "text": f"post {post_id}",
        "label": REVIEW if confidence < threshold else predicted,
        "predicted_label": predicted,
        "confidence": confidence,
        "scores": {label: scores[label] for label in LABELS},
    }


def reference_records() -> list[dict]:
    """18 confident records (one of them wrong: p005) and 2 below the threshold."""
    rows = []
    for number, (post_id, truth) in enumerate(ANSWERS.items()):
        predicted = truth if post_id != "p005" else LABELS[1 - LABELS.index(truth)]
        confidence = 0.62 + 0.01 * number if post_id in {"p001", "p002"} else round(0.95 + 0.002 * number, 4)
        rows.append(record(post_id, predicted, confidence))
    return rows


def write_handin(
    folder: Path,
    records: list[dict] | None = None,
    throughput: str = "batch_size,texts_per_second,seconds,texts\n1,81.1,3.15,256\n8,103.8,2.47,256\n"
    "32,75.3,3.4,256\n",
) -> Path:
    """The two hand-in files."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in (reference_records() if records is None else records)]
    (folder / "predictions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "throughput.csv").write_text(throughput, encoding="utf-8")
    return folder


def grade(folder: Path):
    """Grade a folder with the Lab 7 spec against the test's hidden answers."""
    return grade_entry(folder, load_spec(7), Answers(dict(ANSWERS), list(LABELS)))


def test_spec_totals_100_and_reference_handin_scores_full_marks(tmp_path):
    assert load_spec(7)["max_points"] == 100
    result = grade(write_handin(tmp_path / "lab-7"))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]
    message = {c.check_id: c.message for c in result.checks}["selective_accuracy"]
    assert "accuracy 0.944 on the 18 decided posts (coverage 90%; 2 'needs review')" in message


def with_records(change):
    def broken():
        rows = reference_records()
        change(rows)
        return rows

    return broken


def drop_first(rows):
    del rows[0]


def scores_not_summing(rows):
    rows[3]["scores"]["closed"] = 0.5


def confidence_not_top(rows):
    rows[4]["confidence"] = 0.5


def review_out_of_order(rows):
    rows[10]["label"] = REVIEW  # confidence 0.97, while 0.62 and 0.63 are also "needs review" but 0.95 is decided


def everything_to_review(rows):
    for row in rows:
        row["label"] = REVIEW


def numeric_labels(rows):
    for row in rows:
        row["label"] = str(LABELS.index(row["predicted_label"]))


@pytest.mark.parametrize(
    "make_records, expected",
    [
        (with_records(drop_first), {"predictions_format": 15}),
        (with_records(scores_not_summing), {"predictions_scores": 15}),
        (with_records(confidence_not_top), {"predictions_scores": 15, "predictions_threshold": 15}),
        (with_records(review_out_of_order), {"predictions_threshold": 15}),
        (with_records(everything_to_review), {"predictions_threshold": 0, "selective_accuracy": 35}),
        (with_records(numeric_labels), {"predictions_format": 15, "predictions_scores": 15, "selective_accuracy": 35}),
    ],
)
def test_broken_predictions_lose_their_points(tmp_path, make_records, expected):
    result = grade(write_handin(tmp_path / "lab-7", records=make_records()))
    assert lost(result) == {k: v for k, v in expected.items() if v}, [(c.check_id, c.message) for c in result.checks]


def test_selective_accuracy_gives_linear_partial_credit(tmp_path):
    rows = reference_records()
    for row in rows[5:9]:  # four more confident mistakes (p006-p009): 13 of 18 right = 0.722
        row["predicted_label"] = row["label"] = LABELS[1 - LABELS.index(row["label"])]
        row["scores"] = {label: row["scores"][LABELS[1 - LABELS.index(label)]] for label in LABELS}
    result = grade(write_handin(tmp_path / "lab-7", records=rows))
    assert lost(result) == {"selective_accuracy": pytest.approx(35 - round(35 * (13 / 18 - 0.6) / 0.28, 1))}


def test_missing_threshold_rule_message_names_the_records(tmp_path):
    rows = reference_records()
    review_out_of_order(rows)
    result = grade(write_handin(tmp_path / "lab-7", records=rows))
    message = {c.check_id: c.message for c in result.checks}["predictions_threshold"]
    assert "a 'needs review' record has confidence 0.97 but a decided record only 0.95" in message


@pytest.mark.parametrize(
    "throughput",
    [
        "batch_size,texts_per_second\n1,80\n8,100\n16,90\n",  # batch size 16 instead of 32
        "batch_size,texts_per_second\n1,80\n8,100\n",  # a row missing
        "batch_size,speed\n1,80\n8,100\n32,90\n",  # wrong column
        "batch_size,texts_per_second\n1,80\n8,0\n32,90\n",  # zero throughput
    ],
)
def test_broken_throughput_loses_20(tmp_path, throughput):
    result = grade(write_handin(tmp_path / "lab-7", throughput=throughput))
    assert lost(result) == {"throughput": 20}


def test_grader_without_answers_names_the_problem(tmp_path):
    result = grade_entry(write_handin(tmp_path / "lab-7"), load_spec(7), None)
    message = {c.check_id: c.message for c in result.checks}["selective_accuracy"]
    assert "no answers file was given to the grader" in message


def test_per_student_answers_grade_each_folder_against_its_own_variant(tmp_path):
    """With a roster answers file (challenge make --roster) Lab 7 is graded against the student's Lab 4 variant."""
    other = {f"x{i:03d}": label for i, label in enumerate(ANSWERS.values())}  # another student's ids
    answers = Answers({}, list(LABELS), {"ana": dict(ANSWERS), "ben": other})
    own = grade_entry(write_handin(tmp_path / "ana"), load_spec(7), answers)
    copied = grade_entry(write_handin(tmp_path / "ben"), load_spec(7), answers)
    assert own.points == 100
    assert lost(copied) == {"predictions_format": 15, "selective_accuracy": 35}
