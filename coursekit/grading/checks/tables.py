"""Instructor tools layer (the grader, Labs 1-9).

Check types on tables (CSV / JSON Lines), images, text and predictions against hidden answers.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from coursekit.errors import brief
from coursekit.grading.checks.files import ROW_LIST_LIMIT, FileProblem, rows_text
from coursekit.grading.checks.registry import Answers, Context, Outcome, check, verdict
from coursekit.grading.checks.rules import column_problems, linear_points
from coursekit.metrics import classification_metrics

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"

WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@check(
    "csv_file",
    required=("file",),
    files=("file",),
    fields=(
        "`file` (CSV or `.jsonl`), `header` (required columns, in the order shown in messages), `exact_columns` (no "
        "others), `columns` (per-column rules), `min_rows`, `max_rows`, `ids_from_answers` (a column that must hold "
        "every answer id once)"
    ),
    summary="the columns exist, every cell obeys its rule (all failing rows named), row counts",
)
def check_csv_file(check: dict, ctx: Context) -> Outcome:
    """Columns present, every column rule, row count bounds, answer ids each exactly once."""
    name = check["file"]
    frame = ctx.files.table(name)
    columns = check.get("columns", {})
    missing = [c for c in check.get("header", []) + list(columns) if c not in frame.columns]
    missing = list(dict.fromkeys(missing))
    if missing:
        return Outcome(
            0,
            f"{name}: missing column(s) {', '.join(missing)}; it has {', '.join(frame.columns) or 'none'}. "
            f"The header must be exactly {','.join(check.get('header', columns))}.",
        )
    problems = []
    extra = [c for c in frame.columns if c not in check.get("header", []) + list(columns)]
    if check.get("exact_columns") and extra:
        problems.append(
            f"{name}: unexpected column(s) {', '.join(extra)}; keep only {', '.join(check.get('header', columns))}."
        )
    if "min_rows" in check and len(frame) < check["min_rows"]:
        problems.append(f"{name}: {len(frame)} rows, need at least {check['min_rows']}.")
    if "max_rows" in check and len(frame) > check["max_rows"]:
        problems.append(f"{name}: {len(frame)} rows, at most {check['max_rows']} allowed.")
    for column, rule in columns.items():
        problems += column_problems(frame, name, column, rule or {})
    if check.get("ids_from_answers"):
        problems += id_problems(frame, name, check["ids_from_answers"], ctx.answers)
    return verdict(check, problems, f"{name}: {len(frame)} rows, columns and values as required.")


def id_problems(frame: pd.DataFrame, name: str, column: str, answers: Answers | None) -> list[str]:
    """Every id of the challenge inputs exactly once, and nothing else."""
    if answers is None:
        return []
    ids = frame[column].astype(str).str.strip().tolist()
    expected = answers.labels
    problems = []
    unknown = [i for i, v in enumerate(ids) if v not in expected]
    if unknown:
        problems.append(
            f"{name}: ids not in posts.csv at {rows_text(name, unknown)} (e.g. {brief(ids[unknown[0]])}); "
            "predict exactly the ids of the challenge posts.csv."
        )
    duplicated = [i for i, dup in enumerate(pd.Series(ids).duplicated()) if dup]
    if duplicated:
        problems.append(f"{name}: repeated ids at {rows_text(name, duplicated)}; one row per id.")
    present = set(ids)  # once: a per-id set(ids) made this quadratic (30 s for a 20 MB file)
    absent = [v for v in expected if v not in present]
    if absent:
        shown = ", ".join(absent[:ROW_LIST_LIMIT]) + (
            f" (+{len(absent) - ROW_LIST_LIMIT} more)" if len(absent) > ROW_LIST_LIMIT else ""
        )
        problems.append(f"{name}: {len(absent)} id(s) of posts.csv have no prediction: {shown}.")
    return problems


@check(
    "png_file",
    required=("file",),
    files=("file",),
    fields="`file`, `min_width`, `min_height`, `min_bytes`, `max_mb`",
    summary="PNG signature, IHDR size, IEND present, file size",
)
def check_png_file(check: dict, ctx: Context) -> Outcome:
    """A real PNG: signature, IHDR first, width/height minimums, IEND at the end, plausible size."""
    name = check["file"]
    path = ctx.files.path(name)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(24)
        handle.seek(max(0, size - len(PNG_IEND)))
        tail = handle.read()
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return Outcome(
            0,
            f"{name}: not a PNG image (wrong file signature); save the figure with "
            f"plt.savefig({brief(name)}) instead of renaming another file.",
        )
    if size > check.get("max_mb", 5) * 2**20:
        return Outcome(
            0, f"{name}: {size / 2**20:.1f} MB, over the {check.get('max_mb', 5)} MB limit; save with a lower dpi."
        )
    if size < check.get("min_bytes", 100):
        return Outcome(
            0, f"{name}: only {size} bytes, too small to be a chart; save the figure with plt.savefig(...)."
        )
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if tail != PNG_IEND:
        return Outcome(0, f"{name}: the PNG is truncated (no IEND chunk at the end); save the figure again.")
    min_w, min_h = check.get("min_width", 1), check.get("min_height", 1)
    if width < min_w or height < min_h:
        return Outcome(0, f"{name}: {width}x{height} px, need at least {min_w}x{min_h}; use a larger figsize or dpi.")
    return Outcome(check["points"], f"{name}: PNG {width}x{height} px, {size / 1024:.0f} KB.")


@check(
    "markdown_words",
    required=("file",),
    files=("file",),
    fields="`file`, `min_words`, `max_words`",
    summary="word count",
)
def check_markdown_words(check: dict, ctx: Context) -> Outcome:
    """Word count within [min_words, max_words]."""
    name = check["file"]
    words = len(WORD.findall(ctx.files.text(name)))
    low, high = check.get("min_words", 1), check.get("max_words", 10**9)
    if words < low:
        return Outcome(0, f"{name}: {words} words, need at least {low}.")
    if words > high:
        return Outcome(0, f"{name}: {words} words, at most {high}; keep it short.")
    return Outcome(check["points"], f"{name}: {words} words.")


@check(
    "disjoint_files",
    required=("files", "columns"),
    files=("files",),
    fields="`files`, `columns`",
    summary="no value of those columns appears in two of the files (no leak between splits)",
)
def check_disjoint_files(check: dict, ctx: Context) -> Outcome:
    """No value of the given columns appears in two of the files (no leak between splits)."""
    names, problems = check["files"], []
    frames = {name: ctx.files.table(name) for name in names}
    for column in check["columns"]:
        absent = [name for name, frame in frames.items() if column not in frame.columns]
        if absent:
            problems.append(f"{', '.join(absent)}: no column {brief(column)} to compare.")
            continue
        for i, first in enumerate(names):
            seen = set(frames[first][column].astype(str).str.strip())
            for second in names[i + 1 :]:
                values = frames[second][column].astype(str).str.strip().tolist()
                shared = [n for n, v in enumerate(values) if v in seen]
                if shared:
                    problems.append(
                        f"{second}: {len(shared)} {column} value(s) also in {first} at "
                        f"{rows_text(second, shared)}; a row must be in one split only."
                    )
    return verdict(check, problems, f"{' and '.join(names)} share no {'/'.join(check['columns'])}.")


@check(
    "stratified_split",
    required=("train_file", "test_file", "test_share"),
    files=("train_file", "test_file"),
    fields="`train_file`, `test_file`, `label_column`, `test_share`, `tolerance_rows`",
    summary="the test file holds `ceil(test_share × total)` rows and each label's share, within `tolerance_rows`",
)
def check_stratified_split(check: dict, ctx: Context) -> Outcome:
    """The test file holds ``test_share`` of all rows and of each label's rows, within ``tolerance_rows``."""
    train_name, test_name = check["train_file"], check["test_file"]
    column, share, slack = check.get("label_column", "label"), check["test_share"], check.get("tolerance_rows", 1)
    train, test = ctx.files.table(train_name), ctx.files.table(test_name)
    if column not in train.columns or column not in test.columns:
        return Outcome(0, f"{train_name}/{test_name}: no column {brief(column)}; cannot check the split.")
    total = len(train) + len(test)
    expected = math.ceil(share * total)
    problems = []
    if abs(len(test) - expected) > slack:
        problems.append(f"{test_name}: {len(test)} rows, expected {expected} (ceil({share:g} × {total})) ± {slack}.")
    train_counts = train[column].astype(str).str.strip().value_counts()
    test_counts = test[column].astype(str).str.strip().value_counts()
    for label in sorted(set(train_counts.index) | set(test_counts.index)):
        n_test, n_all = int(test_counts.get(label, 0)), int(test_counts.get(label, 0) + train_counts.get(label, 0))
        if abs(n_test - share * n_all) > slack:
            problems.append(
                f"{test_name}: {n_test} of the {n_all} {brief(label)} rows, expected {share * n_all:.1f} ± {slack}; "
                "split with stratify=the label column."
            )
    return verdict(
        check, problems, f"{test_name} holds {len(test)} of {total} rows, every label close to {share:.0%}."
    )


def score_predictions(frame: pd.DataFrame, id_col: str, label_col: str, answers: Answers) -> tuple[dict, int]:
    """All metrics of the predictions on the answers (first row per id) and how many ids had no valid label."""
    index = {label: i for i, label in enumerate(answers.label_names)}
    predicted: dict[str, str] = {}
    for id_value, label in zip(frame[id_col].astype(str).str.strip(), frame[label_col].astype(str).str.strip()):
        predicted.setdefault(id_value, label)
    y_true = [index[label] for label in answers.labels.values()]
    y_pred = [index.get(predicted.get(i, ""), -1) for i in answers.labels]  # -1: no valid prediction, counts as wrong
    return classification_metrics(y_true, y_pred, answers.label_names), sum(p == -1 for p in y_pred)


@check(
    "predictions_vs_answers",
    required=("file", "metric", "full_at", "zero_at"),
    files=("file",),
    fields=(
        "`file`, `id_column`, `label_column`, `metric` (`accuracy`, `f1_macro`, `f1_weighted`, `recall_<label>`, "
        "…), `full_at`, `zero_at`"
    ),
    summary=(
        "the metric on the hidden answers; points linear between `zero_at` and `full_at`; per-class recall reported"
    ),
)
def check_predictions_vs_answers(check: dict, ctx: Context) -> Outcome:
    """Score one metric of the predictions on the hidden answers; missing/invalid rows count as wrong."""
    answers = ctx.answers
    if answers is None:
        raise FileProblem("no answers file was given to the grader (--answers); ask your instructor.")
    name, id_col, label_col = check["file"], check.get("id_column", "id"), check.get("label_column", "label")
    frame = ctx.files.table(name)
    missing = [c for c in (id_col, label_col) if c not in frame.columns]
    if missing:
        return Outcome(0, f"{name}: cannot score, missing column(s) {', '.join(missing)}.")
    names, ids = answers.label_names, list(answers.labels)
    scores, unusable = ctx.files.memo(
        ("scores", name, id_col, label_col), lambda: score_predictions(frame, id_col, label_col, answers)
    )
    metric = check["metric"]
    value = scores[metric]
    points = linear_points(value, check["zero_at"], check["full_at"], check["points"])
    recall = ", ".join(f"{label} {scores[f'recall_{label}']:.2f}" for label in names)
    message = (
        f"{metric} {value:.3f} on {len(ids)} hidden labels (full points at ≥ {check['full_at']:g}, "
        f"none at ≤ {check['zero_at']:g}); recall per class: {recall}."
    )
    if unusable:
        message += f" {unusable} id(s) had no valid {'/'.join(names)} prediction and count as wrong."
    return Outcome(points, message)


@check(
    "selective_accuracy",
    required=("file", "abstain_label", "full_at", "zero_at", "min_coverage"),
    files=("file",),
    fields="`file`, `id_column`, `label_column`, `abstain_label`, `min_coverage`, `full_at`, `zero_at`",
    summary=(
        "accuracy on the hidden answers of the ids with a decided label (not `abstain_label`); points linear "
        "between `zero_at` and `full_at`; none when the decided share of answer ids is below `min_coverage`"
    ),
)
def check_selective_accuracy(check: dict, ctx: Context) -> Outcome:
    """Accuracy on the hidden answers of the predictions that were not handed to a person (``abstain_label``).

    Points are linear between ``zero_at`` and ``full_at``; below ``min_coverage`` (the share of answer ids with
    a decided prediction) the check gives none, so abstaining on everything hard cannot buy accuracy.
    """
    if ctx.answers is None:
        raise FileProblem("no answers file was given to the grader (--answers); ask your instructor.")
    name, id_col, label_col = check["file"], check.get("id_column", "id"), check.get("label_column", "label")
    abstain = check["abstain_label"]
    frame = ctx.files.table(name)
    missing = [c for c in (id_col, label_col) if c not in frame.columns]
    if missing:
        return Outcome(0, f"{name}: cannot score, missing column(s) {', '.join(missing)}.")
    predicted: dict[str, str] = {}
    for id_value, label in zip(frame[id_col].astype(str).str.strip(), frame[label_col].astype(str).str.strip()):
        predicted.setdefault(id_value, label)
    decided = {i: predicted[i] for i in ctx.answers.labels if predicted.get(i, abstain) != abstain}
    coverage = len(decided) / len(ctx.answers.labels)
    if coverage < check["min_coverage"]:
        return Outcome(
            0,
            f"{name}: only {len(decided)} of {len(ctx.answers.labels)} posts ({coverage:.0%}) have a decided label; "
            f"at least {check['min_coverage']:.0%} are needed (lower the threshold).",
        )
    correct = sum(label == ctx.answers.labels[i] for i, label in decided.items())
    accuracy = correct / len(decided)
    points = linear_points(accuracy, check["zero_at"], check["full_at"], check["points"])
    return Outcome(
        points,
        f"accuracy {accuracy:.3f} on the {len(decided)} decided posts (coverage {coverage:.0%}; "
        f"{len(ctx.answers.labels) - len(decided)} {brief(abstain)}); full points at ≥ {check['full_at']:g}, "
        f"none at ≤ {check['zero_at']:g}.",
    )
