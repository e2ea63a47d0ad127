"""Measure how long texts are in tokens, and what truncation and padding at a max_length cost.

Tokenizes a column of a data file with a model's own tokenizer (no truncation) and prints:
token-length mean / p50 / p95 / max, the share of texts longer than --max-length (they would be
truncated), and the padding waste (share of all token positions that are [PAD]) in batches of
--batch-size when every text is padded to --max-length versus padded per batch (dynamic padding,
what DataCollatorWithPadding does). Batches follow the file order. Empty texts are skipped.

Run:
    python examples/tokenization/token_lengths.py                               # trail posts, max_length 64
    python examples/tokenization/token_lengths.py --data data/feedback.jsonl --text-column text --max-length 96
    python examples/tokenization/token_lengths.py --clean --plot outputs/trail_lengths.png
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from coursekit.data import read_table, require_columns
from coursekit.errors import CourseError, friendly_errors
from coursekit.lessons.dataset_checks import is_empty_text
from coursekit.lessons.text import clean_social_text, count_tokens, plot_token_lengths, token_length_stats
from coursekit.models import resolve_model
from coursekit.paths import TRAIL_STATUS_CSV


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (the defaults measure the trail posts for the course model)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=TRAIL_STATUS_CSV, help="data file (default: data/trail_status.csv)"
    )
    parser.add_argument("--text-column", default="status", help="column holding the text (default: status)")
    parser.add_argument("--model", default="minilm-l6", help="model alias or directory whose tokenizer to use")
    parser.add_argument("--max-length", type=int, default=64, help="the max_length to evaluate (default: 64)")
    parser.add_argument("--batch-size", type=int, default=16, help="batch size for the padding estimate (default: 16)")
    parser.add_argument("--clean", action="store_true", help="apply clean_social_text() before tokenizing")
    parser.add_argument("--plot", type=Path, default=None, help="save a token-length histogram PNG here")
    return parser.parse_args(argv)


def load_texts(path: Path, column: str, clean: bool) -> tuple[list[str], int]:
    """Non-empty texts of the column in file order, and how many empty ones were skipped."""
    frame = read_table(path)
    require_columns(frame, [column], path)
    texts = [t for t in frame[column] if not is_empty_text(t)]
    if not texts:
        raise CourseError(f"{path}: column {column!r} holds no non-empty text")
    if clean:
        texts = [clean_social_text(t) for t in texts]
    return texts, len(frame) - len(texts)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Tokenize, print the statistics and optionally save the histogram."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    if args.max_length < 2 or args.batch_size < 1:
        raise CourseError(
            f"--max-length must be >= 2 and --batch-size >= 1 (got {args.max_length}, {args.batch_size})"
        )
    texts, skipped = load_texts(args.data, args.text_column, args.clean)
    from transformers import AutoTokenizer

    choice = resolve_model(args.model)
    tokenizer = AutoTokenizer.from_pretrained(choice.path)
    lengths = count_tokens(tokenizer, texts)
    stats = token_length_stats(lengths, args.max_length, args.batch_size)
    print(
        f"data: {args.data.name} column {args.text_column!r}{' (cleaned)' if args.clean else ''}: "
        f"{stats.n_texts} texts ({skipped} empty skipped)"
    )
    print(f"tokenizer: {choice.name}")
    print(
        f"tokens per text: mean {stats.mean_tokens:.1f}, p50 {stats.p50_tokens}, "
        f"p95 {stats.p95_tokens}, max {stats.max_tokens}"
    )
    print(
        f"max_length {stats.max_length}: {stats.share_truncated:.1%} of texts truncated "
        f"({round(stats.share_truncated * stats.n_texts)} of {stats.n_texts})"
    )
    print(
        f"padding waste at batch size {stats.batch_size}: padding='max_length' "
        f"{stats.padding_waste_max_length:.1%}, dynamic padding {stats.padding_waste_dynamic:.1%}"
    )
    if args.plot:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot_token_lengths(lengths, args.max_length, f"Token lengths: {args.data.name}", args.plot)
        print(f"histogram saved to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
