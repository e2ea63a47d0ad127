"""Lab specs (YAML) and the check types they use.

A spec (``coursekit/grading/specs/lab-N.yaml``) lists checks; each check has an ``id``, a ``type``, ``points``, an
optional ``title`` and ``fix`` (the hint shown when it loses points) and type-specific fields. Check types:

``csv_file``                 required columns, per-column rules (type, range, allowed values, unique), row counts,
                             optionally "every answer id exactly once".
``json_file``                required keys (dotted paths for nested objects) with type, range and ``equals`` rules.
``png_file``                 PNG signature, IHDR width/height minimums, IEND present, file size bounds.
``markdown_words``           a text file's word count within bounds.
``predictions_vs_answers``   a metric of the predictions against the hidden answers, with linear partial credit
                             between ``zero_at`` and ``full_at``; per-class recall is reported.
``metric_consistency``       numbers claimed in a JSON file equal those recomputed from a predictions CSV
                             (``claims:`` each with its own points) or a file's row count.
``best_model_claim``         a JSON claim names the best row of a comparison table.
``count_consistency``        counts claimed in a JSON file equal the rows of files (optionally ``where`` a column
                             has a value); points per claim.
``disjoint_files``           no value of the given columns appears in two files (no leak between splits).
``json_arithmetic``          a JSON number equals the sum of ``plus`` minus the sum of ``minus`` keys.
``stratified_split``         the test file holds ``test_share`` of all rows and of each label's rows (± rows).
``json_exact_keys``          a JSON object has exactly the given keys (optionally in order; nested objects too).
``json_list``                a JSON list of objects: item count, exact keys, per-field rules (``unique``), first item.
``json_best_item``           a JSON claim names the list item ranked first by score fields (ties: next field, order).
``whole_counts``             rates (k of n) times their count are whole numbers within a tolerance.
``binary_f1_consistency``    a two-class macro F1 matches the accuracy and minority recall on known class counts.
``json_relations``           relations such as ``a <= b`` between JSON numbers hold (optionally only ``when`` ...).
``model_card_metadata``      a model card's YAML metadata keys and its sections with word counts (Lab 8).
``model_card_metrics``       a model card's numbers (``model-index`` or its table) equal a metrics JSON (Lab 8).
``manifest_files``           a sha256 manifest lists every handed-in file / its sizes and hashes match (Lab 8).
``id2label_matches``         a model config's id2label names the labels of a metrics JSON, in id order (Lab 8).
``json_portable_paths``      no value of the JSON files is an absolute local path (Lab 8).
``prediction_records``       prediction records (JSONL or a JSON list): scores sum to 1, confidence is the top
                             score, "needs review" exactly below the threshold (Lab 7).
``selective_accuracy``       accuracy on the hidden answers of the records not handed to a person, with a
                             minimum coverage (Lab 7).

Tables may be CSV or JSON Lines (``.jsonl``); their values are read as text so the rules decide what counts.

Every check returns a :class:`CheckResult` whose ``message`` says exactly what was wrong (file, rows, keys)
and how to fix it; a check never raises for bad student input, it loses its points instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from coursekit.data import parse_jsonl, row_name
from coursekit.errors import CourseError
from coursekit.grading.submissions import Limits, Submission
from coursekit.metrics import classification_metrics

SPECS_DIR = Path(__file__).resolve().parent / "specs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
INTEGER_TEXT = re.compile(r"^[+-]?\d+(\.0*)?$")
ROW_LIST_LIMIT = 8


class FileProblem(Exception):
    """A hand-in file that a check needs is missing, refused or unreadable (the message says which)."""


@dataclass
class CheckResult:
    """Points earned by one check and the feedback line (plus optional detail lines)."""

    check_id: str
    title: str
    points: float
    max_points: float
    message: str
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


@dataclass
class Answers:
    """Hidden answers: label name by id, and the label names in the course's id order."""

    labels: dict[str, str]
    label_names: list[str]


# ---------------------------------------------------------------------------------------------------
# Reading hand-in files (cached per submission, errors become FileProblem with a fix)
# ---------------------------------------------------------------------------------------------------


def rows_text(name: str, indices: list[int]) -> str:
    """'line 5, line 9, ... (+3 more)' using the editor's line numbers (header = line 1)."""
    shown = ", ".join(row_name(Path(name), i) for i in indices[:ROW_LIST_LIMIT])
    return shown + (f" (+{len(indices) - ROW_LIST_LIMIT} more)" if len(indices) > ROW_LIST_LIMIT else "")


def read_csv_strings(path: Path, name: str) -> pd.DataFrame:
    """Read a CSV with every cell as text, so the grader (not pandas) decides what 'nan' or '0' means."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            f"{name} is not UTF-8 text (byte {exc.start}); save it with "
            "`df.to_csv(path, index=False)` which writes UTF-8."
        ) from None
    except pd.errors.EmptyDataError:
        raise FileProblem(f"{name} is empty; write it with `df.to_csv(path, index=False)`.") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileProblem(f"{name} is not a valid CSV ({str(exc).strip()}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_jsonl_strings(path: Path, name: str) -> pd.DataFrame:
    """Read JSON Lines (one object per line) with every value as text, naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise FileProblem(f"{name} is not UTF-8 text; write it with json.dumps(record, ensure_ascii=False).") from None
    try:
        parsed = parse_jsonl(lines, name)
    except CourseError as exc:
        raise FileProblem(str(exc)) from None
    records = [{key: "" if value is None else str(value) for key, value in record.items()} for record in parsed]
    if not records:
        raise FileProblem(f"{name} holds no records.")
    return pd.DataFrame.from_records(records).fillna("")


class SubmissionFiles:
    """Access to a submission's files for the checks: cached parsed CSV/JSON, precise problems."""

    def __init__(self, submission: Submission, expected: list[str] | None = None):
        self.submission = submission
        self.expected = set(expected or [])  # other hand-in files are never suggested as near misses
        self._cache: dict[tuple[str, str], Any] = {}

    def path(self, name: str) -> Path:
        """The file on disk, or FileProblem saying it is missing (with near-miss names) or was refused."""
        if name in self.submission.files:
            return self.submission.files[name]
        if name in self.submission.refused:
            raise FileProblem(f"{name} was not graded: {self.submission.refused[name]}")
        close = [
            n
            for n in self.submission.files
            if n not in self.expected and Path(n).stem.lower() == Path(name).stem.lower()
        ]
        if close:
            raise FileProblem(
                f"{name} is missing; found {', '.join(close)} instead. Use the exact name {name!r} "
                "at the top of the hand-in folder (names are case-sensitive)."
            )
        found = ", ".join(sorted(self.submission.files)[:10]) or "no files"
        raise FileProblem(f"{name} is missing (the hand-in holds: {found}). Save it under exactly that name.")

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """Compute a derived value once per submission (metrics shared by several checks)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _cached(self, kind: str, name: str, loader: Callable[[Path], Any]) -> Any:
        key = (kind, name)
        if key not in self._cache:
            try:
                self._cache[key] = loader(self.path(name))
            except FileProblem as exc:
                self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, FileProblem):
            raise value
        return value

    def table(self, name: str) -> pd.DataFrame:
        """A CSV or JSON Lines hand-in file with every value as text."""
        reader = read_jsonl_strings if name.lower().endswith(".jsonl") else read_csv_strings
        return self._cached("table", name, lambda p: reader(p, name))

    def json(self, name: str) -> Any:
        def load(path: Path) -> Any:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                raise FileProblem(f"{name} is not UTF-8 text; write it with json.dump(...).") from None
            except json.JSONDecodeError as exc:
                raise FileProblem(
                    f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. "
                    "Write it with json.dump(metrics, f, indent=2)."
                ) from None

        return self._cached("json", name, load)

    def text(self, name: str) -> str:
        def load(path: Path) -> str:
            try:
                return path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise FileProblem(f"{name} is not UTF-8 text; save it as UTF-8.") from None

        return self._cached("text", name, load)


# ---------------------------------------------------------------------------------------------------
# Value rules shared by CSV columns and JSON keys
# ---------------------------------------------------------------------------------------------------


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
        return f"must be {rule['equals']!r}"
    if "values" in rule and value not in rule["values"]:
        return f"not one of {rule['values']}"
    return None


def expectation(rule: dict) -> str:
    """'a float in [0, 1]' for a rule, used in fix hints."""
    kind = rule.get("type", "str")
    if kind == "label":
        return "one of " + "/".join(rule["values"])
    if "equals" in rule:
        return f"exactly {rule['equals']!r}"
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
                f"{name}: column {column!r} holds numbers at {where}; "
                f"{rule.get('integer_hint', 'labels must be names ' + '/'.join(rule['values']) + ', not 0/1')}."
            )
        elif problem == "label_n":
            lines.append(
                f"{name}: column {column!r} holds LABEL_0/LABEL_1 at {where}; the model config had no label "
                "names. Train with id2label/label2id or map with model.config.id2label."
            )
        elif problem == "unknown":
            bad = sorted({str(frame[column].iloc[i]) for i in rows})[:5]
            lines.append(
                f"{name}: column {column!r} has unknown labels {bad} at {where}; "
                f"expected {expectation(rule)} (lower-case)."
            )
        else:
            lines.append(f"{name}: column {column!r} is {problem} at {where}; expected {expectation(rule)}.")
    if rule.get("unique"):
        values = frame[column].astype(str).str.strip()
        duplicated = [i for i, dup in enumerate(values.duplicated(keep="first")) if dup]
        if duplicated:
            lines.append(
                f"{name}: column {column!r} repeats values at {rows_text(name, duplicated)}; each must appear once."
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


# ---------------------------------------------------------------------------------------------------
# Check types
# ---------------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a check may use: the submission's files, the hidden answers (if any) and the spec."""

    files: SubmissionFiles
    answers: Answers | None
    spec: dict


def check_csv_file(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Columns present, every column rule, row count bounds, answer ids each exactly once."""
    name = check["file"]
    frame = ctx.files.table(name)
    columns = check.get("columns", {})
    missing = [c for c in check.get("header", []) + list(columns) if c not in frame.columns]
    missing = list(dict.fromkeys(missing))
    if missing:
        return (
            0,
            (
                f"{name}: missing column(s) {', '.join(missing)}; it has {', '.join(frame.columns) or 'none'}. "
                f"The header must be exactly {','.join(check.get('header', columns))}."
            ),
            [],
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
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: {len(frame)} rows, columns and values as required.", []


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
            f"{name}: ids not in posts.csv at {rows_text(name, unknown)} (e.g. {ids[unknown[0]]!r}); "
            "predict exactly the ids of the challenge posts.csv."
        )
    duplicated = [i for i, dup in enumerate(pd.Series(ids).duplicated()) if dup]
    if duplicated:
        problems.append(f"{name}: repeated ids at {rows_text(name, duplicated)}; one row per id.")
    absent = [v for v in expected if v not in set(ids)]
    if absent:
        shown = ", ".join(absent[:ROW_LIST_LIMIT]) + (
            f" (+{len(absent) - ROW_LIST_LIMIT} more)" if len(absent) > ROW_LIST_LIMIT else ""
        )
        problems.append(f"{name}: {len(absent)} id(s) of posts.csv have no prediction: {shown}.")
    return problems


def check_json_file(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Required keys (dotted paths) with their rules."""
    name = check["file"]
    data = ctx.files.json(name)
    if not isinstance(data, dict):
        return 0, f"{name}: must be a JSON object {{...}}, found {type(data).__name__}.", []
    problems = []
    for key, rule in check.get("keys", {}).items():
        found, value = json_lookup(data, key)
        rule = rule or {}
        if not found:
            problems.append(f"{name}: key {key!r} is missing; expected {expectation(rule)}.")
            continue
        if rule.get("type") in {"int", "float"} and isinstance(value, str):
            problem = "text, not a number; write the number without quotes"
        else:
            problem = value_problem(value, rule)
        if problem:
            problems.append(f"{name}: key {key!r} is {value!r} ({problem}); expected {expectation(rule)}.")
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: all {len(check.get('keys', {}))} keys present with valid values.", []


def check_png_file(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A real PNG: signature, IHDR first, width/height minimums, IEND at the end, plausible size."""
    name = check["file"]
    path = ctx.files.path(name)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(24)
        handle.seek(max(0, size - len(PNG_IEND)))
        tail = handle.read()
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return (
            0,
            (
                f"{name}: not a PNG image (wrong file signature); save the figure with "
                f"plt.savefig({name!r}) instead of renaming another file."
            ),
            [],
        )
    if size > check.get("max_mb", 5) * 2**20:
        return (
            0,
            f"{name}: {size / 2**20:.1f} MB, over the {check.get('max_mb', 5)} MB limit; save with a lower dpi.",
            [],
        )
    if size < check.get("min_bytes", 100):
        return 0, f"{name}: only {size} bytes, too small to be a chart; save the figure with plt.savefig(...).", []
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if tail != PNG_IEND:
        return 0, f"{name}: the PNG is truncated (no IEND chunk at the end); save the figure again.", []
    min_w, min_h = check.get("min_width", 1), check.get("min_height", 1)
    if width < min_w or height < min_h:
        return 0, f"{name}: {width}x{height} px, need at least {min_w}x{min_h}; use a larger figsize or dpi.", []
    return check["points"], f"{name}: PNG {width}x{height} px, {size / 1024:.0f} KB.", []


def check_markdown_words(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Word count within [min_words, max_words]."""
    name = check["file"]
    words = len(WORD.findall(ctx.files.text(name)))
    low, high = check.get("min_words", 1), check.get("max_words", 10**9)
    if words < low:
        return 0, f"{name}: {words} words, need at least {low}.", []
    if words > high:
        return 0, f"{name}: {words} words, at most {high}; keep it short.", []
    return check["points"], f"{name}: {words} words.", []


def linear_points(value: float, zero_at: float, full_at: float, points: float) -> float:
    """Full points at or above ``full_at``, none at or below ``zero_at``, linear in between."""
    share = min(1.0, max(0.0, (value - zero_at) / (full_at - zero_at)))
    return round(points * share, 1)


def score_predictions(frame: pd.DataFrame, id_col: str, label_col: str, answers: Answers) -> tuple[dict, int]:
    """All metrics of the predictions on the answers (first row per id) and how many ids had no valid label."""
    index = {label: i for i, label in enumerate(answers.label_names)}
    predicted: dict[str, str] = {}
    for id_value, label in zip(frame[id_col].astype(str).str.strip(), frame[label_col].astype(str).str.strip()):
        predicted.setdefault(id_value, label)
    y_true = [index[label] for label in answers.labels.values()]
    y_pred = [index.get(predicted.get(i, ""), -1) for i in answers.labels]  # -1: no valid prediction, counts as wrong
    return classification_metrics(y_true, y_pred, answers.label_names), sum(p == -1 for p in y_pred)


def check_predictions_vs_answers(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Score one metric of the predictions on the hidden answers; missing/invalid rows count as wrong."""
    if ctx.answers is None:
        raise FileProblem("no answers file was given to the grader (--answers); ask your instructor.")
    name, id_col, label_col = check["file"], check.get("id_column", "id"), check.get("label_column", "label")
    frame = ctx.files.table(name)
    missing = [c for c in (id_col, label_col) if c not in frame.columns]
    if missing:
        return 0, f"{name}: cannot score, missing column(s) {', '.join(missing)}.", []
    names, ids = ctx.answers.label_names, list(ctx.answers.labels)
    scores, unusable = ctx.files.memo(
        ("scores", name, id_col, label_col), lambda: score_predictions(frame, id_col, label_col, ctx.answers)
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
    return points, message, []


def check_metric_consistency(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Each claimed number equals the one recomputed from the predictions file; points per claim."""
    claims_file, table_file = check["claims_file"], check["predictions_file"]
    claims = ctx.files.json(claims_file)
    if not isinstance(claims, dict):
        return 0, f"{claims_file}: must be a JSON object to check its claims.", []
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
                f"{claims_file}: {key!r} is {'missing' if not found else repr(value)}; it must be a number."
            )
        elif metric not in recomputed:
            bad_lines.append(f"{claims_file}: cannot check {key!r}: {problem}.")
        elif metric == "row_count":
            if number == recomputed[metric]:
                points += claim["points"]
                good.append(f"{key} = {int(number)}")
            else:
                bad_lines.append(
                    f"{claims_file}: {key} is {value!r} but {table_file} has {recomputed[metric]} rows; "
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
    if bad_lines:
        return points, bad_lines[0], bad_lines[1:]
    return points, f"{claims_file} matches {table_file}: {', '.join(good)}.", []


def check_best_model_claim(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
        return 0, f"{claims_file}: {key!r} must be the name of a model in {table_file}.", []
    frame = ctx.files.table(table_file)
    if name_col not in frame.columns or score_col not in frame.columns:
        return 0, f"{table_file}: needs columns {name_col} and {score_col} to check the {key} claim.", []
    scores = [parse_number(v) for v in frame[score_col]]
    valid = [(s, str(n).strip()) for s, n in zip(scores, frame[name_col]) if s is not None]
    if not valid:
        return 0, f"{table_file}: no numeric {score_col} values; cannot find the best model.", []
    best = max(s for s, _ in valid)
    winners = [n for s, n in valid if s == best]
    if claimed.strip() in winners:
        return check["points"], f"{key} {claimed!r} has the highest {score_col} ({best:.3f}) in {table_file}.", []
    return (
        0,
        (
            f"{claims_file}: {key} is {claimed!r} but the highest {score_col} in {table_file} is {best:.3f} "
            f"({', '.join(repr(w) for w in winners)}); name the model your own table ranks first."
        ),
        [],
    )


def check_count_consistency(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Counts claimed in a JSON file equal the rows of the named files (optionally only rows matching ``where``)."""
    claims_file = check["claims_file"]
    claims = ctx.files.json(claims_file)
    if not isinstance(claims, dict):
        return 0, f"{claims_file}: must be a JSON object to check its counts.", []
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
            bad_lines.append(f"{claims_file}: cannot check {key!r}: {exc}")
            continue
        found, value = json_lookup(claims, key)
        counted = " + ".join(claim["files"]) + "".join(f" where {c} = {v}" for c, v in where.items())
        if found and parse_number(value) == actual and not isinstance(value, str):
            points += claim["points"]
        else:
            shown = repr(value) if found else "missing"
            bad_lines.append(f"{claims_file}: {key} is {shown} but {counted} has {actual} rows.")
    if bad_lines:
        return points, bad_lines[0], bad_lines[1:]
    return points, f"{claims_file}: all {len(check['claims'])} counts match the files.", []


def check_disjoint_files(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """No value of the given columns appears in two of the files (no leak between splits)."""
    names, problems = check["files"], []
    frames = {name: ctx.files.table(name) for name in names}
    for column in check["columns"]:
        absent = [name for name, frame in frames.items() if column not in frame.columns]
        if absent:
            problems.append(f"{', '.join(absent)}: no column {column!r} to compare.")
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
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{' and '.join(names)} share no {'/'.join(check['columns'])}.", []


def check_stratified_split(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """The test file holds ``test_share`` of all rows and of each label's rows, within ``tolerance_rows``."""
    train_name, test_name = check["train_file"], check["test_file"]
    column, share, slack = check.get("label_column", "label"), check["test_share"], check.get("tolerance_rows", 1)
    train, test = ctx.files.table(train_name), ctx.files.table(test_name)
    if column not in train.columns or column not in test.columns:
        return 0, f"{train_name}/{test_name}: no column {column!r}; cannot check the split.", []
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
                f"{test_name}: {n_test} of the {n_all} {label!r} rows, expected {share * n_all:.1f} ± {slack}; "
                "split with stratify=the label column."
            )
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{test_name} holds {len(test)} of {total} rows, every label close to {share:.0%}.", []


def json_number_sum(data: Any, key: str) -> float | None:
    """The number at ``key``, or the sum of the numbers in the object at ``key``; None if not numeric."""
    found, value = json_lookup(data, key)
    if not found:
        return None
    values = list(value.values()) if isinstance(value, dict) else [value]
    numbers = [parse_number(v) if not isinstance(v, str) else None for v in values]
    return None if any(n is None for n in numbers) else float(sum(numbers))


def check_json_arithmetic(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """``total`` equals the sum of ``plus`` minus the sum of ``minus`` (objects count as the sum of their values)."""
    name = check["file"]
    data = ctx.files.json(name)
    parts = {
        key: json_number_sum(data, key) if isinstance(data, dict) else None
        for key in [check["total"], *check.get("plus", []), *check.get("minus", [])]
    }
    missing = [key for key, value in parts.items() if value is None]
    if missing:
        return 0, f"{name}: {', '.join(missing)} missing or not numeric; cannot check {check['total']}.", []
    expected = sum(parts[k] for k in check.get("plus", [])) - sum(parts[k] for k in check.get("minus", []))
    formula = " + ".join(check.get("plus", [])) + "".join(f" - {k}" for k in check.get("minus", []))
    if abs(parts[check["total"]] - expected) > check.get("tolerance", 0):
        return 0, f"{name}: {check['total']} is {parts[check['total']]:g} but {formula} = {expected:g}.", []
    return check["points"], f"{name}: {check['total']} = {formula} = {expected:g}.", []


def json_object(ctx: Context, name: str) -> dict:
    """The hand-in file as a JSON object, or FileProblem saying what it is instead."""
    data = ctx.files.json(name)
    if not isinstance(data, dict):
        raise FileProblem(f"{name}: must be a JSON object {{...}}, found {type(data).__name__}.")
    return data


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


def check_json_exact_keys(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """The object has exactly ``keys`` (in that order if ``ordered``); each ``nested`` object exactly its keys."""
    name = check["file"]
    data = json_object(ctx, name)
    problems = [key_set_problem(name, "the top-level object", list(data), check["keys"], check.get("ordered", False))]
    for key, expected in (check.get("nested") or {}).items():
        found, value = json_lookup(data, key)
        if found and isinstance(value, dict):
            problems.append(key_set_problem(name, repr(key), list(value), expected, False))
        elif found:
            problems.append(f"{name}: {key!r} must be an object with the keys {', '.join(expected)}.")
    problems = [p for p in problems if p]
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: exactly the {len(check['keys'])} expected keys.", []


def json_items(data: dict, name: str, key: str) -> list[dict]:
    """The list of objects at ``key``, or FileProblem naming what is there instead."""
    found, items = json_lookup(data, key)
    if not found or not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        shown = "missing" if not found else type(items).__name__
        raise FileProblem(f"{name}: {key!r} must be a list of objects [{{...}}, ...], found {shown}.")
    return items


def check_json_list(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A list of objects: item count, exact keys per item, field rules (incl. ``unique``), the first item's values."""
    name, key = check["file"], check["key"]
    items = json_items(json_object(ctx, name), name, key)
    problems = []
    low, high = check.get("min_items", 0), check.get("max_items", 10**9)
    if not low <= len(items) <= high:
        problems.append(f"{name}: {key!r} holds {len(items)} objects; expected {low} to {high}.")
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
                    problems.append(f"{name}: {where} has no {field_name!r}; expected {expectation(rule)}.")
                continue
            value = item[field_name]
            problem = json_value_problem(value, rule)
            if problem:
                problems.append(
                    f"{name}: {where}.{field_name} is {value!r} ({problem}); expected {expectation(rule)}."
                )
            elif rule.get("unique"):
                if (field_name, str(value)) in seen:
                    problems.append(
                        f"{name}: {where}.{field_name} {value!r} repeats {key}[{seen[field_name, str(value)]}]; "
                        "each value may appear once."
                    )
                seen.setdefault((field_name, str(value)), index)
    for field_name, wanted in (check.get("first") or {}).items():
        if items and items[0].get(field_name) != wanted:
            problems.append(
                f"{name}: {key}[0].{field_name} is {items[0].get(field_name)!r}; the first object must have "
                f"{field_name} {wanted!r}."
            )
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: {len(items)} objects in {key!r}, each as required.", []


def check_json_best_item(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """The claimed name is the list item ranked first by ``score_fields`` (later fields break ties, then list order)."""
    name, key, claim_key = check["file"], check["list_key"], check["claim_key"]
    name_field, score_fields = check["name_field"], check["score_fields"]
    data = json_object(ctx, name)
    items = json_items(data, name, key)
    claimed = data.get(claim_key)
    if not isinstance(claimed, str) or not items:
        return 0, f"{name}: {claim_key!r} must be the {name_field} of one object in {key!r}.", []
    ranked = []
    for index, item in enumerate(items):
        scores = [parse_number(item.get(f)) if not isinstance(item.get(f), str) else None for f in score_fields]
        if None in scores:
            bad = score_fields[scores.index(None)]
            return 0, f"{name}: cannot rank {key!r}: {key}[{index}].{bad} is not a number.", []
        ranked.append((scores, -index, item))
    scores, best_index, best = max(ranked, key=lambda entry: (entry[0], entry[1]))
    winner = best.get(name_field)
    rule = ", then ".join(score_fields) + f", then position in {key}"
    shown = ", ".join(f"{f} {s:.4f}" for f, s in zip(score_fields, scores))
    if claimed == winner:
        return check["points"], f"{claim_key} {claimed!r} ranks first by {rule} ({shown}).", []
    return (
        0,
        (
            f"{name}: {claim_key} is {claimed!r} but {key}[{-best_index}] ({winner!r}) ranks first by {rule} "
            f"({shown}); name the {name_field} your own numbers rank first."
        ),
        [],
    )


def check_whole_counts(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
            problems.append(f"{name}: {of!r} must be a positive number to check {field_name}.")
            continue
        count_text = f"{of} ({count:g})" if isinstance(of, str) else f"{count:g}"
        for where, item in objects:
            label = f"{where}.{field_name}" if where else field_name
            value = item.get(field_name)
            rate = parse_number(value) if not isinstance(value, str) else None
            if rate is None:
                problems.append(f"{name}: {label} is {value!r}; it must be a number to check it is k of {count_text}.")
                continue
            product, checked = rate * count, checked + 1
            if abs(product - round(product)) > rule.get("tolerance", 0.02):
                problems.append(
                    f"{name}: {label} {rate:g} × {count_text} = {product:.3f}, not a whole number of "
                    f"{rule.get('what', 'rows')} (tolerance ±{rule.get('tolerance', 0.02):g}); compute it over "
                    f"all the {rule.get('what', 'rows')} and round to 4 decimals only at the end."
                )
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: all {checked} rates are whole counts.", []


def macro_f1_from_rates(
    accuracy: float, recall: float, n_minority: int, n_majority: int
) -> tuple[int, int, float, float] | None:
    """(minority right, majority right, F1 minority, F1 majority) of a two-class confusion matrix, or None if impossible."""
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


def check_binary_f1_consistency(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
        if None in values:
            problems.append(f"{name}: {where}.{fields[values.index(None)]} is not a number; cannot check {fields[2]}.")
            continue
        accuracy, recall, claimed = values
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
    if problems:
        return 0, problems[0], problems[1:]
    return (
        check["points"],
        f"{name}: {fields[2]} of all {len(items)} objects in {key!r} matches their {fields[0]} and {fields[1]}.",
        [],
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
        return f"{operand} ({value!r})" if number is None else f"{operand} ({number:g})", number
    return f"{operand:g}", float(operand)


def relation_holds(data: dict, relation: dict) -> tuple[bool | None, str]:
    """Whether ``left op right`` (within ``tolerance``) holds; None when an operand is not a number."""
    (left_text, left), (right_text, right) = (relation_operand(data, relation[side]) for side in ("left", "right"))
    text = f"{left_text} {relation['op']} {right_text}"
    if left is None or right is None:
        return None, text
    return RELATIONS[relation["op"]](left, right, relation.get("tolerance", 0)), text


def check_json_relations(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{name}: all {len(check['relations'])} relations between the numbers hold.", []


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
    if any(cell is None or cell < 0 or cell != int(cell) for row in numbers for cell in row):
        raise FileProblem(f"{name}: 'confusion_matrix' must hold whole counts ≥ 0.")
    return numbers


def check_classification_report_consistency(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
        return 0, f"{name}: 'labels' must list the label names and 'per_class' hold one object per label.", []
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
        else f"accuracy is {data.get('accuracy')!r} but the matrix gives trace/sum = {expected:.4f}"
    )
    supports = [stat(label, "support") for label in labels]
    wrong = [f"{label} {s!r} vs row sum {r:g}" for label, s, r in zip(labels, supports, rows) if s != r]
    n = number(data.get("n"))
    results["support"] = (
        f"per-class support does not match the matrix rows ({'; '.join(wrong[:3])})"
        if wrong
        else None
        if n == total
        else f"n is {data.get('n')!r} but the matrix counts {total:g} texts"
    )
    f1s = [stat(label, "f1") for label in labels]
    macro = number(data.get("f1_macro"))
    if None in f1s or macro is None:
        results["f1_macro"] = "f1_macro and every per_class f1 must be numbers"
    else:
        mean = sum(f1s) / len(f1s)
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
                rate_problems.append(f"{label} {key} {value!r} vs {implied:.4f} from the matrix")
    results["per_class"] = (
        f"per-class rates disagree with the matrix ({'; '.join(rate_problems[:3])})" if rate_problems else None
    )
    points, problems = 0.0, []
    for key, claim in check["claims"].items():
        if results.get(key) is None:
            points += claim["points"]
        else:
            problems.append(f"{name}: {results[key]}.")
    if problems:
        return points, problems[0], problems[1:]
    return points, f"{name}: accuracy, supports, macro F1 and per-class rates agree with the confusion matrix.", []


def check_table_row_matches_json(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """The row of ``table_file`` whose ``name_column`` is ``row`` holds the expected numbers.

    ``columns`` maps a column to a dotted key of ``json_file`` (the row must repeat that number) or to a
    number (a fixed value, e.g. a baseline everyone gets on the same split).
    """
    table_file, json_file, row_name = check["table_file"], check["json_file"], check["row"]
    name_col, tolerance = check.get("name_column", "model"), check.get("tolerance", 0.001)
    frame, data = ctx.files.table(table_file), json_object(ctx, json_file)
    if name_col not in frame.columns:
        return 0, f"{table_file}: no column {name_col!r}.", []
    matches = frame[frame[name_col].astype(str).str.strip() == row_name]
    if len(matches) != 1:
        return 0, f"{table_file}: needs exactly one row with {name_col} {row_name!r}, found {len(matches)}.", []
    problems = []
    for column, key in check["columns"].items():
        cell = matches.iloc[0].get(column)
        found, value = (True, key) if not isinstance(key, str) else json_lookup(data, key)
        left = parse_number(cell)
        right = parse_number(value) if found and not isinstance(value, str) else None
        if left is None or right is None or abs(left - right) > tolerance:
            source = f"{json_file} {key} is {value!r}" if isinstance(key, str) else f"it must be {key:g}"
            problems.append(f"{table_file}: {row_name} {column} is {cell!r} but {source} (tolerance {tolerance:g}).")
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{table_file}: the {row_name!r} row holds the expected {', '.join(check['columns'])}.", []


def check_training_log_best(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
        return 0, f"{log_file}: needs the keys step, epoch, kind and {metric} (write it with JsonlLoggerCallback).", []
    evals = frame[frame["kind"] == "eval"]
    scored = [
        (parse_number(v), parse_number(s), parse_number(e))
        for v, s, e in zip(evals[metric], evals["step"], evals.get("epoch", evals["step"]))
    ]
    scored = [row for row in scored if None not in row]
    if not scored:
        return 0, f"{log_file}: no evaluation line with a numeric {metric}.", []
    sign = 1 if check.get("greater_is_better", True) else -1
    best = max(scored, key=lambda row: (sign * row[0], -row[1]))
    steps = [parse_number(s) for s in frame["step"]]
    last_epoch = max(parse_number(e) or 0 for e in frame.get("epoch", frame["step"]))
    max_epochs = parse_number(claims.get("max_epochs"))
    expected = {
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
            shown = f"the log ends at epoch {last_epoch:g} of max_epochs {claims.get('max_epochs')!r}"
        else:
            number = None if isinstance(value, (bool, str)) else parse_number(value)
            ok = number is not None and abs(number - expected[key]) <= (tolerance if key == "best_value" else 1e-3)
            shown = f"the log gives {expected[key]:g}"
        if ok:
            points += claim["points"]
            good.append(key)
        else:
            problems.append(
                f"{claims_file}: {key} is {value!r} but {shown} (best {metric} {best[0]:g} at step {best[1]:g})."
            )
    if problems:
        return points, problems[0], problems[1:]
    return points, f"{claims_file} agrees with {log_file}: {', '.join(good)}.", []


def read_model_card(ctx: Context, name: str):
    """A hand-in model card split into metadata and body, once per submission (Lab 8)."""
    from coursekit.lessons.model_card import split_front_matter

    return ctx.files.memo(("model_card", name), lambda: split_front_matter(ctx.files.text(name), name))


def check_model_card_metadata(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A model card's YAML metadata parses and has ``required_keys`` (and ``equals`` values); its Markdown has
    each of ``sections`` (heading -> minimum words, optional ``max_words``)."""
    from coursekit.lessons.model_card import metadata_problems, section_problems

    name = check["file"]
    front = read_model_card(ctx, name)
    problems = []
    if check.get("required_keys") or check.get("equals"):
        problems += (
            [front.problem]
            if front.problem
            else metadata_problems(front.metadata, check.get("required_keys", []), check.get("equals"), name)
        )
    problems += section_problems(front.body, check.get("sections", {}), name, check.get("max_words"))
    if problems:
        return 0, problems[0], problems[1:]
    parts = ([f"{len(check.get('required_keys', []))} metadata keys"] if check.get("required_keys") else []) + (
        [f"sections {', '.join(check['sections'])}"] if check.get("sections") else []
    )
    return check["points"], f"{name}: {' and '.join(parts)} present.", []


def check_model_card_metrics(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A model card's numbers equal the metrics JSON's ``metrics_key`` object: ``source: model-index`` reads the
    YAML metadata, ``source: table`` the rows ``| `metric` | value |``; ``required`` metrics must be reported."""
    from coursekit.lessons.model_card import REQUIRED_METRICS, metric_mismatches, model_index_values, table_values

    card, metrics_file, source = check["card_file"], check["metrics_file"], check["source"]
    front = read_model_card(ctx, card)
    found, test = json_lookup(json_object(ctx, metrics_file), check.get("metrics_key", "test"))
    if not found or not isinstance(test, dict):
        return 0, f"{metrics_file}: no object {check.get('metrics_key', 'test')!r} holding the test metrics.", []
    if source == "table":
        claimed, where = table_values(front.body), f"{card} evaluation table"
    elif front.problem:
        return 0, front.problem, []
    else:
        claimed, index_problems = model_index_values(front.metadata, card)
        if index_problems:
            return 0, index_problems[0], index_problems[1:]
        where = f"{card} model-index"
    problems = metric_mismatches(
        claimed, test, where, check.get("required", REQUIRED_METRICS), check.get("tolerance", 1e-4)
    )
    if problems:
        return 0, problems[0], problems[1:]
    matched = sorted(set(claimed) & set(test))
    return check["points"], f"{where}: {len(matched)} numbers, each equal to {metrics_file}.", []


def check_manifest_files(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A checksum manifest against the hand-in. ``rule: complete``: every handed-in file is listed and each
    ``required`` pattern has an entry. ``rule: hashes``: every listed file is handed in (unless it matches
    ``may_be_absent``) with the listed size and sha256."""
    from coursekit.lessons.publishing import (
        manifest_coverage_problems,
        manifest_format_problems,
        manifest_hash_problems,
    )

    name = check["file"]
    manifest = ctx.files.json(name)
    problems = manifest_format_problems(manifest, name)
    present = {file: path for file, path in ctx.files.submission.files.items() if file != name}
    if not problems and check["rule"] == "hashes":
        problems = manifest_hash_problems(manifest, present, check.get("may_be_absent", []), name)
    elif not problems:
        problems = manifest_coverage_problems(manifest, sorted(present), check.get("required", []), name)
    if problems:
        return 0, problems[0], problems[1:]
    if check["rule"] == "hashes":
        return check["points"], f"{name}: every handed-in file it lists has the listed size and sha256.", []
    return check["points"], f"{name} lists all {len(present)} handed-in files and the required entries.", []


def check_id2label_matches(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """A model config's id2label (and label2id) name the labels of ``labels_key`` of a metrics JSON, in id order."""
    from coursekit.lessons.publishing import label_problems

    config_file, metrics_file = check["config_file"], check["metrics_file"]
    found, labels = json_lookup(json_object(ctx, metrics_file), check.get("labels_key", "label_names"))
    problems = label_problems(json_object(ctx, config_file), labels if found else None, config_file)
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{config_file}: id2label names the labels {labels} of {metrics_file}.", []


def check_json_portable_paths(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """No value of the JSON ``files`` is an absolute path of the student's machine (/home/..., C:\\...)."""
    from coursekit.lessons.publishing import local_path_problems

    problems = [problem for name in check["files"] for problem in local_path_problems(ctx.files.json(name), name)]
    if problems:
        return 0, problems[0], problems[1:]
    return check["points"], f"{', '.join(check['files'])}: no absolute paths.", []


def prediction_record_list(ctx: Context, name: str, key: str | None) -> list[dict]:
    """Prediction records: every line of a ``.jsonl`` file, or the list of objects at ``key`` of a JSON file."""
    if key is not None:
        return json_items(json_object(ctx, name), name, key)

    def parse() -> list[dict]:
        try:
            return parse_jsonl(ctx.files.text(name).splitlines(), name)
        except CourseError as exc:
            raise FileProblem(str(exc)) from None

    records = ctx.files.memo(("records", name), parse)
    if not records:
        raise FileProblem(f"{name} holds no records.")
    return records


def record_score_problem(record: dict, labels: list[str], abstain: str | None, tolerance: float) -> str | None:
    """What is wrong with one record's scores, confidence and labels (see :func:`check_prediction_records`)."""
    scores = record.get("scores")
    if not isinstance(scores, dict) or sorted(scores) != sorted(labels):
        return f"scores must be an object with one probability per label {labels}, found {scores!r}"
    numbers = {label: parse_number(v) if not isinstance(v, str) else None for label, v in scores.items()}
    if any(n is None or not 0 <= n <= 1 for n in numbers.values()):
        return f"scores must be numbers in [0, 1], found {scores!r}"
    if abs(sum(numbers.values()) - 1) > tolerance:
        return f"scores add up to {sum(numbers.values()):.4f}, not 1 (softmax probabilities: use top_k=None)"
    best = max(numbers, key=numbers.get)
    confidence = record.get("confidence")
    number = parse_number(confidence) if not isinstance(confidence, str) else None
    if number is None or abs(number - numbers[best]) > 0.001:
        return f"confidence {confidence!r} is not the highest score ({best} {numbers[best]:g})"
    if record.get("predicted_label", best) != best:
        return f"predicted_label {record.get('predicted_label')!r} is not the label with the highest score ({best})"
    allowed = [best] + ([abstain] if abstain else [])
    if record.get("label") not in allowed:
        return f"label {record.get('label')!r} must be {' or '.join(repr(a) for a in allowed)}"
    return None


def threshold_problem(records: list[dict], abstain: str, threshold: float | None) -> str | None:
    """Records labelled ``abstain`` must be exactly those below the threshold (or, without one, the least confident)."""
    confidences = [
        parse_number(r.get("confidence")) if not isinstance(r.get("confidence"), str) else None for r in records
    ]
    if None in confidences:
        return f"record {confidences.index(None)} has no numeric confidence"
    flagged = [c for c, r in zip(confidences, records) if r.get("label") == abstain]
    decided = [c for c, r in zip(confidences, records) if r.get("label") != abstain]
    if threshold is not None:
        wrong = [
            i for i, (c, r) in enumerate(zip(confidences, records)) if (c < threshold) != (r.get("label") == abstain)
        ]
        if wrong:
            return (
                f"{len(wrong)} record(s) break the rule label == {abstain!r} exactly when confidence < threshold "
                f"{threshold:g} (first: record {wrong[0]}, confidence {confidences[wrong[0]]:g}, "
                f"label {records[wrong[0]].get('label')!r})"
            )
    elif flagged and decided and max(flagged) >= min(decided):
        return (
            f"a {abstain!r} record has confidence {max(flagged):g} but a decided record only {min(decided):g}; with one "
            f"threshold, every {abstain!r} record is less confident than every decided one"
        )
    return None


def check_prediction_records(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
    """Prediction records (``.jsonl`` lines, or a JSON list at ``key``) obey the inference rules in ``rules``.

    ``scores``: ``scores`` holds one probability per label, summing to 1; ``confidence`` is the highest score;
    ``label`` is the best label or ``abstain_label``. ``threshold``: the ``abstain_label`` records are exactly
    those with confidence below the threshold at ``threshold_key`` (a dotted key of the same JSON file) or, with
    no key, the least confident ones (some single threshold separates them).
    """
    name, labels = check["file"], check["labels"]
    abstain, tolerance = check.get("abstain_label"), check.get("tolerance", 0.01)
    records = prediction_record_list(ctx, name, check.get("key"))
    where = f"{name}{' ' + check['key'] if check.get('key') else ''}"
    problems = []
    if "scores" in check["rules"]:
        for index, record in enumerate(records):
            problem = record_score_problem(record, labels, abstain, tolerance)
            if problem:
                problems.append(f"{where}: record {index}: {problem}.")
    if "threshold" in check["rules"]:
        threshold = None
        if check.get("threshold_key"):
            found, value = json_lookup(json_object(ctx, name), check["threshold_key"])
            threshold = parse_number(value) if found and not isinstance(value, str) else None
            if threshold is None:
                problems.append(
                    f"{name}: {check['threshold_key']!r} must be the threshold used (a number), found {value!r}."
                )
        problem = threshold_problem(records, abstain, threshold) if not problems or threshold is not None else None
        if problem:
            problems.append(f"{where}: {problem}.")
    if problems:
        return 0, problems[0], problems[1:ROW_LIST_LIMIT]
    flagged = sum(r.get("label") == abstain for r in records)
    return check["points"], f"{where}: {len(records)} records as required ({flagged} {abstain!r}).", []


def check_selective_accuracy(check: dict, ctx: Context) -> tuple[float, str, list[str]]:
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
        return 0, f"{name}: cannot score, missing column(s) {', '.join(missing)}.", []
    predicted: dict[str, str] = {}
    for id_value, label in zip(frame[id_col].astype(str).str.strip(), frame[label_col].astype(str).str.strip()):
        predicted.setdefault(id_value, label)
    decided = {i: predicted[i] for i in ctx.answers.labels if predicted.get(i, abstain) != abstain}
    coverage = len(decided) / len(ctx.answers.labels)
    if coverage < check["min_coverage"]:
        return (
            0,
            (
                f"{name}: only {len(decided)} of {len(ctx.answers.labels)} posts ({coverage:.0%}) have a decided label; "
                f"at least {check['min_coverage']:.0%} are needed (lower the threshold)."
            ),
            [],
        )
    correct = sum(label == ctx.answers.labels[i] for i, label in decided.items())
    accuracy = correct / len(decided)
    points = linear_points(accuracy, check["zero_at"], check["full_at"], check["points"])
    return (
        points,
        (
            f"accuracy {accuracy:.3f} on the {len(decided)} decided posts (coverage {coverage:.0%}; "
            f"{len(ctx.answers.labels) - len(decided)} {abstain!r}); full points at ≥ {check['full_at']:g}, "
            f"none at ≤ {check['zero_at']:g}."
        ),
        [],
    )


CHECK_TYPES: dict[str, Callable[[dict, Context], tuple[float, str, list[str]]]] = {
    "csv_file": check_csv_file,
    "json_file": check_json_file,
    "png_file": check_png_file,
    "markdown_words": check_markdown_words,
    "predictions_vs_answers": check_predictions_vs_answers,
    "metric_consistency": check_metric_consistency,
    "training_log_best": check_training_log_best,
    "best_model_claim": check_best_model_claim,
    "count_consistency": check_count_consistency,
    "disjoint_files": check_disjoint_files,
    "json_arithmetic": check_json_arithmetic,
    "stratified_split": check_stratified_split,
    "json_exact_keys": check_json_exact_keys,
    "json_list": check_json_list,
    "json_best_item": check_json_best_item,
    "whole_counts": check_whole_counts,
    "binary_f1_consistency": check_binary_f1_consistency,
    "json_relations": check_json_relations,
    "classification_report_consistency": check_classification_report_consistency,
    "table_row_matches_json": check_table_row_matches_json,
    "model_card_metadata": check_model_card_metadata,
    "model_card_metrics": check_model_card_metrics,
    "manifest_files": check_manifest_files,
    "id2label_matches": check_id2label_matches,
    "json_portable_paths": check_json_portable_paths,
    "prediction_records": check_prediction_records,
    "selective_accuracy": check_selective_accuracy,
}
REQUIRED_FIELDS = {
    "csv_file": ["file"],
    "json_file": ["file"],
    "png_file": ["file"],
    "markdown_words": ["file"],
    "predictions_vs_answers": ["file", "metric", "full_at", "zero_at"],
    "metric_consistency": ["claims_file", "predictions_file", "claims"],
    "training_log_best": ["log_file", "claims_file", "metric", "claims"],
    "best_model_claim": ["claims_file", "table_file"],
    "count_consistency": ["claims_file", "claims"],
    "disjoint_files": ["files", "columns"],
    "json_arithmetic": ["file", "total"],
    "stratified_split": ["train_file", "test_file", "test_share"],
    "json_exact_keys": ["file", "keys"],
    "json_list": ["file", "key"],
    "json_best_item": ["file", "claim_key", "list_key", "name_field", "score_fields"],
    "whole_counts": ["file", "rates"],
    "binary_f1_consistency": ["file", "list_key", "class_counts", "minority"],
    "json_relations": ["file", "relations"],
    "classification_report_consistency": ["file", "claims"],
    "table_row_matches_json": ["table_file", "json_file", "row", "columns"],
    "model_card_metadata": ["file"],
    "model_card_metrics": ["card_file", "metrics_file", "source"],
    "manifest_files": ["file", "rule"],
    "id2label_matches": ["config_file", "metrics_file"],
    "json_portable_paths": ["files"],
    "prediction_records": ["file", "labels", "rules"],
    "selective_accuracy": ["file", "abstain_label", "full_at", "zero_at", "min_coverage"],
}


CLAIM_TYPES = {
    "metric_consistency",
    "training_log_best",
    "count_consistency",
    "classification_report_consistency",
}  # points are the sum of their claims' points


def check_points(check: dict) -> float:
    """A check's maximum: its ``points``, or the sum of its claims' points."""
    if check.get("type") in CLAIM_TYPES and "claims" in check:
        return float(sum(claim["points"] for claim in check["claims"].values()))
    return float(check["points"])


def run_check(check: dict, ctx: Context) -> CheckResult:
    """Run one check; a missing/unreadable file costs its points with the file's own message."""
    maximum = check_points(check)
    title = check.get("title", check["id"])
    try:
        points, message, details = CHECK_TYPES[check["type"]](check, ctx)
    except FileProblem as exc:
        points, message, details = 0.0, str(exc), []
    if points < maximum and check.get("fix"):
        message = f"{message} Fix: {check['fix']}"
    return CheckResult(check["id"], title, float(points), maximum, message, details)


# ---------------------------------------------------------------------------------------------------
# Specs and answers
# ---------------------------------------------------------------------------------------------------


def available_labs() -> list[int]:
    """Lab numbers that have a spec file."""
    return sorted(int(p.stem.split("-")[1]) for p in SPECS_DIR.glob("lab-*.yaml") if p.stem.split("-")[1].isdigit())


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
        where = f"{path}: check {number} ({check.get('id', 'no id') if isinstance(check, dict) else check!r})"
        if not isinstance(check, dict) or "id" not in check:
            raise CourseError(f"{where}: every check needs an 'id'.")
        if check["id"] in seen:
            raise CourseError(f"{where}: duplicate id.")
        seen.add(check["id"])
        if check.get("type") not in CHECK_TYPES:
            raise CourseError(f"{where}: unknown type {check.get('type')!r}; use one of {', '.join(CHECK_TYPES)}.")
        absent = [f for f in REQUIRED_FIELDS[check["type"]] if f not in check]
        if check["type"] not in CLAIM_TYPES:
            absent += [] if isinstance(check.get("points"), (int, float)) else ["points"]
        if absent:
            raise CourseError(f"{where}: missing field(s) {', '.join(absent)}.")
        validate_metrics(check, spec, where)
    total = sum(check_points(c) for c in spec["checks"])
    if "total_points" in spec and abs(total - spec["total_points"]) > 1e-9:
        raise CourseError(f"{path}: checks add up to {total:g} points but total_points says {spec['total_points']}.")
    spec["max_points"] = total
    return spec


def load_spec(lab: int) -> dict:
    """The validated spec of a lab, or CourseError listing the labs that have one."""
    path = SPECS_DIR / f"lab-{lab}.yaml"
    if not path.is_file():
        labs = ", ".join(str(n) for n in available_labs()) or "none"
        raise CourseError(
            f"no grading spec for lab {lab} ({path.name} not in coursekit/grading/specs). Labs with a spec: {labs}."
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
    """Read the hidden answers file; any defect is the instructor's to fix (CourseError, exit 2)."""
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
    dup = [i for i, d in enumerate(ids.duplicated()) if d]
    if dup:
        raise CourseError(f"malformed answers file {path}: repeated ids at {rows_text(str(path), dup)}.")
    bad = [i for i, v in enumerate(labels) if v not in names or not ids.iloc[i]]
    if bad:
        raise CourseError(
            f"malformed answers file {path}: empty id or label not in {names} at {rows_text(str(path), bad)}."
        )
    return Answers(dict(zip(ids, labels)), list(names))
