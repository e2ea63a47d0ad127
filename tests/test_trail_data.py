"""The course data: shape, balance, no empty texts, no near-duplicates that could leak across a split."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from coursekit.data import TRAIL_LABEL_COLUMNS, load_labelled_texts
from coursekit.paths import DATA_DIR, TRAIL_STATUS_CSV
from coursekit.training import split_dataset


@pytest.fixture(scope="module")
def trail() -> pd.DataFrame:
    return pd.read_csv(TRAIL_STATUS_CSV)


def words(text: str) -> set[str]:
    """Lowercased words with digits folded, as the datasheet defines near-duplicates."""
    return set(re.findall(r"[a-z']+|0", re.sub(r"\d+", "0", text.lower())))


def test_columns_size_and_labels(trail):
    assert list(trail.columns) == ["status", *TRAIL_LABEL_COLUMNS]
    assert len(trail) >= 800
    for column in TRAIL_LABEL_COLUMNS:
        assert set(trail[column]) == {0, 1}
        assert 0.3 < trail[column].mean() < 0.7, f"{column} is too imbalanced for Lab 4"
    partial = (trail["Blankets_Creek"] != trail["Rope_Mill"]).mean()
    assert partial >= 0.2, "posts where one trail is open and the other closed make the task non-trivial"


def test_no_empty_or_duplicate_texts(trail):
    assert trail["status"].str.strip().str.len().min() > 0
    assert not trail["status"].str.lower().str.strip().duplicated().any()


def test_no_near_duplicates_anywhere(trail):
    """Any two posts share < 80% of their words, so no split can put a near-copy in train and test."""
    sets = [words(t) for t in trail["status"]]
    worst = 0.0
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            union = len(a | b)
            if union:
                worst = max(worst, len(a & b) / union)
    assert worst < 0.8


def test_course_split_is_leak_free_and_stratified():
    data = load_labelled_texts(TRAIL_STATUS_CSV, "status", "Blankets_Creek")
    assert data.label_names == ["closed", "open"]
    splits = split_dataset(data, 0.15, 0.15, seed=42)
    assert sum(len(s) for s in splits.values()) == len(data.texts)
    assert not set(splits["train"]["text"]) & set(splits["test"]["text"])
    shares = [sum(s["label"]) / len(s) for s in splits.values()]
    assert max(shares) - min(shares) < 0.03


def test_generator_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "trail.csv"
    subprocess.run(
        [sys.executable, str(DATA_DIR / "generate_trail_status.py"), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == TRAIL_STATUS_CSV.read_bytes()
