"""The Lab 9 spec: the reference hand-in scores 100, and each broken variant loses exactly its rubric points.

The hand-ins are made by ``prepare_model_dir`` from a small fake run (the grader never loads weights), so
these tests need no trained model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_builders import NOTES, edit_json, fake_run_dir, lab9_handin, lost, rehash

from coursekit.grading.checks import load_spec
from coursekit.grading.grade import grade_entry
from coursekit.lessons.publishing import prepare_model_dir


def grade(folder: Path):
    """Grade a folder with the Lab 9 spec (no hidden answers)."""
    return grade_entry(folder, load_spec(9), None)


def test_spec_totals_100_and_reference_handin_scores_full_marks(tmp_path):
    assert load_spec(9)["max_points"] == 100
    folder = lab9_handin(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.json",
        "manifest.json",
        "metrics.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "training_config.json",
    ]
    result = grade(folder)
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]


def test_handing_in_the_weights_too_is_fine(tmp_path):
    run = fake_run_dir(tmp_path / "run")
    folder = prepare_model_dir(run, tmp_path / "lab-9", failure_notes=NOTES).folder
    assert (folder / "model.safetensors").is_file()
    assert grade(folder).points == 100


def raise_accuracy(folder):
    edit_json(folder / "metrics.json", lambda m: m["test"].update(accuracy=0.99))


def card_accuracy_in_metadata(folder):
    card = folder / "README.md"
    card.write_text(
        card.read_text().replace("value: 0.9333\n      name: Accuracy", "value: 0.99\n      name: Accuracy")
    )


def card_accuracy_in_table(folder):
    card = folder / "README.md"
    card.write_text(card.read_text().replace("| `accuracy` | 0.9333 |", "| `accuracy` | 0.99 |"))


def card_without_licence(folder):
    card = folder / "README.md"
    card.write_text(card.read_text().replace("license: apache-2.0\n", ""))


def card_front_matter_unclosed(folder):
    card = folder / "README.md"
    text = card.read_text()
    end = text.index("\n---\n", 4)
    card.write_text(text[:end] + "\n" + text[end + 5 :])


def swapped_labels(folder):
    edit_json(
        folder / "config.json",
        lambda c: c.update(id2label={"0": "open", "1": "closed"}, label2id={"open": 0, "closed": 1}),
    )


def absolute_path(folder):
    edit_json(folder / "training_config.json", lambda c: c.update(data="/home/alice/course/data/trail_status.csv"))


def manifest_without(path):
    def change(folder):
        edit_json(folder / "manifest.json", lambda m: m.update(files=[e for e in m["files"] if e["path"] != path]))

    return change


def extra_file(folder):
    (folder / "notes.txt").write_text("draft\n")


def tampered_tokenizer(folder):
    edit_json(folder / "tokenizer.json", lambda t: t.update(version="2.0"))


@pytest.mark.parametrize(
    "breaks, rehashed, expected",
    [
        # metrics.json edited after publishing: the card no longer matches it, and neither does the manifest
        (raise_accuracy, False, {"card_numbers_metadata": 10, "card_numbers_table": 10, "manifest_hashes": 15}),
        (raise_accuracy, True, {"card_numbers_metadata": 10, "card_numbers_table": 10}),
        (card_accuracy_in_metadata, True, {"card_numbers_metadata": 10}),
        (card_accuracy_in_table, True, {"card_numbers_table": 10}),
        (card_accuracy_in_table, False, {"card_numbers_table": 10, "manifest_hashes": 15}),
        (card_without_licence, True, {"card_metadata": 15}),
        (card_front_matter_unclosed, True, {"card_metadata": 15, "card_numbers_metadata": 10}),
        (swapped_labels, True, {"labels_match": 10}),
        (absolute_path, True, {"no_local_paths": 5}),
        (manifest_without("tokenizer.json"), False, {"manifest_complete": 10}),
        (manifest_without("model.safetensors"), False, {"manifest_complete": 10}),
        (extra_file, False, {"manifest_complete": 10}),
        (tampered_tokenizer, False, {"manifest_hashes": 15}),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_broken_variants_lose_exactly_their_points(tmp_path, breaks, rehashed, expected):
    folder = lab9_handin(tmp_path)
    breaks(folder)
    if rehashed:
        rehash(folder)
    assert lost(grade(folder)) == expected


def test_card_without_own_failure_notes_loses_10(tmp_path):
    result = grade(lab9_handin(tmp_path, notes=None))
    assert lost(result) == {"card_failure_notes": 10}
    check = next(c for c in result.checks if c.check_id == "card_failure_notes")
    assert "no section headed `Known failure cases`" in check.message and "--card-notes" in check.message


def test_feedback_names_the_number_and_the_file(tmp_path):
    folder = lab9_handin(tmp_path)
    raise_accuracy(folder)
    messages = {c.check_id: c.message for c in grade(folder).checks}
    assert "`accuracy` is 0.9333 but metrics.json says test.accuracy = 0.99" in messages["card_numbers_metadata"]
    assert messages["manifest_hashes"].startswith("metrics.json: ")
    assert "changed after the manifest was written" in messages["manifest_hashes"]


def test_missing_card_loses_every_card_check_and_the_manifest_hashes(tmp_path):
    folder = lab9_handin(tmp_path)
    (folder / "README.md").unlink()
    result = grade(folder)
    assert lost(result) == {
        "card_metadata": 15,
        "card_sections": 10,
        "card_failure_notes": 10,
        "card_numbers_metadata": 10,
        "card_numbers_table": 10,
        "manifest_hashes": 15,
    }
    assert "README.md is missing" in next(c for c in result.checks if c.check_id == "card_metadata").message


def test_notes_over_300_words_lose_their_points(tmp_path):
    result = grade(lab9_handin(tmp_path, notes="word " * 301))
    assert lost(result) == {"card_failure_notes": 10}
