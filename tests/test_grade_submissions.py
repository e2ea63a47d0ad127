"""The grader on whole submissions and classes: unsafe zips, symlinks and oversized files are refused without
being read, a class folder of mixed submissions always yields a complete gradebook, and the command line
meets bad input with a clear error."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from grading_builders import (
    check,
    grade_one,
    lost,
    make_perfect,
    write_answers,
    zip_folder,
)

import coursekit.grading.grade as grade
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import files, load_answers, load_spec
from coursekit.grading.submissions import Limits, read_folder, read_zip
from coursekit.paths import PROJECT_ROOT


@pytest.fixture()
def answers(tmp_path) -> tuple[Path, dict[str, str]]:
    """A hidden answers file with 40 ids, half open, half closed."""
    return write_answers(tmp_path)


# ------------------------------------------------------------------------------------------------
# Unsafe and broken submissions
# ------------------------------------------------------------------------------------------------


def test_empty_zip_is_invalid(tmp_path, answers):
    answers_path, _ = answers
    path = tmp_path / "subs" / "frank.zip"
    path.parent.mkdir()
    zipfile.ZipFile(path, "w").close()
    result = grade_one(path, answers_path)
    assert (result.status, result.points, result.checks) == ("invalid", 0, [])
    assert result.notes[0].startswith("the zip is empty. Zip the folder with your files")


def test_nested_zip_is_not_extracted(tmp_path, answers):
    answers_path, labels = answers
    inner = zip_folder(make_perfect(tmp_path / "work" / "lab-4", labels), tmp_path / "work" / "lab-4.zip")
    outer = tmp_path / "subs" / "gina.zip"
    outer.parent.mkdir()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(inner, "lab-4.zip")
    result = grade_one(outer, answers_path)
    assert result.status == "invalid" and result.points == 0
    assert (
        "`lab-4.zip` was not read: a zip inside the zip is not extracted; submit a folder or one zip." in result.notes
    )
    assert result.notes[0].startswith("none of the hand-in files (predictions.csv, test_predictions.csv")


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/coursekit-absolute-escape.txt", "lab-4/../../escaped.txt"])
def test_path_traversal_zip_is_refused_before_extracting(tmp_path, answers, member):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "work" / "lab-4", labels)
    (tmp_path / "subs").mkdir()
    path = zip_folder(folder, tmp_path / "subs" / "hank.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(member, "gotcha")
    result = grade_one(path, answers_path)
    assert result.status == "invalid" and result.points == 0
    assert result.notes[0].startswith(f"the zip contains unsafe paths ({member!r}); nothing was extracted.")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "subs" / "escaped.txt").exists()


def test_symlink_escaping_the_folder_is_skipped(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "ivy", labels)
    secret = tmp_path / "outside.md"
    secret.write_text("word " * 100)
    (folder / "notes.md").unlink()
    (folder / "notes.md").symlink_to(secret)
    (folder / "linked_dir").symlink_to(tmp_path)
    result = grade_one(folder, answers_path)
    assert lost(result) == {"notes": 7}
    assert check(result, "notes").message.startswith(
        "notes.md was not graded: it is a symbolic link; symlinks are skipped. Copy the real file into the submission."
    )
    assert any(
        n.startswith("`linked_dir` was not read: it is a symbolic link (a linked folder)") for n in result.notes
    )


def test_symlink_member_in_zip_is_skipped(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "work" / "lab-4", labels)
    (folder / "notes.md").unlink()
    (tmp_path / "subs").mkdir()
    path = zip_folder(folder, tmp_path / "subs" / "jack.zip")
    link = zipfile.ZipInfo("lab-4/notes.md")
    link.external_attr = 0o120777 << 16
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(link, "/etc/passwd")
    result = grade_one(path, answers_path)
    assert lost(result) == {"notes": 7}
    assert (
        "notes.md was not graded: it is a symbolic link; symlinks are skipped. Zip the real file."
        in check(result, "notes").message
    )


def test_500_mb_file_is_refused_without_reading_it(tmp_path, answers, monkeypatch):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "kim", labels)
    with (folder / "predictions.csv").open("r+b") as handle:
        handle.truncate(500 * 2**20)  # sparse: no 500 MB are written
    opened = []
    real_reader = files.read_csv_strings
    monkeypatch.setattr(files, "read_csv_strings", lambda path, name: opened.append(name) or real_reader(path, name))
    result = grade_one(folder, answers_path)
    assert "predictions.csv" not in opened and "test_predictions.csv" in opened  # the spy sees real reads
    assert lost(result) == {
        "predictions_ids": 6,
        "predictions_labels": 4,
        "predictions_confidence": 5,
        "accuracy": 20,
        "f1_macro": 15,
    }
    assert check(result, "accuracy").message.startswith(
        "predictions.csv was not graded: 500.0 MB is over the 20 MB limit per file; hand in only the files"
    )


def test_zip_limits_are_checked_from_the_central_directory(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lab-4/predictions.csv", b"\0" * (3 * 2**20))  # 3 MB of zeros: ratio ~1000:1
        archive.writestr("lab-4/notes.md", b"a" * 30_000)
    work = tmp_path / "work"
    work.mkdir()
    bomb = read_zip(path, work, Limits())
    assert bomb.invalid.startswith("the zip's compression ratio is") and "looks like a zip bomb" in bomb.invalid
    too_big = read_zip(path, work, Limits(max_total_mb=2))
    assert too_big.invalid.startswith("the zip would unpack to 3.0 MB, over the 2 MB limit; nothing was extracted.")
    oversized_member = read_zip(path, work, Limits(max_compression_ratio=10**6, max_file_mb=1))
    assert oversized_member.invalid is None
    assert list(oversized_member.files) == ["notes.md"]
    assert oversized_member.refused["predictions.csv"].startswith("3.0 MB is over the 1 MB limit per file")
    assert sorted(p.name for p in work.rglob("*") if p.is_file()) == ["notes.md"]  # the big member was never written


def test_not_a_zip_is_invalid_and_folder_limits_apply(tmp_path):
    fake = tmp_path / "liz.zip"
    fake.write_text("not a zip")
    assert read_zip(fake, tmp_path, Limits()).invalid.startswith("not a readable zip file")
    folder = tmp_path / "mo"
    (folder / "lab-4").mkdir(parents=True)
    (folder / "lab-4" / "notes.md").write_text("x" * 3000)
    (folder / "lab-4" / ".DS_Store").write_text("junk")
    (folder / "lab-4" / "inner.zip").write_bytes(b"PK")
    submission = read_folder(folder, Limits(max_file_mb=0.001))
    assert submission.files == {}
    assert submission.refused["notes.md"].startswith("2.9 KB is over the 0.001 MB limit per file")
    assert submission.refused["inner.zip"].startswith("a zip inside the submission is not extracted")


# ------------------------------------------------------------------------------------------------
# A whole class
# ------------------------------------------------------------------------------------------------


def test_mixed_class_folder_gives_a_complete_gradebook(tmp_path, answers, monkeypatch, capsys):
    answers_path, labels = answers
    subs = tmp_path / "subs"
    make_perfect(subs / "good", labels)
    broken = make_perfect(subs / "broken", labels)
    (broken / "comparison.png").write_text("not a png")
    zip_folder(make_perfect(tmp_path / "work" / "lab-4", labels), subs / "zipped.zip")
    make_perfect(subs / "crashy", labels)
    zipfile.ZipFile(subs / "empty.zip", "w").close()
    (subs / "readme.txt").write_text("stray file")
    real = grade.grade_submission

    def crash_for_crashy(submission, spec, answers_):
        if submission.student == "crashy":
            raise RuntimeError("simulated grader bug")
        return real(submission, spec, answers_)

    monkeypatch.setattr(grade, "grade_submission", crash_for_crashy)
    out = tmp_path / "grades"
    assert grade.main([str(subs), "--lab", "4", "--answers", str(answers_path), "--out", str(out)]) == 0
    with (out / "gradebook.csv").open(encoding="utf-8") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert list(book["good"]) == ["student", "lab", "points", "max_points", "status"]
    assert {s: (r["points"], r["status"]) for s, r in book.items()} == {
        "broken": ("95", "graded"),
        "crashy": ("0", "error"),
        "empty": ("0", "invalid"),
        "good": ("100", "graded"),
        "zipped": ("100", "graded"),
    }
    assert all(r["lab"] == "4" and r["max_points"] == "100" for r in book.values())
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(book)
    crashy = (out / "feedback" / "crashy.md").read_text(encoding="utf-8")
    assert "the grader failed: RuntimeError: simulated grader bug" in crashy
    feedback = (out / "feedback" / "broken.md").read_text(encoding="utf-8")
    assert "**95 / 100 points** · status: graded" in feedback
    assert "❌ **comparison.png: a real PNG chart** — 0/5: comparison.png: not a PNG image" in feedback
    assert "✅ **accuracy on the hidden labels** — 20/20" in feedback
    with (out / "checks.csv").open(encoding="utf-8") as handle:
        per_check = list(csv.DictReader(handle))
    assert len(per_check) == 3 * 12  # three graded students, twelve checks each
    printed = capsys.readouterr().out
    assert "note: ignored readme.txt: not a folder or a .zip" in printed
    assert "lab 4: 5 submissions: 3 graded, 1 invalid, 1 error; mean 98.3, median 100.0" in printed


def test_same_student_as_folder_and_zip_is_refused(tmp_path, answers):
    answers_path, labels = answers
    subs = tmp_path / "subs"
    folder = make_perfect(subs / "nina", labels)
    zip_folder(folder, subs / "nina.zip")
    spec = load_spec(4)
    results, _ = grade.grade_all(subs, spec, load_answers(answers_path, spec))
    assert [(r.student, r.status) for r in results] == [("nina", "invalid")]
    assert results[0].notes == ["two submissions (nina and nina.zip); hand in one folder or one zip."]


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def run_grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursekit.grading.grade", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def test_cli_grades_a_folder_and_prints_the_summary(tmp_path, answers):
    answers_path, labels = answers
    make_perfect(tmp_path / "subs" / "olga", labels)
    result = run_grade(
        str(tmp_path / "subs"),
        "--lab",
        "4",
        "--answers",
        str(answers_path),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "olga" in result.stdout and "lab 4: 1 submissions: 1 graded, 0 invalid, 0 error" in result.stdout
    assert (tmp_path / "out" / "gradebook.csv").read_text().splitlines() == [
        "student,lab,points,max_points,status",
        "olga,4,100,100,graded",
    ]


def missing_folder(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    args[0] = str(tmp_path / "nope")


def unknown_lab(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    args[2] = "99"


def no_answers(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    del args[3:5]


def answers_columns(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    write_csv(answers_path, ["post", "status"], [["p001", "open"]])


def answers_labels(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    write_csv(answers_path, ["id", "label"], [["p001", "open"], ["p002", "1"]])


def answers_missing(args: list[str], answers_path: Path, tmp_path: Path) -> None:
    args[4] = str(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (missing_folder, "error: submissions folder not found:"),
        (
            unknown_lab,
            "error: no grading spec for lab '99' ('lab-99.yaml' not in coursekit/grading/specs). Labs and projects "
            "with a spec: 1, 2, ",
        ),
        (no_answers, "error: lab 4 scores predictions against hidden answers: pass --answers answers.csv"),
        (answers_columns, "(it has post, status); expected columns id,label."),
        (answers_labels, "empty id or label not in ['closed', 'open'] at line 3"),
        (answers_missing, "error: answers file not found:"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(tmp_path, answers, mutate, expected, capsys):
    answers_path, labels = answers
    subs = tmp_path / "subs"
    make_perfect(subs / "pat", labels)
    args = [str(subs), "--lab", "4", "--answers", str(answers_path), "--out", str(tmp_path / "out")]
    mutate(args, answers_path, tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        grade.main(args)
    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_cli_subprocess_exits_2_without_traceback(tmp_path):
    result = run_grade(str(tmp_path / "nope"), "--lab", "4", "--answers", "a.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: submissions folder not found:") and "Traceback" not in result.stderr
