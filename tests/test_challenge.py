"""`python -m coursekit.grading.challenge make`: fresh Lab 4 posts for students, hidden answers for the instructor,
no post that nearly duplicates a training text, reproducible from the seed."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.grading import challenge
from coursekit.paths import DATA_DIR, PROJECT_ROOT, TRAIL_STATUS_CSV

COMMITTED_POSTS = DATA_DIR / "challenges" / "lab-4" / "posts.csv"


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def training_csv(tmp_path_factory) -> Path:
    """A training file from the generator's defaults (the same rows as data/trail_status.csv)."""
    path = tmp_path_factory.mktemp("data") / "trail_status.csv"
    challenge.load_generator().main(["--output", str(path)])
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory, training_csv) -> Path:
    out = tmp_path_factory.mktemp("challenge")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.grading.challenge",
            "make",
            "--lab",
            "4",
            "--seed",
            "777",
            "--out",
            str(out),
            "--training",
            str(training_csv),
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert "posts.csv (150 posts): hand this to students" in result.stdout
    assert "answers.csv: keep it secret" in result.stdout
    return out


def test_make_writes_posts_without_labels_and_matching_answers(made):
    post_columns, posts = read_rows(made / "posts.csv")
    answer_columns, answers = read_rows(made / "answers.csv")
    assert post_columns == ["id", "text"] and answer_columns == ["id", "label"]
    assert len(posts) == len(answers) == 150
    assert [p["id"] for p in posts] == [a["id"] for a in answers]
    assert len({p["id"] for p in posts}) == 150 and posts[0]["id"] == "p001"
    assert all(p["text"].strip() for p in posts)
    labels = [a["label"] for a in answers]
    assert set(labels) == {"open", "closed"}
    assert 0.35 <= labels.count("open") / 150 <= 0.65  # both classes well represented


def test_no_challenge_post_near_duplicates_training_or_each_other(made, training_csv):
    generator = challenge.load_generator()
    _, training = read_rows(training_csv)
    train_sets = [generator.tokens(row["status"]) for row in training]
    _, posts = read_rows(made / "posts.csv")
    post_sets = [generator.tokens(p["text"]) for p in posts]
    for i, words in enumerate(post_sets):
        assert max(generator.jaccard(words, other) for other in train_sets) < challenge.NEAR_DUPLICATE, posts[i]
        assert all(generator.jaccard(words, other) < challenge.NEAR_DUPLICATE for other in post_sets[:i]), posts[i]


def test_filter_drops_near_duplicates_and_generates_replacements(tmp_path, training_csv):
    """Training on the would-be challenge posts themselves: every first candidate is dropped, yet 20 posts come out."""
    first = challenge.lab4_rows(5, 20, training_csv)
    leaky_training = tmp_path / "train.csv"
    challenge.write_csv(leaky_training, ["status", "Blankets_Creek", "Rope_Mill"], [(t, 0, 0) for _, t, _ in first])
    second = challenge.lab4_rows(5, 20, leaky_training)
    assert len(second) == 20
    assert not {t for _, t, _ in first} & {t for _, t, _ in second}


def test_same_seed_same_files_other_seed_other_posts(tmp_path, training_csv):
    a = challenge.make(4, 11, tmp_path / "a", rows=30, training_csv=training_csv)
    b = challenge.make(4, 11, tmp_path / "b", rows=30, training_csv=training_csv)
    c = challenge.make(4, 12, tmp_path / "c", rows=30, training_csv=training_csv)
    assert a[0].read_bytes() == b[0].read_bytes() and a[1].read_bytes() == b[1].read_bytes()
    assert a[0].read_bytes() != c[0].read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lab", "3", "--seed", "1"], "error: lab 3 has no generated challenge inputs (only lab 4)"),
        (["--lab", "4", "--seed", "1", "--rows", "0"], "error: --rows must be at least 1, got 0."),
        (["--lab", "4", "--seed", "1", "--training", "missing.csv"], "error: training data not found: missing.csv."),
    ],
)
def test_make_bad_input_exits_2(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        challenge.main(["make", *args, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "answers.csv").exists()


def test_committed_default_posts_are_seed_2026_without_answers(tmp_path):
    """data/challenges/lab-4/posts.csv = make --seed 2026 on data/trail_status.csv; no answers are committed."""
    assert not (COMMITTED_POSTS.parent / "answers.csv").exists()
    posts, _ = challenge.make(4, 2026, tmp_path, training_csv=TRAIL_STATUS_CSV)
    assert COMMITTED_POSTS.read_bytes() == posts.read_bytes(), (
        "data/challenges/lab-4/posts.csv is out of date (the generator or data/trail_status.csv changed): run "
        "python -m coursekit.grading.challenge make --lab 4 --seed 2026 --out /tmp/c4 && cp /tmp/c4/posts.csv data/challenges/lab-4/"
    )
