"""The guard that proves `make test` leaves handin/ alone notices every kind of change."""

from __future__ import annotations

from handin_guard import differences, fingerprint


def test_fingerprint_sees_added_removed_and_changed_files(tmp_path):
    (tmp_path / "lab-4").mkdir()
    (tmp_path / "lab-4" / "notes.md").write_text("mine")
    (tmp_path / "lab-4" / "predictions.csv").write_text("id,label\n")
    before = fingerprint(tmp_path)
    assert differences(before, fingerprint(tmp_path)) == []

    (tmp_path / "lab-4" / "notes.md").write_text("overwritten")
    (tmp_path / "lab-4" / "predictions.csv").unlink()
    (tmp_path / "lab-7").mkdir()
    assert differences(before, fingerprint(tmp_path)) == [
        "removed: lab-4/predictions.csv",
        "added: lab-7",
        "changed: lab-4/notes.md",
    ]


def test_a_missing_folder_has_an_empty_fingerprint(tmp_path):
    assert fingerprint(tmp_path / "handin") == {}
