"""Lab 5 grading spec: the reference hand-in scores 100, each kind of mistake loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import coursekit.grading.grade as grade
from coursekit.grading.checks import load_spec
from coursekit.lessons.callbacks import plot_learning_curves

# An early-stopped run: evaluated every 20 steps (40 steps per epoch), best at step 60, stopped early at step 80 of
# up to 5 epochs, with a restored model above the quality floor (111/135 right on test).
EVALS = [(20, 0.5, 0.692, 0.417), (40, 1.0, 0.666, 0.642), (60, 1.5, 0.632, 0.678), (80, 2.0, 0.714, 0.647)]


def reference_log() -> list[dict]:
    records = []
    for step, epoch, loss, f1 in EVALS:
        records.append({"step": step, "epoch": epoch, "kind": "train", "loss": 0.69, "learning_rate": 1e-4})
        records.append({"step": step, "epoch": epoch, "kind": "eval", "eval_loss": loss, "eval_f1_macro": f1})
    records.append({"step": 80, "epoch": 2.0, "kind": "summary", "train_loss": 0.64})
    return records


def reference_best() -> dict:
    return {
        "model": "minilm-l6",
        "metric_for_best_model": "eval_f1_macro",
        "best_step": 60,
        "best_epoch": 1.5,
        "best_value": 0.678,
        "stopped_step": 80,
        "stopped_epoch": 2.0,
        "max_epochs": 5.0,
        "early_stopped": True,
        "test_accuracy": 0.8222,
        "test_f1_macro": 0.8202,
    }


def write_handin(folder: Path, log: list[dict], best: dict, png: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "training_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    (folder / "best_metrics.json").write_text(json.dumps(best, indent=2))
    if png:
        plot_learning_curves(folder / "training_log.jsonl", folder / "learning_curves.png")
    return folder


def grade_lab5(folder: Path):
    return grade.grade_entry(folder, load_spec(5), None)


def lost(result) -> dict[str, float]:
    return {c.check_id: round(c.max_points - c.points, 1) for c in result.checks if c.points < c.max_points}


def message(result, check_id: str) -> str:
    return next(c.message for c in result.checks if c.check_id == check_id)


def test_lab5_spec_totals_100():
    assert load_spec(5)["max_points"] == 100


def test_lab5_reference_handin_scores_full_marks(tmp_path):
    result = grade_lab5(write_handin(tmp_path / "ann", reference_log(), reference_best()))
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    assert message(result, "log_agrees_with_best_metrics") == (
        "best_metrics.json agrees with training_log.jsonl: best_value, best_step, best_epoch, stopped_step, "
        "early_stopped."
    )


def best_with(**changes) -> dict:
    return {**reference_best(), **changes}


@pytest.mark.parametrize(
    "case, best, expected_loss, check_id, text",
    [
        (
            "last_not_best",
            best_with(best_step=80, best_epoch=2.0, best_value=0.647),
            {"log_agrees_with_best_metrics": 25},
            "log_agrees_with_best_metrics",
            "best_metrics.json: best_value is 0.647 but the log gives 0.678 (best eval_f1_macro 0.678 at step 60).",
        ),
        (
            "not_early",
            best_with(early_stopped=False),
            {"log_agrees_with_best_metrics": 10},
            "log_agrees_with_best_metrics",
            "best_metrics.json: early_stopped is False but the log ends at epoch 2 of max_epochs 5.0",
        ),
        (
            "early_as_text",
            best_with(early_stopped="true"),
            {"log_agrees_with_best_metrics": 10},
            "log_agrees_with_best_metrics",
            "early_stopped is 'true'",
        ),
        (
            "value_as_text",
            best_with(best_value="0.678"),
            {"best_metrics_values": 15, "log_agrees_with_best_metrics": 10},
            "best_metrics_values",
            "best_value",
        ),
        (
            "wrong_metric",
            best_with(metric_for_best_model="eval_loss"),
            {"best_metrics_values": 15},
            "best_metrics_values",
            "metric_for_best_model",
        ),
        (
            "past_max_epochs",
            best_with(max_epochs=1.0, early_stopped=False),
            {"stopping_relations": 5},
            "stopping_relations",
            "a run never trains past num_train_epochs",
        ),
    ],
)
def test_lab5_broken_best_metrics_loses_its_points(tmp_path, case, best, expected_loss, check_id, text):
    result = grade_lab5(write_handin(tmp_path / case, reference_log(), best))
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert text in message(result, check_id)


def test_lab5_extra_key_loses_the_key_check(tmp_path):
    result = grade_lab5(write_handin(tmp_path / "x", reference_log(), best_with(train_seconds=12.5)))
    assert lost(result) == {"best_metrics_keys": 10}
    assert "unexpected train_seconds" in message(result, "best_metrics_keys")


def test_lab5_log_without_evaluations_loses_format_and_consistency(tmp_path):
    log = [r for r in reference_log() if r["kind"] != "eval"]
    folder = write_handin(tmp_path / "noeval", log, reference_best(), png=False)
    plot_learning_curves_source = write_handin(tmp_path / "png", reference_log(), reference_best())
    (folder / "learning_curves.png").write_bytes((plot_learning_curves_source / "learning_curves.png").read_bytes())
    result = grade_lab5(folder)
    assert lost(result) == {"training_log_format": 15, "log_agrees_with_best_metrics": 40}


def test_lab5_missing_png_loses_its_points(tmp_path):
    result = grade_lab5(write_handin(tmp_path / "nopng", reference_log(), reference_best(), png=False))
    assert lost(result) == {"learning_curves": 5}


@pytest.mark.parametrize(
    "accuracy, expected_loss",
    [(0.7185, {"test_accuracy_floor": 10}), (0.7926, {"test_accuracy_floor": 10}), (0.8, {})],
)
def test_lab5_model_below_the_quality_floor_loses_exactly_the_floor_points(tmp_path, accuracy, expected_loss):
    """Stopped before it learned (the first reference solution, 97/135) or no better than TF-IDF + logistic
    regression (0.785, 106/135; here 107/135 = 0.793): the floor's 10 points are lost, nothing else."""
    result = grade_lab5(write_handin(tmp_path / "ann", reference_log(), best_with(test_accuracy=accuracy)))
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    if expected_loss:
        assert "test_accuracy" in message(result, "test_accuracy_floor")
