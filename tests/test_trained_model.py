"""coursekit.trained_model: Labs 7 and 8 find the Lab 4 run, or train it once, and never replace a finished one."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from coursekit import trained_model
from coursekit.errors import CourseError


def finished_run(folder: Path) -> Path:
    """A folder that looks like a completed run (metrics.json is what the training script writes last)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "metrics.json").write_text('{"test": {"accuracy": 0.9}}', encoding="utf-8")
    return folder


def test_a_finished_run_is_returned_without_training(tmp_path, monkeypatch):
    run = finished_run(tmp_path / "run")
    monkeypatch.setattr(trained_model, "load_example", lambda name: pytest.fail("must not train"))
    assert trained_model.lab4_model_dir(path=run) == run
    assert trained_model.is_finished_run(run)


def test_an_unfinished_run_is_not_a_model(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}", encoding="utf-8")  # interrupted before metrics.json
    assert not trained_model.is_finished_run(run)
    with pytest.raises(CourseError, match=r"No trained Lab 4 model in .*make train"):
        trained_model.lab4_model_dir(train_if_missing=False, path=run)


def fake_training_script(calls: list[list[str]], seconds: float = 0.0):
    """Stands in for examples/training/classifier.py: records its arguments and writes a finished run."""

    def train(args):
        time.sleep(seconds)
        finished_run(args.output)
        return SimpleNamespace(test={"accuracy": 0.93}, test_size=135)

    def parse_args(argv):
        calls.append(argv)
        return SimpleNamespace(output=Path(argv[-1]))

    return SimpleNamespace(build_parser=lambda: SimpleNamespace(parse_args=parse_args), train=train)


def test_a_missing_run_is_trained_once_with_the_lab4_defaults(tmp_path, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(trained_model, "load_example", lambda name: fake_training_script(calls))
    run = tmp_path / "outputs" / "blankets_creek-minilm-l6"
    assert trained_model.lab4_model_dir(path=run) == run
    assert trained_model.lab4_model_dir(path=run) == run  # the second call finds it
    assert calls == [["--no-progress", "--overwrite", "--output", str(run)]]


def test_two_notebooks_at_once_train_only_once(tmp_path, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(trained_model, "load_example", lambda name: fake_training_script(calls, seconds=0.5))
    run = tmp_path / "outputs" / "blankets_creek-minilm-l6"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: trained_model.lab4_model_dir(path=run), range(2)))
    assert results == [run, run] and len(calls) == 1
