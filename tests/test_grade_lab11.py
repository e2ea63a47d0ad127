"""The Lab 11 spec: a complete hand-in scores 100, and each broken variant loses exactly its rubric points.

The hand-in is built here from the shapes the lab's code writes (``VariantResult`` rows, the export's parity,
the search's best trial, a PNG from ``plot_trials``, PEFT's ``adapter_config.json``); the grader never loads a
model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import lost

from coursekit.grading.checks import load_spec
from coursekit.grading.grade import grade_entry
from coursekit.lessons.efficient import VariantResult, lora_config, plot_trials

NOTES = " ".join(["Training the pooler with the adapter closed most of the gap to full fine-tuning."] * 12)


def reference_results() -> dict:
    rows = [
        VariantResult("embeddings + logistic regression", 770, 770, 9.5, 101, 135),
        VariantResult("LoRA r=8 + pooler", 222_338, 22_936_324, 60.2, 120, 135),
        VariantResult("full fine-tuning", 22_713_986, 22_713_986, 74.0, 126, 135),
    ]
    return {
        "variants": [{k: v for k, v in vars(r).items() if k != "name"} | {"variant": r.name} for r in rows],
        "onnx": {
            "max_abs_diff_fp32": 1.4e-5,
            "max_abs_diff_int8": 0.21,
            "fp32_accuracy": 0.933,
            "int8_accuracy": 0.926,
        },
        "search": {"trials": 4, "best_validation_accuracy": 0.83, "test_accuracy": 0.85},
    }


def write_handin(folder: Path, results: dict) -> Path:
    """The folder a student hands in: results.json, adapter/adapter_config.json, trials.png, notes.md."""
    (folder / "adapter").mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    lora_config(8).save_pretrained(str(folder / "adapter"))
    trials = [
        {"trial": i, "learning_rate": lr, "num_train_epochs": 2, "validation_accuracy": acc}
        for i, (lr, acc) in enumerate([(1e-4, 0.7), (3e-4, 0.83), (1e-3, 0.6), (5e-5, 0.5)])
    ]
    import matplotlib

    matplotlib.use("Agg")
    plot_trials(trials, folder / "trials.png")
    (folder / "notes.md").write_text(NOTES + "\n")
    return folder


def grade(folder: Path):
    return grade_entry(folder, load_spec(11), None)


def test_spec_totals_100_and_reference_handin_scores_full_marks(tmp_path):
    assert load_spec(11)["max_points"] == 100
    folder = write_handin(tmp_path / "lab-11", reference_results())
    assert json.loads((folder / "adapter" / "adapter_config.json").read_text())["task_type"] == "SEQ_CLS"
    result = grade(folder)
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]


def edit(change):
    results = reference_results()
    change(results)
    return results


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        (lambda r: r.pop("search"), {"results_keys": 10, "search_values": 10}),
        (lambda r: r["variants"].pop(), {"variants_rows": 20}),
        (lambda r: r["variants"][0].update(tested=120), {"variants_rows": 20}),
        (lambda r: r["onnx"].update(max_abs_diff_fp32=0.4), {"onnx_parity": 15}),
        (lambda r: r["onnx"].update(int8_accuracy=0.9), {"int8_accuracy": 10}),
        (lambda r: r["search"].update(trials=2), {"search_values": 10}),
    ],
)
def test_each_results_defect_costs_its_points(tmp_path, defect, expected):
    assert lost(grade(write_handin(tmp_path / "lab-11", edit(defect)))) == expected


def test_adapter_plot_and_notes_defects_cost_their_points(tmp_path):
    folder = write_handin(tmp_path / "lab-11", reference_results())
    config = json.loads((folder / "adapter" / "adapter_config.json").read_text())
    (folder / "adapter" / "adapter_config.json").write_text(json.dumps(config | {"task_type": "CAUSAL_LM"}))
    (folder / "trials.png").write_bytes(b"not a png" * 50)
    (folder / "notes.md").write_text("Too short.\n")
    assert lost(grade(folder)) == {"adapter_config": 10, "trials_plot": 10, "notes": 15}
