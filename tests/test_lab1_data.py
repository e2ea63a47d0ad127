"""Lab 1: the feedback data and its generator, the format copies, validation, cleaning and splitting."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from helpers import run_script

from coursekit.data import read_table
from coursekit.errors import CourseError
from coursekit.lessons.dataset_checks import clean_labelled_frame, normalise_label, stratified_split, validate_dataset
from coursekit.paths import DATA_DIR, PROJECT_ROOT

FEEDBACK = DATA_DIR / "feedback.jsonl"
LABELS = ["praise", "bug_report", "feature_request", "billing", "other"]
EXPECTED_DEFECTS = {"empty_text": 1, "duplicate_text": 1, "missing_label": 1, "label_variant": 1, "stray_field": 1}


def write_jsonl(path, records) -> None:
    """Write records as JSON Lines (test fixtures)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def problem(report, kind):
    """The problem of one kind in a report (exactly one expected)."""
    found = [p for p in report.problems if p.kind == kind]
    assert len(found) == 1, report.format()
    return found[0]


# --- the data files ---------------------------------------------------------------------------------


def test_feedback_generator_reproduces_committed_file(tmp_path):
    out = tmp_path / "feedback.jsonl"
    result = run_script("data/generate_feedback.py", "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 480 rows" in result.stdout
    assert out.read_bytes() == FEEDBACK.read_bytes()


def test_feedback_shape_and_labels():
    records = [json.loads(line) for line in FEEDBACK.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 480
    labels = pd.Series([r["label"] for r in records])
    assert labels.value_counts().to_dict() == {
        "bug_report": 143,
        "praise": 134,
        "feature_request": 105,
        "billing": 58,
        "other": 38,
        "Bug_Report ": 1,
    }
    assert labels.isna().sum() == 1
    assert sum(set(r) == {"id", "text", "label"} for r in records) == 479


def test_feedback_is_not_separable_by_one_keyword():
    """No word that occurs in 5% of the clean rows belongs to a single label (the keyword trap)."""
    frame = clean_labelled_frame(read_table(FEEDBACK), allowed_labels=LABELS).frame
    words = frame["text"].str.lower().str.findall(r"[a-z]+").map(set)
    common = pd.Series([w for ws in words for w in ws]).value_counts()
    for word in common[common >= 0.05 * len(frame)].index:
        with_word = words.map(lambda ws, w=word: w in ws)
        assert frame.loc[with_word, "label"].nunique() > 1, word
    assert frame["text"].str.contains("crash", case=False).groupby(frame["label"]).sum().gt(0).sum() >= 3


def test_format_copies_in_sync_with_csv(tmp_path):
    result = run_script("data/make_format_copies.py", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    source = pd.read_csv(DATA_DIR / "trail_status.csv")
    formats = DATA_DIR / "formats"
    for name in ("trail_status.json", "trail_status.jsonl", "trail_status.parquet"):
        copy = read_table(formats / name)
        pd.testing.assert_frame_equal(copy, source, check_dtype=False)
        assert copy["Rope_Mill"].dtype.kind == "i", f"{name}: labels must stay integers"
    train, test = read_table(formats / "trail_status_train.csv"), read_table(formats / "trail_status_test.csv")
    assert (len(train), len(test)) == (len(source) - round(0.2 * len(source)), round(0.2 * len(source)))
    assert sorted(pd.concat([train, test])["status"]) == sorted(source["status"])


def test_format_copies_check_detects_drift(tmp_path):
    for name in (
        "trail_status.json",
        "trail_status.jsonl",
        "trail_status.parquet",
        "trail_status_train.csv",
        "trail_status_test.csv",
    ):
        (tmp_path / name).write_bytes((DATA_DIR / "formats" / name).read_bytes())
    frame = pd.read_csv(tmp_path / "trail_status_test.csv")
    frame.loc[0, "Rope_Mill"] = 1 - frame.loc[0, "Rope_Mill"]
    frame.to_csv(tmp_path / "trail_status_test.csv", index=False)
    (tmp_path / "trail_status.parquet").unlink()
    result = run_script("data/make_format_copies.py", "--check", "--output-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "trail_status.parquet (missing)" in result.stdout and "trail_status_test.csv" in result.stdout


def test_datasets_loads_every_format_offline():
    from datasets import load_dataset

    formats = DATA_DIR / "formats"
    for builder, name in [
        ("json", "trail_status.json"),
        ("json", "trail_status.jsonl"),
        ("parquet", "trail_status.parquet"),
    ]:
        ds = load_dataset(builder, data_files=str(formats / name), split="train")
        assert ds.num_rows == 900 and ds.column_names == ["status", "Blankets_Creek", "Rope_Mill"]


# --- validate_dataset -------------------------------------------------------------------------------


def test_validate_feedback_finds_every_defect_with_line_numbers():
    report = validate_dataset(FEEDBACK, "text", "label", allowed_labels=LABELS)
    assert not report.ok
    assert report.n_rows == 480
    assert report.counts() == EXPECTED_DEFECTS
    lines = {p.kind: p.rows for p in report.problems}
    assert lines == {
        "empty_text": [133],
        "duplicate_text": [301],
        "missing_label": [57],
        "label_variant": [253],
        "stray_field": [208],
    }
    text = report.format()
    for expected in (
        "[empty_text]",
        "at line 134",
        "line 42) at line 302",
        "at line 58",
        "'Bug_Report ' -> 'bug_report' at line 254",
        "'app_version' is set in only 1 of 480 rows",
        "fix: ",
    ):
        assert expected in text, expected


def test_validate_without_allowed_labels_uses_majority_spelling():
    report = validate_dataset(FEEDBACK, "text", "label")
    assert report.counts() == EXPECTED_DEFECTS
    assert "'Bug_Report ' -> 'bug_report'" in problem(report, "label_variant").message


def test_validate_clean_file_is_ok(tmp_path):
    path = tmp_path / "clean.csv"
    pd.DataFrame({"text": ["good app", "bad app", "ok"], "label": ["praise", "bug_report", "other"]}).to_csv(
        path, index=False
    )
    report = validate_dataset(path, "text", "label", allowed_labels=LABELS)
    assert report.ok and report.counts() == {}
    assert report.format().endswith("no problems found")


def test_validate_reports_unknown_whitespace_conflicts_and_columns(tmp_path):
    path = tmp_path / "messy.jsonl"
    write_jsonl(
        path,
        [
            {"text": "great", "label": "praise"},
            {"text": "   ", "label": "praise"},
            {"text": "crashes", "label": "bug"},
            {"text": "great", "label": "bug_report"},
            {"text": "refund please", "label": " Billing"},
        ],
    )
    report = validate_dataset(path, "text", "label", allowed_labels=LABELS)
    assert report.counts() == {
        "empty_text": 1,
        "duplicate_text": 1,
        "conflicting_labels": 2,
        "label_variant": 1,
        "unknown_label": 1,
    }
    assert problem(report, "unknown_label").rows == [2]
    assert "line 3" in problem(report, "unknown_label").describe(path)
    assert problem(report, "conflicting_labels").rows == [0, 3]

    missing = validate_dataset(path, "body", "label")
    assert problem(missing, "missing_column").message.startswith("no column 'body'")
    assert "missing_column" in missing.counts()


def test_validate_csv_row_names_count_the_header(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("text,label\nfine,praise\n,praise\n", encoding="utf-8")
    report = validate_dataset(path, "text", "label")
    assert "at line 3" in problem(report, "empty_text").describe(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.jsonl", None, "data file not found"),
        ("data.xlsx", b"PK\x03\x04", "unknown file type '.xlsx'"),
        (
            "broken.jsonl",
            b'{"text": "a", "label": "praise"}\n{"text": "b", "label": "praise"}\n{"text": "c", label: x}\n',
            "line 3 is not valid JSON",
        ),
        ("latin1.csv", "text,label\ncaf\u00e9 crashes,bug_report\n".encode("latin-1"), "not UTF-8"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_validate_unreadable_input_raises_course_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CourseError, match=message):
        validate_dataset(path, "text", "label")


# --- cleaning and splitting -------------------------------------------------------------------------


def test_normalise_label():
    assert normalise_label(" Bug_Report ") == "bug_report"
    assert normalise_label(None) is None and normalise_label(float("nan")) is None and normalise_label("  ") is None


def test_clean_feedback_counts_and_columns():
    result = clean_labelled_frame(read_table(FEEDBACK), "text", "label", allowed_labels=LABELS)
    assert result.removed == {"empty_text": 1, "missing_label": 1, "unknown_label": 0, "duplicate": 1}
    assert result.labels_normalised == 1
    frame = result.frame
    assert list(frame.columns) == ["id", "text", "label"] and len(frame) == 477
    assert frame["id"].is_unique and frame["text"].is_unique
    assert set(frame["label"]) == set(LABELS)
    assert validate_dataset_frame_ok(frame)


def validate_dataset_frame_ok(frame: pd.DataFrame) -> bool:
    """True when the cleaned rows pass the validator once written to disk (round trip through JSONL)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clean.jsonl"
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
        return validate_dataset(path, "text", "label", allowed_labels=LABELS).ok


def test_clean_unknown_labels_and_missing_column():
    frame = pd.DataFrame({"text": ["a", "b", "c", "a"], "label": ["praise", "spam", "OTHER", "praise"]})
    result = clean_labelled_frame(frame, allowed_labels=LABELS)
    assert result.removed == {"empty_text": 0, "missing_label": 0, "unknown_label": 1, "duplicate": 1}
    assert result.frame.to_dict("records") == [{"text": "a", "label": "praise"}, {"text": "c", "label": "other"}]
    with pytest.raises(CourseError, match="no column 'label'"):
        clean_labelled_frame(frame.rename(columns={"label": "y"}))


def test_stratified_split_sizes_and_shares():
    frame = clean_labelled_frame(read_table(FEEDBACK), allowed_labels=LABELS).frame
    train, test = stratified_split(frame, "label", test_size=0.2, seed=42)
    assert (len(train), len(test)) == (381, 96) and len(test) == math.ceil(0.2 * 477)
    assert not set(train["id"]) & set(test["id"])
    totals = frame["label"].value_counts()
    for label, n in test["label"].value_counts().items():
        assert abs(n - 0.2 * totals[label]) <= 1, label
    again, _ = stratified_split(frame, "label", test_size=0.2, seed=42)
    assert list(again["id"]) == list(train["id"])


def test_stratified_split_bad_input():
    frame = pd.DataFrame({"text": list("abcde"), "label": ["x", "x", "y", "y", "z"]})
    with pytest.raises(CourseError, match=r"\['z'\] have fewer than 2 rows"):
        stratified_split(frame)
    with pytest.raises(CourseError, match="no column 'target'"):
        stratified_split(frame, "target")
    with pytest.raises(CourseError, match="test_size must be between 0 and 1"):
        stratified_split(frame, test_size=20)


# --- the validation script --------------------------------------------------------------------------


def test_script_reports_feedback_defects(tmp_path):
    result = run_script(
        "examples/data/validate_dataset.py", str(FEEDBACK), "--allowed-labels", ",".join(LABELS), cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    assert "feedback.jsonl: 480 rows, columns id, text, label, app_version" in result.stdout
    assert "5 problem(s) found" in result.stdout
    for kind in EXPECTED_DEFECTS:
        assert f"[{kind}]" in result.stdout


def test_script_clean_file_exits_0(tmp_path):
    result = run_script(
        "examples/data/validate_dataset.py",
        str(DATA_DIR / "trail_status.csv"),
        "--text-column",
        "status",
        "--label-column",
        "Blankets_Creek",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trail_status.csv: 900 rows" in result.stdout and "no problems found" in result.stdout


def test_script_missing_column_exits_1(tmp_path):
    result = run_script("examples/data/validate_dataset.py", str(FEEDBACK), "--text-column", "body", cwd=tmp_path)
    assert result.returncode == 1
    assert "[missing_column] no column 'body'" in result.stdout


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("nope.jsonl", None, "error: data file not found"),
        ("notes.txt", b"hello", "unknown file type '.txt'"),
        ("bad.jsonl", b'{"text": "ok", "label": "praise"}\n{"text": "oops"\n', "line 2 is not valid JSON"),
        ("latin1.csv", "text,label\nr\u00e9sum\u00e9,other\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_script_unreadable_input_exits_2(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run_script("examples/data/validate_dataset.py", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_lab_text_names_the_handin_files():
    text = (PROJECT_ROOT / "labs" / "lab-1.md").read_text(encoding="utf-8")
    for name in ("handin/lab-1/train.jsonl", "handin/lab-1/test.jsonl", "handin/lab-1/summary.json"):
        assert name in text
