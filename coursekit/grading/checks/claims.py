"""Instructor tools layer (the grader, Labs 1-9).

Check types whose numbers must agree with other files: recomputed metrics, counts, reports, logs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from coursekit.errors import brief
from coursekit.grading.checks.files import FileProblem, rows_text
from coursekit.grading.checks.registry import Context, Outcome, check, per_claim, verdict
from coursekit.grading.checks.rules import json_lookup, json_object, parse_number
from coursekit.metrics import classification_metrics


@check(
    "metric_consistency",
    required=("claims_file", "predictions_file", "claims"),
    files=("claims_file", "predictions_file"),
    claims=True,
    fields=(
        "`claims_file` (JSON), `predictions_file` (CSV), `true_column`, `pred_column`, `labels`, `tolerance`, "
        "`claims` (key → `{metric, points, tolerance}`; metric `row_count` compares with the number of rows)"
    ),
    summary=(
        "each claimed number equals the recomputed one; points per claim (this check's points are the sum of its "
        "claims)"
    ),
)
def check_metric_consistency(check: dict, ctx: Context) -> Outcome:
    """Each claimed number equals the one recomputed from the predictions file; points per claim."""
    claims_file, table_file = check["claims_file"], check["predictions_file"]
    claims = ctx.files.json(claims_file)
    if not isinstance(claims, dict):
        return Outcome(0, f"{claims_file}: must be a JSON object to check its claims.")
    frame = ctx.files.table(table_file)
    true_col, pred_col = check.get("true_column", "true_label"), check.get("pred_column", "predicted_label")
    labels = check.get("labels") or ctx.spec["answers"]["labels"]
    tolerance = check.get("tolerance", 0.01)
    recomputed: dict[str, float] = {"row_count": len(frame)}
    problem = None
    if all(c in frame.columns for c in (true_col, pred_col)):
        index = {label: i for i, label in enumerate(labels)}
        pairs = list(zip(frame[true_col].astype(str).str.strip(), frame[pred_col].astype(str).str.strip()))
        bad = [i for i, (t, p) in enumerate(pairs) if t not in index or p not in index]
        if bad:
            problem = f"{table_file} has labels other than {'/'.join(labels)} at {rows_text(table_file, bad)}"
        else:
            recomputed.update(
                classification_metrics([index[t] for t, _ in pairs], [index[p] for _, p in pairs], labels)
            )
    else:
        problem = f"{table_file} lacks column(s) {true_col}/{pred_col}"
    points, good, bad_lines = 0.0, [], []
    for key, claim in check["claims"].items():
        metric = claim.get("metric", key)
        found, value = json_lookup(claims, key)
        number = parse_number(value) if found else None
        if not found or number is None:
            bad_lines.append(
                f"{claims_file}: {brief(key)} is {'missing' if not found else brief(value)}; it must be a number."
            )
        elif metric not in recomputed:
            bad_lines.append(f"{claims_file}: cannot check {brief(key)}: {problem}.")
        elif metric == "row_count":
            if number == recomputed[metric]:
                points += claim["points"]
                good.append(f"{key} = {int(number)}")
            else:
                bad_lines.append(
                    f"{claims_file}: {key} is {brief(value)} but {table_file} has {recomputed[metric]} rows; "
                    f"report the size of the test split you predicted."
                )
        elif abs(number - recomputed[metric]) <= claim.get("tolerance", tolerance):
            points += claim["points"]
            good.append(f"{key} {number:.3f}")
        else:
            bad_lines.append(
                f"{claims_file}: {key} is {number:.4f} but {table_file} gives {recomputed[metric]:.4f} "
                f"(tolerance {claim.get('tolerance', tolerance):g}); compute it from the same predictions "
                "you saved."
            )
    return per_claim(points, bad_lines, f"{claims_file} matches {table_file}: {', '.join(good)}.")


@check(
    "best_model_claim",
    required=("claims_file", "table_file"),
    files=("claims_file", "table_file"),
    fields="`claims_file`, `claim_key`, `table_file`, `name_column`, `score_column`",
    summary="the claimed name is the row with the highest score",
)
def check_best_model_claim(check: dict, ctx: Context) -> Outcome:
    """The claimed best model is the table row with the highest score (ties: any of them)."""
    claims_file, table_file = check["claims_file"], check["table_file"]
    key, name_col, score_col = (
        check.get("claim_key", "best_model"),
        check.get("name_column", "model"),
        check.get("score_column", "f1_macro"),
    )
    claims = ctx.files.json(claims_file)
    found, claimed = json_lookup(claims, key) if isinstance(claims, dict) else (False, None)
    if not found or not isinstance(claimed, str):
        return Outcome(0, f"{claims_file}: {brief(key)} must be the name of a model in {table_file}.")
    frame = ctx.files.table(table_file)
    if name_col not in frame.columns or score_col not in frame.columns:
        return Outcome(0, f"{table_file}: needs columns {name_col} and {score_col} to check the {key} claim.")
    scores = [parse_number(v) for v in frame[score_col]]
    valid = [(s, str(n).strip()) for s, n in zip(scores, frame[name_col]) if s is not None]
    if not valid:
        return Outcome(0, f"{table_file}: no numeric {score_col} values; cannot find the best model.")
    best = max(s for s, _ in valid)
    winners = [n for s, n in valid if s == best]
    if claimed.strip() in winners:
        return Outcome(
            check["points"], f"{key} {brief(claimed)} has the highest {score_col} ({best:.3f}) in {table_file}."
        )
    return Outcome(
        0,
        f"{claims_file}: {key} is {brief(claimed)} but the highest {score_col} in {table_file} is {best:.3f} "
        f"({', '.join(brief(w) for w in winners)}); name the model your own table ranks first.",
    )


@check(
    "count_consistency",
    required=("claims_file", "claims"),
    files=("claims_file", "claims.*.files"),
    claims=True,
    fields="`claims_file`, `claims` (key → `{files: [...], where: {column: value}, points}`)",
    summary="each claimed count equals the number of rows of the files (matching `where`); points per claim",
)
def check_count_consistency(check: dict, ctx: Context) -> Outcome:
    """Counts claimed in a JSON file equal the rows of the named files (optionally only rows matching ``where``)."""
    claims_file = check["claims_file"]
    claims = ctx.files.json(claims_file)
    if not isinstance(claims, dict):
        return Outcome(0, f"{claims_file}: must be a JSON object to check its counts.")
    points, bad_lines = 0.0, []
    for key, claim in check["claims"].items():
        where = claim.get("where") or {}
        actual = 0
        try:
            for name in claim["files"]:
                frame = ctx.files.table(name)
                rows = pd.Series(True, index=frame.index)
                for column, value in where.items():
                    rows &= frame[column].astype(str).str.strip() == str(value) if column in frame.columns else False
                actual += int(rows.sum())
        except FileProblem as exc:
            bad_lines.append(f"{claims_file}: cannot check {brief(key)}: {exc}")
            continue
        found, value = json_lookup(claims, key)
        counted = " + ".join(claim["files"]) + "".join(f" where {c} = {v}" for c, v in where.items())
        if found and parse_number(value) == actual and not isinstance(value, str):
            points += claim["points"]
        else:
            shown = brief(value) if found else "missing"
            bad_lines.append(f"{claims_file}: {key} is {shown} but {counted} has {actual} rows.")
    return per_claim(points, bad_lines, f"{claims_file}: all {len(check['claims'])} counts match the files.")


def report_matrix(data: dict, name: str, labels: list) -> list[list[float]]:
    """The square ``confusion_matrix`` of a report as numbers, or FileProblem saying what is wrong with it."""
    matrix = data.get("confusion_matrix")
    if (
        not isinstance(matrix, list)
        or len(matrix) != len(labels)
        or not all(isinstance(row, list) and len(row) == len(labels) for row in matrix)
    ):
        raise FileProblem(
            f"{name}: 'confusion_matrix' must be a {len(labels)}×{len(labels)} list of lists "
            "(rows = true labels, columns = predicted, in the order of 'labels')."
        )
    numbers = [[parse_number(cell) if not isinstance(cell, str) else None for cell in row] for row in matrix]
    whole = [[cell for cell in row if cell is not None and cell >= 0 and cell == int(cell)] for row in numbers]
    if any(len(row) != len(labels) for row in whole):
        raise FileProblem(f"{name}: 'confusion_matrix' must hold whole counts ≥ 0.")
    return whole


@check(
    "classification_report_consistency",
    required=("file", "claims"),
    files=("file",),
    claims=True,
    fields="`file`, `tolerance`, `claims` (`accuracy`, `support`, `f1_macro`, `per_class`, each `{points}`)",
    summary=(
        "a report in the `evaluate_model.py` schema agrees with its own `confusion_matrix`: accuracy = trace / sum; "
        "row sums = per-class support and their sum = `n`; `f1_macro` = mean of the per-class f1; precision / "
        "recall = diagonal / column or row sum; points per claim"
    ),
)
def check_classification_report_consistency(check: dict, ctx: Context) -> Outcome:
    """A classification report agrees with its own confusion matrix; points per claim.

    Claims: ``accuracy`` (= trace / sum), ``support`` (each row sum = the class's support, the supports add up
    to ``n``), ``f1_macro`` (= mean of the per-class F1), ``per_class`` (precision and recall of every class
    = diagonal / column sum and diagonal / row sum).
    """
    name, tolerance = check["file"], check.get("tolerance", 0.01)
    data = json_object(ctx, name)
    labels, per_class = data.get("labels"), data.get("per_class")
    if (
        not isinstance(labels, list)
        or not labels
        or not isinstance(per_class, dict)
        or set(per_class) != set(map(str, labels))
    ):
        return Outcome(0, f"{name}: 'labels' must list the label names and 'per_class' hold one object per label.")
    matrix = report_matrix(data, name, labels)
    total = sum(map(sum, matrix))
    rows = [sum(row) for row in matrix]
    columns = [sum(row[j] for row in matrix) for j in range(len(labels))]
    diagonal = [matrix[i][i] for i in range(len(labels))]

    def number(value: Any) -> float | None:
        return parse_number(value) if not isinstance(value, str) else None

    def stat(label: str, key: str) -> float | None:
        entry = per_class[str(label)]
        return number(entry.get(key)) if isinstance(entry, dict) else None

    results: dict[str, str | None] = {}
    accuracy = number(data.get("accuracy"))
    expected = sum(diagonal) / total if total else 0.0
    results["accuracy"] = (
        None
        if accuracy is not None and abs(accuracy - expected) <= tolerance
        else f"accuracy is {brief(data.get('accuracy'))} but the matrix gives trace/sum = {expected:.4f}"
    )
    supports = [stat(label, "support") for label in labels]
    wrong = [f"{label} {brief(s)} vs row sum {r:g}" for label, s, r in zip(labels, supports, rows) if s != r]
    n = number(data.get("n"))
    results["support"] = (
        f"per-class support does not match the matrix rows ({'; '.join(wrong[:3])})"
        if wrong
        else None
        if n == total
        else f"n is {brief(data.get('n'))} but the matrix counts {total:g} texts"
    )
    f1s = [stat(label, "f1") for label in labels]
    macro = number(data.get("f1_macro"))
    known_f1s = [f1 for f1 in f1s if f1 is not None]
    if len(known_f1s) != len(f1s) or macro is None:
        results["f1_macro"] = "f1_macro and every per_class f1 must be numbers"
    else:
        mean = sum(known_f1s) / len(known_f1s)
        results["f1_macro"] = (
            None
            if abs(macro - mean) <= tolerance
            else f"f1_macro is {macro:.4f} but the mean of the per-class f1 is {mean:.4f}"
        )
    rate_problems = []
    for index, label in enumerate(labels):
        for key, denominator in (("precision", columns[index]), ("recall", rows[index])):
            value, implied = stat(label, key), diagonal[index] / denominator if denominator else 0.0
            if value is None or abs(value - implied) > tolerance:
                rate_problems.append(f"{label} {key} {brief(value)} vs {implied:.4f} from the matrix")
    results["per_class"] = (
        f"per-class rates disagree with the matrix ({'; '.join(rate_problems[:3])})" if rate_problems else None
    )
    points, problems = 0.0, []
    for key, claim in check["claims"].items():
        if results.get(key) is None:
            points += claim["points"]
        else:
            problems.append(f"{name}: {results[key]}.")
    return per_claim(
        points, problems, f"{name}: accuracy, supports, macro F1 and per-class rates agree with the confusion matrix."
    )


@check(
    "table_row_matches_json",
    required=("table_file", "json_file", "row", "columns"),
    files=("table_file", "json_file"),
    fields=(
        "`table_file`, `json_file`, `row`, `name_column`, `columns` (column → dotted key of the JSON file, or a "
        "fixed number), `tolerance`"
    ),
    summary=(
        "the one row whose `name_column` is `row` holds those numbers (e.g. the fine-tuned row of `baselines.csv` "
        "repeats `report.json`; the majority row holds the fixed baseline)"
    ),
)
def check_table_row_matches_json(check: dict, ctx: Context) -> Outcome:
    """The row of ``table_file`` whose ``name_column`` is ``row`` holds the expected numbers.

    ``columns`` maps a column to a dotted key of ``json_file`` (the row must repeat that number) or to a
    number (a fixed value, e.g. a baseline everyone gets on the same split).
    """
    table_file, json_file, row_name = check["table_file"], check["json_file"], check["row"]
    name_col, tolerance = check.get("name_column", "model"), check.get("tolerance", 0.001)
    frame, data = ctx.files.table(table_file), json_object(ctx, json_file)
    if name_col not in frame.columns:
        return Outcome(0, f"{table_file}: no column {brief(name_col)}.")
    matches = frame[frame[name_col].astype(str).str.strip() == row_name]
    if len(matches) != 1:
        return Outcome(
            0, f"{table_file}: needs exactly one row with {name_col} {brief(row_name)}, found {len(matches)}."
        )
    problems = []
    for column, key in check["columns"].items():
        cell = matches.iloc[0].get(column)
        found, value = (True, key) if not isinstance(key, str) else json_lookup(data, key)
        left = parse_number(cell)
        right = parse_number(value) if found and not isinstance(value, str) else None
        if left is None or right is None or abs(left - right) > tolerance:
            source = f"{json_file} {key} is {brief(value)}" if isinstance(key, str) else f"it must be {key:g}"
            problems.append(
                f"{table_file}: {row_name} {column} is {brief(cell)} but {source} (tolerance {tolerance:g})."
            )
    return verdict(
        check, problems, f"{table_file}: the {brief(row_name)} row holds the expected {', '.join(check['columns'])}."
    )


@check(
    "training_log_best",
    required=("log_file", "claims_file", "metric", "claims"),
    files=("log_file", "claims_file"),
    claims=True,
    fields=(
        "`log_file` (JSON Lines), `claims_file` (JSON), `metric` (e.g. `eval_f1_macro`), `greater_is_better` "
        "(default true), `tolerance` (for `best_value`, default 0.0005), `claims` (`best_value`, `best_step`, "
        "`best_epoch`, `stopped_step`, `early_stopped` → `{points}`)"
    ),
    summary=(
        'the claims describe the log\'s best `kind: "eval"` line (ties: earliest step) and its last step; '
        "`early_stopped` is `true` exactly when the log's last epoch is below the claims file's `max_epochs`; "
        "points per claim"
    ),
)
def check_training_log_best(check: dict, ctx: Context) -> Outcome:
    """A best-checkpoint claim agrees with a JSON Lines training log; points per claim.

    The log's evaluation lines (``kind`` "eval") are ranked by ``metric`` (highest first unless
    ``greater_is_better: false``; ties: the earliest step, as the Trainer keeps the first best).
    Claims: ``best_value`` (the best value), ``best_step`` / ``best_epoch`` (that line's step and epoch),
    ``stopped_step`` (the last step in the log), ``early_stopped`` (true exactly when the last step is
    below ``max_epochs`` × steps per epoch, i.e. the stopped epoch is below ``max_epochs``).
    """
    log_file, claims_file, metric = check["log_file"], check["claims_file"], check["metric"]
    tolerance = check.get("tolerance", 0.0005)
    claims = json_object(ctx, claims_file)
    frame = ctx.files.table(log_file)
    if "kind" not in frame.columns or metric not in frame.columns or "step" not in frame.columns:
        return Outcome(
            0, f"{log_file}: needs the keys step, epoch, kind and {metric} (write it with JsonlLoggerCallback)."
        )
    evals = frame[frame["kind"] == "eval"]
    parsed = [
        (parse_number(v), parse_number(s), parse_number(e))
        for v, s, e in zip(evals[metric], evals["step"], evals.get("epoch", evals["step"]))
    ]
    scored = [(v, s, e) for v, s, e in parsed if v is not None and s is not None and e is not None]
    if not scored:
        return Outcome(0, f"{log_file}: no evaluation line with a numeric {metric}.")
    sign = 1 if check.get("greater_is_better", True) else -1
    best = max(scored, key=lambda row: (sign * row[0], -row[1]))
    steps = [parse_number(s) for s in frame["step"]]
    last_epoch = max(parse_number(e) or 0 for e in frame.get("epoch", frame["step"]))
    max_epochs = parse_number(claims.get("max_epochs"))
    expected: dict[str, Any] = {
        "best_value": best[0],
        "best_step": best[1],
        "best_epoch": best[2],
        "stopped_step": max(s for s in steps if s is not None),
        "early_stopped": None if max_epochs is None else last_epoch < max_epochs - 1e-6,
    }
    points, good, problems = 0.0, [], []
    for key, claim in check["claims"].items():
        value = claims.get(key)
        if key == "early_stopped":
            ok = isinstance(value, bool) and value == expected[key]
            shown = f"the log ends at epoch {last_epoch:g} of max_epochs {brief(claims.get('max_epochs'))}"
        else:
            number = None if isinstance(value, (bool, str)) else parse_number(value)
            ok = number is not None and abs(number - expected[key]) <= (tolerance if key == "best_value" else 1e-3)
            shown = f"the log gives {expected[key]:g}"
        if ok:
            points += claim["points"]
            good.append(key)
        else:
            problems.append(
                f"{claims_file}: {key} is {brief(value)} but {shown} (best {metric} {best[0]:g} at step {best[1]:g})."
            )
    return per_claim(points, problems, f"{claims_file} agrees with {log_file}: {', '.join(good)}.")
