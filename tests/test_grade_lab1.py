"""The Lab 1 grader: a consistent hand-in scores 100; each defect loses exactly its rubric points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading_builders import (
    check,
    lost,
)

import coursekit.grading.grade as grade
from coursekit.grading.checks import load_spec

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


def edit_summary(folder: Path, change) -> None:
    summary = json.loads((folder / "summary.json").read_text())
    change(summary)
    (folder / "summary.json").write_text(json.dumps(summary))


def leak(folder: Path) -> None:
    train = (folder / "train.jsonl").read_text().splitlines()
    test = (folder / "test.jsonl").read_text().splitlines()
    record = json.loads(test[0])
    record["text"] = json.loads(train[0])["text"]
    (folder / "test.jsonl").write_text("\n".join([json.dumps(record)] + test[1:]) + "\n")


def count_off(folder: Path) -> None:
    (folder / "train.jsonl").read_text().splitlines()
    edit_summary(folder, lambda summary: summary["label_counts"]["train"].update(praise=5))


def removed_wrong(folder: Path) -> None:
    (folder / "train.jsonl").read_text().splitlines()
    edit_summary(folder, lambda summary: summary["removed"].update(duplicate=2))


def bad_jsonl(folder: Path) -> None:
    train = (folder / "train.jsonl").read_text().splitlines()
    train[2] = train[2][:-1]
    (folder / "train.jsonl").write_text("\n".join(train) + "\n")


def unknown_label(folder: Path) -> None:
    train = (folder / "train.jsonl").read_text().splitlines()
    train[0] = train[0].replace('"praise"', '"Praise"')
    (folder / "train.jsonl").write_text("\n".join(train) + "\n")


def extra_key(folder: Path) -> None:
    train = (folder / "train.jsonl").read_text().splitlines()
    rows = [json.dumps({**json.loads(line), "source": "app"}) for line in train]
    (folder / "train.jsonl").write_text("\n".join(rows) + "\n")


def unstratified(folder: Path) -> None:
    train = (folder / "train.jsonl").read_text().splitlines()
    test = (folder / "test.jsonl").read_text().splitlines()
    (folder / "train.jsonl").write_text("\n".join(train + test[:3]) + "\n")
    (folder / "test.jsonl").write_text("\n".join(test[3:]) + "\n")


@pytest.mark.parametrize(
    "mutate, expected_loss, check_id, text",
    [
        (
            leak,
            {"split_disjoint": 14},
            "split_disjoint",
            "test.jsonl: 1 text value(s) also in train.jsonl at line 1; a row must be in one split only.",
        ),
        (
            count_off,
            {"counts_match_files": 2.5},
            "counts_match_files",
            "summary.json: label_counts.train.praise is 5 but train.jsonl where label = praise has 4 rows.",
        ),
        (
            removed_wrong,
            {"removed_add_up": 10},
            "removed_add_up",
            "summary.json: rows_out is 25 but rows_in - removed = 24.",
        ),
        (
            bad_jsonl,
            {"train_file": 12, "split_disjoint": 14, "split_stratified": 10, "counts_match_files": 17.5},
            "train_file",
            "train.jsonl: line 3 is not valid JSON",
        ),
        (
            unknown_label,
            {"train_file": 12, "counts_match_files": 2.5},
            "train_file",
            "train.jsonl: column 'label' has unknown labels ['Praise'] at line 1; expected one of "
            "praise/bug_report/feature_request/billing/other (lower-case).",
        ),
        (
            extra_key,
            {"train_file": 12},
            "train_file",
            "train.jsonl: unexpected column(s) source; keep only id, text, label.",
        ),
        (
            unstratified,
            {"split_stratified": 10, "counts_match_files": 15},
            "split_stratified",
            "test.jsonl: 2 rows, expected 5 (ceil(0.2 × 25)) ± 1.",
        ),
    ],
)
def test_lab1_broken_handin_loses_its_points(tmp_path, mutate, expected_loss, check_id, text):
    folder = make_lab1(tmp_path / "subs" / mutate.__name__)
    mutate(folder)
    result = grade.grade_entry(folder, load_spec(1), None)
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert text in check(result, check_id).message
