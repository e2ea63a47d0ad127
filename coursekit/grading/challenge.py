"""Instructor tools layer (Labs 4 and 7): make a lab's challenge inputs (for students) and hidden answers.

Usage:
    python -m coursekit.grading.challenge make --lab 4 --seed SECRET --out DIR [--rows 150] [--overwrite]
    python -m coursekit.grading.challenge make --lab 4 --seed SECRET --roster roster.csv --out DIR
    python -m coursekit.grading.challenge make --lab project-sms-spam --seed SECRET --out DIR

Lab 4: DIR/posts.csv (``id,text``) holds fresh trail posts from data/generate_trail_status.py; DIR/answers.csv
(``id,label``, label = Blankets_Creek status as open/closed) stays with the instructor and is passed to
``python -m coursekit.grading.grade --answers``. Posts that nearly duplicate a training text in
data/trail_status.csv (word Jaccard ≥ 0.8) are dropped and replaced, so the challenge cannot be solved
by memorising the training data. The same seed gives the same files; use a secret seed for real grading
(data/challenges/lab-4/posts.csv was made with the public seed 2026).

With ``--roster`` (a CSV with a ``student`` column) every student gets a variant of their own, seeded by
(seed, student): DIR/students/<student>/posts.csv with their own posts and ids, and one DIR/answers.csv with the
columns ``student,id,label``. The grader scores each hand-in folder against the variant of its name, so a copied
hand-in names ids the student never received and scores low.

Project "Tweet sentiment" (``--lab project-tweet-sentiment``): DIR/posts.csv (``id,text``) holds fresh tweets from
data/generate_tweets.py, none a near-duplicate of a tweet in data/tweets/; DIR/answers.csv (``id,label``, label =
negative/positive). ``--roster`` works the same way.
SMS spam project: DIR/messages.csv (``id,message``) holds fresh messages from data/generate_sms_spam.py, none a
near-duplicate of data/sms_spam.csv, 20 % spam; DIR/answers.csv (``id,label``, HAM/SPAM) stays with the instructor
(data/challenges/project-sms-spam/messages.csv was made with the public seed 2026). With ``--roster``:
DIR/students/<student>/messages.csv per student and one DIR/answers.csv (``student,id,label``).

Existing files are never replaced without ``--overwrite``; every file is written atomically.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import io
import shutil
from pathlib import Path
from types import ModuleType

from coursekit.data import TRAIL_LABEL_NAMES
from coursekit.errors import CourseError, brief, friendly_errors
from coursekit.fileio import atomic_write_text, refuse_to_replace, staging_dir, swap_in_dir
from coursekit.paths import DATA_DIR, TRAIL_STATUS_CSV

GENERATOR = DATA_DIR / "generate_trail_status.py"
# The SMS spam project (labs/project-sms-spam.md): fresh messages from its generator, graded on HAM/SPAM answers.
SMS_SPAM_PROJECT = "project-sms-spam"
SMS_SPAM_GENERATOR = DATA_DIR / "generate_sms_spam.py"
SMS_SPAM_CSV = DATA_DIR / "sms_spam.csv"
SMS_SPAM_SHARE = 0.2  # more spam than the training data's 13 %, so spam recall is measured on enough messages
DEFAULT_ROWS = 150
NEAR_DUPLICATE = 0.8
LABEL_COLUMN = "Blankets_Creek"
TWEETS_PROJECT = "project-tweet-sentiment"
CHALLENGE_LABS: tuple[int | str, ...] = (4, TWEETS_PROJECT, SMS_SPAM_PROJECT)
TWEET_GENERATOR = DATA_DIR / "generate_tweets.py"
ROSTER_COLUMN = "student"
MAX_STUDENT_ID = 100  # characters; a student id becomes a folder name


def load_generator(path: Path = GENERATOR) -> ModuleType:
    """Import a data generator (data/generate_trail_status.py by default) by path (data/ is not a package)."""
    if not path.is_file():
        raise CourseError(f"data generator not found: {path}.")
    spec = importlib.util.spec_from_file_location(path.stem, path)
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


def lab4_rows(
    seed: int,
    rows: int,
    training_csv: Path = TRAIL_STATUS_CSV,
    id_prefix: str = "p",
    loaded: tuple[ModuleType, list[frozenset]] | None = None,
) -> list[tuple[str, str, str]]:
    """``rows`` (id, text, label) triples of unseen posts, none a near-duplicate of a training text.

    Candidates come from the generator (which already keeps them apart from each other); each batch is
    twice what is still needed, and batches grow until enough survive the filter. ``loaded`` (the generator
    and the training word sets) saves re-reading them for every student of a roster.
    """
    if rows < 1:
        raise CourseError(f"--rows must be at least 1, got {rows}.")
    generator, training = loaded or load_training(training_csv)
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
    return [
        (f"{id_prefix}{i:0{width}d}", text, TRAIL_LABEL_NAMES[int(label)])
        for i, (text, label) in enumerate(kept, start=1)
    ]


def words(text: str) -> frozenset:
    """The lower-cased word set of a text (for the near-duplicate filter of the tweet challenge)."""
    return frozenset(text.lower().split())


def word_jaccard(a: frozenset, b: frozenset) -> float:
    """Jaccard similarity of two word sets."""
    return len(a & b) / len(a | b) if a | b else 1.0


def tweet_rows(
    seed: int, rows: int, training_csv: Path | None = None, id_prefix: str = "t", loaded: object = None
) -> list[tuple[str, str, str]]:
    """``rows`` (id, tweet, label) triples of fresh generated tweets, none a near-duplicate of a training tweet.

    Same signature as :func:`lab4_rows`; the training tweets are the chunks in data/tweets/ (``training_csv`` and
    ``loaded`` are not used).
    """
    if rows < 1:
        raise CourseError(f"--rows must be at least 1, got {rows}.")
    generator = load_module(TWEET_GENERATOR, ("generate",))
    training = [words(r[4]) for r in generator.generate(generator.DEFAULT_SEED, generator.DEFAULT_ROWS)]
    kept: list[tuple[str, int]] = []
    seen = list(training)
    for target, _id, _date, _user, text in generator.generate(seed, 3 * rows + 50):
        tokens = words(text)
        if any(word_jaccard(tokens, other) >= NEAR_DUPLICATE for other in seen):
            continue
        kept.append((text, target))
        seen.append(tokens)
        if len(kept) == rows:
            break
    if len(kept) < rows:
        raise CourseError(f"could only find {len(kept)} tweets unlike the training data; ask for fewer --rows.")
    width = max(3, len(str(rows)))
    return [
        (f"{id_prefix}{i:0{width}d}", text, "positive" if target == 4 else "negative")
        for i, (text, target) in enumerate(kept, start=1)
    ]


def load_module(path: Path, needed: tuple[str, ...]) -> ModuleType:
    """Import a data generator by path (data/ is not a package), checking it has the functions ``needed``."""
    if not path.is_file():
        raise CourseError(f"data generator not found: {path}.")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise CourseError(f"cannot import {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in needed if not hasattr(module, name)]
    if missing:
        raise CourseError(f"{path} has no function {missing[0]}().")
    return module


def sms_spam_rows(
    seed: int, rows: int, training_csv: Path = SMS_SPAM_CSV, id_prefix: str = "m"
) -> list[tuple[str, str, str]]:
    """``rows`` (id, message, HAM/SPAM) triples of new messages, none a near-duplicate of a training message or of
    another challenge message (word Jaccard ≥ 0.8), about :data:`SMS_SPAM_SHARE` of them spam."""
    if rows < 1:
        raise CourseError(f"--rows must be at least 1, got {rows}.")
    generator = load_generator(SMS_SPAM_GENERATOR)
    with Path(training_csv).open(encoding="utf-8", newline="") as handle:
        seen = [generator.tokens(row["message"]) for row in csv.DictReader(handle)]
    kept: list[tuple[str, str]] = []
    for attempt in range(10):
        for label, message in generator.generate(seed * 1000 + attempt, 3 * rows, SMS_SPAM_SHARE):
            words = generator.tokens(message)
            if len(kept) < rows and all(generator.jaccard(words, other) < NEAR_DUPLICATE for other in seen):
                kept.append((message, label))
                seen.append(words)
        if len(kept) == rows:
            break
    else:
        raise CourseError(f"could only find {len(kept)} messages unlike the training data; ask for fewer --rows.")
    width = max(3, len(str(rows)))
    return [(f"{id_prefix}{i:0{width}d}", message, label) for i, (message, label) in enumerate(kept, start=1)]


def make_sms_spam(seed: int, out: Path, rows: int, overwrite: bool) -> tuple[Path, Path]:
    """Write ``out/messages.csv`` (``id,message``, for students) and ``out/answers.csv`` (``id,label``)."""
    messages, answers = out / "messages.csv", out / "answers.csv"
    for path in (messages, answers):
        refuse_to_replace(path, overwrite, "challenge file")
    triples = sms_spam_rows(seed, rows)
    write_csv(messages, ["id", "message"], [(i, text) for i, text, _ in triples])
    write_csv(answers, ["id", "label"], [(i, label) for i, _, label in triples])
    return messages, answers


def load_training(training_csv: Path) -> tuple[ModuleType, list[frozenset]]:
    """The generator module and the word sets of the training texts."""
    generator = load_generator()
    return generator, training_token_sets(generator, training_csv)


def csv_text(header: list[str], rows: list[tuple]) -> str:
    """UTF-8 CSV text with '\\n' line endings (stable diffs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    """Write a CSV atomically (a kill mid-write leaves the old file or none)."""
    atomic_write_text(path, csv_text(header, rows))


def student_problem(student: str) -> str | None:
    """Why a roster id cannot name a student's folder (None if it can)."""
    if not student:
        return "is empty"
    if len(student) > MAX_STUDENT_ID:
        return f"is over {MAX_STUDENT_ID} characters"
    if not student.isprintable() or any(c in student for c in '/\\:*?"<>|') or student.startswith((".", "-")):
        return 'cannot be a folder name (no / \\ : * ? " < > |, control characters or leading . or -)'
    return None


def read_roster(path: Path) -> list[str]:
    """The student ids of a roster CSV (column ``student``): unique, each usable as a folder name."""
    if not path.is_file():
        raise CourseError(
            f"roster not found: {path}. It is a CSV with a column {ROSTER_COLUMN!r}, one row per student."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if ROSTER_COLUMN not in (reader.fieldnames or []):
            raise CourseError(f"{path}: no column {ROSTER_COLUMN!r} (it has {', '.join(reader.fieldnames or [])}).")
        students = [(row[ROSTER_COLUMN] or "").strip() for row in reader]
    if not students:
        raise CourseError(f"{path}: no students.")
    for line, student in enumerate(students, start=2):
        problem = student_problem(student)
        if problem:
            raise CourseError(f"{path} line {line}: student id {brief(student)} {problem}; fix the roster.")
    repeated = sorted({s for s in students if students.count(s) > 1})
    if repeated:
        raise CourseError(f"{path}: student id(s) {', '.join(repeated[:5])} appear more than once.")
    return students


def variant(seed: int, student: str) -> tuple[int, str]:
    """The seed and the id prefix of one student's variant, derived from (secret seed, student id)."""
    digest = hashlib.sha256(f"{seed}\x00{student}".encode()).hexdigest()
    return int(digest[:12], 16), f"{student[:1].lower() if student[:1].isalnum() else 's'}{digest[12:16]}-"


def make(
    lab: int | str,
    seed: int,
    out: Path,
    rows: int = DEFAULT_ROWS,
    training_csv: Path = TRAIL_STATUS_CSV,
    roster: Path | None = None,
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write ``out/posts.csv`` (or ``out/students/<id>/posts.csv`` per roster student) and ``out/answers.csv``;
    return the posts path (the students folder with a roster) and the answers path."""
    lab = int(lab) if str(lab).isdigit() else lab
    if lab == SMS_SPAM_PROJECT and roster is None:
        return make_sms_spam(seed, out, rows, overwrite)
    if lab not in CHALLENGE_LABS:
        raise CourseError(
            f"lab {lab} has no generated challenge inputs (only lab {', '.join(map(str, CHALLENGE_LABS))}); "
            "its challenge works on the course data, see labs/instructors.md."
        )
    answers = out / "answers.csv"
    if out.exists() and not out.is_dir():
        raise CourseError(f"--out {out} is a file; give a folder.")
    if roster is None:
        posts = out / "posts.csv"
        for path in (posts, answers):
            refuse_to_replace(path, overwrite, "challenge file")
        triples = (tweet_rows if lab == TWEETS_PROJECT else lab4_rows)(seed, rows, training_csv)
        write_csv(posts, ["id", "text"], [(i, text) for i, text, _ in triples])
        write_csv(answers, ["id", "label"], [(i, label) for i, _, label in triples])
        return posts, answers
    students = read_roster(roster)
    folder = out / "students"
    refuse_to_replace(folder, overwrite, "folder of student posts")
    refuse_to_replace(answers, overwrite, "answers file")
    loaded = load_training(training_csv) if lab == 4 else None
    staging = staging_dir(folder)
    try:
        answer_rows = []
        for student in students:
            student_seed, prefix = variant(seed, student)
            if lab == SMS_SPAM_PROJECT:  # the spam project hands out messages.csv (id,message)
                triples = sms_spam_rows(student_seed, rows, id_prefix=prefix)
                name, header = "messages.csv", ["id", "message"]
            else:
                triples = (tweet_rows if lab == TWEETS_PROJECT else lab4_rows)(
                    student_seed, rows, training_csv, prefix, loaded
                )
                name, header = "posts.csv", ["id", "text"]
            write_csv(staging / student / name, header, [(i, text) for i, text, _ in triples])
            answer_rows += [(student, i, label) for i, _, label in triples]
        write_csv(answers, [ROSTER_COLUMN, "id", "label"], answer_rows)
        swap_in_dir(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder, answers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m coursekit.grading.challenge", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    maker = commands.add_parser("make", help="write posts.csv (for students) and answers.csv (keep secret)")
    maker.add_argument(
        "--lab", required=True, help=f"lab number (4) or project name ({TWEETS_PROJECT}, {SMS_SPAM_PROJECT})"
    )
    maker.add_argument("--seed", type=int, required=True, help="secret seed; the same seed gives the same files")
    maker.add_argument("--out", type=Path, required=True, help="folder for posts.csv and answers.csv")
    maker.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"number of posts (default {DEFAULT_ROWS})")
    maker.add_argument(
        "--roster", type=Path, help="CSV with a 'student' column: one variant (own posts, own answers) per student"
    )
    maker.add_argument("--overwrite", action="store_true", help="replace existing posts/answers files")
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
    posts, answers = make(args.lab, args.seed, args.out, args.rows, args.training, args.roster, args.overwrite)
    if args.roster is None:
        unit = "messages" if args.lab == SMS_SPAM_PROJECT else "posts"
        print(f"wrote {posts} ({args.rows} {unit}): hand this to students")
    else:
        print(f"wrote {posts}/<student>/posts.csv ({args.rows} posts each): hand each student their own file")
    print(f"wrote {answers}: keep it secret; grade with")
    print(f"  python -m coursekit.grading.grade SUBMISSIONS --lab {args.lab} --answers {answers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
