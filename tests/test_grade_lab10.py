"""Lab 10 grading spec: the reference hand-in scores 100, each kind of mistake loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import lost

import coursekit.grading.grade as grade
from coursekit.grading.checks import load_spec
from coursekit.lessons.scaling import memory_summary


def reference_run() -> dict:
    """A metrics.json as train_loop.py writes it for the challenge: 2 processes x batch 8, 160 posts, one epoch."""
    return {
        "model": "minilm-l6",
        "world_size": 2,
        "per_device_batch_size": 8,
        "gradient_accumulation_steps": 1,
        "global_batch_size": 16,
        "optimizer_steps": 10,
        "mixed_precision": "no",
        "gradient_checkpointing": False,
        "threads_per_process": 1,
        "train_size": 160,
        "train_seconds": 31.5,
        "history": [{"epoch": 1, "train_loss": 0.69, "validation_loss": 0.68, "validation_accuracy": 0.57}],
        "test": {"loss": 0.68, "accuracy": 0.563, "correct": 76, "total": 135},
    }


def write_handin(folder: Path, run: dict, memory: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(run, indent=2))
    (folder / "memory.json").write_text(json.dumps(memory, indent=2))
    return folder


def grade_lab10(folder: Path):
    return grade.grade_entry(folder, load_spec(10), None)


def test_lab10_spec_totals_100():
    assert load_spec(10)["max_points"] == 100


def test_lab10_reference_handin_scores_full_marks(tmp_path):
    result = grade_lab10(write_handin(tmp_path / "ann", reference_run(), memory_summary(350e6, 4)))
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]


def run_with(**changes) -> dict:
    return {**reference_run(), **changes}


def memory_with(strategy: str, **changes) -> dict:
    memory = memory_summary(350e6, 4)
    memory[strategy] = {**memory[strategy], **changes}
    return memory


@pytest.mark.parametrize(
    "case, run, memory, expected_loss",
    [
        ("one_process", run_with(world_size=1, global_batch_size=8), None, {"two_processes": 15, "global_batch": 15}),
        (
            "batch_16_each",
            run_with(per_device_batch_size=16, global_batch_size=32, optimizer_steps=5),
            None,
            {"global_batch": 15, "recipe_steps": 10},
        ),
        (
            "plain_gather",
            run_with(test={"loss": 0.68, "accuracy": 0.56, "correct": 80, "total": 142}),
            None,
            {"test_counted_once": 10},
        ),
        ("extra_key", run_with(notes="fast"), None, {"run_keys": 10}),
        ("ddp_without_optimizer", None, memory_with("ddp", optimizer=0.0, total=1.4), {"memory_ddp": 10}),
        ("zero3_as_zero2", None, memory_with("zero3", weights=0.7, total=1.93), {"memory_sharded": 10}),
        ("zero2_parts_wrong", None, memory_with("zero2", optimizer=4.2), {"zero2_parts_add_up": 5}),
        ("ddp_total_as_text", None, memory_with("ddp", total="5.6"), {"memory_ddp": 10, "ddp_parts_add_up": 5}),
    ],
)
def test_lab10_each_defect_loses_exactly_its_points(tmp_path, case, run, memory, expected_loss):
    folder = write_handin(tmp_path / case, run or reference_run(), memory or memory_summary(350e6, 4))
    result = grade_lab10(folder)
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]


def test_lab10_memory_without_zero3_loses_keys_and_its_estimate(tmp_path):
    memory = memory_summary(350e6, 4)
    del memory["zero3"]
    result = grade_lab10(write_handin(tmp_path / "nozero3", reference_run(), memory))
    assert lost(result) == {"memory_keys": 10, "memory_sharded": 10}
