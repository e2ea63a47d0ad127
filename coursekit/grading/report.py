"""Instructor tools layer (the grader, Labs 1-9): write ``gradebook.csv``, ``checks.csv``,
``feedback/<student>.md`` and the printed summary.

Student ids are folder names, i.e. data the students chose. They are written so that they cannot harm the
instructor: a cell starting with ``= + - @`` (or a tab / carriage return) gets a leading ``'`` so a spreadsheet
shows it as text instead of running it as a formula (OWASP, "CSV injection"); control characters are shown
escaped in the summary; a name that is no safe file name gets a short safe feedback file name with a hash.
The whole output set is written into a staging folder and swapped in at the end, so a crash or a kill never
leaves a cut gradebook, or a new gradebook next to old feedback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.fileio import staging_dir, swap_in_dir
from coursekit.grading.checks import CheckResult

GRADEBOOK_COLUMNS = ["student", "lab", "points", "max_points", "status"]
STATUSES = ("graded", "invalid", "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_FILE_NAME_BYTES = 200  # file systems allow 255 bytes; keep room for ".md" and the staging suffix
SUMMARY_NAME_WIDTH = 40


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


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: formula-like starts get a leading ``'`` (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def printable(text: str) -> str:
    """``text`` on one line: newlines and other control characters shown as escapes (``\\n``)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def feedback_file_name(student: str) -> str:
    """``<student>.md``, or for a name that is no safe file name a readable prefix plus a hash of the name."""
    safe = printable(student) == student and "/" not in student and not student.startswith(".")
    if safe and len(student.encode("utf-8")) <= MAX_FILE_NAME_BYTES:
        return f"{student}.md"
    stem = re.sub(r"[^\w@+=.-]+", "_", student)[:60].lstrip(".") or "student"
    return f"{stem}-{hashlib.sha256(student.encode('utf-8')).hexdigest()[:10]}.md"


def lab_column(name: str) -> str:
    """What the gradebook's ``lab`` column holds for a spec: the number of ``lab-4``, a project's name as it is."""
    return name[4:] if name.startswith("lab-") and name[4:].isdigit() else name


def feedback_markdown(result: StudentResult, name: str, title: str) -> str:
    """The feedback file a student receives: every check, its points and what to fix."""
    lines = [
        f"# {title} — feedback for {printable(result.student)}",
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
    lines.append(f"Rubric and hand-in rules: labs/{name}.md (challenge section).")
    return "\n".join(lines) + "\n"


def csv_text(header: list[str], rows: list[list]) -> str:
    """A CSV table as text, '\\n' line endings, every student cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(str(row[0])), *row[1:]] for row in rows)
    return buffer.getvalue()


def write_reports(results: list[StudentResult], name: str, title: str, out: Path) -> None:
    """gradebook.csv (one row per student), checks.csv (one row per student and check), feedback/*.md.

    Everything is written into a staging folder next to ``out`` that replaces ``out`` only when complete.
    """
    gradebook = csv_text(
        GRADEBOOK_COLUMNS, [[r.student, lab_column(name), fmt(r.points), fmt(r.max_points), r.status] for r in results]
    )
    per_check = csv_text(
        ["student", "check", "points", "max_points"],
        [[r.student, c.check_id, fmt(c.points), fmt(c.max_points)] for r in results for c in r.checks],
    )
    staging = staging_dir(out)
    try:
        (staging / "gradebook.csv").write_text(gradebook, encoding="utf-8")
        (staging / "checks.csv").write_text(per_check, encoding="utf-8")
        (staging / "feedback").mkdir()
        for result in results:
            text = feedback_markdown(result, name, title)
            (staging / "feedback" / feedback_file_name(result.student)).write_text(text, encoding="utf-8")
        swap_in_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_table(results: list[StudentResult], name: str) -> str:
    """The table printed after grading: one line per student, then counts and the class mean."""
    names = {id(r): shorten(printable(r.student), SUMMARY_NAME_WIDTH) for r in results}
    width = max([len("student")] + [len(name) for name in names.values()])
    lines = [f"{'student':<{width}}  {'points':>7}  {'max':>5}  status", "-" * (width + 24)]
    for r in results:
        first_problem = (
            next((c.title for c in r.checks if not c.passed), "") if r.status == "graded" else (r.notes[:1] or [""])[0]
        )
        lines.append(
            f"{names[id(r)]:<{width}}  {fmt(r.points):>7}  {fmt(r.max_points):>5}  "
            f"{r.status:<8} {printable(first_problem)[:60]}"
        )
    counts = ", ".join(f"{sum(r.status == s for r in results)} {s}" for s in STATUSES)
    graded = [r.points for r in results if r.status == "graded"]
    stats = f"; mean {statistics.mean(graded):.1f}, median {statistics.median(graded):.1f}" if graded else ""
    shown = f"lab {lab_column(name)}" if name.startswith("lab-") else name
    lines.append(f"{shown}: {len(results)} submissions: {counts}{stats}")
    return "\n".join(lines)
