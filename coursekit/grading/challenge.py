"""Make a lab's challenge inputs (for students) and hidden answers (for the instructor).

Usage:
    python -m coursekit.grading.challenge make --lab 4 --seed SECRET --out DIR [--rows 150]

Lab 4: DIR/posts.csv (``id,text``) holds fresh trail posts from data/generate_trail_status.py; DIR/answers.csv
(``id,label``, label = Blankets_Creek status as open/closed) stays with the instructor and is passed to
``python -m coursekit.grading.grade --answers``. Posts that nearly duplicate a training text in
data/trail_status.csv (word Jaccard ≥ 0.8) are dropped and replaced, so the challenge cannot be solved
by memorising the training data. The same seed gives the same files; use a secret seed for real grading
(data/challenges/lab-4/posts.csv was made with the public seed 2026).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
from pathlib import Path
from types import ModuleType

from coursekit.data import TRAIL_LABEL_NAMES
from coursekit.errors import CourseError, friendly_errors
from coursekit.paths import DATA_DIR, TRAIL_STATUS_CSV

GENERATOR = DATA_DIR / "generate_trail_status.py"
DEFAULT_ROWS = 150
NEAR_DUPLICATE = 0.8
LABEL_COLUMN = "Blankets_Creek"
CHALLENGE_LABS = (4,)


def load_generator(path: Path = GENERATOR) -> ModuleType:
    """Import data/generate_trail_status.py by path (data/ is not a package)."""
    if not path.is_file():
        raise CourseError(f"data generator not found: {path}.")
    spec = importlib.util.spec_from_file_location("generate_trail_status", path)
    if spec is None or spec.loader is None:
        raise CourseError(f"cannot import {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("generate", "tokens", "jaccard"):
        if not hasattr(module, name):
            raise CourseError(
                f"{path} has no function {name}(); the challenge maker needs generate(seed, n_rows), "
                "tokens(text) and jaccard(a, b)."
            )
    return module


def training_token_sets(generator: ModuleType, training_csv: Path) -> list[frozenset]:
    """Word sets of every training text, to keep challenge posts away from them."""
    if not training_csv.is_file():
        raise CourseError(
            f"training data not found: {training_csv}. Run `python data/generate_trail_status.py` first."
        )
    with training_csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "status" not in (reader.fieldnames or []):
            raise CourseError(
                f"{training_csv}: no 'status' column; expected the trail data (status,Blankets_Creek,Rope_Mill)."
            )
        return [generator.tokens(row["status"]) for row in reader]


def lab4_rows(seed: int, rows: int, training_csv: Path = TRAIL_STATUS_CSV) -> list[tuple[str, str, str]]:
    """``rows`` (id, text, label) triples of unseen posts, none a near-duplicate of a training text.

    Candidates come from the generator (which already keeps them apart from each other); each batch is
    twice what is still needed, and batches grow until enough survive the filter.
    """
    if rows < 1:
        raise CourseError(f"--rows must be at least 1, got {rows}.")
    generator = load_generator()
    training = training_token_sets(generator, training_csv)
    kept: list[tuple[str, int]] = []
    kept_tokens: list[frozenset] = []
    attempt = 0
    while len(kept) < rows:
        if attempt == 10:
            raise CourseError(f"could only find {len(kept)} posts unlike the training data; ask for fewer --rows.")
        candidates = generator.generate(seed * 1000 + attempt, 2 * (rows - len(kept)) + 10)
        for text, blankets, _rope_mill in candidates:
            words = generator.tokens(text)
            if any(generator.jaccard(words, other) >= NEAR_DUPLICATE for other in training + kept_tokens):
                continue
            kept.append((text, blankets))
            kept_tokens.append(words)
            if len(kept) == rows:
                break
        attempt += 1
    width = max(3, len(str(rows)))
    return [(f"p{i:0{width}d}", text, TRAIL_LABEL_NAMES[int(label)]) for i, (text, label) in enumerate(kept, start=1)]


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    """UTF-8 CSV with '\\n' line endings (stable diffs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def make(
    lab: int, seed: int, out: Path, rows: int = DEFAULT_ROWS, training_csv: Path = TRAIL_STATUS_CSV
) -> tuple[Path, Path]:
    """Write ``out/posts.csv`` (students) and ``out/answers.csv`` (instructor); return both paths."""
    if lab not in CHALLENGE_LABS:
        raise CourseError(
            f"lab {lab} has no generated challenge inputs (only lab {', '.join(map(str, CHALLENGE_LABS))}); "
            "its challenge works on the course data, see labs/instructors.md."
        )
    triples = lab4_rows(seed, rows, training_csv)
    posts, answers = out / "posts.csv", out / "answers.csv"
    write_csv(posts, ["id", "text"], [(i, text) for i, text, _ in triples])
    write_csv(answers, ["id", "label"], [(i, label) for i, _, label in triples])
    return posts, answers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading.challenge", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    maker = commands.add_parser("make", help="write posts.csv (for students) and answers.csv (keep secret)")
    maker.add_argument("--lab", type=int, required=True, help="lab number (4)")
    maker.add_argument("--seed", type=int, required=True, help="secret seed; the same seed gives the same files")
    maker.add_argument("--out", type=Path, required=True, help="folder for posts.csv and answers.csv")
    maker.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"number of posts (default {DEFAULT_ROWS})")
    maker.add_argument(
        "--training",
        type=Path,
        default=TRAIL_STATUS_CSV,
        help="training CSV the posts must not duplicate (default data/trail_status.csv)",
    )
    return parser.parse_args(argv)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Make the challenge files and say which one to hand out."""
    args = parse_args(argv)
    posts, answers = make(args.lab, args.seed, args.out, args.rows, args.training)
    print(f"wrote {posts} ({args.rows} posts): hand this to students")
    print(
        f"wrote {answers}: keep it secret; grade with python -m coursekit.grading.grade SUBMISSIONS --lab {args.lab} --answers {answers}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
