"""Instructor tools layer (the grader, Labs 1-9): reading a hand-in's files as hostile data.

Every reader turns a bad file into :class:`FileProblem` (which costs only the checks that read that file) and
bounds what it parses: CSV headers that repeat after stripping, JSON nested deeper than ``MAX_JSON_DEPTH``
(``[`` × 200,000 would raise RecursionError), integers longer than Python converts (5,000 digits) and
non-UTF-8 text are all named problems, never a crash of the whole submission.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from coursekit.data import row_name
from coursekit.errors import brief
from coursekit.grading.submissions import Submission

ROW_LIST_LIMIT = 8
MAX_JSON_DEPTH = 64  # the course's JSON files nest 4 levels; deeper is a hostile file


class FileProblem(Exception):
    """A hand-in file that a check needs is missing, refused or unreadable (the message says which)."""


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
        raise FileProblem(f"{name} is not a valid CSV ({brief(str(exc).strip())}).") from None
    columns = [str(c).strip() for c in frame.columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise FileProblem(
            f"{name}: the header names the column(s) {', '.join(brief(c) for c in repeated[:5])} twice "
            "(spaces around names do not count); each column once."
        )
    frame.columns = columns
    return frame


def json_depth_problem(data: Any, name: str) -> None:
    """FileProblem when ``data`` nests lists/objects deeper than MAX_JSON_DEPTH (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise FileProblem(f"{name}: lists/objects nested more than {MAX_JSON_DEPTH} levels deep; not graded.")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack += [(child, depth + 1) for child in children if isinstance(child, (dict, list))]


def parse_json(text: str, name: str, where: str = "") -> Any:
    """One JSON document, bounded in depth and number size; any defect is a FileProblem naming the place.

    ``where`` (e.g. ``": line 3"``) places a JSON Lines record in its file.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if where:
            raise FileProblem(f"{name}{where} is not valid JSON ({exc.msg}); fix or delete that line.") from None
        raise FileProblem(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. "
            "Write it with json.dump(data, f, indent=2)."
        ) from None
    except RecursionError:
        raise FileProblem(f"{name}{where}: lists/objects nested too deeply to read; not graded.") from None
    except ValueError:  # an integer over Python's 4,300-digit limit
        raise FileProblem(f"{name}{where}: a number has thousands of digits; write ordinary numbers.") from None
    json_depth_problem(data, name + where)
    return data


def parse_jsonl(lines: list[str], name: str) -> list[dict]:
    """JSON Lines (blank lines skipped) with :func:`parse_json`'s bounds, naming the first bad line."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = parse_json(line, name, f": line {number}")
        if not isinstance(record, dict):
            raise FileProblem(f"{name}: line {number} is not a JSON object ({{...}}); each line must be one record.")
        records.append(record)
    return records


def read_jsonl_strings(path: Path, name: str) -> pd.DataFrame:
    """Read JSON Lines (one object per line) with every value as text, naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise FileProblem(f"{name} is not UTF-8 text; write it with json.dumps(record, ensure_ascii=False).") from None
    records = [
        {key: "" if value is None else str(value) for key, value in record.items()}
        for record in parse_jsonl(lines, name)
    ]
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
        """A JSON hand-in file, parsed with :func:`parse_json`'s bounds."""

        def load(path: Path) -> Any:
            try:
                return parse_json(path.read_text(encoding="utf-8"), name)
            except UnicodeDecodeError:
                raise FileProblem(f"{name} is not UTF-8 text; write it with json.dump(...).") from None

        return self._cached("json", name, load)

    def text(self, name: str) -> str:
        def load(path: Path) -> str:
            try:
                return path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise FileProblem(f"{name} is not UTF-8 text; save it as UTF-8.") from None

        return self._cached("text", name, load)
