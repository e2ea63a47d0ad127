"""Shared fixtures: find or train the Lab 4 model once per test session (the run cache). Helpers: ``helpers.py``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import BROWSER_PROGRAMS, CHROME_ARGS, PAGE_TIMEOUT

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


@pytest.fixture
def browser():
    """Headless Chromium driven by the system chromedriver (selenium never downloads a driver)."""
    chromium, chromedriver = (shutil.which(program) for program in BROWSER_PROGRAMS)
    if not (chromium and chromedriver):
        reason = "chromium and chromedriver are needed for the browser test; `make browser` installs them"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the browser test)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in CHROME_ARGS:
        options.add_argument(argument)
    # An explicit driver path: selenium then never runs Selenium Manager (which would try to download one).
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()
