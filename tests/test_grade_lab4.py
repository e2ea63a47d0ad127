"""The Lab 4 grader: a perfect hand-in scores 100 and each defect loses exactly its rubric points with a precise
feedback line. No training; everything is built in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import (
    LABELS,
    check,
    grade_one,
    held_out_rows,
    lost,
    make_perfect,
    png_bytes,
    write_answers,
    zip_folder,
)

from coursekit.errors import CourseError
from coursekit.grading import checks
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import load_spec, validate_spec


@pytest.fixture()
def answers(tmp_path) -> tuple[Path, dict[str, str]]:
    """A hidden answers file with 40 ids, half open, half closed."""
    return write_answers(tmp_path)


# ------------------------------------------------------------------------------------------------
# Spec
# ------------------------------------------------------------------------------------------------


def test_every_spec_loads_and_lab4_totals_100():
    for path in sorted(checks.SPECS_DIR.glob("lab-*.yaml")):
        spec = load_spec(int(path.stem.split("-")[1]))
        assert spec["max_points"] > 0, path
    spec = load_spec(4)
    assert spec["max_points"] == 100
    assert {c["id"] for c in spec["checks"]} >= {"predictions_ids", "accuracy", "f1_macro", "best_model_claim"}


def test_spec_with_unknown_check_type_is_rejected(tmp_path):
    with pytest.raises(CourseError, match="unknown type 'csv'"):
        validate_spec({"checks": [{"id": "x", "type": "csv", "points": 1}]}, tmp_path / "lab-9.yaml")
    with pytest.raises(CourseError, match="add up to 3 points but total_points says 100"):
        validate_spec(
            {"total_points": 100, "checks": [{"id": "x", "type": "png_file", "file": "a.png", "points": 3}]},
            tmp_path / "lab-9.yaml",
        )
    with pytest.raises(CourseError, match="unknown metric\\(s\\) acc; use one of accuracy"):
        validate_spec(
            {
                "answers": {"labels": LABELS},
                "checks": [
                    {
                        "id": "x",
                        "type": "predictions_vs_answers",
                        "file": "p.csv",
                        "metric": "acc",
                        "full_at": 1,
                        "zero_at": 0,
                        "points": 3,
                    }
                ],
            },
            tmp_path / "lab-9.yaml",
        )


def test_symlinked_student_entry_is_invalid(tmp_path, answers):
    answers_path, labels = answers
    real = make_perfect(tmp_path / "elsewhere" / "real", labels)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "quinn").symlink_to(real, target_is_directory=True)
    result = grade_one(tmp_path / "subs" / "quinn", answers_path)
    assert (result.status, result.points) == ("invalid", 0)
    assert result.notes[0].startswith("the submission folder is a symbolic link")


# ------------------------------------------------------------------------------------------------
# Scores of single submissions
# ------------------------------------------------------------------------------------------------


def test_perfect_submission_scores_full_marks(tmp_path, answers):
    answers_path, labels = answers
    result = grade_one(make_perfect(tmp_path / "subs" / "alice", labels), answers_path)
    assert result.status == "graded"
    assert result.points == 100, [(c.check_id, c.points, c.message) for c in result.checks]
    assert "accuracy 1.000 on 40 hidden labels" in check(result, "accuracy").message
    assert "recall per class: closed 1.00, open 1.00" in check(result, "accuracy").message
    assert check(result, "comparison_plot").message.startswith("comparison.png: PNG 320x200 px")


def test_perfect_zip_with_top_folder_and_zip_at_root_both_score_full(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "work" / "lab-4", labels)
    (tmp_path / "subs").mkdir()
    nested = grade_one(zip_folder(folder, tmp_path / "subs" / "bob.zip"), answers_path)
    flat = grade_one(zip_folder(folder, tmp_path / "subs" / "carol.zip", top=None), answers_path)
    assert (nested.student, nested.status, nested.points) == ("bob", "graded", 100)
    assert (flat.student, flat.status, flat.points) == ("carol", "graded", 100)


def test_weaker_predictions_get_linear_partial_credit(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "dan", labels)
    flipped = {
        i: (LABELS[1 - LABELS.index(label)] if n < 10 else label) for n, (i, label) in enumerate(labels.items())
    }
    write_csv(
        folder / "predictions.csv", ["id", "label", "confidence"], [[i, label, 0.7] for i, label in flipped.items()]
    )
    result = grade_one(folder, answers_path)
    # accuracy 0.75: 20 * (0.75 - 0.60) / 0.25 = 12; macro F1 0.75: 15 * (0.75 - 0.55) / 0.25 = 12
    assert lost(result) == {"accuracy": 8.0, "f1_macro": 3.0}
    assert (
        "accuracy 0.750 on 40 hidden labels (full points at ≥ 0.85, none at ≤ 0.6)"
        in check(result, "accuracy").message
    )


def write_confidences(folder: Path, labels: dict[str, str], bad: dict[int, str]) -> None:
    """predictions.csv with the confidence of the rows ``bad`` (0-based) replaced."""
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "confidence"],
        [[i, label, bad.get(n, 0.9)] for n, (i, label) in enumerate(labels.items())],
    )


def set_metric(folder: Path, key: str, value) -> None:
    """metrics.json with one key changed."""
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics[key] = value
    (folder / "metrics.json").write_text(json.dumps(metrics))


def missing_png(folder: Path, labels: dict[str, str]) -> None:
    (folder / "comparison.png").unlink()


def integer_labels(folder: Path, labels: dict[str, str]) -> None:
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "confidence"],
        [[i, LABELS.index(label), 0.9] for i, label in labels.items()],
    )


def nan_confidence(folder: Path, labels: dict[str, str]) -> None:
    write_confidences(folder, labels, {2: "nan", 6: "NaN"})


def confidence_out_of_range(folder: Path, labels: dict[str, str]) -> None:
    write_confidences(folder, labels, {0: "1.5"})


def missing_ids(folder: Path, labels: dict[str, str]) -> None:
    write_csv(
        folder / "predictions.csv", ["id", "label", "confidence"], [[i, labels[i], 0.9] for i in list(labels)[:-2]]
    )


def wrong_prediction_columns(folder: Path, labels: dict[str, str]) -> None:
    write_csv(
        folder / "predictions.csv", ["id", "prediction", "confidence"], [[i, labels[i], 0.9] for i in list(labels)]
    )


def wrong_comparison_columns(folder: Path, labels: dict[str, str]) -> None:
    write_csv(
        folder / "comparison.csv",
        ["name", "params", "seconds", "acc", "f1_macro"],
        [["minilm-l3", 1, 2, 0.8, 0.79], ["minilm-l6", 1, 2, 0.85, 0.85]],
    )


def metrics_mismatch(folder: Path, labels: dict[str, str]) -> None:
    set_metric(folder, "accuracy", 0.95)


def wrong_test_size(folder: Path, labels: dict[str, str]) -> None:
    set_metric(folder, "test_size", 100)


def best_model_wrong(folder: Path, labels: dict[str, str]) -> None:
    set_metric(folder, "best_model", "minilm-l3")


def wrong_label_column(folder: Path, labels: dict[str, str]) -> None:
    set_metric(folder, "label_column", "Rope_Mill")


def quoted_number(folder: Path, labels: dict[str, str]) -> None:
    set_metric(folder, "accuracy", "0.85")


def not_a_png(folder: Path, labels: dict[str, str]) -> None:
    (folder / "comparison.png").write_text("this is a JPEG renamed to png " * 50)


def tiny_png(folder: Path, labels: dict[str, str]) -> None:
    (folder / "comparison.png").write_bytes(png_bytes(100, 80))


def short_notes(folder: Path, labels: dict[str, str]) -> None:
    (folder / "notes.md").write_text("Deploy minilm-l6, obviously.")


def bad_json(folder: Path, labels: dict[str, str]) -> None:
    (folder / "metrics.json").write_text('{"model": "x" "accuracy": 0.9}')


def few_test_rows(folder: Path, labels: dict[str, str]) -> None:
    write_csv(
        folder / "test_predictions.csv",
        ["text", "true_label", "predicted_label", "confidence"],
        held_out_rows()[:20],
    )


@pytest.mark.parametrize(
    "mutate, expected_loss, check_id, text",
    [
        (
            missing_png,
            {"comparison_plot": 5},
            "comparison_plot",
            "comparison.png is missing (the hand-in holds: comparison.csv, metrics.json, notes.md, predictions.csv, "
            "test_predictions.csv). Save it under exactly that name.",
        ),
        (
            integer_labels,
            {"predictions_labels": 4, "accuracy": 20, "f1_macro": 15},
            "predictions_labels",
            "predictions.csv: column 'label' holds numbers at line 2, line 3, line 4, line 5, line 6, line 7, line "
            "8, line 9 "
            "(+32 more); labels must be names open/closed, not 0/1: map with model.config.id2label.",
        ),
        (
            nan_confidence,
            {"predictions_confidence": 5},
            "predictions_confidence",
            "predictions.csv: column 'confidence' is NaN or infinite at line 4, line 8; expected a number in [0, 1].",
        ),
        (
            confidence_out_of_range,
            {"predictions_confidence": 5},
            "predictions_confidence",
            "predictions.csv: column 'confidence' is above 1 at line 2; expected a number in [0, 1].",
        ),
        (
            missing_ids,
            {"predictions_ids": 6},
            "predictions_ids",
            "predictions.csv: 2 id(s) of posts.csv have no prediction: p039, p040.",
        ),
        (
            wrong_prediction_columns,
            {"predictions_ids": 6, "predictions_labels": 4, "accuracy": 20, "f1_macro": 15},
            "predictions_ids",
            "predictions.csv: missing column(s) label; it has id, prediction, confidence. "
            "The header must be exactly id,label,confidence.",
        ),
        (
            wrong_comparison_columns,
            {"comparison_table": 8, "best_model_claim": 5},
            "comparison_table",
            "comparison.csv: missing column(s) model, parameters, train_seconds, accuracy; it has name, params, "
            "seconds, acc, f1_macro.",
        ),
        (
            metrics_mismatch,
            {"metrics_match_predictions": 4},
            "metrics_match_predictions",
            "metrics.json: accuracy is 0.9500 but test_predictions.csv gives 0.8500 (tolerance 0.01)",
        ),
        (
            wrong_test_size,
            {"metrics_match_predictions": 2},
            "metrics_match_predictions",
            "metrics.json: test_size is 100 but test_predictions.csv has 60 rows",
        ),
        (
            best_model_wrong,
            {"best_model_claim": 5},
            "best_model_claim",
            "metrics.json: best_model is 'minilm-l3' but the highest f1_macro in comparison.csv is 0.850 "
            "('minilm-l6')",
        ),
        (
            not_a_png,
            {"comparison_plot": 5},
            "comparison_plot",
            "comparison.png: not a PNG image (wrong file signature)",
        ),
        (tiny_png, {"comparison_plot": 5}, "comparison_plot", "comparison.png: 100x80 px, need at least 200x150"),
        (short_notes, {"notes": 7}, "notes", "notes.md: 3 words, need at least 50."),
        (
            wrong_label_column,
            {"metrics_keys": 5},
            "metrics_keys",
            "metrics.json: key 'label_column' is 'Rope_Mill' (must be 'Blankets_Creek'); expected exactly "
            "'Blankets_Creek'.",
        ),
        (
            quoted_number,
            {"metrics_keys": 5},
            "metrics_keys",
            "metrics.json: key 'accuracy' is '0.85' (text, not a number; write the number without quotes); "
            "expected a number in [0, 1].",
        ),
        (
            bad_json,
            {"metrics_keys": 5, "metrics_match_predictions": 10, "best_model_claim": 5},
            "metrics_keys",
            "metrics.json is not valid JSON: Expecting ',' delimiter at line 1 column 15.",
        ),
        (
            few_test_rows,
            {"test_predictions": 10, "metrics_match_predictions": 10},
            "test_predictions",
            "test_predictions.csv: 20 rows, need at least 50.",
        ),
    ],
)
def test_broken_submission_loses_exactly_its_rubric_points(tmp_path, answers, mutate, expected_loss, check_id, text):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / mutate.__name__, labels)
    mutate(folder, labels)
    result = grade_one(folder, answers_path)
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == round(100 - sum(expected_loss.values()), 1)
    assert text in check(result, check_id).message


def test_integer_labels_in_test_predictions_get_the_same_hint(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "erin", labels)
    rows = [[text, LABELS.index(t), LABELS.index(p), c] for text, t, p, c in held_out_rows()]
    write_csv(folder / "test_predictions.csv", ["text", "true_label", "predicted_label", "confidence"], rows)
    result = grade_one(folder, answers_path)
    assert lost(result) == {"test_predictions": 10, "metrics_match_predictions": 8}
    message = check(result, "test_predictions").message
    assert (
        "column 'true_label' holds numbers at line 2" in message
        and "not 0/1: map with model.config.id2label" in message
    )
    assert (
        "metrics.json: cannot check 'accuracy': test_predictions.csv has labels other than closed/open at line 2"
        in check(result, "metrics_match_predictions").message
    )
