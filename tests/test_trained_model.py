"""The run cache and the Lab 4 model: each distinct run is trained once, unfinished runs are never reused.

``coursekit.run_cache.train`` is replaced by a fake that counts its calls and writes what a finished run holds, so
these tests prove the cache's decisions in seconds; the real training is tested in test_training_scripts.py.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from coursekit import run_cache, trained_model
from coursekit.errors import CourseError
from coursekit.models import resolve_model
from coursekit.paths import TRAIL_STATUS_CSV
from coursekit.training import TrainConfig, run_key


def write_finished_run(folder: Path, key: str | None) -> Path:
    """What train() leaves behind, as far as the cache looks: config.json, training_config.json, metrics.json."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "training_config.json").write_text(json.dumps({"run_key": key}), encoding="utf-8")
    (folder / "metrics.json").write_text('{"test": {"accuracy": 0.93}, "test_size": 135}', encoding="utf-8")
    return folder


@pytest.fixture
def trainings(monkeypatch) -> list[TrainConfig]:
    """Every config the cache asked to train (the fake takes ``seconds`` to train, like a slow real run)."""
    calls: list[TrainConfig] = []

    def fake_train(config: TrainConfig, seconds: float = 0.3):
        calls.append(config)
        time.sleep(seconds)
        assert config.overwrite and config.output is not None
        write_finished_run(config.output, run_cache.config_key(config))

    monkeypatch.setattr(run_cache, "train", fake_train)
    return calls


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of the trail data that a test may change."""
    copy = tmp_path / "trail.csv"
    copy.write_bytes(TRAIL_STATUS_CSV.read_bytes())
    return copy


def small(data: Path, output: Path, **changes) -> TrainConfig:
    """A config of a quick run (never trained for real here)."""
    return replace(TrainConfig(data=data, output=output, epochs=1, max_train_rows=32), **changes)


def test_the_same_config_is_trained_once(trainings, data, tmp_path):
    config = small(data, tmp_path / "run")
    assert run_cache.find_or_train(config) == tmp_path / "run"
    assert run_cache.find_or_train(config) == tmp_path / "run"
    assert run_cache.find_or_train(replace(config, no_progress=True)) == tmp_path / "run"  # not a training setting
    assert len(trainings) == 1


@pytest.mark.parametrize(
    "change", [{"epochs": 2}, {"seed": 7}, {"learning_rate": 1e-4}, {"model": "minilm-l3"}, {"max_length": 32}]
)
def test_a_changed_setting_trains_again(trainings, data, tmp_path, change):
    config = small(data, tmp_path / "run")
    run_cache.find_or_train(config)
    run_cache.find_or_train(replace(config, **change))
    assert len(trainings) == 2 and trainings[1] == replace(config, overwrite=True, **change)


def test_changed_data_trains_again_even_under_the_same_name(trainings, data, tmp_path):
    config = small(data, tmp_path / "run")
    run_cache.find_or_train(config)
    data.write_text(data.read_text(encoding="utf-8") + "Both trails open today,1,1\n", encoding="utf-8")
    run_cache.find_or_train(config)
    assert len(trainings) == 2


def test_an_unfinished_run_is_never_reused(trainings, data, tmp_path):
    config = small(data, tmp_path / "run")
    run_cache.find_or_train(config)
    (tmp_path / "run" / "metrics.json").unlink()  # interrupted before the end
    run_cache.find_or_train(config)
    assert len(trainings) == 2 and (tmp_path / "run" / "metrics.json").is_file()


def test_a_run_elsewhere_is_reused_only_with_the_same_key(trainings, data, tmp_path):
    config = small(data, tmp_path / "comparison" / "minilm-l6")
    elsewhere = write_finished_run(tmp_path / "make-train", run_cache.config_key(config))
    assert run_cache.find_or_train(config, reuse_from=[elsewhere]) == elsewhere
    other = write_finished_run(tmp_path / "other", run_cache.config_key(replace(config, seed=1)))
    assert run_cache.find_or_train(config, reuse_from=[other]) == tmp_path / "comparison" / "minilm-l6"
    assert len(trainings) == 1


def test_the_lock_serialises_two_threads_into_one_training(trainings, data, tmp_path):
    config = small(data, tmp_path / "run")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: run_cache.find_or_train(config), range(2)))
    assert results == [tmp_path / "run"] * 2 and len(trainings) == 1


def test_a_finished_lab4_run_is_returned_without_training(trainings, tmp_path):
    run = write_finished_run(tmp_path / "run", key=None)  # made by older code: still the student's model
    assert trained_model.lab4_model_dir(path=run) == run
    assert run_cache.is_finished_run(run) and trainings == []


def test_an_unfinished_run_is_not_a_model(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}", encoding="utf-8")  # interrupted before metrics.json
    assert not run_cache.is_finished_run(run)
    with pytest.raises(CourseError, match=r"No trained Lab 4 model in .*make train"):
        trained_model.lab4_model_dir(train_if_missing=False, path=run)


def test_a_missing_lab4_run_is_trained_once_with_the_lab4_defaults(trainings, tmp_path):
    run = tmp_path / "outputs" / "blankets_creek-minilm-l6"
    assert trained_model.lab4_model_dir(path=run) == run
    assert trained_model.lab4_model_dir(path=run) == run  # the second call finds it
    assert trainings == [TrainConfig(output=run, overwrite=True, no_progress=True)]


def test_two_notebooks_at_once_train_the_lab4_model_once(trainings, tmp_path):
    run = tmp_path / "outputs" / "blankets_creek-minilm-l6"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: trained_model.lab4_model_dir(path=run), range(2)))
    assert results == [run, run] and len(trainings) == 1


def test_the_precision_in_use_is_part_of_the_key(data, tmp_path):
    config, choice = small(data, tmp_path / "run"), resolve_model("minilm-l6")
    assert run_key(config, choice, {}) != run_key(config, choice, {"bf16": True, "use_cpu": True})
    assert run_key(config, choice, {}) == run_key(replace(config, output=tmp_path / "elsewhere"), choice, {})


def test_a_killed_runs_staging_folder_is_cleared_before_training_again(trainings, data, tmp_path):
    leftover = tmp_path / ".run.k1ll3d.partial"  # what `kill` during training leaves next to the run
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half a model")
    run_cache.find_or_train(small(data, tmp_path / "run"))
    assert not leftover.exists() and len(trainings) == 1


def test_run_key_treats_a_whole_float_like_the_int(tmp_path: Path) -> None:
    """``--epochs 2`` on the command line (2.0) and ``epochs=2`` in a notebook are one run, not two."""
    config = TrainConfig(output=tmp_path / "run")
    choice = resolve_model(config.model)
    assert run_key(replace(config, epochs=2), choice, {}) == run_key(replace(config, epochs=2.0), choice, {})
    assert run_key(replace(config, epochs=2), choice, {}) != run_key(replace(config, epochs=2.5), choice, {})
