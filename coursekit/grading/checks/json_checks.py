"""Instructor tools layer (the grader, Labs 1-9).

Check types on one JSON file: keys, lists, arithmetic, rankings, rates and relations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coursekit.errors import brief
from coursekit.grading.checks.registry import Context, Outcome, check, verdict
from coursekit.grading.checks.rules import (
    expectation,
    json_items,
    json_lookup,
    json_object,
    json_value_problem,
    key_set_problem,
    parse_number,
)


@check(
    "json_file",
    required=("file",),
    files=("file",),
    fields="`file`, `keys` (dotted path → rule)",
    summary="the file is a JSON object, every key exists and obeys its rule",
)
def check_json_file(check: dict, ctx: Context) -> Outcome:
    """Required keys (dotted paths) with their rules."""
    name = check["file"]
    data = ctx.files.json(name)
    if not isinstance(data, dict):
        return Outcome(0, f"{name}: must be a JSON object {{...}}, found {type(data).__name__}.")
    problems = []
    for key, rule in check.get("keys", {}).items():
        found, value = json_lookup(data, key)
        rule = rule or {}
        if not found:
            problems.append(f"{name}: key {brief(key)} is missing; expected {expectation(rule)}.")
            continue
        problem = json_value_problem(value, rule)
        if problem:
            problems.append(f"{name}: key {brief(key)} is {brief(value)} ({problem}); expected {expectation(rule)}.")
    return verdict(check, problems, f"{name}: all {len(check.get('keys', {}))} keys present with valid values.")


def json_number_sum(data: Any, key: str) -> float | None:
    """The number at ``key``, or the sum of the numbers in the object at ``key``; None if not numeric."""
    found, value = json_lookup(data, key)
    if not found:
        return None
    values = list(value.values()) if isinstance(value, dict) else [value]
    numbers = [parse_number(v) if not isinstance(v, str) else None for v in values]
    return None if None in numbers else float(sum(n for n in numbers if n is not None))


@check(
    "json_arithmetic",
    required=("file", "total"),
    files=("file",),
    fields="`file`, `total`, `plus`, `minus`, `tolerance`",
    summary="`total = sum(plus) − sum(minus)`; a key holding an object counts as the sum of its values",
)
def check_json_arithmetic(check: dict, ctx: Context) -> Outcome:
    """``total`` equals the sum of ``plus`` minus the sum of ``minus`` (objects count as the sum of their values)."""
    name = check["file"]
    data = ctx.files.json(name)
    parts = {
        key: json_number_sum(data, key) if isinstance(data, dict) else None
        for key in [check["total"], *check.get("plus", []), *check.get("minus", [])]
    }
    missing = [key for key, value in parts.items() if value is None]
    if missing:
        return Outcome(0, f"{name}: {', '.join(missing)} missing or not numeric; cannot check {check['total']}.")
    numbers: dict[str, float] = {key: value for key, value in parts.items() if value is not None}
    expected = sum(numbers[k] for k in check.get("plus", [])) - sum(numbers[k] for k in check.get("minus", []))
    formula = " + ".join(check.get("plus", [])) + "".join(f" - {k}" for k in check.get("minus", []))
    if abs(numbers[check["total"]] - expected) > check.get("tolerance", 0):
        return Outcome(0, f"{name}: {check['total']} is {numbers[check['total']]:g} but {formula} = {expected:g}.")
    return Outcome(check["points"], f"{name}: {check['total']} = {formula} = {expected:g}.")


@check(
    "json_exact_keys",
    required=("file", "keys"),
    files=("file",),
    fields="`file`, `keys`, `ordered` (also the key order), `nested` (dotted path → its exact keys, any order)",
    summary="the JSON object has exactly these keys: missing and unexpected ones are named",
)
def check_json_exact_keys(check: dict, ctx: Context) -> Outcome:
    """The object has exactly ``keys`` (in that order if ``ordered``); each ``nested`` object exactly its keys."""
    name = check["file"]
    data = json_object(ctx, name)
    problems = [key_set_problem(name, "the top-level object", list(data), check["keys"], check.get("ordered", False))]
    for key, expected in (check.get("nested") or {}).items():
        found, value = json_lookup(data, key)
        if found and isinstance(value, dict):
            problems.append(key_set_problem(name, brief(key), list(value), expected, False))
        elif found:
            problems.append(f"{name}: {brief(key)} must be an object with the keys {', '.join(expected)}.")
    return verdict(check, [p for p in problems if p], f"{name}: exactly the {len(check['keys'])} expected keys.")


@check(
    "json_list",
    required=("file", "key"),
    files=("file",),
    fields=(
        "`file`, `key` (dotted path to a list of objects), `min_items`, `max_items`, `exact_keys` (every object's "
        "keys, any order), `fields` (field → value rule, plus `unique: true`), `first` (field → value the first "
        "object must have)"
    ),
    summary="e.g. `runs[1].epochs is 0 (below 0.01)`, `runs[2].remedy 'none' repeats runs[0]`",
)
def check_json_list(check: dict, ctx: Context) -> Outcome:
    """A list of objects: item count, exact keys per item, field rules (incl. ``unique``), the first item's values."""
    name, key = check["file"], check["key"]
    items = json_items(json_object(ctx, name), name, key)
    problems = []
    low, high = check.get("min_items", 0), check.get("max_items", 10**9)
    if not low <= len(items) <= high:
        problems.append(f"{name}: {brief(key)} holds {len(items)} objects; expected {low} to {high}.")
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if check.get("exact_keys"):
            problem = key_set_problem(name, where, list(item), check["exact_keys"], False)
            problems += [problem] if problem else []
        for field_name, rule in (check.get("fields") or {}).items():
            rule = rule or {}
            if field_name not in item:
                if not check.get("exact_keys"):
                    problems.append(f"{name}: {where} has no {brief(field_name)}; expected {expectation(rule)}.")
                continue
            value = item[field_name]
            problem = json_value_problem(value, rule)
            if problem:
                problems.append(
                    f"{name}: {where}.{field_name} is {brief(value)} ({problem}); expected {expectation(rule)}."
                )
            elif rule.get("unique"):
                if (field_name, str(value)) in seen:
                    problems.append(
                        f"{name}: {where}.{field_name} {brief(value)} repeats {key}[{seen[field_name, str(value)]}]; "
                        "each value may appear once."
                    )
                seen.setdefault((field_name, str(value)), index)
    for field_name, wanted in (check.get("first") or {}).items():
        if items and items[0].get(field_name) != wanted:
            problems.append(
                f"{name}: {key}[0].{field_name} is {brief(items[0].get(field_name))}; the first object must have "
                f"{field_name} {brief(wanted)}."
            )
    return verdict(check, problems, f"{name}: {len(items)} objects in {brief(key)}, each as required.")


@check(
    "json_best_item",
    required=("file", "claim_key", "list_key", "name_field", "score_fields"),
    files=("file",),
    fields="`file`, `claim_key`, `list_key`, `name_field`, `score_fields`",
    summary=(
        "the claimed name is the `name_field` of the list item ranked first by the first score field, ties broken "
        "by the next fields, then by list order (earlier wins)"
    ),
)
def check_json_best_item(check: dict, ctx: Context) -> Outcome:
    """The claimed name is the item ranked first by ``score_fields`` (later fields break ties, then list order)."""
    name, key, claim_key = check["file"], check["list_key"], check["claim_key"]
    name_field, score_fields = check["name_field"], check["score_fields"]
    data = json_object(ctx, name)
    items = json_items(data, name, key)
    claimed = data.get(claim_key)
    if not isinstance(claimed, str) or not items:
        return Outcome(0, f"{name}: {brief(claim_key)} must be the {name_field} of one object in {brief(key)}.")
    ranked = []
    for index, item in enumerate(items):
        scores = [parse_number(item.get(f)) if not isinstance(item.get(f), str) else None for f in score_fields]
        if None in scores:
            bad = score_fields[scores.index(None)]
            return Outcome(0, f"{name}: cannot rank {brief(key)}: {key}[{index}].{bad} is not a number.")
        ranked.append((scores, -index, item))
    scores, best_index, best = max(ranked, key=lambda entry: (entry[0], entry[1]))
    winner = best.get(name_field)
    rule = ", then ".join(score_fields) + f", then position in {key}"
    shown = ", ".join(f"{f} {s:.4f}" for f, s in zip(score_fields, scores))
    if claimed == winner:
        return Outcome(check["points"], f"{claim_key} {brief(claimed)} ranks first by {rule} ({shown}).")
    return Outcome(
        0,
        f"{name}: {claim_key} is {brief(claimed)} but {key}[{-best_index}] ({brief(winner)}) ranks first by {rule} "
        f"({shown}); name the {name_field} your own numbers rank first.",
    )


@check(
    "whole_counts",
    required=("file", "rates"),
    files=("file",),
    fields=(
        "`file`, optional `list_key` (check every object of that list instead of the top level), `rates` (field → `"
        "{of, tolerance, what}`; `of` is a number or a dotted key)"
    ),
    summary='`rate × of` is a whole number within `tolerance`: a share or score that is "k of n"',
)
def check_whole_counts(check: dict, ctx: Context) -> Outcome:
    """Each rate × its count (a number or a key) is a whole number within ``tolerance`` (rates are k of n)."""
    name = check["file"]
    data = json_object(ctx, name)
    objects = (
        [(f"{check['list_key']}[{i}]", item) for i, item in enumerate(json_items(data, name, check["list_key"]))]
        if check.get("list_key")
        else [("", data)]
    )
    problems, checked = [], 0
    for field_name, rule in check["rates"].items():
        of = rule["of"]
        count = parse_number(json_lookup(data, of)[1]) if isinstance(of, str) else float(of)
        if count is None or count <= 0:
            problems.append(f"{name}: {brief(of)} must be a positive number to check {field_name}.")
            continue
        count_text = f"{of} ({count:g})" if isinstance(of, str) else f"{count:g}"
        for where, item in objects:
            label = f"{where}.{field_name}" if where else field_name
            value = item.get(field_name)
            rate = parse_number(value) if not isinstance(value, str) else None
            if rate is None:
                problems.append(
                    f"{name}: {label} is {brief(value)}; it must be a number to check it is k of {count_text}."
                )
                continue
            product, checked = rate * count, checked + 1
            if abs(product - round(product)) > rule.get("tolerance", 0.02):
                problems.append(
                    f"{name}: {label} {rate:g} × {count_text} = {product:.3f}, not a whole number of "
                    f"{rule.get('what', 'rows')} (tolerance ±{rule.get('tolerance', 0.02):g}); compute it over "
                    f"all the {rule.get('what', 'rows')} and round to 4 decimals only at the end."
                )
    return verdict(check, problems, f"{name}: all {checked} rates are whole counts.")


def macro_f1_from_rates(
    accuracy: float, recall: float, n_minority: int, n_majority: int
) -> tuple[int, int, float, float] | None:
    """(minority right, majority right, F1 minority, F1 majority) of a two-class confusion matrix, or None."""
    right_minority = round(recall * n_minority)
    right_majority = round(accuracy * (n_minority + n_majority)) - right_minority
    if not 0 <= right_majority <= n_majority or not 0 <= right_minority <= n_minority:
        return None
    missed_minority, missed_majority = n_minority - right_minority, n_majority - right_majority

    def f1(right: int, errors: int) -> float:
        return 2 * right / (2 * right + errors) if right else 0.0

    errors = (
        missed_minority + missed_majority
    )  # each error is a false negative of one class and a false positive of the other
    return right_minority, right_majority, f1(right_minority, errors), f1(right_majority, errors)


@check(
    "binary_f1_consistency",
    required=("file", "list_key", "class_counts", "minority"),
    files=("file",),
    fields=(
        "`file`, `list_key`, `class_counts` (`{label: n}`, two labels), `minority`, `tolerance`, optional "
        "`accuracy_field`/`recall_field`/`f1_field`"
    ),
    summary=(
        "accuracy and minority recall on known class counts fix the confusion matrix; the claimed macro F1 must "
        "equal the one it gives"
    ),
)
def check_binary_f1_consistency(check: dict, ctx: Context) -> Outcome:
    """Each item's macro F1 equals the one implied by its accuracy and minority recall on the known class counts."""
    name, key = check["file"], check["list_key"]
    counts, minority = check["class_counts"], check["minority"]
    fields = [
        check.get("accuracy_field", "accuracy"),
        check.get("recall_field", "minority_recall"),
        check.get("f1_field", "f1_macro"),
    ]
    n_minority = int(counts[minority])
    n_majority = int(sum(counts.values())) - n_minority
    majority = next(label for label in counts if label != minority)
    tolerance = check.get("tolerance", 0.001)
    items = json_items(json_object(ctx, name), name, key)
    problems = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        values = [parse_number(item.get(f)) if not isinstance(item.get(f), str) else None for f in fields]
        accuracy, recall, claimed = values
        if accuracy is None or recall is None or claimed is None:
            problems.append(f"{name}: {where}.{fields[values.index(None)]} is not a number; cannot check {fields[2]}.")
            continue
        implied = macro_f1_from_rates(accuracy, recall, n_minority, n_majority)
        if implied is None:
            problems.append(
                f"{name}: {where}: {fields[0]} {accuracy:g} and {fields[1]} {recall:g} cannot both hold on "
                f"{n_minority} {minority} / {n_majority} {majority} posts; take both from the same predictions."
            )
            continue
        right_min, right_maj, f1_min, f1_maj = implied
        macro = (f1_min + f1_maj) / 2
        if abs(claimed - macro) > tolerance:
            problems.append(
                f"{name}: {where}.{fields[2]} is {claimed:.4f} but {fields[0]} {accuracy:g} and {fields[1]} "
                f"{recall:g} on {n_minority} {minority} / {n_majority} {majority} posts mean {right_min} "
                f"{minority} and {right_maj} {majority} posts right, so macro F1 = ({f1_min:.4f} + "
                f"{f1_maj:.4f}) / 2 = {macro:.4f} (tolerance {tolerance:g}); report the unweighted mean of "
                "both classes' F1 (f1_score(..., average='macro'))."
            )
    return verdict(
        check,
        problems,
        f"{name}: {fields[2]} of all {len(items)} objects in {brief(key)} matches their {fields[0]} and {fields[1]}.",
    )


RELATIONS: dict[str, Callable[[float, float, float], bool]] = {  # (left, right, tolerance) -> holds
    "<=": lambda a, b, t: a <= b + t,
    "<": lambda a, b, t: a < b + t,
    ">=": lambda a, b, t: a >= b - t,
    ">": lambda a, b, t: a > b - t,
    "==": lambda a, b, t: abs(a - b) <= t,
}


def relation_operand(data: dict, operand: Any) -> tuple[str, float | None]:
    """An operand (a key of the JSON object or a number) as (text for messages, number or None)."""
    if isinstance(operand, str):
        value = json_lookup(data, operand)[1]
        number = parse_number(value) if not isinstance(value, str) else None
        return f"{operand} ({brief(value)})" if number is None else f"{operand} ({number:g})", number
    return f"{operand:g}", float(operand)


def relation_holds(data: dict, relation: dict) -> tuple[bool | None, str]:
    """Whether ``left op right`` (within ``tolerance``) holds; None when an operand is not a number."""
    (left_text, left), (right_text, right) = (relation_operand(data, relation[side]) for side in ("left", "right"))
    text = f"{left_text} {relation['op']} {right_text}"
    if left is None or right is None:
        return None, text
    return RELATIONS[relation["op"]](left, right, relation.get("tolerance", 0)), text


@check(
    "json_relations",
    required=("file", "relations"),
    files=("file",),
    fields=(
        "`file`, `relations` (list of `{left, op, right, why, tolerance, when}`; `left`/`right` a dotted key or a "
        "number, `op` one of `<=`, `<`, `>=`, `>`, `==`, `when` an optional relation of the same form)"
    ),
    summary=(
        "every relation holds (those whose `when` does not hold are skipped); the feedback quotes both values and "
        "`why`"
    ),
)
def check_json_relations(check: dict, ctx: Context) -> Outcome:
    """Each relation ``left op right`` between keys (or a key and a number) holds, if its optional ``when`` holds."""
    name = check["file"]
    data = json_object(ctx, name)
    problems = []
    for relation in check["relations"]:
        condition = ""
        if relation.get("when"):
            applies, condition = relation_holds(data, relation["when"])
            if not applies:
                continue
            condition = f" when {condition}"
        holds, text = relation_holds(data, relation)
        if holds is None:
            problems.append(f"{name}: cannot check {text}: a value is missing or not a number.")
        elif not holds:
            problems.append(f"{name}: expected {text}{condition}: {relation['why']}.")
    return verdict(check, problems, f"{name}: all {len(check['relations'])} relations between the numbers hold.")
