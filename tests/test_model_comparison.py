"""Exercise 6: other models are --model choices of the Lab 4 script, and the comparison table is real."""

from __future__ import annotations

import json
import struct

import pandas as pd
import pytest
from helpers import run_main, run_script


@pytest.mark.slow
def test_model_choice_minilm_l3_trains_three_layers_at_its_own_learning_rate(tmp_path):
    """Exercise 6's smaller model is a --model choice of the Lab 4 script (no wrapper script)."""
    result = run_main(
        "examples/training/classifier.py",
        "--model",
        "minilm-l3",
        "--epochs",
        "1",
        "--max-train-rows",
        "48",
        "--max-length",
        "48",
        "--no-progress",
        "--output",
        "run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["num_hidden_layers"] == 3 and config["id2label"] == {"0": "closed", "1": "open"}
    assert json.loads((tmp_path / "run" / "training_config.json").read_text())["learning_rate"] == 1e-4


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG header (and proof that it is a PNG)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.slow
@pytest.mark.large
def test_comparison_table_includes_baseline_and_mpnet(tmp_path):
    result = run_script(
        "examples/models/compare_models.py",
        "--models",
        "tfidf-logreg",
        "minilm-l3",
        "mpnet",
        "--epochs",
        "1",
        "--max-train-rows",
        "64",
        "--max-length",
        "48",
        "--output",
        "cmp",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert list(table["model"]) == ["tfidf-logreg", "minilm-l3", "mpnet"]
    assert table["accuracy"].between(0, 1).all() and table["f1_macro"].between(0, 1).all()
    assert table.set_index("model")["parameters"]["mpnet"] == pytest.approx(109.5e6, rel=0.01)
    assert (table["inference_texts_per_second"] > 0).all()
    assert table.set_index("model")["accuracy"]["tfidf-logreg"] > 0.55  # a real baseline, not a coin
    assert "| tfidf-logreg |" in (tmp_path / "cmp" / "comparison.md").read_text()
    assert table.set_index("model")["run_dir"]["mpnet"] == "cmp/mpnet"  # as shown_path prints it: relative to the cwd
    width, height = png_size(tmp_path / "cmp" / "comparison.png")
    assert width >= 600 and height >= 300


def test_comparison_fails_fast_on_an_unknown_model(tmp_path):
    result = run_main(
        "examples/models/compare_models.py",
        "--models",
        "tfidf-logreg",
        "no such model",
        "--output",
        "cmp",
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "neither a known alias" in result.stderr
    assert not (tmp_path / "cmp").exists()


@pytest.mark.slow
def test_padding_benchmark_reports_both_recipes():
    result = run_script("examples/benchmark/padding_benchmark.py", "--steps", "2", "--batch-size", "4")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "naive:" in result.stdout and "course:" in result.stdout and "speed-up" in result.stdout
