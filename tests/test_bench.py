"""make bench: the FLOP arithmetic, the peak probe's arithmetic and the table in-process; one real run, tiny."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
from helpers import import_script, run_main, run_script
from transformers import BertConfig, BertForSequenceClassification

from coursekit import benchmark
from coursekit.benchmark import (
    COURSE,
    NAIVE,
    Throughput,
    format_markdown_table,
    gflops_per_second,
    inference_flops,
    matmul_flops,
    measure_inference,
    measure_session,
    non_embedding_parameters,
    peak_matmul_gflops,
    training_flops,
)
from coursekit.paths import PROJECT_ROOT


def tiny_bert() -> BertForSequenceClassification:
    """A 1-layer BERT with hidden size 8: small enough to count its parameters by hand."""
    config = BertConfig(
        vocab_size=30,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=20,
        num_labels=2,
    )
    torch.manual_seed(0)
    return BertForSequenceClassification(config)


def test_flop_counts_follow_six_and_two_times_parameters_times_tokens():
    assert training_flops(10_795_394, 1000) == 6 * 10_795_394 * 1000
    assert inference_flops(10_795_394, 1000) == 2 * 10_795_394 * 1000
    assert training_flops(5, 7) == 3 * inference_flops(5, 7)  # backward ≈ twice the forward
    assert matmul_flops(2048) == 2 * 2048**3 == 17_179_869_184


def test_gflops_per_second_and_its_guard():
    assert gflops_per_second(3e9, 1.5) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        gflops_per_second(1e9, 0.0)


def test_non_embedding_parameters_leave_out_exactly_the_embedding_tables():
    model = tiny_bert()
    embeddings = 30 * 8 + 20 * 8 + 2 * 8 + 2 * 8  # word, position, token type tables + their LayerNorm
    total = sum(p.numel() for p in model.parameters())
    # one layer: QKV + output (4 × (8·8 + 8)), 2 LayerNorms (2 × 16), FFN (8·16 + 16 + 16·8 + 8), pooler, classifier
    layer = 4 * (8 * 8 + 8) + 2 * 16 + (8 * 16 + 16) + (16 * 8 + 8)
    head = (8 * 8 + 8) + (8 * 2 + 2)
    assert total - non_embedding_parameters(model) == embeddings
    assert non_embedding_parameters(model) == layer + head


def test_peak_probe_arithmetic_takes_the_fastest_round(monkeypatch):
    ticks = iter([0.0, 4.0, 10.0, 12.0, 20.0, 23.0])  # rounds of 4, 2 and 3 seconds: the 2-second one counts
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(ticks))
    measured = peak_matmul_gflops(torch.float32, size=64, repeats=5, rounds=3)
    assert measured == pytest.approx(2 * 64**3 * 5 / 2.0 / 1e9)


def test_inference_counts_texts_and_real_tokens_only():
    model = tiny_bert()
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    batch = {"input_ids": torch.tensor([[2, 5, 3, 0], [2, 3, 0, 0]]), "attention_mask": mask}
    measured = measure_inference(model, [batch, batch, batch])
    assert measured.items == 6 and measured.tokens == 15  # padding (the zeros) is not counted
    assert measured.tokens_per_item == pytest.approx(2.5) and measured.per_second > 0
    assert not model.training


class RecordingSession:
    """Stands in for an ONNX Runtime session: records the feeds it is given."""

    def __init__(self) -> None:
        self.feeds: list[dict] = []

    def get_inputs(self):
        return [SimpleNamespace(name="input_ids"), SimpleNamespace(name="attention_mask")]

    def run(self, outputs, feed):
        self.feeds.append(feed)
        return [feed["input_ids"][:, :2].astype("float32")]


def test_onnx_session_gets_int64_arrays_and_counts_like_pytorch():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    batch = {"input_ids": torch.tensor([[2, 5, 3, 0], [2, 3, 0, 0]]), "attention_mask": mask, "token_type_ids": mask}
    session = RecordingSession()
    measured = measure_session(session, [batch, batch, batch])
    assert len(session.feeds) == 4  # one warm-up, then every batch
    assert all(set(feed) == {"input_ids", "attention_mask"} for feed in session.feeds)  # only the graph's inputs
    assert all(array.dtype.name == "int64" for feed in session.feeds for array in feed.values())
    assert measured.items == 6 and measured.tokens == 15


def test_throughput_rates():
    measured = Throughput(items=32, tokens=1200, seconds=2.0)
    assert measured.per_second == 16.0 and measured.tokens_per_item == 37.5


def test_recipes_are_the_naive_one_and_lab_4s():
    assert (NAIVE.pad_to_max_length, NAIVE.max_length, NAIVE.group_by_length) == (True, 512, False)
    assert (COURSE.pad_to_max_length, COURSE.max_length, COURSE.group_by_length) == (False, 96, True)


def test_markdown_table_aligns_numbers_and_formats_them():
    table = format_markdown_table(
        ["row", "texts/s", "% of peak"], [["peak", None, 100.0], ["training", 33.26, 0.4567], ["naive", 1234.5, 7.0]]
    )
    lines = table.splitlines()
    assert lines[1] == "|---|---:|---:|"
    assert lines[2] == "| peak | — | 100 |"
    assert lines[3] == "| training | 33.3 | 0.457 |"
    assert lines[4] == "| naive | 1,234 | 7.00 |"
    with pytest.raises(ValueError):
        format_markdown_table(["a", "b"], [["only one"]])


def test_bench_percent_and_precisions():
    bench = import_script("benchmark/bench.py")
    assert bench.percent(80.0, 160.0) == 50.0 and bench.percent(80.0, None) is None
    assert list(bench.precisions(False)) == ["fp32"]
    assert bench.precisions(True)["bf16"] == {"bf16": True, "use_cpu": True}
    assert bench.precisions(True)["fp32"] == {"use_cpu": True}  # a CPU benchmark, even where a GPU exists


@pytest.mark.parametrize("bad", [["--steps", "1"], ["--naive-steps", "1"], ["--batch-sizes", "0"]])
def test_bench_refuses_settings_that_cannot_be_timed(tmp_path, bad):
    result = run_main("examples/benchmark/bench.py", *bad, "--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_bench_refuses_to_replace_an_earlier_table(tmp_path):
    (tmp_path / "bench.md").write_text("my notes")
    result = run_main("examples/benchmark/bench.py", "--output-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert (tmp_path / "bench.md").read_text() == "my notes"


@pytest.mark.slow
def test_bench_runs_end_to_end_with_tiny_settings(tmp_path):
    result = run_script(
        "examples/benchmark/bench.py",
        *("--steps", "2", "--naive-steps", "2", "--batch-size", "2", "--texts", "8"),
        *("--batch-sizes", "1", "4", "--peak-size", "128", "--threads", "1", "--output-dir", "out"),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = json.loads((tmp_path / "out" / "bench.json").read_text())
    rows = {(row[0], row[1], row[2]): dict(zip(saved["header"], row)) for row in saved["rows"]}
    precisions = list(saved["peaks"])
    assert precisions[0] == "fp32" and set(precisions) <= {"fp32", "bf16"}
    naive = rows["training, naive (pad to 512)", "fp32", 2]
    assert naive["tokens/text"] == 512 and naive["× naive"] == 1.0
    for precision in precisions:
        course = rows["training, course (dynamic padding)", precision, 2]
        assert 5 < course["tokens/text"] <= 96  # real tokens of trail posts, truncated at 96
        assert course["× naive"] > 1
        assert course["% of peak"] == pytest.approx(100 * course["GFLOP/s"] / saved["peaks"][precision])
    backends = {(row[1], row[2]) for row in saved["rows"] if row[0].startswith("inference, PyTorch")}
    assert backends == {(p, b) for p in [*precisions, "int8"] for b in (1, 4)}
    onnx = {(row[1], row[2]): row[3] for row in saved["rows"] if row[0].startswith("inference, ONNX Runtime")}
    assert set(onnx) == {(p, b) for p in ("fp32", "int8") for b in (1, 4)} and min(onnx.values()) > 0
    assert saved["runs"]["infer-onnx-int8-4"]["items"] == 8  # every text, in batches of 4
    run = saved["runs"]["train-course-fp32"]
    expected = 6 * run["parameters"] * run["tokens"] / run["seconds"] / 1e9
    assert math.isclose(rows["training, course (dynamic padding)", "fp32", 2]["GFLOP/s"], expected)
    table = (tmp_path / "out" / "bench.md").read_text()
    assert table == result.stdout[result.stdout.index("| row |") :].rstrip("\n") + "\n"
    assert "load average" in table and "ONNX Runtime rows: the graphs of Lab 11" in table


def precision_run(precision: str, correct: int, loss: float, seconds: float, seed: int = 42) -> dict:
    """One row of precision_comparison's results, with its Wilson interval."""
    from coursekit.metrics import wilson_interval

    return {
        "precision": precision,
        "seed": seed,
        "test_accuracy": correct / 135,
        "ci95": list(wilson_interval(correct, 135)),
        "test_loss": loss,
        "seconds_per_epoch": seconds,
    }


@pytest.mark.parametrize(
    ("bf16_correct", "bf16_loss", "holds"),
    [
        (126, 0.20, True),  # 0.933 vs 0.919: inside fp32's interval (0.860-0.954), loss lower
        (118, 0.22, True),  # 0.874: still inside
        (110, 0.22, False),  # 0.815: outside the interval
        (124, 0.30, False),  # same accuracy but the loss rose by 0.08 > 0.05
    ],
)
def test_precision_comparison_holds_only_inside_the_interval_and_loss_tolerance(bf16_correct, bf16_loss, holds):
    compare = import_script("benchmark/precision_comparison.py").compare
    runs = [precision_run("fp32", 124, 0.22, 24.9), precision_run("bf16", bf16_correct, bf16_loss, 17.6)]
    (verdict,) = compare(runs, loss_tolerance=0.05)
    assert verdict["holds"] is holds and verdict["seed"] == 42
    assert verdict["speed_up"] == pytest.approx(24.9 / 17.6, abs=0.01)


def test_precision_comparison_refuses_to_replace_its_results(tmp_path):
    (tmp_path / "precision.json").write_text("{}")
    result = run_main("examples/benchmark/precision_comparison.py", "--output", "precision.json", cwd=tmp_path)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert (tmp_path / "precision.json").read_text() == "{}"


@pytest.mark.slow
def test_precision_comparison_runs_both_precisions(tmp_path):
    result = run_script(
        "examples/benchmark/precision_comparison.py",
        *("--seeds", "3", "--epochs", "1", "--max-train-rows", "32", "--output", "p.json"),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = json.loads((tmp_path / "p.json").read_text())
    assert [(run["seed"], run["precision"]) for run in saved["runs"]] == [(3, "fp32"), (3, "bf16")]
    for run in saved["runs"]:
        assert run["test_size"] == 135 and run["ci95"][0] <= run["test_accuracy"] <= run["ci95"][1]
        assert run["seconds_per_epoch"] > 0 and run["test_loss"] > 0
    assert saved["verdicts"][0]["seed"] == 3 and "| 3 | bf16 |" in result.stdout


def test_readme_quotes_the_committed_bench_table():
    """The README's speed table is the table `make bench` wrote (examples/benchmark/results/bench.md), row for row."""
    committed = (PROJECT_ROOT / "examples" / "benchmark" / "results" / "bench.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in committed.splitlines() if line.startswith("|"))
    assert table.count("\n") > 10 and "inference, ONNX Runtime dynamic | int8 | 32" in table
    assert table in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
