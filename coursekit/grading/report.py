"""Write what the grader found: ``gradebook.csv``, ``checks.csv``, ``feedback/<student>.md`` and a summary."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.grading.checks import CheckResult

GRADEBOOK_COLUMNS = ["student", "lab", "points", "max_points", "status"]
STATUSES = ("graded", "invalid", "error")


@dataclass
class StudentResult:
    """One student's outcome. ``status`` is graded, invalid (could not be opened/used) or error (grader crash)."""

    student: str
    source: str
    status: str
    max_points: float
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(c.points for c in self.checks), 1) if self.status == "graded" else 0.0


def fmt(number: float) -> str:
    """6 -> '6', 14.4 -> '14.4'."""
    return f"{round(number, 1):g}"


def feedback_markdown(result: StudentResult, lab: int, title: str) -> str:
    """The feedback file a student receives: every check, its points and what to fix."""
    lines = [
        f"# {title} — feedback for {result.student}",
        "",
        f"**{fmt(result.points)} / {fmt(result.max_points)} points** · status: {result.status} · "
        f"submission: `{result.source}`",
        "",
    ]
    if result.status == "invalid":
        lines += [
            "Your submission could not be graded, so it scores 0. Fix the problem below and hand it in again.",
            "",
        ]
    if result.status == "error":
        lines += [
            "The grader failed on your submission (this is not necessarily your fault); your instructor has "
            "been told. The message below says where it happened.",
            "",
        ]
    if result.notes:
        lines += ["## About your submission", ""] + [f"- {note}" for note in result.notes] + [""]
    if result.checks:
        lines += ["## Checks", ""]
        for check in result.checks:
            mark = "✅" if check.passed else ("⚠️" if check.points > 0 else "❌")
            lines.append(f"- {mark} **{check.title}** — {fmt(check.points)}/{fmt(check.max_points)}: {check.message}")
            lines += [f"    - {detail}" for detail in check.details]
        lines.append("")
    lines.append(f"Lab {lab} rubric and hand-in rules: labs/lab-{lab}.md (challenge section).")
    return "\n".join(lines) + "\n"


def write_reports(results: list[StudentResult], lab: int, title: str, out: Path) -> None:
    """gradebook.csv (one row per student), checks.csv (one row per student and check), feedback/*.md."""
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    with (out / "gradebook.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GRADEBOOK_COLUMNS)
        for result in results:
            writer.writerow([result.student, lab, fmt(result.points), fmt(result.max_points), result.status])
    with (out / "checks.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["student", "check", "points", "max_points"])
        for result in results:
            for check in result.checks:
                writer.writerow([result.student, check.check_id, fmt(check.points), fmt(check.max_points)])
    for result in results:
        (feedback_dir / f"{result.student}.md").write_text(feedback_markdown(result, lab, title), encoding="utf-8")


def summary_table(results: list[StudentResult], lab: int) -> str:
    """The table printed after grading: one line per student, then counts and the class mean."""
    width = max([len("student")] + [len(r.student) for r in results])
    lines = [f"{'student':<{width}}  {'points':>7}  {'max':>5}  status", "-" * (width + 24)]
    for r in results:
        first_problem = (
            next((c.title for c in r.checks if not c.passed), "") if r.status == "graded" else (r.notes[:1] or [""])[0]
        )
        lines.append(
            f"{r.student:<{width}}  {fmt(r.points):>7}  {fmt(r.max_points):>5}  {r.status:<8} {first_problem[:60]}"
        )
    counts = ", ".join(f"{sum(r.status == s for r in results)} {s}" for s in STATUSES)
    graded = [r.points for r in results if r.status == "graded"]
    stats = f"; mean {statistics.mean(graded):.1f}, median {statistics.median(graded):.1f}" if graded else ""
    lines.append(f"lab {lab}: {len(results)} submissions: {counts}{stats}")
    return "\n".join(lines)
