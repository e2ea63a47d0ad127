"""`python -m coursekit.grading.challenge make`: fresh Lab 4 posts for students, hidden answers for the instructor,
no post that nearly duplicates a training text, reproducible from the seed, never replacing files without
--overwrite; with --roster one variant per student, and the grader scores each hand-in against its own."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from grading_builders import lost, make_perfect

import coursekit.grading.grade as grade
from coursekit.grading import challenge
from coursekit.grading.checks import load_answers, load_spec
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
        (["--lab", "3", "--seed", "1"], "error: lab 3 has no generated challenge inputs (only lab 4, project-tweet"),
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
        "python -m coursekit.grading.challenge make --lab 4 --seed 2026 --out /tmp/c4 && "
        "cp /tmp/c4/posts.csv data/challenges/lab-4/"
    )


def test_make_refuses_to_replace_existing_answers_without_overwrite(tmp_path, training_csv, capsys):
    args = [
        "make",
        "--lab",
        "4",
        "--seed",
        "3",
        "--rows",
        "10",
        "--out",
        str(tmp_path),
        "--training",
        str(training_csv),
    ]
    assert challenge.main(args) == 0
    answers = tmp_path / "answers.csv"
    answers.write_text("id,label\np001,open\n", encoding="utf-8")  # the instructor's hand-edited key
    with pytest.raises(SystemExit) as exit_info:
        challenge.main(args)
    assert exit_info.value.code == 2
    assert "posts.csv already exists; pass --overwrite" in capsys.readouterr().err
    assert answers.read_text(encoding="utf-8") == "id,label\np001,open\n"
    assert challenge.main([*args, "--overwrite"]) == 0
    assert len(answers.read_text(encoding="utf-8").splitlines()) == 11
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


ROSTER = ["ana", "ben", "chen"]


@pytest.fixture(scope="module")
def per_student(tmp_path_factory, training_csv) -> Path:
    """A roster challenge for three students, 30 posts each, made with the command line."""
    out = tmp_path_factory.mktemp("roster")
    roster = out / "roster.csv"
    roster.write_text("student,email\n" + "".join(f"{s},{s}@example.org\n" for s in ROSTER), encoding="utf-8")
    args = ["make", "--lab", "4", "--seed", "91", "--rows", "30", "--training", str(training_csv)]
    assert challenge.main([*args, "--roster", str(roster), "--out", str(out / "made")]) == 0
    return out / "made"


def test_roster_gives_every_student_own_posts_and_answers(per_student, training_csv, tmp_path):
    columns, answers = read_rows(per_student / "answers.csv")
    assert columns == ["student", "id", "label"]
    assert sorted(p.name for p in (per_student / "students").iterdir()) == ROSTER
    texts, ids = {}, {}
    for student in ROSTER:
        post_columns, posts = read_rows(per_student / "students" / student / "posts.csv")
        assert post_columns == ["id", "text"] and len(posts) == 30
        assert [p["id"] for p in posts] == [a["id"] for a in answers if a["student"] == student]
        texts[student], ids[student] = {p["text"] for p in posts}, {p["id"] for p in posts}
    assert not ids["ana"] & ids["ben"] and not ids["ben"] & ids["chen"]
    assert len(texts["ana"] & texts["ben"]) < 5  # own posts, not a shuffle of shared ones
    again = tmp_path / "again"
    roster = tmp_path / "roster.csv"
    roster.write_text("student\n" + "\n".join(ROSTER) + "\n", encoding="utf-8")
    challenge.make(4, 91, again, rows=30, training_csv=training_csv, roster=roster)
    assert (again / "answers.csv").read_bytes() == (per_student / "answers.csv").read_bytes()


def test_a_copied_handin_fails_and_an_unknown_student_is_invalid(per_student, tmp_path):
    spec = load_spec(4)
    answers = load_answers(per_student / "answers.csv", spec)
    _, rows = read_rows(per_student / "answers.csv")
    ana_labels = {r["id"]: r["label"] for r in rows if r["student"] == "ana"}
    subs = tmp_path / "subs"
    make_perfect(subs / "ana", ana_labels)
    shutil.copytree(subs / "ana", subs / "ben")  # ben hands in ana's predictions
    shutil.copytree(subs / "ana", subs / "dora")  # not on the roster
    results = {r.student: r for r in grade.grade_all(subs, spec, answers)[0]}
    assert (results["ana"].status, results["ana"].points) == ("graded", 100)
    # every point that depends on the variant is lost; the rest of the hand-in (own test split) is ben's own
    assert lost(results["ben"]) == {"predictions_ids": 6, "accuracy": 20, "f1_macro": 15}
    assert "ids not in posts.csv" in next(c.message for c in results["ben"].checks if c.check_id == "predictions_ids")
    assert results["dora"].status == "invalid" and "no challenge variant for 'dora'" in results["dora"].notes[0]


@pytest.mark.parametrize(
    "roster_text, message",
    [
        ("name\nana\n", "no column 'student'"),
        ("student\nana\nana\n", "student id(s) ana appear more than once"),
        ("student\n../etc\n", "line 2: student id '../etc' cannot be a folder name"),
        ("student\n\n", "no students"),
    ],
)
def test_bad_roster_exits_2_before_writing(tmp_path, capsys, roster_text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        challenge.main(["make", "--lab", "4", "--seed", "1", "--roster", str(roster), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
