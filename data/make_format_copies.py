"""Write ``data/formats/``: the trail data as JSON, JSON Lines and Parquet, plus a train/test pair of CSVs.

Lab 1 loads *the same rows* from every common file format to show that the loaders, not the data,
differ. Copies made by hand drift (the original course shipped a JSON copy whose labels had become
strings), so they are derived from ``data/trail_status.csv`` by this script, and ``--check`` (run by
the tests) fails when any copy no longer matches the CSV.

Files written (labels stay integers 0/1 in every format):

* ``trail_status.json``     one JSON array of objects ``[{"status": ..., "Blankets_Creek": 1, ...}, ...]``
* ``trail_status.jsonl``    one JSON object per line
* ``trail_status.parquet``  columnar, typed (needs pyarrow)
* ``trail_status_train.csv`` / ``trail_status_test.csv``  a seeded 80/20 random split, rows in file order

Usage:
    python data/make_format_copies.py            # (re)write data/formats/
    python data/make_format_copies.py --check    # exit 1 if a copy is missing or out of sync
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent
SOURCE = DATA_DIR / "trail_status.csv"
OUT_DIR = DATA_DIR / "formats"
TEST_FRACTION, SEED = 0.2, 42


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded 80/20 split; both parts keep the CSV's row order."""
    test = frame.sample(frac=TEST_FRACTION, random_state=SEED).sort_index()
    return frame.drop(index=test.index), test


def expected_copies(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """File name -> the rows that file must hold."""
    train, test = split(frame)
    whole = {f"trail_status.{ext}": frame for ext in ("json", "jsonl", "parquet")}
    return {**whole, "trail_status_train.csv": train, "trail_status_test.csv": test}


def write(name: str, frame: pd.DataFrame, out_dir: Path) -> None:
    """Write one copy; JSON through the json module so text is kept as written (no '\\/' escapes)."""
    path = out_dir / name
    records = frame.to_dict(orient="records")
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif name.endswith(".parquet"):
        frame.reset_index(drop=True).to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")


def read(path: Path) -> pd.DataFrame:
    """Read a copy back with the reader its extension calls for."""
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    if path.suffix == ".json":
        return pd.DataFrame.from_records(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def out_of_sync(frame: pd.DataFrame, out_dir: Path) -> list[str]:
    """Names of the copies that are missing or whose rows differ from what the CSV implies."""
    stale = []
    for name, rows in expected_copies(frame).items():
        path = out_dir / name
        if not path.is_file():
            stale.append(f"{name} (missing)")
            continue
        copy = read(path)
        same = list(copy.columns) == list(rows.columns) and copy.astype(str).reset_index(drop=True).equals(
            rows.astype(str).reset_index(drop=True)
        )
        if not same:
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Write the copies, or with --check report the ones that are out of sync."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any copy is out of sync")
    parser.add_argument("--output-dir", type=Path, default=OUT_DIR, help="where the copies go (default data/formats)")
    args = parser.parse_args(argv)
    if not SOURCE.is_file():
        print(f"error: {SOURCE} not found; run `python data/generate_trail_status.py` first", file=sys.stderr)
        return 2
    frame = pd.read_csv(SOURCE)
    if args.check:
        stale = out_of_sync(frame, args.output_dir)
        if stale:
            print(
                "out of sync with trail_status.csv: " + ", ".join(stale) + "\nrun: python data/make_format_copies.py"
            )
            return 1
        print(f"all {len(expected_copies(frame))} copies match {SOURCE.name} ({len(frame)} rows)")
        return 0
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in expected_copies(frame).items():
        write(name, rows, args.output_dir)
        print(f"wrote {len(rows):4d} rows to {args.output_dir.name}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
