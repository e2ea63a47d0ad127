"""Instructor tools layer (the grader, Labs 1-9).

Value rules shared by CSV columns and JSON keys, and lookups into a hand-in's JSON.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from coursekit.errors import brief
from coursekit.grading.checks.files import FileProblem, rows_text
from coursekit.grading.checks.registry import Context

INTEGER_TEXT = re.compile(r"^[+-]?\d+(\.0*)?$")


def parse_number(value: Any) -> float | None:
    """A finite float from a CSV cell or JSON value, or None (NaN, inf, text, bool, empty)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def is_non_finite(value: Any) -> bool:
    """True for NaN and infinities written as numbers or text ('nan', 'inf')."""
    try:
        return not isinstance(value, bool) and not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def value_problem(value: Any, rule: dict) -> str | None:
    """What is wrong with one value under a rule (``type``, ``min``, ``max``, ``values``, ``equals``), or None."""
    kind = rule.get("type", "str")
    if kind == "label":
        text = str(value).strip()
        if text in rule["values"]:
            return None
        if INTEGER_TEXT.match(text) or isinstance(value, (int, float)) and not isinstance(value, bool):
            return "integer"
        if text.upper().startswith("LABEL_"):
            return "label_n"
        return "unknown"
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            return "empty"
    elif kind in {"int", "float"}:
        number = parse_number(value)
        if number is None:
            return "NaN or infinite" if is_non_finite(value) else "not a number"
        if kind == "int" and number != int(number):
            return "not a whole number"
        if "min" in rule and number < rule["min"]:
            return f"below {rule['min']}"
        if "max" in rule and number > rule["max"]:
            return f"above {rule['max']}"
    if "equals" in rule and value != rule["equals"]:
        return f"must be {brief(rule['equals'])}"
    if "values" in rule and value not in rule["values"]:
        return f"not one of {rule['values']}"
    return None


def expectation(rule: dict) -> str:
    """'a float in [0, 1]' for a rule, used in fix hints."""
    kind = rule.get("type", "str")
    if kind == "label":
        return "one of " + "/".join(rule["values"])
    if "equals" in rule:
        return f"exactly {brief(rule['equals'])}"
    words = {"str": "non-empty text", "int": "a whole number", "float": "a number"}[kind]
    if "min" in rule and "max" in rule:
        return f"{words} in [{rule['min']:g}, {rule['max']:g}]"
    if "min" in rule:
        return f"{words} ≥ {rule['min']:g}"
    if "max" in rule:
        return f"{words} ≤ {rule['max']:g}"
    return words


def column_problems(frame: pd.DataFrame, name: str, column: str, rule: dict) -> list[str]:
    """Every problem of one CSV column, each naming the rows."""
    by_problem: dict[str, list[int]] = {}
    for index, value in enumerate(frame[column].tolist()):
        problem = value_problem(value, rule)
        if problem:
            by_problem.setdefault(problem, []).append(index)
    lines = []
    for problem, rows in by_problem.items():
        where = rows_text(name, rows)
        if problem == "integer":
            lines.append(
                f"{name}: column {brief(column)} holds numbers at {where}; "
                f"{rule.get('integer_hint', 'labels must be names ' + '/'.join(rule['values']) + ', not 0/1')}."
            )
        elif problem == "label_n":
            lines.append(
                f"{name}: column {brief(column)} holds LABEL_0/LABEL_1 at {where}; the model config had no label "
                "names. Train with id2label/label2id or map with model.config.id2label."
            )
        elif problem == "unknown":
            bad = sorted({str(frame[column].iloc[i]) for i in rows})[:5]
            lines.append(
                f"{name}: column {brief(column)} has unknown labels {bad} at {where}; "
                f"expected {expectation(rule)} (lower-case)."
            )
        else:
            lines.append(f"{name}: column {brief(column)} is {problem} at {where}; expected {expectation(rule)}.")
    if rule.get("unique"):
        values = frame[column].astype(str).str.strip()
        duplicated = [i for i, dup in enumerate(values.duplicated(keep="first")) if dup]
        if duplicated:
            lines.append(
                f"{name}: column {brief(column)} repeats values at {rows_text(name, duplicated)}; each must appear "
                "once."
            )
    return lines


def json_lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    """Follow 'a.b.c' through nested objects; (found, value)."""
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def json_object(ctx: Context, name: str) -> dict:
    """The hand-in file as a JSON object, or FileProblem saying what it is instead."""
    data = ctx.files.json(name)
    if not isinstance(data, dict):
        raise FileProblem(f"{name}: must be a JSON object {{...}}, found {type(data).__name__}.")
    return data


def json_items(data: dict, name: str, key: str) -> list[dict]:
    """The list of objects at ``key``, or FileProblem naming what is there instead."""
    found, items = json_lookup(data, key)
    if not found or not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        shown = "missing" if not found else type(items).__name__
        raise FileProblem(f"{name}: {brief(key)} must be a list of objects [{{...}}, ...], found {shown}.")
    return items


def json_value_problem(value: Any, rule: dict) -> str | None:
    """:func:`value_problem` for a JSON value, naming numbers written as text."""
    if rule.get("type") in {"int", "float"} and isinstance(value, str):
        return "text, not a number; write the number without quotes"
    return value_problem(value, rule)


def key_set_problem(name: str, where: str, found: list[str], expected: list[str], ordered: bool) -> str | None:
    """What is wrong with an object's keys compared with the exact expected list, or None."""
    missing = [k for k in expected if k not in found]
    extra = [k for k in found if k not in expected]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else []
        )
        return f"{name}: {where} has {'; '.join(parts)}; use exactly the keys {', '.join(expected)}."
    if ordered and found != expected:
        return (
            f"{name}: {where} has its keys in the order {', '.join(found)}; write them in the order "
            f"{', '.join(expected)} (build the dict in that order before json.dump)."
        )
    return None


def linear_points(value: float, zero_at: float, full_at: float, points: float) -> float:
    """Full points at or above ``full_at``, none at or below ``zero_at``, linear in between."""
    share = min(1.0, max(0.0, (value - zero_at) / (full_at - zero_at)))
    return round(points * share, 1)
