"""Lesson layer (Labs 1-2): check a labelled text file before training, clean it on purpose, split it by label.

:func:`validate_dataset` lists *every* problem of a file at once (with row numbers a student can find
in an editor and a suggested fix) instead of stopping at the first one, because a training run that
dies on row 57, is fixed, and then dies on row 133 wastes everybody's afternoon.
:func:`clean_labelled_frame` applies the fixes Lab 1 teaches and counts what it removed, and
:func:`stratified_split` makes a reproducible split that keeps the label shares of the whole file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coursekit.data import read_table, row_name
from coursekit.errors import CourseError

# A field that fewer than this share of the records carry is "stray" (e.g. one exported row with an
# extra key): it becomes a mostly-empty column that a model or a schema check will trip over.
STRAY_FIELD_SHARE = 0.5
MAX_ROWS_SHOWN = 10


@dataclass
class Problem:
    """One kind of problem in a file: which rows have it, what it means and how to fix it."""

    kind: str
    message: str
    fix: str
    rows: list[int] = field(default_factory=list)

    def describe(self, path: Path) -> str:
        """Two lines: the problem with its rows, and the fix."""
        where = ""
        if self.rows:
            shown = ", ".join(row_name(path, i) for i in self.rows[:MAX_ROWS_SHOWN])
            more = f" (+{len(self.rows) - MAX_ROWS_SHOWN} more)" if len(self.rows) > MAX_ROWS_SHOWN else ""
            where = f" at {shown}{more}"
        return f"[{self.kind}] {self.message}{where}\n    fix: {self.fix}"


@dataclass
class ValidationReport:
    """The result of :func:`validate_dataset`: the problems found (empty when the file is clean)."""

    path: Path
    n_rows: int
    columns: list[str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Number of affected rows per problem kind (1 for problems without rows, e.g. a missing column)."""
        totals: Counter[str] = Counter()
        for problem in self.problems:
            totals[problem.kind] += len(problem.rows) or 1
        return dict(totals)

    def format(self) -> str:
        """The report as text, one block per problem."""
        head = f"{self.path.name}: {self.n_rows} rows, columns {', '.join(self.columns)}"
        if self.ok:
            return head + "\nno problems found"
        body = "\n".join(p.describe(self.path) for p in self.problems)
        return f"{head}\n{len(self.problems)} problem(s) found:\n{body}"

    def __str__(self) -> str:
        return self.format()


def normalise_label(value) -> str | None:
    """``" Bug_Report "`` -> ``"bug_report"``; ``None``, NaN and blank labels -> ``None``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    return text or None


def is_empty_text(value) -> bool:
    """True for missing values, non-strings and texts that are only whitespace."""
    return not isinstance(value, str) or not value.strip()


def _text_problems(path: Path, texts: pd.Series, labels: pd.Series | None) -> list[Problem]:
    """Empty texts, exact duplicate texts, and duplicates that disagree about the label."""
    problems = []
    empty = [i for i, t in enumerate(texts) if is_empty_text(t)]
    if empty:
        problems.append(
            Problem(
                "empty_text",
                f"{len(empty)} empty or whitespace-only text(s)",
                "drop these rows (there is nothing to learn from) or fill in the text",
                empty,
            )
        )
    first_seen: dict[str, int] = {}
    groups: dict[int, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        if is_empty_text(text):
            continue
        groups[first_seen.setdefault(text, i)].append(i)
    repeats = [i for rows in groups.values() for i in rows[1:]]
    if repeats:
        firsts = ", ".join(row_name(path, first) for first, rows in groups.items() if len(rows) > 1)
        problems.append(
            Problem(
                "duplicate_text",
                f"{len(repeats)} exact duplicate text(s) of earlier rows ({firsts})",
                "keep the first copy only; duplicates inflate counts and leak across a train/test split",
                repeats,
            )
        )
    if labels is not None:
        conflicts = []
        for rows in groups.values():
            distinct = {normalise_label(labels.iloc[j]) for j in rows} - {None}
            if len(distinct) > 1:
                conflicts.extend(rows)
        if conflicts:
            problems.append(
                Problem(
                    "conflicting_labels",
                    "the same text carries different labels",
                    "decide which label is right (or drop the text); a model cannot learn both",
                    conflicts,
                )
            )
    return problems


def _label_problems(labels: pd.Series, allowed_labels: list[str] | None) -> list[Problem]:
    """Missing labels, spelling variants of a label (case/whitespace) and unknown labels."""
    problems = []
    missing = [i for i, v in enumerate(labels) if normalise_label(v) is None]
    if missing:
        problems.append(
            Problem(
                "missing_label",
                f"{len(missing)} missing label(s)",
                "label these rows, or drop them before training",
                missing,
            )
        )
    present = [(i, str(v)) for i, v in enumerate(labels) if normalise_label(v) is not None]
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for _, value in present:
        spellings[str(normalise_label(value))][value] += 1
    if allowed_labels is not None:
        canonical = {normalise_label(a): a for a in allowed_labels}
    else:  # without a list, the most frequent spelling of each label is taken as the right one
        canonical = {norm: counts.most_common(1)[0][0] for norm, counts in spellings.items()}
    variants = [i for i, v in present if normalise_label(v) in canonical and v != canonical[normalise_label(v)]]
    if variants:
        shown = sorted({f"{labels.iloc[i]!r} -> {canonical[normalise_label(labels.iloc[i])]!r}" for i in variants})
        problems.append(
            Problem(
                "label_variant",
                f"label(s) differing from a known label only by case/whitespace: {', '.join(shown)}",
                "normalise labels with label.strip().lower() (or map them to the allowed spelling)",
                variants,
            )
        )
    unknown = [i for i, v in present if normalise_label(v) not in canonical]
    if unknown:
        names = sorted({str(labels.iloc[i]) for i in unknown})
        problems.append(
            Problem(
                "unknown_label",
                f"label(s) not in {list(allowed_labels or [])}: {names}",
                "correct the label, or add it to the allowed labels if it is a real class",
                unknown,
            )
        )
    return problems


def _stray_fields(frame: pd.DataFrame, expected: set[str]) -> list[Problem]:
    """Columns other than the expected ones that only a minority of the records fill in."""
    problems = []
    for column in frame.columns:
        if column in expected:
            continue
        filled = [
            i
            for i, v in enumerate(frame[column])
            if not (v is None or (not isinstance(v, (list, dict)) and pd.isna(v)))
        ]
        if len(filled) < STRAY_FIELD_SHARE * len(frame):
            problems.append(
                Problem(
                    "stray_field",
                    f"field {column!r} is set in only {len(filled)} of {len(frame)} rows",
                    f"drop the field (keep only the columns you train on), e.g. frame.drop(columns=[{column!r}])",
                    filled,
                )
            )
    return problems


def validate_dataset(
    path: str | Path, text_column: str = "text", label_column: str = "label", allowed_labels: list[str] | None = None
) -> ValidationReport:
    """Check a labelled text file and report every problem with its rows and a fix.

    Checks: missing text/label columns, empty or whitespace-only texts, missing labels, labels that
    differ from a known label only by case or whitespace, unknown labels (when ``allowed_labels`` is
    given), exact duplicate texts and duplicates with conflicting labels, and stray fields.

    A file that cannot be read at all (missing, unknown extension, not UTF-8, malformed JSON) raises
    :class:`~coursekit.errors.CourseError` instead: there is nothing to report on.
    """
    path = Path(path).expanduser()
    frame = read_table(path)
    report = ValidationReport(path=path, n_rows=len(frame), columns=[str(c) for c in frame.columns])
    missing = [c for c in (text_column, label_column) if c not in frame.columns]
    for column in missing:
        report.problems.append(
            Problem(
                "missing_column",
                f"no column {column!r} (the file has {report.columns})",
                "pass the right name (--text-column / --label-column) or rename the column",
            )
        )
    labels = frame[label_column] if label_column in frame.columns else None
    if text_column in frame.columns:
        report.problems.extend(_text_problems(path, frame[text_column], labels))
    if labels is not None:
        report.problems.extend(_label_problems(labels, allowed_labels))
    if not missing:
        report.problems.extend(_stray_fields(frame, {text_column, label_column, "id"}))
    return report


@dataclass
class CleanResult:
    """A cleaned frame and how many rows each rule removed."""

    frame: pd.DataFrame
    removed: dict[str, int]
    labels_normalised: int


def clean_labelled_frame(
    frame: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    allowed_labels: list[str] | None = None,
    keep_columns: list[str] | None = None,
) -> CleanResult:
    """Apply Lab 1's cleaning rules, in this order, and count each step.

    1. strip texts; drop rows whose text is empty (``removed["empty_text"]``);
    2. normalise labels with ``strip().lower()``; drop rows without a label (``"missing_label"``);
    3. drop labels not in ``allowed_labels`` when it is given (``"unknown_label"``);
    4. drop exact duplicate texts, keeping the first (``"duplicate"``).

    Only ``keep_columns`` are kept (default: the text and label columns, after ``id`` if present).
    """
    missing = [c for c in (text_column, label_column) if c not in frame.columns]
    if missing:
        raise CourseError(f"cannot clean: no column {', '.join(map(repr, missing))} (columns: {list(frame.columns)})")
    keep = keep_columns or [c for c in ("id",) if c in frame.columns] + [text_column, label_column]
    out = frame.copy()
    removed = {"empty_text": 0, "missing_label": 0, "unknown_label": 0, "duplicate": 0}

    empty = out[text_column].map(is_empty_text)
    removed["empty_text"] = int(empty.sum())
    out = out[~empty].copy()
    out[text_column] = out[text_column].str.strip()

    # A plain list, not Series.map: pandas 3 turns the None of a missing label into NaN in a str column.
    normalised = [normalise_label(v) for v in out[label_column]]
    changed = sum(n is not None and n != v for n, v in zip(normalised, out[label_column]))
    out[label_column] = normalised
    no_label = out[label_column].isna()
    removed["missing_label"] = int(no_label.sum())
    out = out[~no_label]

    if allowed_labels is not None:
        unknown = ~out[label_column].isin([normalise_label(a) for a in allowed_labels])
        removed["unknown_label"] = int(unknown.sum())
        out = out[~unknown]

    duplicate = out[text_column].duplicated(keep="first")
    removed["duplicate"] = int(duplicate.sum())
    out = out[~duplicate]
    return CleanResult(frame=out[keep].reset_index(drop=True), removed=removed, labels_normalised=changed)


def stratified_split(
    frame: pd.DataFrame, label_column: str = "label", test_size: float = 0.2, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into (train, test) keeping each label's share, reproducibly (scikit-learn, ``random_state=seed``).

    The test set holds ``ceil(test_size * len(frame))`` rows. Each label needs at least two rows,
    otherwise it cannot appear on both sides and scikit-learn refuses to stratify.
    """
    from sklearn.model_selection import train_test_split

    if label_column not in frame.columns:
        raise CourseError(f"cannot split: no column {label_column!r} (columns: {list(frame.columns)})")
    if not 0 < test_size < 1:
        raise CourseError(f"test_size must be between 0 and 1, got {test_size}")
    counts = frame[label_column].value_counts()
    too_small = counts[counts < 2]
    if not too_small.empty:
        raise CourseError(
            f"cannot stratify: label(s) {list(too_small.index)} have fewer than 2 rows; "
            "collect more examples or merge those labels"
        )
    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=frame[label_column])
    return train.reset_index(drop=True), test.reset_index(drop=True)
