"""Core layer (every lab): read labelled text files with errors that say which row is wrong and how to fix it.

Every script reads its data through :func:`read_table` and :func:`load_labelled_texts`, so a missing
file, a misspelt column, an empty text or an unknown label gives the same clear message everywhere.
Text columns are read as text: a post that says ``123``, ``NaN``, ``N/A`` or ``null`` is that post, not a
number or a missing value (pandas' NA parsing still applies to the other columns, e.g. missing labels).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coursekit.errors import CourseError

READERS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
# The trail data's label columns hold 1 for open and 0 for closed (see data/README.md).
TRAIL_LABEL_NAMES = ["closed", "open"]
TRAIL_LABEL_COLUMNS = ["Blankets_Creek", "Rope_Mill"]
TOO_DEEP = "nested too deeply to be a record (lists or objects inside each other thousands of times); fix the file."


def row_name(path: Path, index: int) -> str:
    """How a student finds row ``index`` (0-based) in their editor: a line number where there is one."""
    kind = READERS.get(path.suffix.lower())
    if kind in {"csv", "tsv"}:
        return f"line {index + 2}"  # line 1 is the header
    if kind == "jsonl":
        return f"line {index + 1}"
    return f"record {index}"


def parse_jsonl(lines: list[str], source: str) -> list[dict]:
    """Parse JSON Lines (blank lines skipped), naming the first malformed line of ``source``."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CourseError(
                f"{source}: line {number} is not valid JSON ({exc.msg}); fix or delete that line."
            ) from None
        except RecursionError:
            raise CourseError(f"{source}: line {number} is {TOO_DEEP}") from None
        if not isinstance(record, dict):
            raise CourseError(f"{source}: line {number} is not a JSON object ({{...}}); each line must be one record.")
        records.append(record)
    return records


def _records_frame(records: list, text_columns: Sequence[str]) -> pd.DataFrame:
    """JSON records as a DataFrame; a bare number in a text column (``{"text": 123}``) becomes its digits first,
    as a column holding numbers and nulls would turn 123 into 123.0."""
    for record in records:
        for column in text_columns:
            if isinstance(record, dict) and as_text(record.get(column)) and not isinstance(record[column], str):
                record[column] = as_text(record[column])
    return pd.DataFrame.from_records(records)


def _read_csv(path: Path, sep: str, text_columns: Sequence[str]) -> pd.DataFrame:
    """Read a CSV/TSV file; ``text_columns`` (those the file has) are read again as raw strings.

    pandas turns ``123`` into a number and ``NaN``, ``N/A``, ``null`` (and an empty cell) into a missing value.
    For a text column that loses real posts, so those columns are read with ``dtype=str`` and
    ``keep_default_na=False``; the other columns keep the NA parsing that finds missing labels.
    """
    frame = pd.read_csv(path, sep=sep, encoding="utf-8")
    present = [column for column in dict.fromkeys(text_columns) if column in frame.columns]
    if present:
        raw = pd.read_csv(path, sep=sep, encoding="utf-8", usecols=present, dtype=str, keep_default_na=False)
        for column in present:
            frame[column] = raw[column]
    return frame


def read_table(path: str | Path, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read CSV, TSV, JSON (array of objects), JSON Lines or Parquet into a DataFrame.

    ``text_columns`` are read as text (see :func:`_read_csv`): pass the column of the texts whenever you know it.
    Raises :class:`CourseError` for a missing file, an unknown extension, text that is not UTF-8,
    malformed or too deeply nested JSON (with its line number) and an empty file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        hint = " (it is a directory)" if path.is_dir() else ""
        raise CourseError(f"data file not found: {path}{hint}. Check the path; course data lives in data/.")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise CourseError(f"{path}: unknown file type '{path.suffix}'. Use one of: {', '.join(READERS)}.")
    try:
        if kind in {"csv", "tsv"}:
            frame = _read_csv(path, "," if kind == "csv" else "\t", text_columns)
        elif kind == "jsonl":
            frame = _records_frame(parse_jsonl(path.read_text(encoding="utf-8").splitlines(), str(path)), text_columns)
        elif kind == "json":
            frame = _records_frame(json.loads(path.read_text(encoding="utf-8")), text_columns)
        else:
            frame = pd.read_parquet(path)
    except UnicodeDecodeError as exc:
        raise CourseError(
            f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start : exc.start + 1]!r}). Re-save the "
            "file as UTF-8 (e.g. pandas.read_csv(path, encoding='latin-1').to_csv(path, index=False))."
        ) from None
    except pd.errors.EmptyDataError:
        raise CourseError(f"{path}: the file is empty.") from None
    except RecursionError:
        raise CourseError(f"{path}: {TOO_DEEP}") from None
    except (pd.errors.ParserError, json.JSONDecodeError, ValueError, TypeError) as exc:
        raise CourseError(f"{path}: could not be parsed as {kind}: {exc}") from None
    except OSError as exc:
        raise CourseError(f"{path}: could not be read: {exc}") from None
    if frame.empty:
        raise CourseError(f"{path}: the file holds no rows.")
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """Fail with the list of available columns when any of ``columns`` is missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CourseError(
            f"{path}: no column {', '.join(repr(c) for c in missing)}. The file has: "
            f"{', '.join(repr(c) for c in frame.columns)}. Pass the right name with --text-column / --label-column."
        )


@dataclass
class LabelledTexts:
    """Texts with integer labels ``0..k-1`` and the name of each label (``label_names[i]``)."""

    texts: list[str]
    labels: list[int]
    label_names: list[str]

    @property
    def id2label(self) -> dict[int, str]:
        """The mapping the model config stores, so predictions come out as names, not LABEL_0."""
        return dict(enumerate(self.label_names))


def _is_integer_like(value) -> bool:
    """True for 1, 1.0, "1": label columns read from CSV/JSON come in any of these forms."""
    try:
        return float(value) == int(float(value))
    except (TypeError, ValueError):
        return False


def _list_rows(path: Path, indices: list[int], limit: int = 10) -> str:
    """'line 4, line 9, ... (+3 more)' for an error message."""
    shown = ", ".join(row_name(path, i) for i in indices[:limit])
    return shown + (f" (+{len(indices) - limit} more)" if len(indices) > limit else "")


def encode_labels(values: list, path: Path, label_names: list[str] | None = None) -> tuple[list[int], list[str]]:
    """Map raw label values to ``0..k-1`` and return ``(ids, names)``.

    Numeric labels are class ids; ``label_names`` names them in order (``["closed", "open"]`` for 0, 1).
    Text labels are their own names (sorted, unless ``label_names`` fixes the order).
    """
    if all(_is_integer_like(v) for v in values):
        ids = [int(float(v)) for v in values]
        names = label_names or [str(i) for i in range(max(ids) + 1)]
        bad = [i for i, v in enumerate(ids) if not 0 <= v < len(names)]
        if bad:
            raise CourseError(
                f"{path}: unknown label {ids[bad[0]]} at {_list_rows(path, bad)}. With label names "
                f"{names} the labels must be 0..{len(names) - 1}. Fix those rows or pass --label-names."
            )
        return ids, list(names)
    texts = [str(v).strip() for v in values]
    names = label_names or sorted(set(texts))
    index = {name: i for i, name in enumerate(names)}
    bad = [i for i, v in enumerate(texts) if v not in index]
    if bad:
        raise CourseError(
            f"{path}: unknown label {texts[bad[0]]!r} at {_list_rows(path, bad)}; expected one of {names}."
        )
    return [index[v] for v in texts], list(names)


def as_text(value: object) -> str:
    """A cell of a text column as text: a number (JSON ``123``) is its digits; missing values and
    anything else (lists, objects) are empty, and so reported as such."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:  # NaN != NaN
        return str(value)
    return ""


def require_texts(frame: pd.DataFrame, column: str, path: str | Path) -> list[str]:
    """The texts of ``column``, or an error naming every row whose text is empty or missing."""
    texts = [as_text(t) for t in frame[column]]
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise CourseError(
            f"{path}: empty text in column {column!r} at {_list_rows(Path(path), empty)}. Fill or remove those rows."
        )
    return texts


def default_label_names(label_column: str) -> list[str] | None:
    """The trail columns (in any file derived from the trail data) hold 0/1 for closed/open."""
    return list(TRAIL_LABEL_NAMES) if label_column in TRAIL_LABEL_COLUMNS else None


def load_labelled_texts(
    path: str | Path, text_column: str, label_column: str, label_names: list[str] | None = None
) -> LabelledTexts:
    """Read a file and return clean texts and integer labels, or fail naming every bad row.

    Empty texts and missing labels are errors, not silently dropped rows: a student should know that
    their file has them (Lab 1 shows how to clean such a file deliberately).
    """
    path = Path(path).expanduser()
    frame = read_table(path, text_columns=[text_column])
    require_columns(frame, [text_column, label_column], path)
    texts = require_texts(frame, text_column, path)
    labels = frame[label_column]
    missing = [i for i, v in enumerate(labels) if pd.isna(v) or (isinstance(v, str) and not v.strip())]
    if missing:
        raise CourseError(f"{path}: missing label in column {label_column!r} at {_list_rows(path, missing)}.")
    ids, names = encode_labels(labels.tolist(), path, label_names or default_label_names(label_column))
    if len(set(ids)) < 2:
        raise CourseError(
            f"{path}: column {label_column!r} holds only one label ({names[ids[0]]}); a classifier needs two or more."
        )
    return LabelledTexts(texts=[t.strip() for t in texts], labels=ids, label_names=names)


# Sentiment140's convention (the tweet-sentiment project): 0 = negative, 4 = positive; mapped to model ids 0, 1.
SENTIMENT140_LABELS = {0: "negative", 4: "positive"}
SENTIMENT140_COLUMNS = ["target", "id", "date", "user", "text"]
CHUNK_PATTERN = "chunk_*.csv"


def chunk_files(directory: str | Path) -> list[Path]:
    """The ``chunk_*.csv`` files of a chunked data folder, in name order; an error if there are none."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise CourseError(f"data folder not found: {directory}. Run `python data/generate_tweets.py` to make it.")
    files = sorted(directory.glob(CHUNK_PATTERN))
    if not files:
        raise CourseError(f"{directory}: no {CHUNK_PATTERN} files. Put the chunks there or point to their folder.")
    return files


def sentiment140_label(value: object, where: str) -> int:
    """Sentiment140's 0 / 4 as model ids 0 / 1; any other value (e.g. 2, "neutral") is an error naming ``where``."""
    if _is_integer_like(value) and int(float(value)) in SENTIMENT140_LABELS:  # type: ignore[arg-type]
        return sorted(SENTIMENT140_LABELS).index(int(float(value)))  # type: ignore[arg-type]
    raise CourseError(
        f"{where}: label {value!r} is not a Sentiment140 label; use 0 (negative) or 4 (positive). "
        "Neutral tweets (2) are not part of this binary task: remove those rows."
    )


def check_chunk(path: Path, columns: list[str]) -> None:
    """One chunk, checked before ``datasets`` reads it: UTF-8, the expected header, a label and a text per row."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CourseError(
            f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start : exc.start + 1]!r}). Re-save the "
            "chunk as UTF-8 (e.g. pandas.read_csv(path, encoding='latin-1').to_csv(path, index=False))."
        ) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if header != columns:
        raise CourseError(
            f"{path}: header {','.join(header) or '(empty)'} differs from the other chunks' {','.join(columns)}. "
            "Every chunk needs the same columns in the same order: fix that file's first line."
        )
    target, tweet = columns.index("target"), columns.index("text")
    for line, row in enumerate(reader, start=2):
        if len(row) != len(columns):
            raise CourseError(f"{path}: line {line} has {len(row)} fields, expected {len(columns)}; fix that row.")
        sentiment140_label(row[target], f"{path}: line {line}")
        if not row[tweet].strip():
            raise CourseError(f"{path}: line {line} has an empty tweet; fill or remove that row.")


def load_chunks(directory: str | Path, streaming: bool = False):
    """Every chunk of ``directory`` through ``datasets.load_dataset("csv", data_files=...)``, checked first.

    Returns a ``Dataset`` (or an ``IterableDataset`` with ``streaming=True``: rows are read as they are needed,
    for data larger than memory) with Sentiment140's columns and the raw 0 / 4 ``target``. Texts are read as
    text: a tweet that says ``NaN`` or ``123`` stays that tweet.
    """
    from datasets import Features, Value, load_dataset

    files = chunk_files(directory)
    for path in files:
        check_chunk(path, SENTIMENT140_COLUMNS)
    features = Features(
        {"target": Value("int64"), "id": Value("int64"), "date": Value("string"), "user": Value("string"),
         "text": Value("string")}
    )  # fmt: skip
    return load_dataset(
        "csv",
        data_files=[str(p) for p in files],
        split="train",
        features=features,
        keep_default_na=False,
        streaming=streaming,
    )


def load_sentiment140_chunks(directory: str | Path) -> LabelledTexts:
    """All chunks of ``directory`` as texts with labels 0 (negative) / 1 (positive) for training."""
    dataset = load_chunks(directory)
    labels = [sentiment140_label(v, str(directory)) for v in dataset["target"]]
    return LabelledTexts(
        texts=[t.strip() for t in dataset["text"]], labels=labels, label_names=list(SENTIMENT140_LABELS.values())
    )
