"""Instructor tools layer (Labs 1-9): grade a class's challenge hand-ins from their files alone (no student code runs).

Usage:
    python -m coursekit.grading.grade SUBMISSIONS_DIR --lab 4 --answers secret/answers.csv [--out DIR]
    coursekit-grade SUBMISSIONS_DIR --lab 4 --answers secret/answers.csv

SUBMISSIONS_DIR holds one folder or one .zip per student (student id = folder name / zip stem). Each
submission is checked against ``coursekit/grading/specs/lab-N.yaml``; the grader writes DIR/gradebook.csv
(student, lab, points, max_points, status), DIR/checks.csv (points per check) and DIR/feedback/<student>.md,
and prints a summary. DIR defaults to outputs/grading/lab-N; it is replaced as a whole (written into a staging
folder, swapped in when complete), so it must be new, empty or an earlier grading output, outside the
submissions. One broken or crashing submission never stops the batch: it becomes status invalid or error with
the reason in its feedback; one bad file costs only the checks that read it. An answers file with a ``student``
column (``challenge make --roster``) grades each hand-in against the variant of its folder name.
See labs/instructors.md for the whole workflow and the safety rules.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

from coursekit.errors import CourseError, brief, friendly_errors
from coursekit.grading.checks import (
    Answers,
    Context,
    SubmissionFiles,
    available_labs,
    hand_in_files,
    load_answers,
    load_spec,
    run_check,
    spec_limits,
    spec_name,
)
from coursekit.grading.checks.registry import bounded
from coursekit.grading.report import StudentResult, summary_table, write_reports
from coursekit.grading.submissions import Limits, Submission, find_submissions, read_folder, read_zip, student_id
from coursekit.paths import OUTPUTS_DIR


def open_submission(entry: Path, workdir: Path, limits: Limits) -> Submission:
    """A folder is read in place; a zip is checked and extracted member by member into ``workdir``."""
    if entry.suffix.lower() == ".zip" and not entry.is_dir():
        return read_zip(entry, workdir, limits)
    return read_folder(entry, limits)


def grade_submission(submission: Submission, spec: dict, answers: Answers | None) -> StudentResult:
    """Run every check of the spec on one opened submission."""
    result = StudentResult(
        submission.student, submission.source.name, "graded", spec["max_points"], notes=list(submission.notes)
    )
    if submission.invalid:
        result.status = "invalid"
        result.notes.insert(0, submission.invalid)
        return result
    wanted = hand_in_files(spec)
    if not any(name in submission.files for name in wanted):
        result.status = "invalid"
        found = ", ".join(sorted(submission.files)[:10]) or "nothing readable"
        result.notes.insert(
            0,
            f"none of the hand-in files ({', '.join(wanted)}) is in the submission (found: {found}). "
            f"Hand in the folder {spec.get('folder', '')}/ with exactly those file names, or a zip of it.",
        )
        return result
    own_answers = answers.for_student(submission.student) if answers is not None else None
    if answers is not None and own_answers is None:
        result.status = "invalid"
        result.notes.insert(
            0,
            f"no challenge variant for {brief(submission.student)} in the answers file: name the hand-in folder "
            "(or zip) exactly as your student id on the roster, the name your posts.csv came under.",
        )
        return result
    context = Context(SubmissionFiles(submission, wanted), own_answers, spec)
    result.checks = [run_check(check, context) for check in spec["checks"]]
    return result


def grade_entry(entry: Path, spec: dict, answers: Answers | None) -> StudentResult:
    """Open and grade one student's entry; any unexpected failure becomes status=error, never a crash."""
    try:
        with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as workdir:
            submission = open_submission(entry, Path(workdir), spec_limits(spec))
            return grade_submission(submission, spec, answers)
    except Exception as exc:
        return StudentResult(
            student_id(entry),
            entry.name,
            "error",
            spec["max_points"],
            notes=[
                f"the grader failed: {type(exc).__name__}: {bounded(str(exc), 300)}. Tell your instructor; "
                "re-creating the zip or folder usually helps."
            ],
        )


def grade_all(submissions_dir: Path, spec: dict, answers: Answers | None) -> tuple[list[StudentResult], list[str]]:
    """Grade every student entry; two entries with the same id (alice/ and alice.zip) are both refused."""
    entries, remarks = find_submissions(submissions_dir)
    by_student: dict[str, list[Path]] = defaultdict(list)
    for entry in entries:
        by_student[student_id(entry)].append(entry)
    results = []
    for student, group in sorted(by_student.items()):
        if len(group) > 1:
            names = " and ".join(e.name for e in group)
            results.append(
                StudentResult(
                    student,
                    names,
                    "invalid",
                    spec["max_points"],
                    notes=[f"two submissions ({names}); hand in one folder or one zip."],
                )
            )
        else:
            results.append(grade_entry(group[0], spec, answers))
    return results, remarks


def check_out_folder(out: Path, submissions: Path) -> None:
    """Refuse an output folder that the grader may not replace as a whole (CourseError before any grading).

    The outputs are swapped in as one folder, so ``out`` must be new, empty or an earlier grader output
    (it holds ``gradebook.csv``), and must neither hold nor sit inside the submissions.
    """
    if out.exists() and not out.is_dir():
        raise CourseError(f"--out {out} is a file; give a folder for gradebook.csv, checks.csv and feedback/.")
    resolved, subs = out.resolve(), submissions.resolve()
    if resolved == subs or subs in resolved.parents or resolved in subs.parents:
        raise CourseError(
            f"--out {out} overlaps the submissions folder {submissions}; write the grades outside it "
            "(e.g. --out grades/lab-4), so students' hand-ins and grades never mix."
        )
    if out.is_dir() and any(out.iterdir()) and not (out / "gradebook.csv").is_file():
        raise CourseError(
            f"--out {out} is a folder with other files and no gradebook.csv; the grader replaces its --out folder "
            "as a whole, so give a new folder or an earlier grading output."
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="coursekit-grade", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, help="folder with one sub-folder or .zip per student")
    parser.add_argument(
        "--lab", required=True, help=f"lab number or project name (specs exist for {', '.join(available_labs())})"
    )
    parser.add_argument("--answers", type=Path, help="hidden answers CSV (id,label) for labs that score predictions")
    parser.add_argument("--out", type=Path, help="output folder (default: outputs/grading/lab-N or /<project>)")
    return parser.parse_args(argv)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Grade SUBMISSIONS_DIR for one lab and write the gradebook and feedback."""
    args = parse_args(argv)
    spec = load_spec(args.lab)
    if not args.submissions.is_dir():
        raise CourseError(
            f"submissions folder not found: {args.submissions}. It must hold one folder or .zip per student."
        )
    needs_answers = any(c["type"] == "predictions_vs_answers" or c.get("ids_from_answers") for c in spec["checks"])
    if needs_answers and args.answers is None:
        raise CourseError(
            f"lab {args.lab} scores predictions against hidden answers: pass --answers answers.csv "
            f"(made by `python -m coursekit.grading.challenge make --lab {args.lab} --seed SECRET --out DIR`)."
        )
    answers = load_answers(args.answers, spec) if args.answers is not None else None
    out = args.out or OUTPUTS_DIR / "grading" / spec_name(args.lab)
    check_out_folder(out, args.submissions)
    results, remarks = grade_all(args.submissions, spec, answers)
    if not results:
        raise CourseError(f"{args.submissions} holds no student folders or .zip files.")
    write_reports(results, spec_name(args.lab), spec.get("title", f"Lab {args.lab} challenge"), out)
    for remark in remarks:
        print(f"note: {remark}")
    print(summary_table(results, spec_name(args.lab)))
    print(f"wrote {out / 'gradebook.csv'}, {out / 'checks.csv'} and {len(results)} files in {out / 'feedback'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
