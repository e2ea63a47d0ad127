"""The check registry is the one place a check type is declared: it drives spec validation (required fields),
the list of hand-in files of a lab, per-claim scoring and the table of check types in labs/instructors.md."""

from __future__ import annotations

import re

import pytest

from coursekit.errors import CourseError
from coursekit.grading.checks import (
    REGISTRY,
    Context,
    Outcome,
    SubmissionFiles,
    available_labs,
    check,
    hand_in_files,
    load_spec,
    run_check,
    spec_name,
    types_table,
    validate_spec,
)
from coursekit.grading.checks.registry import verdict
from coursekit.grading.submissions import Submission
from coursekit.paths import PROJECT_ROOT

INSTRUCTORS = PROJECT_ROOT / "labs" / "instructors.md"
TABLE = re.compile(r"<!-- check-types: start -->\n(.*?)\n<!-- check-types: end -->", re.S)


def test_instructors_table_of_check_types_is_generated_from_the_registry():
    match = TABLE.search(INSTRUCTORS.read_text(encoding="utf-8"))
    assert match, "labs/instructors.md lost its <!-- check-types: start/end --> markers"
    assert match.group(1) == types_table(), (
        "labs/instructors.md's table of check types differs from the registry; paste the output of "
        'python -c "from coursekit.grading.checks import types_table; print(types_table())"'
    )


def test_every_declared_field_is_documented_and_every_file_field_is_declared():
    for kind in REGISTRY.values():
        for name in kind.required + tuple(path.split(".")[0] for path in kind.files):
            assert f"`{name}`" in kind.fields, (kind.name, name)
    for lab in available_labs():
        spec = load_spec(lab)
        listed = hand_in_files(spec)
        for spec_check in spec["checks"]:
            named = [v for k, v in spec_check.items() if k.endswith("_file") or k in {"file", "files"}]
            for value in named:
                assert set([value] if isinstance(value, str) else value) <= set(listed), (lab, spec_check["id"])


def test_lab9_hand_in_files_include_every_file_its_checks_read():
    assert hand_in_files(load_spec(9)) == [
        "README.md",
        "metrics.json",
        "config.json",
        "training_config.json",
        "manifest.json",
    ]


@pytest.fixture()
def word_present():
    """A new check type, declared in one place (as a course author would add it), removed after the test."""

    @check(
        "word_present",
        required=("file", "word"),
        files=("file",),
        fields="`file`, `word`",
        summary="the text file contains `word`",
    )
    def check_word_present(spec_check: dict, ctx: Context) -> Outcome:
        text = ctx.files.text(spec_check["file"])
        found = spec_check["word"] in text
        return verdict(spec_check, [] if found else [f"no {spec_check['word']!r}"], "found it")

    yield check_word_present
    del REGISTRY["word_present"]


def test_adding_a_check_type_touches_one_place(word_present, tmp_path):
    spec = {"checks": [{"id": "w", "type": "word_present", "file": "notes.md", "word": "F1", "points": 5}]}
    assert validate_spec(dict(spec), tmp_path / "lab-9.yaml")["max_points"] == 5
    with pytest.raises(CourseError, match=r"check 1 \(w\): missing field\(s\) word"):
        validate_spec({"checks": [{"id": "w", "type": "word_present", "file": "notes.md", "points": 5}]}, tmp_path)
    assert hand_in_files(spec) == ["notes.md"]
    assert "| `word_present` | `file`, `word` | the text file contains `word` |" in types_table()
    (tmp_path / "notes.md").write_text("macro F1 is 0.9", encoding="utf-8")
    submission = Submission("s", tmp_path, files={"notes.md": tmp_path / "notes.md"})
    result = run_check(spec["checks"][0], Context(SubmissionFiles(submission), None, spec))
    assert (result.points, result.message) == (5.0, "found it")


def test_claim_types_score_per_claim_from_the_registry():
    claims = {name for name, kind in REGISTRY.items() if kind.claims}
    assert claims == {
        "metric_consistency",
        "training_log_best",
        "count_consistency",
        "classification_report_consistency",
    }


def test_spec_names_cover_labs_and_projects_but_never_a_path() -> None:
    """``--lab 4`` and ``--lab lab-4`` name the same spec; a project goes by its name; a path is refused."""
    assert spec_name(4) == spec_name("4") == spec_name("lab-4") == "lab-4"
    assert spec_name("project-sms-spam") == "project-sms-spam"
    assert available_labs()[:3] == ["1", "2", "3"]
    with pytest.raises(CourseError, match="no grading spec for lab '../lab-4'"):
        load_spec("../lab-4")
