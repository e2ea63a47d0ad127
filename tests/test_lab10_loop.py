"""Lab 10: the hand-written Accelerate loop (examples/training/train_loop.py) and training on two CPU processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import import_script, run_main
from transformers import BertConfig, BertForSequenceClassification

from coursekit.metrics import wilson_interval
from coursekit.paths import PROJECT_ROOT
from coursekit.training import distributed_settings

loop = import_script("training/train_loop.py")
TWO_PROCESSES = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


@pytest.mark.parametrize("requested, expected", [("fp32", "no"), ("bf16", "bf16"), ("auto", "no")])
def test_loop_precision_follows_the_course_policy(monkeypatch, requested, expected):
    """COURSE_PRECISION drives the loop as it drives TrainingArguments (auto keeps float32 on CPUs, Lab 5)."""
    monkeypatch.setenv("COURSE_PRECISION", requested)
    assert loop.mixed_precision("cpu") == expected


def test_weight_decay_skips_biases_and_layernorm_like_the_trainer():
    model = BertForSequenceClassification(
        BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    )
    decay, no_decay = loop.decay_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert all("bias" in names[id(p)] or "LayerNorm" in names[id(p)] for p in no_decay["params"])
    assert not any("bias" in names[id(p)] or "LayerNorm" in names[id(p)] for p in decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_distributed_settings_only_under_a_launcher(monkeypatch):
    """gloo + use_cpu on CPUs, the unscaled loss everywhere, and nothing at all in a plain `python script.py`."""
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed_settings("cpu") == {}
    monkeypatch.setenv("WORLD_SIZE", "2")
    unscaled = {"average_tokens_across_devices": False, "ddp_find_unused_parameters": False}
    assert distributed_settings("cpu") == {**unscaled, "ddp_backend": "gloo", "use_cpu": True}
    assert distributed_settings("cuda") == unscaled


def test_loop_rejects_bad_settings_with_a_message(tmp_path):
    result = run_main("examples/training/train_loop.py", "--gradient-accumulation-steps", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "error: --gradient-accumulation-steps must be at least 1" in result.stderr


def test_loop_refuses_to_replace_a_folder_before_training(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = run_main("examples/training/train_loop.py", "--output", str(tmp_path / "mine"), cwd=tmp_path)
    assert result.returncode == 2
    assert "already holds a run. Pass --overwrite" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_committed_loop_run_matches_the_trainer_within_the_interval():
    """The transcript the lab quotes: the loop's test accuracy lies inside the Lab 4 Trainer run's 95% interval."""
    text = (PROJECT_ROOT / "labs/transcripts/lab-10-train-loop.txt").read_text()
    line = next(line for line in text.splitlines() if line.startswith("test (135 posts): accuracy"))
    loop_accuracy = float(line.split("accuracy ")[1].split()[0])
    lab4 = (PROJECT_ROOT / "labs/transcripts/lab-4-make-train.txt").read_text()
    trainer_line = next(line for line in lab4.splitlines() if line.startswith("test (135 posts): accuracy"))
    trainer_correct = round(float(trainer_line.split("accuracy ")[1].split()[0]) * 135)
    low, high = wilson_interval(trainer_correct, 135)
    assert low <= loop_accuracy <= high


@pytest.mark.slow
def test_loop_on_two_processes_shards_batches_and_gathers_every_test_post(tmp_path):
    """torchrun, 2 CPU processes x 1 thread, 32 posts: world size 2, a global batch of 32, a sane loss, 135 posts."""
    output = tmp_path / "two"
    command = [*TWO_PROCESSES, str(PROJECT_ROOT / "examples/training/train_loop.py")]
    command += ["--max-train-rows", "32", "--epochs", "1", "--max-length", "32", "--output", str(output)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=_one_thread_env())
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((output / "metrics.json").read_text())
    assert (
        json.loads((output / "training_config.json").read_text())["max_train_rows"] == 32
    )  # --overwrite may replace it
    assert (metrics["world_size"], metrics["global_batch_size"], metrics["optimizer_steps"]) == (2, 32, 1)
    assert 0.5 < metrics["history"][0]["train_loss"] < 0.9  # about ln 2 = 0.69 after one step; not doubled
    assert metrics["test"]["total"] == 135  # gather_for_metrics dropped the padding duplicates (2 x 71 = 142)
    assert "processes 2 x 1 thread(s)" in done.stdout


@pytest.mark.slow
def test_trainer_loss_is_not_doubled_on_two_processes(tmp_path):
    """The course's average_tokens_across_devices=False keeps one process's loss; the default doubles it."""
    command = [*TWO_PROCESSES, str(PROJECT_ROOT / "examples/distributed/loss_scaling.py")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=_one_thread_env())
    assert done.returncode == 0, done.stderr[-3000:]
    losses = {
        line.split()[0]: float(line.split("loss ")[1].split()[0])
        for line in done.stdout.splitlines()
        if line.startswith("average_tokens_across_devices=")
    }
    assert "processes: 2, batch 16 each = 32 per step" in done.stdout
    assert losses["average_tokens_across_devices=True"] == pytest.approx(
        2 * losses["average_tokens_across_devices=False"], rel=1e-3
    )
    assert 0.6 < losses["average_tokens_across_devices=False"] < 0.8  # ln 2 for a fresh two-class head


def _one_thread_env() -> dict[str, str]:
    """One thread per process (two processes share two cores), quiet libraries, this checkout on the path."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONPATH": str(PROJECT_ROOT)}
