"""Check a labelled text file before training and list every problem with its rows and a fix.

Reads CSV, TSV, JSON (array), JSON Lines or Parquet and reports: missing columns, empty texts,
missing labels, labels that differ only by case/whitespace, unknown labels (with --allowed-labels),
exact duplicate texts (and duplicates with conflicting labels) and stray fields.

Exit status: 0 = no problems, 1 = problems found (the report says which), 2 = the file cannot be
read (missing, unknown extension, not UTF-8, malformed JSON line).

Run:
    python examples/data/validate_dataset.py data/feedback.jsonl
    python examples/data/validate_dataset.py data/feedback.jsonl \\
        --allowed-labels praise,bug_report,feature_request,billing,other
    python examples/data/validate_dataset.py data/trail_status.csv --text-column status --label-column Rope_Mill
"""

from __future__ import annotations

import argparse

from coursekit.errors import friendly_errors
from coursekit.lessons.dataset_checks import validate_dataset


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults fit data/feedback.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="the data file to check (.csv, .tsv, .json, .jsonl, .parquet)")
    parser.add_argument("--text-column", default="text", help="column holding the text (default: text)")
    parser.add_argument("--label-column", default="label", help="column holding the label (default: label)")
    parser.add_argument(
        "--allowed-labels",
        default=None,
        help="comma-separated list of valid labels; without it only spelling variants are flagged",
    )
    return parser.parse_args(argv)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Validate the file, print the report and return the exit status."""
    args = parse_args(argv)
    allowed = [a.strip() for a in args.allowed_labels.split(",") if a.strip()] if args.allowed_labels else None
    report = validate_dataset(args.file, args.text_column, args.label_column, allowed)
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
