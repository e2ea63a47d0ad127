"""Lab 7: classify every text of a file with a saved model and write one record per text (JSONL or CSV).

    python examples/inferencing/batch_predict.py outputs/blankets_creek-minilm-l6 \\
        --input data/challenges/lab-4/posts.csv --output outputs/lab-7/predictions.jsonl
    python examples/inferencing/batch_predict.py MODEL_DIR --input posts.txt --output preds.csv --threshold 0.95
    python examples/inferencing/batch_predict.py MODEL_DIR --input feed.jsonl --text-column status --batch-size 8

Each record holds the text, the decision ``label`` (the model's label, or "needs review" when the confidence is
below ``--threshold``), the model's ``predicted_label``, its ``confidence`` and every label's score, plus ``id``
when the input has an id column. Inputs: CSV/TSV/JSON/JSONL/Parquet with a text column, or .txt with one text
per line; texts such as ``123``, ``NaN`` or ``null`` are read as the texts they are. Inputs and options (also
``--max-length``: at least 8 and at most what the model can read, 512 tokens for MiniLM) are checked before the
model is loaded, so mistakes fail in a second. The output is written to a temporary name and renamed when it is
complete, and an existing output is never replaced unless you pass ``--overwrite``. Works from any working
directory. ``--backend onnx`` or ``onnx-int8`` (Lab 11) runs the graph that examples/efficient/export_onnx.py
wrote into the model folder with ONNX Runtime instead of PyTorch.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

from coursekit.data import read_table, require_columns, require_texts
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_writer, refuse_to_replace
from coursekit.inference import (
    BACKENDS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_LENGTH,
    DEFAULT_THRESHOLD,
    DEVICES,
    NEEDS_REVIEW,
    NO_LABELS,
    MultiLabelPrediction,
    Prediction,
    check_max_length,
    check_threshold,
    flat_record,
    load_backend,
)
from coursekit.models import require_model_dir
from coursekit.paths import shown_path

OUTPUT_TYPES = (".jsonl", ".csv")


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("model_dir", type=Path, help="a directory written by examples/training/classifier.py")
    parser.add_argument(
        "--input",
        type=Path,
        required=True,
        help=".txt (one text per line), or CSV/TSV/JSON/JSONL/Parquet with --text-column",
    )
    parser.add_argument("--output", type=Path, required=True, help="where to write the records: .jsonl or .csv")
    parser.add_argument("--text-column", default="text", help="column holding the texts")
    parser.add_argument(
        "--id-column", default="id", help="column copied into each record as 'id' (if the file has it)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"confidence below this becomes {NEEDS_REVIEW!r}; 0 turns the review off",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--max-length", type=int, default=DEFAULT_MAX_LENGTH, help="longer texts are truncated (tokens)"
    )
    parser.add_argument("--device", choices=DEVICES, help="default: the best available (cuda, mps, cpu)")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="pytorch",
        help="onnx/onnx-int8: the graph export_onnx.py wrote (Lab 11)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    return parser


def read_lines(path: Path) -> list[str]:
    """The non-blank lines of a UTF-8 text file."""
    if not path.is_file():
        raise CourseError(f"input file not found: {path}. Check the path.")
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text; re-save it as UTF-8.") from None


def read_input(path: Path, text_column: str, id_column: str) -> tuple[list[str], list[str] | None]:
    """Texts (and ids, if the file has ``id_column``) of the input; empty texts are an error naming their rows."""
    if path.suffix.lower() == ".txt":
        return read_lines(path), None
    frame = read_table(path, text_columns=[text_column])
    require_columns(frame, [text_column], path)
    texts = require_texts(frame, text_column, path)
    ids = [str(v) for v in frame[id_column]] if id_column in frame.columns else None
    return texts, ids


def check_output(path: Path, overwrite: bool) -> None:
    """The output must be .jsonl or .csv, and must not replace a file unless asked to."""
    if path.suffix.lower() not in OUTPUT_TYPES:
        raise CourseError(f"--output must end in {' or '.join(OUTPUT_TYPES)}, got {path.name!r}.")
    if path.is_dir():
        raise CourseError(f"--output {path} is a folder; give a file name ending in {' or '.join(OUTPUT_TYPES)}.")
    refuse_to_replace(path, overwrite)


def records(predictions: list[Prediction], ids: list[str] | None) -> list[dict]:
    """One JSON-ready record per prediction, with ``id`` first when the input had ids."""
    rows = [p.to_dict() for p in predictions]
    if ids is not None:
        rows = [{"id": i, **row} for i, row in zip(ids, rows)]
    return rows


def write_records(path: Path, rows: list[dict], labels: list[str]) -> None:
    """JSON Lines as they are, or CSV with one ``score_<label>`` column per label; written to a temporary name and
    renamed when complete, so an interrupted run never leaves half a file."""
    if path.suffix.lower() == ".jsonl":
        with atomic_writer(path) as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return
    flat = [flat_record(row, labels) for row in rows]
    with atomic_writer(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(flat[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)


def label_counts(predictions: list[Prediction]) -> Counter:
    """Texts per label and needing review; a multi-label model's text counts once for each label it has (or as
    having none)."""
    counts: Counter = Counter()
    for p in predictions:
        multi = isinstance(p, MultiLabelPrediction) and not p.needs_review
        counts.update((p.labels or [NO_LABELS]) if multi else [p.label])
    return counts


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Check everything, classify the file in batches, write the records and print a summary."""
    args = build_parser().parse_args(argv)
    check_threshold(args.threshold)
    if args.batch_size < 1:
        raise CourseError(f"--batch-size must be at least 1, got {args.batch_size}.")
    model_dir = require_model_dir(args.model_dir)
    check_max_length(args.max_length, model_dir)
    check_output(args.output, args.overwrite)
    texts, ids = read_input(args.input, args.text_column, args.id_column)

    from coursekit.logs import quiet_libraries  # imports transformers: only once the inputs are known to be good

    quiet_libraries()
    classifier = load_backend(model_dir, args.backend, device=args.device, max_length=args.max_length)
    predictions = classifier.predict(texts, batch_size=args.batch_size, threshold=args.threshold)
    write_records(args.output, records(predictions, ids), classifier.labels)
    counts = label_counts(predictions)
    none = [NO_LABELS] if classifier.multi_label else []
    shown = ", ".join(f"{label} {counts[label]}" for label in [*classifier.labels, *none, NEEDS_REVIEW])
    runs_on = classifier.device if args.backend == "pytorch" else f"{classifier.device} ({args.backend})"
    print(f"{len(predictions)} texts on {runs_on}: {shown} (threshold {args.threshold:g})")
    print(f"wrote {shown_path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
