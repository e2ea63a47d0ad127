"""Instructor tools layer (the grader, Labs 1-9).

Lab specs (``specs/lab-N.yaml``) and hidden answers: loading and validating them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from coursekit.errors import CourseError, brief
from coursekit.grading.checks.files import FileProblem, read_csv_strings, rows_text
from coursekit.grading.checks.registry import REGISTRY, Answers, check_points
from coursekit.grading.submissions import Limits
from coursekit.metrics import classification_metrics

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
STUDENT_COLUMN = "student"  # answers.csv of per-student challenges (challenge make --roster)


SPEC_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # a file stem inside SPECS_DIR, never a path


def spec_name(lab: int | str) -> str:
    """The spec's file stem: ``lab-4`` for lab 4 (or ``"4"``); a project's name as given (``project-sms-spam``)."""
    text = str(lab).strip()
    return f"lab-{text}" if text.isdigit() else text


def available_labs() -> list[str]:
    """What ``--lab`` accepts: the numbered labs with a spec (in order), then the projects' names."""
    stems = [p.stem for p in SPECS_DIR.glob("*.yaml")]
    numbered = sorted((s[4:] for s in stems if s.startswith("lab-") and s[4:].isdigit()), key=int)
    return numbered + sorted(s for s in stems if not (s.startswith("lab-") and s[4:].isdigit()))


def validate_metrics(check: dict, spec: dict, where: str) -> None:
    """Metric names must be ones :func:`classification_metrics` returns (or row_count for claims)."""
    labels = check.get("labels") or (spec.get("answers") or {}).get("labels") or []
    known = set(classification_metrics([0, 1], [0, 1], labels or None)) | {"row_count"}
    names = [check["metric"]] if check["type"] == "predictions_vs_answers" else []
    if check["type"] == "metric_consistency":
        names = [claim.get("metric", key) for key, claim in check["claims"].items()]
        if not labels:
            raise CourseError(f"{where}: give 'labels' (or an 'answers: labels:' section) to recompute metrics.")
    if check["type"] == "predictions_vs_answers" and not labels:
        raise CourseError(f"{where}: the spec needs an 'answers:' section with 'labels'.")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CourseError(f"{where}: unknown metric(s) {', '.join(unknown)}; use one of {', '.join(sorted(known))}.")


def validate_spec(spec: Any, path: Path) -> dict:
    """Fail early (CourseError) on a spec an instructor mistyped, naming the check and field."""
    if not isinstance(spec, dict) or not isinstance(spec.get("checks"), list) or not spec["checks"]:
        raise CourseError(f"{path}: a spec needs a non-empty 'checks:' list (see labs/instructors.md).")
    seen = set()
    for number, check in enumerate(spec["checks"], start=1):
        where = f"{path}: check {number} ({check.get('id', 'no id') if isinstance(check, dict) else brief(check)})"
        if not isinstance(check, dict) or "id" not in check:
            raise CourseError(f"{where}: every check needs an 'id'.")
        if check["id"] in seen:
            raise CourseError(f"{where}: duplicate id.")
        seen.add(check["id"])
        if check.get("type") not in REGISTRY:
            raise CourseError(f"{where}: unknown type {brief(check.get('type'))}; use one of {', '.join(REGISTRY)}.")
        absent = [f for f in REGISTRY[check["type"]].required if f not in check]
        if not REGISTRY[check["type"]].claims:
            absent += [] if isinstance(check.get("points"), (int, float)) else ["points"]
        if absent:
            raise CourseError(f"{where}: missing field(s) {', '.join(absent)}.")
        validate_metrics(check, spec, where)
    total = sum(check_points(c) for c in spec["checks"])
    if "total_points" in spec and abs(total - spec["total_points"]) > 1e-9:
        raise CourseError(f"{path}: checks add up to {total:g} points but total_points says {spec['total_points']}.")
    spec["max_points"] = total
    return spec


def load_spec(lab: int | str) -> dict:
    """The validated spec of a lab (number) or project (name), or CourseError listing the ones that have one."""
    name = spec_name(lab)
    path = SPECS_DIR / f"{name}.yaml"
    if not SPEC_NAME.fullmatch(name) or not path.is_file():
        labs = ", ".join(available_labs()) or "none"
        raise CourseError(
            f"no grading spec for lab {brief(lab)} ({brief(name + '.yaml')} not in coursekit/grading/specs). "
            f"Labs and projects with a spec: {labs}."
        )
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CourseError(f"{path}: invalid YAML: {exc}") from None
    return validate_spec(spec, path)


def spec_limits(spec: dict) -> Limits:
    """The spec's ``limits:`` over the defaults."""
    fields = {k: v for k, v in (spec.get("limits") or {}).items() if k in Limits.__dataclass_fields__}
    return Limits(**fields)


def load_answers(path: Path, spec: dict) -> Answers:
    """Read the hidden answers file; any defect is the instructor's to fix (CourseError, exit 2).

    A ``student`` column (written by ``challenge make --roster``) holds one variant per student; the grader
    then scores each hand-in against the variant of its folder name.
    """
    config = spec.get("answers") or {}
    id_col, label_col, names = (
        config.get("id_column", "id"),
        config.get("label_column", "label"),
        config.get("labels", []),
    )
    if not path.is_file():
        raise CourseError(
            f"answers file not found: {path}. Make one with `python -m coursekit.grading.challenge make "
            f"--lab {spec.get('lab')} --seed SECRET --out DIR`."
        )
    try:
        frame = read_csv_strings(path, str(path))
    except FileProblem as exc:
        raise CourseError(f"malformed answers file: {exc}") from None
    missing = [c for c in (id_col, label_col) if c not in frame.columns]
    if missing:
        raise CourseError(
            f"malformed answers file {path}: no column(s) {', '.join(missing)} (it has "
            f"{', '.join(frame.columns) or 'none'}); expected columns {id_col},{label_col}."
        )
    if frame.empty:
        raise CourseError(f"malformed answers file {path}: no rows.")
    ids = frame[id_col].str.strip()
    labels = frame[label_col].str.strip()
    students = frame[STUDENT_COLUMN].str.strip() if STUDENT_COLUMN in frame.columns else None
    keys = ids if students is None else students + "\x00" + ids
    dup = [i for i, d in enumerate(keys.duplicated()) if d]
    if dup:
        raise CourseError(f"malformed answers file {path}: repeated ids at {rows_text(str(path), dup)}.")
    bad = [i for i, v in enumerate(labels) if v not in names or not ids.iloc[i]]
    if bad:
        raise CourseError(
            f"malformed answers file {path}: empty id or label not in {names} at {rows_text(str(path), bad)}."
        )
    if students is None:
        return Answers(dict(zip(ids, labels)), list(names))
    if (students == "").any():
        empty = [i for i, s in enumerate(students) if not s]
        raise CourseError(f"malformed answers file {path}: empty student at {rows_text(str(path), empty)}.")
    variants: dict[str, dict[str, str]] = {}
    for student, id_value, label in zip(students, ids, labels):
        variants.setdefault(student, {})[id_value] = label
    return Answers({}, list(names), variants)
