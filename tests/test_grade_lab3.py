"""The Lab 3 grader: the reference hand-in scores 100; each defect loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import (
    check,
    lost,
)

import coursekit.grading.grade as grade
from coursekit.grading.checks import load_spec
from coursekit.paths import PROJECT_ROOT

# ------------------------------------------------------------------------------------------------
# Lab 3 (comparison.json: keys, fixed split and baseline, runs, whole counts, macro F1, best_remedy)
# ------------------------------------------------------------------------------------------------


def lab3_reference() -> dict:
    """The reference solution's comparison.json (labs/lab-3.md and its executed solution), as a fresh dict."""
    return {
        "data": "trail_status_imbalanced.csv",
        "label_column": "Blankets_Creek",
        "minority_label": "closed",
        "test_size": 154,
        "test_counts": {"closed": 20, "open": 134},
        "baseline": {"accuracy": 0.8701, "f1_macro": 0.4653, "minority_recall": 0.0},
        "runs": [
            {
                "remedy": "none",
                "model": "minilm-l6",
                "epochs": 2.0,
                "accuracy": 0.8701,
                "f1_macro": 0.4653,
                "minority_recall": 0.0,
            },
            {
                "remedy": "class-weights",
                "model": "minilm-l6",
                "epochs": 2.0,
                "accuracy": 0.8766,
                "f1_macro": 0.5536,
                "minority_recall": 0.1,
            },
        ],
        "best_remedy": "class-weights",
    }


OVERSAMPLE_RUN = {
    "remedy": "oversample",
    "model": "minilm-l6",
    "epochs": 2,
    "accuracy": 0.8571,
    "f1_macro": 0.6363,
    "minority_recall": 0.3,
}  # labs/lab-3.md: 6 of 20 closed and 126 of 134 open posts right


def write_lab3(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "comparison.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


def grade_lab3(folder: Path):
    return grade.grade_entry(folder, load_spec(3), None)


def test_lab3_reference_handin_scores_full_marks(tmp_path):
    result = grade_lab3(write_lab3(tmp_path / "subs" / "ann", lab3_reference()))
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    three = lab3_reference()
    three["runs"].append(dict(OVERSAMPLE_RUN))
    three["best_remedy"] = "oversample"
    result = grade_lab3(write_lab3(tmp_path / "subs" / "ben", three))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks]
    assert check(result, "best_remedy").message == (
        "best_remedy 'oversample' ranks first by f1_macro, then minority_recall, then position in runs "
        "(f1_macro 0.6363, minority_recall 0.3000)."
    )


def missing_key(data: dict) -> dict:
    del data["baseline"]
    return data


def keys_out_of_order(data: dict) -> dict:
    runs = data["runs"]
    return {"runs": runs, **{k: v for k, v in data.items() if k != "runs"}}


def quoted_test_size(data: dict) -> dict:
    data["test_size"] = "154"
    return data


def wrong_data(data: dict) -> dict:
    data["data"] = "trail_status.csv"
    return data


def other_split(data: dict) -> dict:
    data["test_size"], data["test_counts"] = 155, {"closed": 21, "open": 134}
    return data


def sum_mismatch(data: dict) -> dict:
    data["test_counts"]["closed"] = 21
    return data


def weighted_baseline(data: dict) -> dict:
    data["baseline"]["f1_macro"] = 0.81
    return data


def zero_epochs(data: dict) -> dict:
    runs = data["runs"]
    runs[1]["epochs"] = 0
    return data


def remedy_first(data: dict) -> dict:
    runs = data["runs"]
    data["runs"] = runs[::-1]
    return data


def extra_run_key(data: dict) -> dict:
    runs = data["runs"]
    runs[0]["seconds"] = 88.0
    return data


def unknown_remedy(data: dict) -> dict:
    runs = data["runs"]
    runs.append({**runs[0], "remedy": "focal-loss"})
    return data


def repeated_remedy(data: dict) -> dict:
    runs = data["runs"]
    runs.append({**runs[0]})
    return data


def percent_accuracy(data: dict) -> dict:
    runs = data["runs"]
    runs[1]["accuracy"] = 87.66
    return data


def recall_not_whole(data: dict) -> dict:
    runs = data["runs"]
    runs[1]["minority_recall"] = 0.12
    return data


def weighted_f1(data: dict) -> dict:
    runs = data["runs"]
    runs[1]["f1_macro"] = 0.8347
    return data


def wrong_best(data: dict) -> dict:
    data["best_remedy"] = "none"
    return data


@pytest.mark.parametrize(
    "mutate, expected_loss, check_id, text",
    [
        (
            missing_key,
            {"exact_keys": 5, "baseline": 10},
            "exact_keys",
            "comparison.json: the top-level object has missing baseline; use exactly the keys data, label_column, "
            "minority_label, test_size, test_counts, baseline, runs, best_remedy.",
        ),
        (
            keys_out_of_order,
            {"exact_keys": 5},
            "exact_keys",
            "comparison.json: the top-level object has its keys in the order runs, data, label_column, "
            "minority_label, "
            "test_size, test_counts, baseline, best_remedy; write them in the order data, label_column, "
            "minority_label, "
            "test_size, test_counts, baseline, runs, best_remedy",
        ),
        (
            quoted_test_size,
            {"split_counts": 10, "test_size_sum": 5},
            "split_counts",
            "comparison.json: key 'test_size' is '154' (text, not a number; write the number without quotes); "
            "expected exactly 154.",
        ),
        (
            wrong_data,
            {"setup": 10},
            "setup",
            "comparison.json: key 'data' is 'trail_status.csv' (must be 'trail_status_imbalanced.csv'); "
            "expected exactly 'trail_status_imbalanced.csv'.",
        ),
        (
            other_split,
            {"split_counts": 10},
            "split_counts",
            "comparison.json: key 'test_size' is 155 (must be 154); expected exactly 154.",
        ),
        (
            sum_mismatch,
            {"split_counts": 10, "test_size_sum": 5},
            "test_size_sum",
            "comparison.json: test_size is 154 but test_counts = 155.",
        ),
        (
            weighted_baseline,
            {"baseline": 10},
            "baseline",
            "comparison.json: key 'baseline.f1_macro' is 0.81 (above 0.4663); expected a number in [0.4643, 0.4663].",
        ),
        (
            zero_epochs,
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[1].epochs is 0 (below 0.01); expected a number ≥ 0.01.",
        ),
        (
            remedy_first,
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[0].remedy is 'class-weights'; the first object must have remedy 'none'.",
        ),
        (
            extra_run_key,
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[0] has unexpected seconds; use exactly the keys remedy, model, epochs, accuracy, "
            "f1_macro, minority_recall.",
        ),
        (
            unknown_remedy,
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[2].remedy is 'focal-loss' (unknown); expected one of "
            "none/class-weights/oversample.",
        ),
        (
            repeated_remedy,
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[2].remedy 'none' repeats runs[0]; each value may appear once.",
        ),
        (
            percent_accuracy,
            {"runs_format": 20, "runs_whole_counts": 10, "runs_f1_macro": 10},
            "runs_format",
            "comparison.json: runs[1].accuracy is 87.66 (above 1); expected a number in [0, 1].",
        ),
        (
            recall_not_whole,
            {"runs_whole_counts": 10},
            "runs_whole_counts",
            "comparison.json: runs[1].minority_recall 0.12 × 20 = 2.400, not a whole number of closed test posts "
            "(tolerance ±0.002)",
        ),
        (
            weighted_f1,
            {"runs_f1_macro": 10},
            "runs_f1_macro",
            "comparison.json: runs[1].f1_macro is 0.8347 but accuracy 0.8766 and minority_recall 0.1 on 20 closed / "
            "134 "
            "open posts mean 2 closed and 133 open posts right, so macro F1 = (0.1739 + 0.9333) / 2 = 0.5536 "
            "(tolerance 0.001); report the unweighted mean of both classes' F1",
        ),
        (
            wrong_best,
            {"best_remedy": 20},
            "best_remedy",
            "comparison.json: best_remedy is 'none' but runs[1] ('class-weights') ranks first by f1_macro, then "
            "minority_recall, then position in runs (f1_macro 0.5536, minority_recall 0.1000); name the remedy your "
            "own "
            "numbers rank first.",
        ),
    ],
)
def test_lab3_broken_handin_loses_its_points(tmp_path, mutate, expected_loss, check_id, text):
    result = grade_lab3(write_lab3(tmp_path / "subs" / mutate.__name__, mutate(lab3_reference())))
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == 100 - sum(expected_loss.values())
    assert text in check(result, check_id).message


@pytest.mark.parametrize(
    "oversample, winner",
    [
        ({"f1_macro": 0.5536, "minority_recall": 0.15}, "oversample"),  # tie on f1_macro: higher minority_recall
        ({"f1_macro": 0.5536, "minority_recall": 0.1}, "class-weights"),  # tie on both: the earlier run
    ],
)
def test_lab3_best_remedy_tie_breaks(tmp_path, oversample, winner):
    data = lab3_reference()
    data["runs"].append({**OVERSAMPLE_RUN, **oversample})
    for claim in ("class-weights", "oversample"):
        data["best_remedy"] = claim
        result = grade_lab3(write_lab3(tmp_path / "subs" / f"{claim}-{winner}", data))
        assert check(result, "best_remedy").points == (20 if claim == winner else 0), check(
            result, "best_remedy"
        ).message


def test_lab3_unreadable_json_loses_every_check(tmp_path):
    folder = tmp_path / "subs" / "eve"
    folder.mkdir(parents=True)
    (folder / "comparison.json").write_text('{"data": "trail_status_imbalanced.csv" "runs": []}')
    result = grade_lab3(folder)
    assert (result.status, result.points) == ("graded", 0)
    assert check(result, "best_remedy").message.startswith(
        "comparison.json is not valid JSON: Expecting ',' delimiter at line 1 column 40."
    )


def test_lab3_text_example_obeys_the_spec(tmp_path):
    """The comparison.json shown in labs/lab-3.md (placeholders included) is a full-marks hand-in: the text and
    the spec agree on every rule, best_remedy included."""
    text = (PROJECT_ROOT / "labs" / "lab-3.md").read_text(encoding="utf-8")
    hand_in = text[text.index("### Hand-in (exact format)") :]
    example = json.loads(hand_in[hand_in.index("```json\n") + 8 : hand_in.index("\n```", hand_in.index("```json"))])
    result = grade_lab3(write_lab3(tmp_path / "subs" / "example", example))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]
