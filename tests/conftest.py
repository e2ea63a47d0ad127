"""Shared fixtures: find or train the Lab 4 model once per test session (the run cache). Helpers: ``helpers.py``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coursekit.trained_model import lab4_model_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the trained Lab 4 model is slow (it may have to train it first), marked or not."""
    for item in items:
        if "trained_model_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A copy of the Lab 4 classifier for every test that needs a trained model.

    ``lab4_model_dir`` finds the run `make train` writes (outputs/blankets_creek-minilm-l6), or trains it once
    with the Lab 4 defaults through the run cache (``coursekit.run_cache.find_or_train``, locked, so a notebook
    running at the same time waits instead of training it too); the Lab 4 solution's comparison and the Labs 7-9
    notebooks then reuse it instead of training it again. The tests work on a copy, so they never change a
    student's run.
    """
    copy = tmp_path_factory.mktemp("models") / "trail-minilm"
    shutil.copytree(lab4_model_dir(), copy)
    return copy
