"""Instructor tools layer (the grader, Labs 1-9): the one registry of check types.

Each check type is a function ``(check, ctx) -> Outcome`` declared once with :func:`check`::

    @check("json_list", required=("file", "key"), files=("file",), fields="...", summary="...")
    def check_json_list(check: dict, ctx: Context) -> Outcome: ...

The declaration drives everything else: spec validation (unknown types, missing required fields), the list of
hand-in files of a lab (:func:`hand_in_files`), which types earn points per claim (``claims=True``), and the
table of check types in ``labs/instructors.md`` (:func:`types_table`; a test compares the two).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from coursekit.grading.checks.files import FileProblem, SubmissionFiles

MESSAGE_LIMIT = 1000  # characters of one feedback line
DETAIL_LIMIT = 20  # detail lines per check


@dataclass
class Answers:
    """Hidden answers: label name by id, and the label names in the course's id order.

    With per-student challenges (``challenge make --roster``) ``variants`` maps each student to their own
    answers; :meth:`for_student` picks the variant of a hand-in.
    """

    labels: dict[str, str]
    label_names: list[str]
    variants: dict[str, dict[str, str]] | None = None

    def for_student(self, student: str) -> Answers | None:
        """The answers that grade ``student``: their own variant, or the shared answers; None if not on the roster."""
        if self.variants is None:
            return self
        labels = self.variants.get(student)
        return None if labels is None else Answers(labels, self.label_names)


@dataclass
class Context:
    """What a check may use: the submission's files, the hidden answers (if any) and the spec."""

    files: SubmissionFiles
    answers: Answers | None
    spec: dict


@dataclass
class Outcome:
    """What one check function found: points earned, the feedback line and optional detail lines."""

    points: float
    message: str
    details: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    """Points earned by one check of a spec and the feedback line (plus optional detail lines)."""

    check_id: str
    title: str
    points: float
    max_points: float
    message: str
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


CheckFunction = Callable[[dict, Context], Outcome]


@dataclass(frozen=True)
class CheckType:
    """One check type: its function, the spec fields it needs, which fields name hand-in files, and its docs."""

    name: str
    function: CheckFunction
    required: tuple[str, ...]
    files: tuple[str, ...]
    claims: bool
    fields: str
    summary: str


REGISTRY: dict[str, CheckType] = {}


def check(
    name: str,
    *,
    required: tuple[str, ...],
    files: tuple[str, ...] = (),
    claims: bool = False,
    fields: str,
    summary: str,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check type. ``files`` are field names (``claims.*.files`` reaches into each claim) whose values
    are hand-in file names; ``claims=True`` means the check's points are the sum of its claims' ``points``;
    ``fields`` and ``summary`` are the two documentation columns of the table in labs/instructors.md."""

    def register(function: CheckFunction) -> CheckFunction:
        if name in REGISTRY:
            raise ValueError(f"check type {name!r} is registered twice")
        REGISTRY[name] = CheckType(name, function, required, files, claims, fields, summary)
        return function

    return register


def verdict(check: dict, problems: list[str], success: str) -> Outcome:
    """All-or-nothing: the check's points and ``success`` without problems, else 0 and the problems."""
    if problems:
        return Outcome(0, problems[0], problems[1:])
    return Outcome(check["points"], success)


def per_claim(points: float, problems: list[str], success: str) -> Outcome:
    """Points earned claim by claim; the first problem (if any) is the feedback line."""
    if problems:
        return Outcome(points, problems[0], problems[1:])
    return Outcome(points, success)


def _field_values(check: dict, path: str) -> Iterable[Any]:
    """The values at a field path of a check; ``claims.*.files`` yields each claim's ``files``."""
    head, _, rest = path.partition(".")
    values: Iterable[Any]
    if head == "*":
        values = check.values() if isinstance(check, dict) else []
    else:
        values = [check[head]] if isinstance(check, dict) and head in check else []
    for value in values:
        yield from _field_values(value, rest) if rest else [value]


def check_files(check: dict) -> list[str]:
    """The hand-in file names one check reads, as its type declares them."""
    names: list[str] = []
    for path in REGISTRY[check["type"]].files:
        for value in _field_values(check, path):
            names += [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    return names


def hand_in_files(spec: dict) -> list[str]:
    """Every hand-in file the spec's checks read, in order of first use."""
    names: list[str] = []
    for spec_check in spec["checks"]:
        names += [name for name in check_files(spec_check) if name not in names]
    return names


def check_points(check: dict) -> float:
    """A check's maximum: its ``points``, or the sum of its claims' points."""
    if REGISTRY[check["type"]].claims and "claims" in check:
        return float(sum(claim["points"] for claim in check["claims"].values()))
    return float(check["points"])


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A feedback line cut at ``limit`` characters, so no hand-in can make the feedback huge."""
    return text if len(text) <= limit else text[: limit - 20] + " … (cut)"


def run_check(check: dict, ctx: Context) -> CheckResult:
    """Run one check. A missing or unreadable file, or any other failure on this hand-in, costs this check's
    points with a message; it never stops the other checks."""
    maximum = check_points(check)
    title = check.get("title", check["id"])
    try:
        outcome = REGISTRY[check["type"]].function(check, ctx)
    except FileProblem as exc:
        outcome = Outcome(0.0, str(exc))
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # Data the check did not foresee (a list where a name belongs, ...): this check only, never the hand-in.
        outcome = Outcome(
            0.0,
            f"this check could not read your files ({type(exc).__name__}: {bounded(str(exc), 200)}); "
            "compare them with the exact format in the lab text.",
        )
    message = outcome.message
    if outcome.points < maximum and check.get("fix"):
        message = f"{message} Fix: {check['fix']}"
    details = [bounded(d) for d in outcome.details[:DETAIL_LIMIT]]
    if len(outcome.details) > DETAIL_LIMIT:
        details.append(f"(+{len(outcome.details) - DETAIL_LIMIT} more problems)")
    return CheckResult(check["id"], title, float(outcome.points), maximum, bounded(message), details)


def types_table() -> str:
    """The Markdown table of check types for labs/instructors.md, from the registry."""
    lines = ["| type | fields | checks |", "|---|---|---|"]
    lines += [f"| `{t.name}` | {t.fields} | {t.summary} |" for t in REGISTRY.values()]
    return "\n".join(lines)
