"""The Lab 4 grader: a perfect hand-in scores 100, each defect loses exactly its rubric points with a
precise feedback line, unsafe submissions are refused without being read, and a class folder of mixed
submissions always yields a complete gradebook. No training; everything is built in tmp_path."""

from __future__ import annotations

import csv
import json
import os
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

import coursekit.grading.grade as grade
from coursekit.errors import CourseError
from coursekit.grading import checks
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import load_answers, load_spec, validate_spec
from coursekit.grading.submissions import Limits, read_folder, read_zip
from coursekit.metrics import classification_metrics
from coursekit.paths import PROJECT_ROOT

LABELS = ["closed", "open"]
N_POSTS = 40


# ------------------------------------------------------------------------------------------------
# Builders
# ------------------------------------------------------------------------------------------------


def png_bytes(width: int = 320, height: int = 200) -> bytes:
    """A valid RGB PNG with noisy pixels (so it has a chart-like size), built with the stdlib."""
    rng = random.Random(0)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture()
def answers(tmp_path) -> tuple[Path, dict[str, str]]:
    """A hidden answers file with 40 ids, half open, half closed."""
    labels = {f"p{i:03d}": LABELS[i % 2] for i in range(1, N_POSTS + 1)}
    path = tmp_path / "secret" / "answers.csv"
    write_csv(path, ["id", "label"], [[i, label] for i, label in labels.items()])
    return path, labels


def held_out_rows() -> list[list]:
    """60 held-out rows, 51 right (accuracy 0.85)."""
    rows = []
    for i in range(60):
        true = LABELS[i % 2]
        predicted = true if i < 51 else LABELS[1 - i % 2]
        rows.append([f"post number {i} about the trails", true, predicted, 0.9])
    return rows


def make_perfect(folder: Path, answer_labels: dict[str, str]) -> Path:
    """The reference hand-in: predictions equal the answers and every claim is consistent."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "confidence"],
        [[i, label, 0.93] for i, label in answer_labels.items()],
    )
    rows = held_out_rows()
    write_csv(folder / "test_predictions.csv", ["text", "true_label", "predicted_label", "confidence"], rows)
    index = {label: n for n, label in enumerate(LABELS)}
    scores = classification_metrics([index[r[1]] for r in rows], [index[r[2]] for r in rows], LABELS)
    metrics = {
        "model": "minilm-l6",
        "label_column": "Blankets_Creek",
        "accuracy": round(scores["accuracy"], 4),
        "f1_macro": round(scores["f1_macro"], 4),
        "test_size": len(rows),
        "best_model": "minilm-l6",
    }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    write_csv(
        folder / "comparison.csv",
        ["model", "parameters", "train_seconds", "accuracy", "f1_macro"],
        [["minilm-l3", 17400000, 41.5, 0.80, 0.79], ["minilm-l6", 22700000, 88.0, 0.85, 0.85]],
    )
    (folder / "comparison.png").write_bytes(png_bytes())
    (folder / "notes.md").write_text(
        "# Which model to deploy\n\n" + "I would deploy minilm-l6 because its macro F1 "
        "is higher and it still runs fast on a CPU. " * 5,
        encoding="utf-8",
    )
    return folder


def zip_folder(folder: Path, zip_path: Path, top: str | None = "lab-4") -> Path:
    """Zip a folder's files, inside a top folder or at the zip root."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{top}/{path.name}" if top else path.name)
    return zip_path


def grade_one(entry: Path, answers_path: Path):
    """Grade a single student entry in-process with the Lab 4 spec."""
    spec = load_spec(4)
    return grade.grade_entry(entry, spec, load_answers(answers_path, spec))


def check(result, check_id: str):
    return next(c for c in result.checks if c.check_id == check_id)


def lost(result) -> dict[str, float]:
    """Points lost per check."""
    return {c.check_id: round(c.max_points - c.points, 1) for c in result.checks if c.points < c.max_points}


# ------------------------------------------------------------------------------------------------
# Spec
# ------------------------------------------------------------------------------------------------


def test_every_spec_loads_and_lab4_totals_100():
    for path in sorted(checks.SPECS_DIR.glob("lab-*.yaml")):
        spec = load_spec(int(path.stem.split("-")[1]))
        assert spec["max_points"] > 0, path
    spec = load_spec(4)
    assert spec["max_points"] == 100
    assert {c["id"] for c in spec["checks"]} >= {"predictions_ids", "accuracy", "f1_macro", "best_model_claim"}


def test_spec_with_unknown_check_type_is_rejected(tmp_path):
    with pytest.raises(CourseError, match="unknown type 'csv'"):
        validate_spec({"checks": [{"id": "x", "type": "csv", "points": 1}]}, tmp_path / "lab-9.yaml")
    with pytest.raises(CourseError, match="add up to 3 points but total_points says 100"):
        validate_spec(
            {"total_points": 100, "checks": [{"id": "x", "type": "png_file", "file": "a.png", "points": 3}]},
            tmp_path / "lab-9.yaml",
        )
    with pytest.raises(CourseError, match="unknown metric\\(s\\) acc; use one of accuracy"):
        validate_spec(
            {
                "answers": {"labels": LABELS},
                "checks": [
                    {
                        "id": "x",
                        "type": "predictions_vs_answers",
                        "file": "p.csv",
                        "metric": "acc",
                        "full_at": 1,
                        "zero_at": 0,
                        "points": 3,
                    }
                ],
            },
            tmp_path / "lab-9.yaml",
        )


def test_symlinked_student_entry_is_invalid(tmp_path, answers):
    answers_path, labels = answers
    real = make_perfect(tmp_path / "elsewhere" / "real", labels)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "quinn").symlink_to(real, target_is_directory=True)
    result = grade_one(tmp_path / "subs" / "quinn", answers_path)
    assert (result.status, result.points) == ("invalid", 0)
    assert result.notes[0].startswith("the submission folder is a symbolic link")


# ------------------------------------------------------------------------------------------------
# Scores of single submissions
# ------------------------------------------------------------------------------------------------


def test_perfect_submission_scores_full_marks(tmp_path, answers):
    answers_path, labels = answers
    result = grade_one(make_perfect(tmp_path / "subs" / "alice", labels), answers_path)
    assert result.status == "graded"
    assert result.points == 100, [(c.check_id, c.points, c.message) for c in result.checks]
    assert "accuracy 1.000 on 40 hidden labels" in check(result, "accuracy").message
    assert "recall per class: closed 1.00, open 1.00" in check(result, "accuracy").message
    assert check(result, "comparison_plot").message.startswith("comparison.png: PNG 320x200 px")


def test_perfect_zip_with_top_folder_and_zip_at_root_both_score_full(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "work" / "lab-4", labels)
    (tmp_path / "subs").mkdir()
    nested = grade_one(zip_folder(folder, tmp_path / "subs" / "bob.zip"), answers_path)
    flat = grade_one(zip_folder(folder, tmp_path / "subs" / "carol.zip", top=None), answers_path)
    assert (nested.student, nested.status, nested.points) == ("bob", "graded", 100)
    assert (flat.student, flat.status, flat.points) == ("carol", "graded", 100)


def test_weaker_predictions_get_linear_partial_credit(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "dan", labels)
    flipped = {
        i: (LABELS[1 - LABELS.index(label)] if n < 10 else label) for n, (i, label) in enumerate(labels.items())
    }
    write_csv(folder / "predictions.csv", ["id", "label", "confidence"], [[i, l, 0.7] for i, l in flipped.items()])
    result = grade_one(folder, answers_path)
    # accuracy 0.75: 20 * (0.75 - 0.60) / 0.25 = 12; macro F1 0.75: 15 * (0.75 - 0.55) / 0.25 = 12
    assert lost(result) == {"accuracy": 8.0, "f1_macro": 3.0}
    assert (
        "accuracy 0.750 on 40 hidden labels (full points at ≥ 0.85, none at ≤ 0.6)"
        in check(result, "accuracy").message
    )


@pytest.mark.parametrize(
    "case, expected_loss, check_id, text",
    [
        (
            "missing_png",
            {"comparison_plot": 5},
            "comparison_plot",
            "comparison.png is missing (the hand-in holds: comparison.csv, metrics.json, notes.md, predictions.csv, "
            "test_predictions.csv). Save it under exactly that name.",
        ),
        (
            "integer_labels",
            {"predictions_labels": 4, "accuracy": 20, "f1_macro": 15},
            "predictions_labels",
            "predictions.csv: column 'label' holds numbers at line 2, line 3, line 4, line 5, line 6, line 7, line 8, line 9 "
            "(+32 more); labels must be names open/closed, not 0/1: map with model.config.id2label.",
        ),
        (
            "nan_confidence",
            {"predictions_confidence": 5},
            "predictions_confidence",
            "predictions.csv: column 'confidence' is NaN or infinite at line 4, line 8; expected a number in [0, 1].",
        ),
        (
            "confidence_out_of_range",
            {"predictions_confidence": 5},
            "predictions_confidence",
            "predictions.csv: column 'confidence' is above 1 at line 2; expected a number in [0, 1].",
        ),
        (
            "missing_ids",
            {"predictions_ids": 6},
            "predictions_ids",
            "predictions.csv: 2 id(s) of posts.csv have no prediction: p039, p040.",
        ),
        (
            "wrong_prediction_columns",
            {"predictions_ids": 6, "predictions_labels": 4, "accuracy": 20, "f1_macro": 15},
            "predictions_ids",
            "predictions.csv: missing column(s) label; it has id, prediction, confidence. "
            "The header must be exactly id,label,confidence.",
        ),
        (
            "wrong_comparison_columns",
            {"comparison_table": 8, "best_model_claim": 5},
            "comparison_table",
            "comparison.csv: missing column(s) model, parameters, train_seconds, accuracy; it has name, params, "
            "seconds, acc, f1_macro.",
        ),
        (
            "metrics_mismatch",
            {"metrics_match_predictions": 4},
            "metrics_match_predictions",
            "metrics.json: accuracy is 0.9500 but test_predictions.csv gives 0.8500 (tolerance 0.01)",
        ),
        (
            "test_size_wrong",
            {"metrics_match_predictions": 2},
            "metrics_match_predictions",
            "metrics.json: test_size is 100 but test_predictions.csv has 60 rows",
        ),
        (
            "best_model_wrong",
            {"best_model_claim": 5},
            "best_model_claim",
            "metrics.json: best_model is 'minilm-l3' but the highest f1_macro in comparison.csv is 0.850 ('minilm-l6')",
        ),
        (
            "not_a_png",
            {"comparison_plot": 5},
            "comparison_plot",
            "comparison.png: not a PNG image (wrong file signature)",
        ),
        ("tiny_png", {"comparison_plot": 5}, "comparison_plot", "comparison.png: 100x80 px, need at least 200x150"),
        ("short_notes", {"notes": 7}, "notes", "notes.md: 3 words, need at least 50."),
        (
            "wrong_label_column",
            {"metrics_keys": 5},
            "metrics_keys",
            "metrics.json: key 'label_column' is 'Rope_Mill' (must be 'Blankets_Creek'); expected exactly 'Blankets_Creek'.",
        ),
        (
            "quoted_number",
            {"metrics_keys": 5},
            "metrics_keys",
            "metrics.json: key 'accuracy' is '0.85' (text, not a number; write the number without quotes); "
            "expected a number in [0, 1].",
        ),
        (
            "bad_json",
            {"metrics_keys": 5, "metrics_match_predictions": 10, "best_model_claim": 5},
            "metrics_keys",
            "metrics.json is not valid JSON: Expecting ',' delimiter at line 1 column 15.",
        ),
        (
            "few_test_rows",
            {"test_predictions": 10, "metrics_match_predictions": 10},
            "test_predictions",
            "test_predictions.csv: 20 rows, need at least 50.",
        ),
    ],
)
def test_broken_submission_loses_exactly_its_rubric_points(tmp_path, answers, case, expected_loss, check_id, text):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / case, labels)
    ids = list(labels)
    if case == "missing_png":
        (folder / "comparison.png").unlink()
    elif case == "integer_labels":
        write_csv(
            folder / "predictions.csv",
            ["id", "label", "confidence"],
            [[i, LABELS.index(label), 0.9] for i, label in labels.items()],
        )
    elif case in {"nan_confidence", "confidence_out_of_range"}:
        bad = {2: "nan", 6: "NaN"} if case == "nan_confidence" else {0: "1.5"}
        write_csv(
            folder / "predictions.csv",
            ["id", "label", "confidence"],
            [[i, labels[i], bad.get(n, 0.9)] for n, i in enumerate(ids)],
        )
    elif case == "missing_ids":
        write_csv(folder / "predictions.csv", ["id", "label", "confidence"], [[i, labels[i], 0.9] for i in ids[:-2]])
    elif case == "wrong_prediction_columns":
        write_csv(folder / "predictions.csv", ["id", "prediction", "confidence"], [[i, labels[i], 0.9] for i in ids])
    elif case == "wrong_comparison_columns":
        write_csv(
            folder / "comparison.csv",
            ["name", "params", "seconds", "acc", "f1_macro"],
            [["minilm-l3", 1, 2, 0.8, 0.79], ["minilm-l6", 1, 2, 0.85, 0.85]],
        )
    elif case in {"metrics_mismatch", "test_size_wrong", "best_model_wrong", "wrong_label_column", "quoted_number"}:
        metrics = json.loads((folder / "metrics.json").read_text())
        key, value = {
            "metrics_mismatch": ("accuracy", 0.95),
            "test_size_wrong": ("test_size", 100),
            "best_model_wrong": ("best_model", "minilm-l3"),
            "wrong_label_column": ("label_column", "Rope_Mill"),
            "quoted_number": ("accuracy", "0.85"),
        }[case]
        metrics[key] = value
        (folder / "metrics.json").write_text(json.dumps(metrics))
    elif case == "not_a_png":
        (folder / "comparison.png").write_text("this is a JPEG renamed to png " * 50)
    elif case == "tiny_png":
        (folder / "comparison.png").write_bytes(png_bytes(100, 80))
    elif case == "short_notes":
        (folder / "notes.md").write_text("Deploy minilm-l6, obviously.")
    elif case == "bad_json":
        (folder / "metrics.json").write_text('{"model": "x" "accuracy": 0.9}')
    elif case == "few_test_rows":
        write_csv(
            folder / "test_predictions.csv",
            ["text", "true_label", "predicted_label", "confidence"],
            held_out_rows()[:20],
        )
    result = grade_one(folder, answers_path)
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == round(100 - sum(expected_loss.values()), 1)
    assert text in check(result, check_id).message


def test_integer_labels_in_test_predictions_get_the_same_hint(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "subs" / "erin", labels)
    rows = [[text, LABELS.index(t), LABELS.index(p), c] for text, t, p, c in held_out_rows()]
    write_csv(folder / "test_predictions.csv", ["text", "true_label", "predicted_label", "confidence"], rows)
    result = grade_one(folder, answers_path)
    assert lost(result) == {"test_predictions": 10, "metrics_match_predictions": 8}
    message = check(result, "test_predictions").message
    assert (
        "column 'true_label' holds numbers at line 2" in message
        and "not 0/1: map with model.config.id2label" in message
    )
    assert (
        "metrics.json: cannot check 'accuracy': test_predictions.csv has labels other than closed/open at line 2"
        in check(result, "metrics_match_predictions").message
    )


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
    real_reader = checks.read_csv_strings
    monkeypatch.setattr(checks, "read_csv_strings", lambda path, name: opened.append(name) or real_reader(path, name))
    result = grade_one(folder, answers_path)
    assert "predictions.csv" not in opened
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


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("missing_folder", "error: submissions folder not found:"),
        (
            "unknown_lab",
            "error: no grading spec for lab 9 (lab-9.yaml not in coursekit/grading/specs). Labs with a spec: ",
        ),
        ("no_answers", "error: lab 4 scores predictions against hidden answers: pass --answers answers.csv"),
        ("answers_columns", "(it has post, status); expected columns id,label."),
        ("answers_labels", "empty id or label not in ['closed', 'open'] at line 3"),
        ("answers_missing", "error: answers file not found:"),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(tmp_path, answers, problem, expected, capsys):
    answers_path, labels = answers
    subs = tmp_path / "subs"
    make_perfect(subs / "pat", labels)
    args = [str(subs), "--lab", "4", "--answers", str(answers_path), "--out", str(tmp_path / "out")]
    if problem == "missing_folder":
        args[0] = str(tmp_path / "nope")
    elif problem == "unknown_lab":
        args[2] = "9"
    elif problem == "no_answers":
        args = args[:3] + args[5:]
    elif problem == "answers_columns":
        write_csv(answers_path, ["post", "status"], [["p001", "open"]])
    elif problem == "answers_labels":
        write_csv(answers_path, ["id", "label"], [["p001", "open"], ["p002", "1"]])
    elif problem == "answers_missing":
        args[4] = str(tmp_path / "missing.csv")
    with pytest.raises(SystemExit) as exit_info:
        grade.main(args)
    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_cli_subprocess_exits_2_without_traceback(tmp_path):
    result = run_grade(str(tmp_path / "nope"), "--lab", "4", "--answers", "a.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: submissions folder not found:") and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------------
# Lab 1 (spec-level checks: files, keys, internal consistency)
# ------------------------------------------------------------------------------------------------

LAB1_LABELS = ["praise", "bug_report", "feature_request", "billing", "other"]


def make_lab1(folder: Path) -> Path:
    """A consistent Lab 1 hand-in: 20 train and 5 test records (one per label), summary counts that match."""
    folder.mkdir(parents=True)
    records = [
        {"id": f"fb-{i:04d}", "text": f"feedback text number {i}", "label": LAB1_LABELS[i % 5]} for i in range(25)
    ]
    splits = {"train": records[:20], "test": records[20:]}
    for name, part in splits.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    summary = {
        "rows_in": 29,
        "rows_out": 25,
        "removed": {"empty_text": 1, "missing_label": 1, "unknown_label": 1, "duplicate": 1},
        "labels_normalized": 2,
        "label_counts": {
            name: {label: sum(r["label"] == label for r in part) for label in LAB1_LABELS}
            for name, part in splits.items()
        },
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder


def test_lab1_consistent_handin_scores_full_marks(tmp_path):
    result = grade.grade_entry(make_lab1(tmp_path / "subs" / "ruth"), load_spec(1), None)
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]


@pytest.mark.parametrize(
    "case, expected_loss, check_id, text",
    [
        (
            "leak",
            {"split_disjoint": 14},
            "split_disjoint",
            "test.jsonl: 1 text value(s) also in train.jsonl at line 1; a row must be in one split only.",
        ),
        (
            "count_off",
            {"counts_match_files": 2.5},
            "counts_match_files",
            "summary.json: label_counts.train.praise is 5 but train.jsonl where label = praise has 4 rows.",
        ),
        (
            "removed_wrong",
            {"removed_add_up": 10},
            "removed_add_up",
            "summary.json: rows_out is 25 but rows_in - removed = 24.",
        ),
        (
            "bad_jsonl",
            {"train_file": 12, "split_disjoint": 14, "split_stratified": 10, "counts_match_files": 17.5},
            "train_file",
            "train.jsonl: line 3 is not valid JSON",
        ),
        (
            "unknown_label",
            {"train_file": 12, "counts_match_files": 2.5},
            "train_file",
            "train.jsonl: column 'label' has unknown labels ['Praise'] at line 1; expected one of "
            "praise/bug_report/feature_request/billing/other (lower-case).",
        ),
        (
            "extra_key",
            {"train_file": 12},
            "train_file",
            "train.jsonl: unexpected column(s) source; keep only id, text, label.",
        ),
        (
            "unstratified",
            {"split_stratified": 10, "counts_match_files": 15},
            "split_stratified",
            "test.jsonl: 2 rows, expected 5 (ceil(0.2 × 25)) ± 1.",
        ),
    ],
)
def test_lab1_broken_handin_loses_its_points(tmp_path, case, expected_loss, check_id, text):
    folder = make_lab1(tmp_path / "subs" / case)
    train = (folder / "train.jsonl").read_text().splitlines()
    if case == "leak":
        test = (folder / "test.jsonl").read_text().splitlines()
        record = json.loads(test[0])
        record["text"] = json.loads(train[0])["text"]
        (folder / "test.jsonl").write_text("\n".join([json.dumps(record)] + test[1:]) + "\n")
    elif case in {"count_off", "removed_wrong"}:
        summary = json.loads((folder / "summary.json").read_text())
        if case == "count_off":
            summary["label_counts"]["train"]["praise"] += 1
        else:
            summary["removed"]["duplicate"] += 1
        (folder / "summary.json").write_text(json.dumps(summary))
    elif case == "bad_jsonl":
        train[2] = train[2][:-1]
        (folder / "train.jsonl").write_text("\n".join(train) + "\n")
    elif case == "unknown_label":
        train[0] = train[0].replace('"praise"', '"Praise"')
        (folder / "train.jsonl").write_text("\n".join(train) + "\n")
    elif case == "extra_key":
        rows = [json.dumps({**json.loads(line), "source": "app"}) for line in train]
        (folder / "train.jsonl").write_text("\n".join(rows) + "\n")
    elif case == "unstratified":
        test = (folder / "test.jsonl").read_text().splitlines()
        (folder / "train.jsonl").write_text("\n".join(train + test[:3]) + "\n")
        (folder / "test.jsonl").write_text("\n".join(test[3:]) + "\n")
    result = grade.grade_entry(folder, load_spec(1), None)
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert text in check(result, check_id).message


# ------------------------------------------------------------------------------------------------
# Lab 2 (max_length.json + token_lengths.png: keys, choice rules, fixed statistics, consistency)
# ------------------------------------------------------------------------------------------------

LAB2_REFERENCE = {  # the reference solution's max_length.json (labs/lab-2.md), copied so handin/ is not needed
    "model": "minilm-l6",
    "n_texts": 477,
    "mean_tokens": 34.57,
    "p50_tokens": 34,
    "p95_tokens": 57,
    "max_tokens": 84,
    "max_length": 72,
    "share_truncated": 0.0084,
    "batch_size": 16,
    "padding_waste_max_length": 0.5204,
    "padding_waste_dynamic": 0.4093,
    "justification": "p95 is 57 tokens and the longest message 84; max_length 72 is the smallest multiple of 8 that "
    "truncates at most 1% of messages (0.8%).",
}


def make_lab2(folder: Path, **changes) -> Path:
    """The reference Lab 2 hand-in with some keys changed (value None deletes the key)."""
    folder.mkdir(parents=True)
    data = {key: value for key, value in {**LAB2_REFERENCE, **changes}.items() if value is not None}
    (folder / "max_length.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    (folder / "token_lengths.png").write_bytes(png_bytes(700, 350))
    return folder


def test_lab2_reference_handin_scores_full_marks(tmp_path):
    result = grade.grade_entry(make_lab2(tmp_path / "subs" / "sam"), load_spec(2), None)
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    assert check(result, "numbers_consistent").message == "max_length.json: all 3 relations between the numbers hold."


@pytest.mark.parametrize(
    "changes, expected_loss, check_id, text",
    [
        (
            {"p95_tokens": None},
            {"exact_keys": 5, "value_types": 15, "token_statistics": 15},
            "exact_keys",
            "max_length.json: the top-level object has missing p95_tokens; use exactly the keys model, n_texts, mean_tokens, "
            "p50_tokens, p95_tokens, max_tokens, max_length, share_truncated, batch_size, padding_waste_max_length, "
            "padding_waste_dynamic, justification.",
        ),
        (
            {"notes": "extra"},
            {"exact_keys": 5},
            "exact_keys",
            "max_length.json: the top-level object has unexpected notes;",
        ),
        (
            {"batch_size": "16"},
            {"value_types": 15, "fixed_settings": 10},
            "value_types",
            "max_length.json: key 'batch_size' is '16' (text, not a number; write the number without quotes); "
            "expected a whole number ≥ 1.",
        ),
        (
            {"justification": ""},
            {"value_types": 15},
            "value_types",
            "max_length.json: key 'justification' is '' (empty); expected non-empty text.",
        ),
        (
            {"max_length": 600, "share_truncated": 0.0},
            {"max_length_range": 10},
            "max_length_range",
            "max_length.json: key 'max_length' is 600 (above 512); expected a whole number in [16, 512].",
        ),
        (
            {"max_length": 48, "share_truncated": 0.1006},
            {"share_truncated_limit": 10},
            "share_truncated_limit",
            "max_length.json: key 'share_truncated' is 0.1006 (above 0.05); expected a number in [0, 0.05].",
        ),
        (
            {"n_texts": 500},
            {"fixed_settings": 10, "share_truncated_count": 10},
            "fixed_settings",
            "max_length.json: key 'n_texts' is 500 (must be 477); expected exactly 477.",
        ),
        (
            {"p95_tokens": 58},
            {"token_statistics": 15},
            "token_statistics",
            "max_length.json: key 'p95_tokens' is 58 (must be 57); expected exactly 57.",
        ),
        (
            {"mean_tokens": 34.6},
            {"token_statistics": 15},
            "token_statistics",
            "max_length.json: key 'mean_tokens' is 34.6 (above 34.58); expected a number in [34.56, 34.58].",
        ),
        (
            {"share_truncated": 0.0085},
            {"share_truncated_count": 10},
            "share_truncated_count",
            "max_length.json: share_truncated 0.0085 × n_texts (477) = 4.054, not a whole number of texts (tolerance ±0.025)",
        ),
        (
            {"padding_waste_max_length": 0.4093, "padding_waste_dynamic": 0.5204},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected padding_waste_dynamic (0.5204) <= padding_waste_max_length "
            "(0.4093): a batch padded to its longest (truncated) text never holds more padding than one padded to max_length.",
        ),
        (
            {"max_length": 96},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected share_truncated (0.0084) == 0 when max_length (96) >= max_tokens (84): no text is "
            "longer than max_length, so none is truncated.",
        ),
        (
            {"max_length": 80, "share_truncated": 0.0},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected share_truncated (0) > 0 when max_length (80) < max_tokens (84)",
        ),
    ],
)
def test_lab2_broken_handin_loses_its_points(tmp_path, changes, expected_loss, check_id, text):
    result = grade.grade_entry(make_lab2(tmp_path / "subs" / "lee", **changes), load_spec(2), None)
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == 100 - sum(expected_loss.values())
    assert text in check(result, check_id).message


def test_lab2_histogram_must_be_a_real_png(tmp_path):
    folder = make_lab2(tmp_path / "subs" / "kim")
    (folder / "token_lengths.png").write_text("<svg>a histogram saved as SVG</svg>" * 30)
    result = grade.grade_entry(folder, load_spec(2), None)
    assert lost(result) == {"histogram_png": 15}
    assert check(result, "histogram_png").message.startswith(
        "token_lengths.png: not a PNG image (wrong file signature); save the figure with plt.savefig('token_lengths.png')"
    )


# ------------------------------------------------------------------------------------------------
# Lab 3 (comparison.json: keys, fixed split and baseline, runs, whole counts, macro F1, best_remedy)
# ------------------------------------------------------------------------------------------------


def lab3_reference() -> dict:
    """The reference solution's comparison.json (labs/lab-3.md and its executed solution), as a fresh dict."""
    return {
        "data": "trail_status_imbalanced.csv",
        "label_column": "Blankets_Creek",
        "minority_label": "closed",
        "test_size": 154,
        "test_counts": {"closed": 20, "open": 134},
        "baseline": {"accuracy": 0.8701, "f1_macro": 0.4653, "minority_recall": 0.0},
        "runs": [
            {
                "remedy": "none",
                "model": "minilm-l6",
                "epochs": 2.0,
                "accuracy": 0.8701,
                "f1_macro": 0.4653,
                "minority_recall": 0.0,
            },
            {
                "remedy": "class-weights",
                "model": "minilm-l6",
                "epochs": 2.0,
                "accuracy": 0.8766,
                "f1_macro": 0.5536,
                "minority_recall": 0.1,
            },
        ],
        "best_remedy": "class-weights",
    }


OVERSAMPLE_RUN = {
    "remedy": "oversample",
    "model": "minilm-l6",
    "epochs": 2,
    "accuracy": 0.8571,
    "f1_macro": 0.6363,
    "minority_recall": 0.3,
}  # labs/lab-3.md: 6 of 20 closed and 126 of 134 open posts right


def write_lab3(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "comparison.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


def grade_lab3(folder: Path):
    return grade.grade_entry(folder, load_spec(3), None)


def test_lab3_reference_handin_scores_full_marks(tmp_path):
    result = grade_lab3(write_lab3(tmp_path / "subs" / "ann", lab3_reference()))
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    three = lab3_reference()
    three["runs"].append(dict(OVERSAMPLE_RUN))
    three["best_remedy"] = "oversample"
    result = grade_lab3(write_lab3(tmp_path / "subs" / "ben", three))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks]
    assert check(result, "best_remedy").message == (
        "best_remedy 'oversample' ranks first by f1_macro, then minority_recall, then position in runs "
        "(f1_macro 0.6363, minority_recall 0.3000)."
    )


def break_lab3(data: dict, case: str) -> dict:
    """One defect per case, applied to the reference comparison.json."""
    runs = data["runs"]
    if case == "missing_key":
        del data["baseline"]
    elif case == "keys_out_of_order":
        data = {"runs": runs, **{k: v for k, v in data.items() if k != "runs"}}
    elif case == "quoted_test_size":
        data["test_size"] = "154"
    elif case == "wrong_data":
        data["data"] = "trail_status.csv"
    elif case == "other_split":
        data["test_size"], data["test_counts"] = 155, {"closed": 21, "open": 134}
    elif case == "sum_mismatch":
        data["test_counts"]["closed"] = 21
    elif case == "weighted_baseline":
        data["baseline"]["f1_macro"] = 0.81
    elif case == "zero_epochs":
        runs[1]["epochs"] = 0
    elif case == "remedy_first":
        data["runs"] = runs[::-1]
    elif case == "extra_run_key":
        runs[0]["seconds"] = 88.0
    elif case == "unknown_remedy":
        runs.append({**runs[0], "remedy": "focal-loss"})
    elif case == "repeated_remedy":
        runs.append({**runs[0]})
    elif case == "percent_accuracy":
        runs[1]["accuracy"] = 87.66
    elif case == "recall_not_whole":
        runs[1]["minority_recall"] = 0.12
    elif case == "weighted_f1":
        runs[1]["f1_macro"] = 0.8347
    elif case == "wrong_best":
        data["best_remedy"] = "none"
    return data


@pytest.mark.parametrize(
    "case, expected_loss, check_id, text",
    [
        (
            "missing_key",
            {"exact_keys": 5, "baseline": 10},
            "exact_keys",
            "comparison.json: the top-level object has missing baseline; use exactly the keys data, label_column, "
            "minority_label, test_size, test_counts, baseline, runs, best_remedy.",
        ),
        (
            "keys_out_of_order",
            {"exact_keys": 5},
            "exact_keys",
            "comparison.json: the top-level object has its keys in the order runs, data, label_column, minority_label, "
            "test_size, test_counts, baseline, best_remedy; write them in the order data, label_column, minority_label, "
            "test_size, test_counts, baseline, runs, best_remedy",
        ),
        (
            "quoted_test_size",
            {"split_counts": 10, "test_size_sum": 5},
            "split_counts",
            "comparison.json: key 'test_size' is '154' (text, not a number; write the number without quotes); "
            "expected exactly 154.",
        ),
        (
            "wrong_data",
            {"setup": 10},
            "setup",
            "comparison.json: key 'data' is 'trail_status.csv' (must be 'trail_status_imbalanced.csv'); "
            "expected exactly 'trail_status_imbalanced.csv'.",
        ),
        (
            "other_split",
            {"split_counts": 10},
            "split_counts",
            "comparison.json: key 'test_size' is 155 (must be 154); expected exactly 154.",
        ),
        (
            "sum_mismatch",
            {"split_counts": 10, "test_size_sum": 5},
            "test_size_sum",
            "comparison.json: test_size is 154 but test_counts = 155.",
        ),
        (
            "weighted_baseline",
            {"baseline": 10},
            "baseline",
            "comparison.json: key 'baseline.f1_macro' is 0.81 (above 0.4663); expected a number in [0.4643, 0.4663].",
        ),
        (
            "zero_epochs",
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[1].epochs is 0 (below 0.01); expected a number ≥ 0.01.",
        ),
        (
            "remedy_first",
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[0].remedy is 'class-weights'; the first object must have remedy 'none'.",
        ),
        (
            "extra_run_key",
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[0] has unexpected seconds; use exactly the keys remedy, model, epochs, accuracy, "
            "f1_macro, minority_recall.",
        ),
        (
            "unknown_remedy",
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[2].remedy is 'focal-loss' (unknown); expected one of none/class-weights/oversample.",
        ),
        (
            "repeated_remedy",
            {"runs_format": 20},
            "runs_format",
            "comparison.json: runs[2].remedy 'none' repeats runs[0]; each value may appear once.",
        ),
        (
            "percent_accuracy",
            {"runs_format": 20, "runs_whole_counts": 10, "runs_f1_macro": 10},
            "runs_format",
            "comparison.json: runs[1].accuracy is 87.66 (above 1); expected a number in [0, 1].",
        ),
        (
            "recall_not_whole",
            {"runs_whole_counts": 10},
            "runs_whole_counts",
            "comparison.json: runs[1].minority_recall 0.12 × 20 = 2.400, not a whole number of closed test posts "
            "(tolerance ±0.002)",
        ),
        (
            "weighted_f1",
            {"runs_f1_macro": 10},
            "runs_f1_macro",
            "comparison.json: runs[1].f1_macro is 0.8347 but accuracy 0.8766 and minority_recall 0.1 on 20 closed / 134 "
            "open posts mean 2 closed and 133 open posts right, so macro F1 = (0.1739 + 0.9333) / 2 = 0.5536 "
            "(tolerance 0.001); report the unweighted mean of both classes' F1",
        ),
        (
            "wrong_best",
            {"best_remedy": 20},
            "best_remedy",
            "comparison.json: best_remedy is 'none' but runs[1] ('class-weights') ranks first by f1_macro, then "
            "minority_recall, then position in runs (f1_macro 0.5536, minority_recall 0.1000); name the remedy your own "
            "numbers rank first.",
        ),
    ],
)
def test_lab3_broken_handin_loses_its_points(tmp_path, case, expected_loss, check_id, text):
    result = grade_lab3(write_lab3(tmp_path / "subs" / case, break_lab3(lab3_reference(), case)))
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == 100 - sum(expected_loss.values())
    assert text in check(result, check_id).message


@pytest.mark.parametrize(
    "oversample, winner",
    [
        ({"f1_macro": 0.5536, "minority_recall": 0.15}, "oversample"),  # tie on f1_macro: higher minority_recall
        ({"f1_macro": 0.5536, "minority_recall": 0.1}, "class-weights"),  # tie on both: the earlier run
    ],
)
def test_lab3_best_remedy_tie_breaks(tmp_path, oversample, winner):
    data = lab3_reference()
    data["runs"].append({**OVERSAMPLE_RUN, **oversample})
    for claim in ("class-weights", "oversample"):
        data["best_remedy"] = claim
        result = grade_lab3(write_lab3(tmp_path / "subs" / f"{claim}-{winner}", data))
        assert check(result, "best_remedy").points == (20 if claim == winner else 0), check(
            result, "best_remedy"
        ).message


def test_lab3_unreadable_json_loses_every_check(tmp_path):
    folder = tmp_path / "subs" / "eve"
    folder.mkdir(parents=True)
    (folder / "comparison.json").write_text('{"data": "trail_status_imbalanced.csv" "runs": []}')
    result = grade_lab3(folder)
    assert (result.status, result.points) == ("graded", 0)
    assert check(result, "best_remedy").message.startswith(
        "comparison.json is not valid JSON: Expecting ',' delimiter at line 1 column 40."
    )
