"""Generate ``trail_status_imbalanced.csv``: the trail data with most "closed" Blankets Creek posts removed.

Lab 3 needs a data set where one class is rare. Rather than hand-editing a copy (the original course's
imbalanced file duplicated 61 posts, which then leaked across the train/test split), this script
derives one from ``trail_status.csv``, reproducibly:

* every row whose ``Blankets_Creek`` label is 1 (open) is kept;
* a seeded random ``--keep-fraction`` (default 0.15) of the rows labelled 0 (closed) is kept;
* rows are written unchanged, in their original order, with the same columns
  (``status,Blankets_Creek,Rope_Mill``). No row is duplicated or edited.

The result has "closed" as the minority class of ``Blankets_Creek`` (about 12%). ``Rope_Mill`` is kept so
the file has the same schema as the original, but its labels are not the point of this file.

Only the Python standard library is used; the same seed gives the same file byte for byte.

Usage:
    python data/make_imbalanced_trail.py                     # writes data/trail_status_imbalanced.csv
    python data/make_imbalanced_trail.py --keep-fraction 0.1 --seed 3 --output /tmp/out.csv
"""

import argparse
import csv
import random
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_INPUT = DATA_DIR / "trail_status.csv"
DEFAULT_OUTPUT = DATA_DIR / "trail_status_imbalanced.csv"
DEFAULT_SEED = 3
DEFAULT_KEEP_FRACTION = 0.15
LABEL_COLUMN = "Blankets_Creek"
MINORITY_VALUE = "0"  # closed


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Return the header and the rows of a CSV file, as strings."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def make_imbalanced(header: list[str], rows: list[list[str]], keep_fraction: float, seed: int) -> list[list[str]]:
    """Keep all majority rows and ``round(keep_fraction * n_minority)`` seeded-random minority rows, in order."""
    column = header.index(LABEL_COLUMN)
    minority = [i for i, row in enumerate(rows) if row[column] == MINORITY_VALUE]
    kept = set(random.Random(seed).sample(minority, round(keep_fraction * len(minority))))
    return [row for i, row in enumerate(rows) if row[column] != MINORITY_VALUE or i in kept]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write UTF-8 CSV with '\\n' line endings, quoting like the input file's generator."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv=None) -> int:
    """Parse arguments, derive the imbalanced file, report its class counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="the balanced trail file")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the imbalanced file")
    parser.add_argument(
        "--keep-fraction",
        type=float,
        default=DEFAULT_KEEP_FRACTION,
        help="share of 'closed' Blankets_Creek rows to keep (default 0.15)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 3)")
    args = parser.parse_args(argv)
    if not 0 < args.keep_fraction <= 1:
        parser.error(f"--keep-fraction must be in (0, 1], got {args.keep_fraction}")
    if not args.input.is_file():
        print(f"error: {args.input} not found; run `python data/generate_trail_status.py` first.", file=sys.stderr)
        return 2
    header, rows = read_rows(args.input)
    if LABEL_COLUMN not in header:
        print(f"error: {args.input} has no column {LABEL_COLUMN!r} (columns: {header}).", file=sys.stderr)
        return 2
    out = make_imbalanced(header, rows, args.keep_fraction, args.seed)
    write_rows(args.output, header, out)
    n_closed = sum(row[header.index(LABEL_COLUMN)] == MINORITY_VALUE for row in out)
    print(
        f"wrote {len(out)} rows to {args.output}: {len(out) - n_closed} open, {n_closed} closed "
        f"({n_closed / len(out):.1%} closed) for {LABEL_COLUMN}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
