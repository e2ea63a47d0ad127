"""Lab 11: embeddings, head-only and LoRA training, the Optuna search, and the ONNX export and backends.

Fast tests check the pure helpers and the scripts' refusals in-process; the slow ones export the Lab 4 model
(``trained_model_dir``, a copy) to ONNX and run one tiny LoRA sweep and one tiny search as real subprocesses.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import run_main, run_script

from coursekit.errors import CourseError
from coursekit.inference import load_backend, load_classifier
from coursekit.lessons.efficient import (
    Embedded,
    VariantResult,
    count_trainable,
    few_shot_curve,
    freeze_encoder,
    hp_space,
    markdown_table,
    with_lora,
)
from coursekit.lessons.onnx_export import logits_parity
from coursekit.onnx_runtime import OnnxPipeline, onnx_path, pad_batch, scoring_function, sigmoid, softmax

LORA = "examples/efficient/lora_sweep.py"
SEARCH = "examples/efficient/search.py"
EXPORT = "examples/efficient/export_onnx.py"
FROZEN = "examples/efficient/frozen_vs_full.py"
TEXTS = ["Blankets Creek is open, enjoy!", "Closed today after the storm.", "RM closed, BC open", "Trails are wet."]


def tiny_bert():
    """A two-layer BERT classifier with random weights: the structure of MiniLM at a fraction of its size."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, num_labels=2
    )
    return BertForSequenceClassification(config)


def test_variant_row_carries_the_interval_and_the_trainable_share():
    row = VariantResult("LoRA r=8", trainable=74_498, total=22_788_484, seconds=60.04, correct=96, tested=135).row()
    assert row["trainable_%"] == 0.33
    assert row["accuracy"] == 0.711
    assert row["95% CI"] == "0.630-0.781"
    assert row["correct"] == "96/135"
    assert markdown_table([row]).splitlines()[2].startswith("| LoRA r=8 | 74,498 | 0.33 |")


def test_freeze_encoder_leaves_only_the_head_trainable():
    model = freeze_encoder(tiny_bert())
    trainable, total = count_trainable(model)
    assert trainable == 32 * 2 + 2  # classifier weight and bias
    assert {name for name, p in model.named_parameters() if p.requires_grad} == {
        "classifier.weight",
        "classifier.bias",
    }
    assert total > 100 * trainable


def test_lora_on_query_and_value_trains_the_adapters_and_the_head_only():
    model = with_lora(tiny_bert(), rank=4)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in name or "classifier" in name for name in trainable)
    assert any("query.lora_A" in name for name in trainable) and any("value.lora_B" in name for name in trainable)
    assert not any(".key." in name or "pooler" in name for name in trainable)
    # 2 layers x 2 modules x (A: 4x32 + B: 32x4) + the head (66)
    assert count_trainable(model)[0] == 2 * 2 * (4 * 32 + 32 * 4) + 66


def test_lora_can_also_train_the_pooler_in_full():
    model = with_lora(tiny_bert(), rank=4, save=("classifier", "pooler"))
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert any("pooler" in name for name in trainable)
    assert count_trainable(model)[0] == 2 * 2 * (4 * 32 + 32 * 4) + 66 + 32 * 32 + 32


def test_few_shot_curve_draws_k_per_class_and_reports_the_spread():
    rng = np.random.default_rng(0)
    labels = [0] * 50 + [1] * 50
    train = rng.normal(size=(100, 8)) + np.asarray(labels)[:, None] * 3  # well separated classes
    test_labels = [0] * 20 + [1] * 20
    test = rng.normal(size=(40, 8)) + np.asarray(test_labels)[:, None] * 3
    rows = few_shot_curve(Embedded(train, labels, test, test_labels, 0.0), shots=(2, 8), draws=3)
    assert [row["labelled"] for row in rows] == [4, 16]
    assert rows[1]["median_accuracy"] >= 0.95
    assert all(row["worst_draw"] <= row["median_accuracy"] <= row["best_draw"] for row in rows)


def test_search_space_uses_training_argument_names():
    import optuna

    trial = optuna.trial.FixedTrial(
        {"learning_rate": 3e-4, "num_train_epochs": 2, "per_device_train_batch_size": 16, "warmup_steps": 0.1}
    )
    assert hp_space(trial) == {
        "learning_rate": 3e-4,
        "num_train_epochs": 2,
        "per_device_train_batch_size": 16,
        "warmup_steps": 0.1,
    }
    from transformers import TrainingArguments

    fields = set(TrainingArguments.__dataclass_fields__)
    assert set(hp_space(trial)) <= fields


def test_softmax_matches_torch():
    import torch

    logits = np.asarray([[2.0, -1.0], [0.3, 0.3]], dtype=np.float32)
    assert np.allclose(softmax(logits), torch.softmax(torch.from_numpy(logits), -1).numpy(), atol=1e-7)


class LengthSession:
    """Stands in for an ONNX Runtime session: logits (real tokens, padded tokens) per row, and every batch seen."""

    def __init__(self) -> None:
        self.widths: list[int] = []

    def get_inputs(self):
        return [SimpleNamespace(name=name) for name in ("input_ids", "attention_mask", "token_type_ids")]

    def run(self, outputs, feed):
        assert outputs == ["logits"] and all(v.dtype == np.int64 for v in feed.values())
        self.widths.append(feed["input_ids"].shape[1])
        mask = feed["attention_mask"]
        return [np.stack([mask.sum(1), (1 - mask).sum(1)], axis=1).astype(np.float32)]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from coursekit.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model("minilm-l6").path)


def test_onnx_pipeline_batches_by_length_and_answers_in_the_texts_order(tokenizer):
    config = SimpleNamespace(id2label={0: "real", 1: "padding"}, num_labels=2, problem_type=None)
    session = LengthSession()
    texts = ["short", "a much longer post about the trails " * 3, "mid length post here", "ok", "x " * 40]
    answers = OnnxPipeline(session, tokenizer, config, max_length=128)(texts, batch_size=2)
    lengths = [len(tokenizer(text)["input_ids"]) for text in texts]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    batches = [order[i : i + 2] for i in range(0, len(order), 2)]
    widths = [max(lengths[i] for i in batch) for batch in batches]
    assert session.widths == widths  # shortest first, each batch as wide as its own longest text
    width_of = {i: width for batch, width in zip(batches, widths) for i in batch}
    for i, answer in enumerate(answers):  # answer i belongs to text i: its real and padded token counts match
        expected = softmax(np.array([[lengths[i], width_of[i] - lengths[i]]], dtype=np.float32))[0]
        assert {a["label"]: a["score"] for a in answer} == pytest.approx({"real": expected[0], "padding": expected[1]})


def test_pad_batch_pads_on_the_right():
    assert pad_batch([[1, 2, 3], [4]], 0).tolist() == [[1, 2, 3], [4, 0, 0]]


def test_onnx_scores_follow_the_pipeline_rule():
    two = SimpleNamespace(num_labels=2, problem_type=None)
    one = SimpleNamespace(num_labels=1, problem_type=None)
    multi = SimpleNamespace(num_labels=2, problem_type="multi_label_classification")
    assert scoring_function(two) is softmax
    assert scoring_function(one) is sigmoid and scoring_function(multi) is sigmoid
    assert sigmoid(np.array([[0.0, 2.0]]))[0].tolist() == pytest.approx([0.5, 1 / (1 + np.exp(-2))])


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        (LORA, ["--ranks", "0"], "--ranks must be at least 1"),
        (LORA, ["--max-train-rows", "2"], "--max-train-rows must be at least 4"),
        (SEARCH, ["--trials", "0"], "--trials must be at least 1"),
        (SEARCH, ["--max-train-rows", "3"], "--max-train-rows must be 0 (all) or at least 8"),
        (EXPORT, ["no-such-run"], "no-such-run"),
        (FROZEN, ["--head-epochs", "0"], "--head-epochs and --head-learning-rate must be positive"),
        (FROZEN, ["--max-train-rows", "20"], "--max-train-rows must be at least 40"),
    ],
)
def test_scripts_refuse_bad_settings_with_a_message(tmp_path, script, args, message):
    done = run_main(script, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_sweep_never_replaces_an_earlier_one_without_overwrite(tmp_path):
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "lora_sweep.csv").write_text("earlier\n")
    done = run_main(LORA, "--output", str(tmp_path / "sweep"), cwd=tmp_path)
    assert done.returncode == 2 and "--overwrite" in done.stderr
    assert (tmp_path / "sweep" / "lora_sweep.csv").read_text() == "earlier\n"


def test_unknown_backend_is_refused(tmp_path):
    with pytest.raises(CourseError, match="unknown backend"):
        load_backend(tmp_path, "tensorrt")


@pytest.mark.slow
def test_onnx_backend_before_export_says_how_to_export(trained_model_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_model_dir, run, ignore=shutil.ignore_patterns("onnx"))
    with pytest.raises(CourseError, match="export_onnx.py"):
        load_backend(run, "onnx")
    done = run_main("examples/serving/service.py", "--model-dir", str(run), "--backend", "onnx-int8", cwd=tmp_path)
    assert done.returncode == 2 and "Export it first" in done.stderr


@pytest.fixture(scope="module")
def exported(trained_model_dir, tmp_path_factory) -> Path:
    """A copy of the Lab 4 run with both ONNX graphs, written by the export script as a student runs it."""
    run = tmp_path_factory.mktemp("lab11") / "run"
    shutil.copytree(trained_model_dir, run)
    done = run_script(EXPORT, str(run), cwd=run.parent)
    assert done.returncode == 0, done.stderr
    assert "| onnx | " in done.stdout and "| onnx-int8 | " in done.stdout
    return run


@pytest.mark.slow
def test_onnx_logits_match_pytorch_and_int8_agrees(exported):
    # int8 MatMul weights; the embedding table stays float32 (quantize_onnx), so the file shrinks by about a third
    assert onnx_path(exported, "onnx-int8").stat().st_size < 0.75 * onnx_path(exported, "onnx").stat().st_size
    texts = pd.read_csv(exported / "test_predictions.csv")["text"].tolist()
    fp32 = logits_parity(exported, "onnx", texts)
    assert fp32["max_abs_diff"] < 1e-4 and fp32["same_prediction"] == 1.0
    int8 = logits_parity(exported, "onnx-int8", texts)
    assert int8["same_prediction"] >= 0.95


@pytest.mark.slow
def test_onnx_classifier_answers_like_the_pytorch_one(exported):
    reference = load_classifier(exported).predict(TEXTS)
    onnx = load_backend(exported, "onnx").predict(TEXTS, threshold=0.9)
    assert [p.predicted_label for p in onnx] == [p.predicted_label for p in reference]
    assert all(abs(a.confidence - b.confidence) <= 1e-3 for a, b in zip(onnx, reference))
    assert all(sum(p.scores.values()) == pytest.approx(1, abs=1e-3) for p in onnx)


@pytest.mark.slow
def test_service_and_batch_script_run_on_onnx_int8(exported, tmp_path):
    from coursekit.serving import create_app

    with TestClient(create_app(exported, backend="onnx-int8")) as client:
        answer = client.post("/predict", json={"texts": TEXTS[:2]}).json()
    assert [p["predicted_label"] for p in answer["predictions"]] == ["open", "closed"]
    posts = tmp_path / "posts.txt"
    posts.write_text("\n".join(TEXTS) + "\n")
    done = run_main(
        "examples/inferencing/batch_predict.py", str(exported), "--input", str(posts), "--output", "p.jsonl",
        "--backend", "onnx-int8", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "(onnx-int8)" in done.stdout
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == len(TEXTS)


@pytest.mark.slow
def test_export_refuses_to_replace_without_overwrite(exported, tmp_path):
    done = run_main(EXPORT, str(exported), cwd=tmp_path)
    assert done.returncode == 2 and "--overwrite" in done.stderr


@pytest.mark.slow
def test_lora_sweep_smoke_adapter_loads_on_the_base_and_merges(tmp_path):
    """One tiny sweep as a student runs it; its adapter is small, loads on the base model, and merges exactly."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from coursekit.models import resolve_model

    done = run_script(
        LORA, "--ranks", "4", "--epochs", "1", "--max-train-rows", "16", "--output", str(tmp_path / "sweep"),
        cwd=tmp_path, env={"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(tmp_path / "sweep" / "lora_sweep.csv")
    assert list(rows["variant"])[0] == "LoRA r=4" and rows["variant"].iloc[1].startswith("full fine-tuning")
    assert rows["trainable_%"].iloc[0] < 1 and rows["weights_mb"].iloc[0] < rows["weights_mb"].iloc[1] / 20
    adapter = tmp_path / "sweep" / "r4-attention"
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 4

    base_path = resolve_model(None).path
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    base = AutoModelForSequenceClassification.from_pretrained(base_path, num_labels=2)
    model = PeftModel.from_pretrained(base, adapter).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        adapted = model(**batch).logits
        merged = model.merge_and_unload()(**batch).logits
    assert type(model.merge_and_unload()).__name__ == "BertForSequenceClassification"
    assert torch.allclose(adapted, merged, atol=1e-4)


@pytest.mark.slow
def test_search_smoke_writes_trials_and_scores_test_once(tmp_path):
    done = run_script(
        SEARCH, "--trials", "1", "--max-train-rows", "8", "--output", str(tmp_path / "search"),
        cwd=tmp_path, env={"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    trials = pd.read_csv(tmp_path / "search" / "trials.csv")
    assert len(trials) == 1 and 0 <= trials["validation_accuracy"].iloc[0] <= 1
    assert (tmp_path / "search" / "trials.png").read_bytes()[:4] == b"\x89PNG"
    assert done.stdout.count("scored once on test") == 1


@pytest.mark.slow
def test_frozen_vs_full_smoke_prints_three_variants_and_the_few_shot_curve(trained_model_dir, tmp_path):
    done = run_script(
        FROZEN, "--max-train-rows", "64", "--head-epochs", "1", cwd=tmp_path, env={"OMP_NUM_THREADS": "1"}
    )
    assert done.returncode == 0, done.stderr
    assert "| embeddings + logistic regression | 385 |" in done.stdout
    assert "| head only (encoder frozen) | 770 | 0.0 |" in done.stdout
    assert "| full fine-tuning (Lab 4 run) | 22,713,986 | 100.0 |" in done.stdout
    assert [line.split("|")[1].strip() for line in done.stdout.splitlines()[-3:]] == ["8", "16", "32"]
