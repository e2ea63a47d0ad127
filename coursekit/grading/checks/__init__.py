"""Instructor tools layer (the grader, Labs 1-9): lab specs and the check types they use.

A spec (``coursekit/grading/specs/lab-N.yaml``) lists checks; each check has an ``id``, a ``type``, ``points``,
an optional ``title`` and ``fix`` (the hint shown when it loses points) and type-specific fields. Every check type
is declared once in :mod:`~coursekit.grading.checks.registry` (its required fields, the fields that name hand-in
files, whether it scores per claim, its documentation); ``labs/instructors.md`` shows the table
:func:`types_table` makes from it. The types live by theme:

* :mod:`.tables`: CSV / JSON Lines tables, PNG charts, word counts, predictions against hidden answers.
* :mod:`.json_checks`: one JSON file's keys, lists, arithmetic, rankings, rates and relations.
* :mod:`.claims`: numbers that must agree with other files (recomputed metrics, counts, reports, logs).
* :mod:`.cards`: Labs 7-9 model cards, manifests, label maps, portable paths, prediction records.

:mod:`.files` reads hand-in files as hostile data (bounded, every defect a :class:`FileProblem`), :mod:`.rules`
holds the value rules, :mod:`.spec` loads and validates specs and hidden answers.
Every check returns an :class:`Outcome` whose ``message`` says exactly what was wrong (file, rows, keys) and how
to fix it; a check never raises for bad student input, it loses its points instead.
"""

from __future__ import annotations

# The check modules register their types on import; the order is the order of the docs table.
from coursekit.grading.checks import cards, claims, json_checks, tables  # noqa: F401
from coursekit.grading.checks.files import FileProblem, SubmissionFiles, read_csv_strings
from coursekit.grading.checks.registry import (
    REGISTRY,
    Answers,
    CheckResult,
    Context,
    Outcome,
    check,
    check_points,
    hand_in_files,
    run_check,
    types_table,
)
from coursekit.grading.checks.spec import (
    SPECS_DIR,
    available_labs,
    load_answers,
    load_spec,
    spec_limits,
    spec_name,
    validate_spec,
)

__all__ = [
    "REGISTRY",
    "SPECS_DIR",
    "Answers",
    "CheckResult",
    "Context",
    "FileProblem",
    "Outcome",
    "SubmissionFiles",
    "available_labs",
    "spec_name",
    "check",
    "check_points",
    "hand_in_files",
    "load_answers",
    "load_spec",
    "read_csv_strings",
    "run_check",
    "spec_limits",
    "types_table",
    "validate_spec",
]
