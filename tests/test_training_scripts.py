"""The Lab 4 scripts run as a student runs them: from another directory, with real data, real results."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import SMALL_TRAINING, run_main, run_script

from coursekit import training
from coursekit.errors import CourseError
from coursekit.fileio import staging_dir
from coursekit.paths import TRAIL_STATUS_CSV
from coursekit.training import TrainConfig

TRAIN = "examples/training/classifier.py"
INFER = "examples/inferencing/inference.py"


@pytest.mark.slow
def test_training_learns_the_trail_data(trained_model_dir):
    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    assert metrics["label_names"] == ["closed", "open"]
    assert metrics["test_size"] == 135 and metrics["train_size"] + metrics["validation_size"] == 765
    assert metrics["test"]["accuracy"] >= 0.85, metrics["test"]  # TF-IDF gets ~0.8, chance 0.5
    assert metrics["test"]["f1_macro"] >= 0.85, metrics["test"]
    config = json.loads((trained_model_dir / "config.json").read_text())
    assert config["id2label"] == {"0": "closed", "1": "open"}
    saved = json.loads((trained_model_dir / "training_config.json").read_text())
    defaults = TrainConfig()
    assert saved["model"] == "minilm-l6" and saved["max_length"] == defaults.max_length  # the Lab 4 defaults
    assert len(metrics["validation_history"]) == defaults.epochs
    predictions = pd.read_csv(trained_model_dir / "test_predictions.csv")
    assert list(predictions.columns) == ["text", "true_label", "predicted_label", "confidence"]
    assert len(predictions) == 135 and predictions["confidence"].between(0.5, 1).all()
    assert (predictions["true_label"] == predictions["predicted_label"]).mean() == pytest.approx(
        metrics["test"]["accuracy"], abs=1e-3
    )
    trail = pd.read_csv(TRAIL_STATUS_CSV)
    truth = dict(zip(trail["status"], trail["Blankets_Creek"].map({0: "closed", 1: "open"})))
    # every text is paired with its own label (evaluation batches grouped by length once broke this)
    assert (predictions["text"].map(truth) == predictions["true_label"]).all()


@pytest.mark.slow
def test_inference_labels_new_posts_with_names(trained_model_dir, tmp_path):
    texts = [
        "Both trails are open today, perfect tacky dirt!",
        "Blankets Creek and Rope Mill are closed after heavy rain, let them dry.",
    ]
    result = run_script(INFER, str(trained_model_dir), *texts, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["label"] for r in records] == ["open", "closed"]
    for record in records:
        assert 0.5 <= record["confidence"] <= 1
        assert set(record["scores"]) == {"open", "closed"}
        assert sum(record["scores"].values()) == pytest.approx(1, abs=1e-3)


@pytest.mark.slow
def test_inference_reads_files(trained_model_dir, tmp_path):
    (tmp_path / "posts.txt").write_text("Trails are open!\n\nClosed for rain today.\n")
    pd.DataFrame({"status": ["Open and dry", "Closed, too wet"]}).to_csv(tmp_path / "posts.csv", index=False)
    as_text = run_main(INFER, str(trained_model_dir), "--file", "posts.txt", cwd=tmp_path)
    as_csv = run_main(INFER, str(trained_model_dir), "--file", "posts.csv", cwd=tmp_path)
    assert as_text.returncode == 0 and len(as_text.stdout.strip().splitlines()) == 2
    assert as_csv.returncode == 0 and len(as_csv.stdout.strip().splitlines()) == 2


@pytest.mark.slow
def test_training_refuses_to_overwrite_a_run(trained_model_dir, tmp_path):
    result = run_main(TRAIN, "--output", str(trained_model_dir), cwd=tmp_path)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert (trained_model_dir / "model.safetensors").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--output", "x", "--data", "missing.csv"], "data file not found"),
        (["--output", "x", "--label-column", "Blanket_Creek"], "no column 'Blanket_Creek'"),
        (["--output", "x", "--epochs", "0"], "must be positive"),
    ],
)
def test_training_bad_arguments(args, message, tmp_path):
    result = run_main(TRAIN, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and not (tmp_path / "x").exists()


def test_training_names_the_offline_alias_when_the_hub_is_unreachable(tmp_path):
    # A real process: huggingface_hub reads HF_HUB_OFFLINE when it is first imported.
    result = run_script(
        TRAIN, "--output", "x", "--model", "distilbert-base-uncased", cwd=tmp_path, env={"HF_HUB_OFFLINE": "1"}
    )
    assert result.returncode == 2, result.stderr
    assert "cannot be reached" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("Open today", 1), ("", 0), ("Closed", 0)], "empty text in column 'status' at line 3"),
        ([("Open today", 1), ("Closed", 2), ("Wet", 0)], "unknown label 2 at line 3"),
        ([("Open today", 1), ("Closed", None), ("Wet", 0)], "missing label in column 'label' at line 3"),
    ],
)
def test_training_bad_rows(rows, message, tmp_path):
    pd.DataFrame(rows, columns=["status", "label"]).to_csv(tmp_path / "bad.csv", index=False)
    result = run_main(
        TRAIN,
        "--data",
        "bad.csv",
        "--label-column",
        "label",
        "--label-names",
        "closed,open",
        "--output",
        "x",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert message in result.stderr


def fake_finished_run(folder: Path) -> dict[str, bytes]:
    """A folder that looks like a finished run of the script (its files' bytes are returned for comparison)."""
    folder.mkdir(parents=True)
    files = {
        "training_config.json": b'{"model": "minilm-l6"}\n',
        "metrics.json": b'{"test": {"accuracy": 0.93}}\n',
        "config.json": b"{}\n",
        "model.safetensors": bytes(range(256)) * 16,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--data", "two_rows.csv", "--text-column", "text", "--label-column", "label"],
            "each label needs at least 4",
        ),
        (["--model", "./no-such-model"], "model directory not found"),
        (["--model", "no-such-model/"], "neither a known alias"),
        (["--epochs", "0"], "must be positive"),
    ],
)
def test_a_failed_overwrite_leaves_the_old_run_byte_identical(args, message, tmp_path):
    texts = ["open today", "closed, wet", "open", "closed again", "dry, open", "open and fast"]
    pd.DataFrame({"text": texts, "label": [1, 0, 1, 0, 1, 1]}).to_csv(tmp_path / "two_rows.csv", index=False)
    before = fake_finished_run(tmp_path / "run")
    result = run_main(TRAIN, "--output", "run", "--overwrite", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert folder_bytes(tmp_path / "run") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "two_rows.csv"]  # no staging folder left behind


def test_a_run_that_fails_while_training_leaves_the_old_run_and_no_partial_folder(tmp_path, monkeypatch):
    before = fake_finished_run(tmp_path / "run")

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt  # as if the student pressed Ctrl+C mid-training

    monkeypatch.setattr(training.Trainer, "train", interrupted)
    config = TrainConfig(output=tmp_path / "run", overwrite=True, max_train_rows=16, max_length=16, no_progress=True)
    with pytest.raises(KeyboardInterrupt):
        training.train(config)
    assert folder_bytes(tmp_path / "run") == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_settings_are_checked_when_the_config_is_made():
    with pytest.raises(CourseError, match="between 0 and 0.5"):
        TrainConfig(test_size=0.6)
    with pytest.raises(CourseError, match="--max-train-rows must be at least 1"):
        TrainConfig(max_train_rows=0)
    assert TrainConfig(label_names=["closed,open"]).label_names == ["closed", "open"]  # --label-names closed,open
    assert TrainConfig(label_names=["closed", "open"]).label_names == ["closed", "open"]


def test_training_refuses_a_foreign_output_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("do not delete")
    result = run_main(TRAIN, "--output", "mine", "--overwrite", *SMALL_TRAINING, cwd=tmp_path)
    assert result.returncode == 2 and "refusing to delete" in result.stderr
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "do not delete"


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing-model", "hello"], "model directory not found"),
        ([".", "hello"], "not a model directory"),
    ],
)
def test_inference_bad_model_dir(args, message, tmp_path):
    result = run_main(INFER, *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.slow
def test_inference_bad_texts(trained_model_dir, tmp_path):
    no_texts = run_main(INFER, str(trained_model_dir), cwd=tmp_path)
    assert no_texts.returncode == 2 and "no texts to classify" in no_texts.stderr
    empty = run_main(INFER, str(trained_model_dir), "fine", "  ", cwd=tmp_path)
    assert empty.returncode == 2 and "text number 2 is empty" in empty.stderr
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 trail open".encode("latin-1"))
    latin = run_main(INFER, str(trained_model_dir), "--file", "latin1.txt", cwd=tmp_path)
    assert latin.returncode == 2 and "not UTF-8" in latin.stderr


def test_a_run_is_staged_in_an_ordinary_folder_next_to_its_target(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    staging = staging_dir(tmp_path / "run")
    assert staging.parent == tmp_path and staging.name.startswith(".run.")  # same file system: the swap is a rename
    assert staging.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700 once swapped in


def test_training_arguments_take_the_precision_policy_as_it_comes(monkeypatch, tmp_path):
    """Every training path splats coursekit.device.precision_settings; whatever it returns reaches the Trainer."""
    monkeypatch.setattr(training, "precision_settings", lambda device: ({"bf16": True, "use_cpu": True}, "why"))
    args = training.training_arguments(TrainConfig(), tmp_path, 3e-4, "cpu")
    assert args.bf16 and args.use_cpu and args.learning_rate == 3e-4 and args.eval_strategy == "epoch"


def finished_run(folder: Path) -> dict[str, bytes]:
    """A folder that looks like a finished run of the course's scripts; returns its files' bytes."""
    folder.mkdir(parents=True)
    (folder / "training_config.json").write_text('{"seed": 42}\n')
    (folder / "metrics.json").write_text('{"test": {"accuracy": 0.9}}\n')
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_training_in_place_restores_the_earlier_run_when_the_new_one_fails(tmp_path):
    run = tmp_path / "lab5-run"
    before = finished_run(run)
    with pytest.raises(RuntimeError), training.run_in_place(run, overwrite=True):
        (run / "checkpoints").mkdir()  # the new run has started writing...
        raise RuntimeError("out of memory")  # ...and dies
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["lab5-run"]  # nothing left aside


def test_training_in_place_replaces_the_earlier_run_only_when_the_new_one_returned(tmp_path):
    run = tmp_path / "lab5-run"
    finished_run(run)
    with training.run_in_place(run, overwrite=True):
        assert list(run.iterdir()) == []  # the new run starts in an empty folder; the old one waits aside
        assert len(list(tmp_path.iterdir())) == 2
        (run / "metrics.json").write_text("{}\n")
    assert [p.name for p in run.iterdir()] == ["metrics.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["lab5-run"]


def test_training_in_place_refuses_without_overwrite_and_keeps_foreign_folders(tmp_path):
    run = tmp_path / "lab5-run"
    before = finished_run(run)
    with pytest.raises(CourseError, match="--overwrite"), training.run_in_place(run, overwrite=False):
        pass
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("do not delete")
    with pytest.raises(CourseError, match="not written by this script"), training.run_in_place(foreign, True):
        pass
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert (foreign / "mine.txt").read_text() == "do not delete"
