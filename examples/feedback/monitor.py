"""Project "product feedback": read the prediction log and report drift against the training data.

    python examples/feedback/monitor.py                                   # outputs/prediction_log.jsonl, last 7 days
    python examples/feedback/monitor.py --log outputs/prediction_log.jsonl --days 30 \
        --reference outputs/project-product-feedback/runs/v1/test_predictions.csv --output outputs/monitor

The log is what the app and the service write (coursekit.feedback_log; rotated files ``.1`` ... are read too). The
output folder receives ``drift.md`` (label mix, confidence, share below the review threshold, new tokens),
``drift.json`` (the same numbers) and ``drift.png`` (label mix and confidence histograms). Damaged log lines are
skipped and counted. An earlier report is replaced only with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pandas as pd

from coursekit.data import read_table
from coursekit.errors import CourseError, friendly_errors
from coursekit.feedback_log import RotatingLog
from coursekit.fileio import atomic_write_bytes, atomic_write_text
from coursekit.inference import DEFAULT_THRESHOLD, check_threshold
from coursekit.lessons.drift import drift_figure, drift_markdown, drift_report
from coursekit.lessons.feedback_project import PROJECT_DIR
from coursekit.paths import OUTPUTS_DIR, shown_path

REPORT_FILES = ("drift.md", "drift.json", "drift.png")


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--log", type=Path, default=OUTPUTS_DIR / "prediction_log.jsonl", help="the prediction log")
    parser.add_argument(
        "--training-data",
        type=Path,
        default=PROJECT_DIR / "data" / "pool.jsonl",
        help="what the model learned from (columns text, label)",
    )
    parser.add_argument("--reference", type=Path, help="CSV with a confidence column, e.g. a run's test_predictions")
    parser.add_argument("--days", type=float, default=7, help="look at the last N days of the log (0: all of it)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="the review threshold")
    parser.add_argument("--top", type=int, default=10, help="new tokens listed")
    parser.add_argument("--output", type=Path, default=PROJECT_DIR / "monitor")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier report")
    return parser


def read_training(path: Path) -> pd.DataFrame:
    """The training texts and labels (columns ``text`` and ``label``)."""
    frame = read_table(path, text_columns=["text"])
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        raise CourseError(f"{shown_path(path)} has no column {missing[0]!r}; --training-data needs text and label.")
    return frame


def read_reference(path: Path | None) -> list[float] | None:
    """Confidences of the model on its test split (``test_predictions.csv``), or None."""
    if path is None:
        return None
    frame = read_table(path)
    if "confidence" not in frame.columns:
        raise CourseError(f"{shown_path(path)} has no 'confidence' column; pass a run's test_predictions.csv.")
    return [float(c) for c in frame["confidence"]]


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Read, compare, write the three report files."""
    args = build_parser().parse_args(argv)
    check_threshold(args.threshold)
    output = args.output.resolve()
    existing = [name for name in REPORT_FILES if (output / name).exists()]
    if existing and not args.overwrite:
        raise CourseError(f"{shown_path(output)} already holds {', '.join(existing)}; pass --overwrite to replace.")
    log = RotatingLog(args.log)
    if not any(path.is_file() for path in log.files()):
        raise CourseError(
            f"no prediction log at {shown_path(args.log)}. Serve some predictions first (the app writes "
            "outputs/prediction_log.jsonl) or pass --log."
        )
    records, skipped = (read := log.read()).records, read.skipped
    try:
        report = drift_report(
            records, read_training(args.training_data), args.threshold, read_reference(args.reference),
            days=args.days or None, top=args.top,
        )  # fmt: skip
    except ValueError as exc:
        raise CourseError(
            f"{shown_path(args.log)}: {exc} (records: {len(records)}, damaged lines: {skipped}). Pass --days 0 to "
            "read the whole log."
        ) from None
    report["damaged_lines"] = skipped
    markdown = drift_markdown(report) + f"\n{skipped} damaged log lines skipped.\n"
    figure = drift_figure(report)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=110)
    output.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output / "drift.md", markdown)
    atomic_write_text(output / "drift.json", json.dumps(report, indent=2) + "\n")
    atomic_write_bytes(output / "drift.png", png.getvalue())
    print(markdown)
    print(f"wrote {', '.join(REPORT_FILES)} to {shown_path(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
