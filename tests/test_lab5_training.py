"""Lab 5: local evaluate metric modules, the JSONL logger and learning curves, precision per device,
and the advanced training script (early stopping, best-model restore, resume)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from helpers import run_main, run_script
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from transformers import TrainerControl, TrainerState, TrainingArguments

from coursekit import device as course_device
from coursekit.errors import CourseError
from coursekit.lessons.callbacks import (
    JsonlLoggerCallback,
    StopAtStepCallback,
    overfitting_epochs,
    per_epoch,
    plot_learning_curves,
    read_log,
)
from coursekit.lessons.evaluate_modules import available_metrics, combine_metrics, load_metric

SCRIPT = "examples/training/advanced_training.py"
RNG = np.random.default_rng(0)
REFERENCES = RNG.integers(0, 3, 200)
PREDICTIONS = np.where(RNG.random(200) < 0.7, REFERENCES, RNG.integers(0, 3, 200))


def test_course_ships_four_local_metric_modules():
    assert available_metrics() == ["accuracy", "f1", "precision", "recall"]


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
@pytest.mark.parametrize(
    "name, sklearn_fn", [("f1", f1_score), ("precision", precision_score), ("recall", recall_score)]
)
def test_local_metric_modules_match_scikit_learn(name, sklearn_fn, average):
    result = load_metric(name).compute(predictions=PREDICTIONS, references=REFERENCES, average=average)
    assert result == {name: pytest.approx(sklearn_fn(REFERENCES, PREDICTIONS, average=average))}


def test_accuracy_module_and_per_class_scores_match_scikit_learn():
    assert load_metric("accuracy").compute(predictions=PREDICTIONS, references=REFERENCES)[
        "accuracy"
    ] == pytest.approx(accuracy_score(REFERENCES, PREDICTIONS))
    per_class = load_metric("recall").compute(predictions=PREDICTIONS, references=REFERENCES, average=None)["recall"]
    assert per_class == pytest.approx(list(recall_score(REFERENCES, PREDICTIONS, average=None)))
    binary = load_metric("f1").compute(predictions=[0, 1, 1, 0, 1], references=[0, 1, 0, 0, 1])
    assert binary["f1"] == pytest.approx(0.8)


def test_combine_passes_average_to_every_module():
    scores = combine_metrics(["accuracy", "f1", "precision", "recall"]).compute(
        predictions=PREDICTIONS, references=REFERENCES, average="macro"
    )
    assert sorted(scores) == ["accuracy", "f1", "precision", "recall"]
    assert scores["f1"] == pytest.approx(f1_score(REFERENCES, PREDICTIONS, average="macro"))


@pytest.mark.parametrize("name", ["bleu", "", "../metrics/f1"])
def test_unknown_metric_name_is_a_course_error_listing_the_modules(name):
    with pytest.raises(CourseError, match=r"no local metric .*available: accuracy, f1, precision, recall"):
        load_metric(name)


def fake_run(path, tmp_path):
    """Feed the callback a Lab 4-like log stream: 4 epochs of 2 steps, validation loss rising after epoch 2."""
    callback = JsonlLoggerCallback(path)
    args = TrainingArguments(output_dir=str(tmp_path / "unused"), report_to="none")
    state, control = TrainerState(), TrainerControl()
    train_losses = [0.69, 0.66, 0.55, 0.50, 0.40, 0.35, 0.25, 0.20]
    eval_losses, f1s = [0.602, 0.520, 0.614, 0.632], [0.673, 0.728, 0.804, 0.814]
    for step, loss in enumerate(train_losses, start=1):
        state.global_step, state.epoch = step, step / 2
        callback.on_log(args, state, control, logs={"loss": loss, "learning_rate": 1e-4, "grad_norm": 1.0})
        if step % 2 == 0:
            callback.on_log(
                args,
                state,
                control,
                logs={
                    "eval_loss": eval_losses[step // 2 - 1],
                    "eval_f1_macro": f1s[step // 2 - 1],
                    "eval_runtime": 1.23,
                },
            )
    callback.on_log(args, state, control, logs={"train_runtime": 9.9, "train_loss": 0.45})


def test_jsonl_logger_writes_one_object_per_log_event(tmp_path):
    path = tmp_path / "run" / "training_log.jsonl"
    fake_run(path, tmp_path)
    records = read_log(path)
    assert len(path.read_text().splitlines()) == 13
    assert [r["kind"] for r in records].count("eval") == 4 and records[-1]["kind"] == "summary"
    assert records[2] == {"step": 2, "epoch": 1.0, "kind": "eval", "eval_loss": 0.602, "eval_f1_macro": 0.673}
    assert "train_runtime" not in records[-1]


def test_per_epoch_rows_and_overfitting_detection(tmp_path):
    path = tmp_path / "training_log.jsonl"
    fake_run(path, tmp_path)
    rows = per_epoch(read_log(path))
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert rows[0]["train_loss"] == pytest.approx(0.675)
    assert overfitting_epochs(rows) == [3, 4]


def test_plot_learning_curves_writes_a_real_png(tmp_path):
    fake_run(tmp_path / "log.jsonl", tmp_path)
    png = plot_learning_curves(tmp_path / "log.jsonl", tmp_path / "out" / "curves.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"
    assert struct.unpack(">II", data[16:24]) == (900, 350)


def test_plot_learning_curves_names_a_missing_or_broken_log(tmp_path):
    with pytest.raises(CourseError, match="does not exist"):
        plot_learning_curves(tmp_path / "missing.jsonl", tmp_path / "x.png")
    (tmp_path / "bad.jsonl").write_text('{"step": 1}\nnot json\n')
    with pytest.raises(CourseError, match="line 2 is not JSON"):
        plot_learning_curves(tmp_path / "bad.jsonl", tmp_path / "x.png")


def test_stop_at_step_callback_stops_and_saves_only_at_its_step():
    callback, state, control = StopAtStepCallback(4), TrainerState(), TrainerControl()
    state.max_steps, state.global_step = 10, 3
    callback.on_step_end(None, state, control)
    assert not control.should_training_stop and not callback.fired
    state.global_step = 4
    callback.on_step_end(None, state, control)
    assert control.should_training_stop and control.should_save and callback.fired


@pytest.mark.parametrize("bf16, expected", [(True, {"bf16": True}), (False, {"fp16": True})])
def test_precision_settings_on_cuda_prefer_bf16(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    settings, why = course_device.precision_settings("cuda")
    assert settings == expected and ("bf16" if bf16 else "fp16") in why


@pytest.mark.parametrize("device, word", [("mps", "MPS"), ("cpu", "silently ignored")])
def test_precision_settings_stay_float32_on_mps_and_cpu(device, word):
    settings, why = course_device.precision_settings(device)
    assert settings == {} and why.startswith("float32") and word in why


@pytest.mark.parametrize(
    "args, message",
    [
        (["--warmup", "5"], "--warmup is a ratio of all steps"),
        (["--patience", "0"], "--patience, --eval-steps and --save-total-limit must be at least 1"),
        (
            ["--stop-after-steps", "15", "--eval-steps", "10"],
            "--stop-after-steps must be a positive multiple of --eval-steps (10)",
        ),
        (["--resume", "--output", "OUT"], "--resume: no checkpoint in"),
        (["--label-column", "Nope"], "Nope"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, args, message):
    args = [str(tmp_path / "run") if a == "OUT" else a for a in args]
    result = run_main(SCRIPT, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.stderr


SMALL = ["--max-train-rows", "240", "--eval-steps", "5", "--epochs", "4", "--patience", "2", "--no-progress"]


@pytest.mark.slow
def test_interrupted_and_resumed_run_stops_early_and_restores_the_best_checkpoint(tmp_path):
    output = tmp_path / "run"
    env = {"OMP_NUM_THREADS": "1"}
    first = run_script(SCRIPT, *SMALL, "--output", str(output), "--stop-after-steps", "10", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "interrupted at step 10 of 60" in first.stdout and not (output / "best_metrics.json").exists()
    second = run_script(SCRIPT, *SMALL, "--output", str(output), "--resume", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "resuming:  checkpoint-10" in second.stdout and "precision: float32" in second.stdout

    best = json.loads((output / "best_metrics.json").read_text())
    metrics = json.loads((output / "metrics.json").read_text())
    evals = [r for r in read_log(output / "training_log.jsonl") if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == list(range(5, best["stopped_step"] + 1, 5))  # both parts, no repeats
    assert best["early_stopped"] and 10 < best["stopped_step"] < 60 and best["stopped_epoch"] < best["max_epochs"] == 4
    assert best["best_value"] == pytest.approx(max(r["eval_f1_macro"] for r in evals))
    assert next(r["step"] for r in evals if r["eval_f1_macro"] == best["best_value"]) == best["best_step"]
    assert metrics["validation"]["f1_macro"] == pytest.approx(best["best_value"], abs=1e-4)  # restored, not last
    assert (output / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert not (output / "checkpoints").exists() and (output / "model.safetensors").is_file()
    assert "stopped by early stopping" in second.stdout
