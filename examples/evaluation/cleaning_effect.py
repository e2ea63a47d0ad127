"""Lab 6, the measurement Lab 2 promises: does ``clean_social_text`` change the fine-tuned model's accuracy?

Trains the Lab 4 recipe twice on the same split with the same seed: once on the raw posts, once on the posts
cleaned by ``coursekit.lessons.text.clean_social_text`` (mentions, URLs, hashtags, emojis as words). The split
depends only on the labels and the seed, so both runs are scored on the same 135 test posts (the script checks
it). Prints each run's test accuracy with its 95 % Wilson interval and the paired count of posts that only one
of the two runs gets right: with the same posts, those discordant posts are the whole difference, and an exact
sign test (McNemar's test) on them says how surprising the split would be if cleaning changed nothing.

    OMP_NUM_THREADS=1 python examples/evaluation/cleaning_effect.py      # two Lab 4 runs, ~2-4 min each on a CPU

The raw run is Lab 4's own (``make train``'s folder is reused when it holds the same run); the cleaned posts are
written to ``--output``/trail_status_clean.csv and the cleaned run to ``--output``/cleaned.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text
from coursekit.lessons.text import clean_social_text
from coursekit.metrics import format_accuracy
from coursekit.paths import OUTPUTS_DIR
from coursekit.run_cache import default_run_dir, find_or_train
from coursekit.training import TrainConfig

LAB4 = TrainConfig()  # the Lab 4 recipe on the trail posts


@dataclass(frozen=True)
class PairedResult:
    """Right/wrong per test post for the raw and the cleaned run, in the same post order."""

    raw_right: list[bool]
    clean_right: list[bool]
    unchanged: list[bool]  # the post reads the same after cleaning: a flip there is training noise, not cleaning

    def __post_init__(self) -> None:
        if not self.raw_right or len(self.raw_right) != len(self.clean_right):
            raise CourseError("the two runs were not scored on the same test posts; retrain both with one seed.")


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=LAB4.seed, help="split and training seed of both runs")
    parser.add_argument("--epochs", type=float, default=LAB4.epochs)
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "cleaning-effect")
    return parser


def write_cleaned_copy(source: Path, text_column: str, target: Path) -> int:
    """Write ``source`` with its text column cleaned to ``target`` (atomically); return how many texts changed."""
    frame = pd.read_csv(source, dtype={text_column: str}, keep_default_na=False)
    cleaned = frame[text_column].map(clean_social_text)
    changed = int((cleaned != frame[text_column]).sum())
    atomic_write_text(target, frame.assign(**{text_column: cleaned}).to_csv(index=False))
    return changed


def paired_result(raw_predictions: Path, clean_predictions: Path) -> PairedResult:
    """Pair the two runs' ``test_predictions.csv`` post by post; refuse if they hold other posts or labels."""
    raw, clean = (
        pd.read_csv(raw_predictions, keep_default_na=False),
        pd.read_csv(clean_predictions, keep_default_na=False),
    )
    same_posts = len(raw) == len(clean) and raw["text"].map(clean_social_text).tolist() == clean["text"].tolist()
    if not same_posts or raw["true_label"].tolist() != clean["true_label"].tolist():
        raise CourseError(
            f"{raw_predictions} and {clean_predictions} hold different test posts; train both with the same --seed."
        )
    return PairedResult(
        raw_right=(raw["predicted_label"] == raw["true_label"]).tolist(),
        clean_right=(clean["predicted_label"] == clean["true_label"]).tolist(),
        unchanged=(raw["text"] == clean["text"]).tolist(),
    )


def comparison_table(result: PairedResult) -> str:
    """Both accuracies with their intervals and the discordant posts (what the script prints)."""
    n = len(result.raw_right)
    raw, clean = sum(result.raw_right), sum(result.clean_right)
    only_raw = sum(r and not c for r, c in zip(result.raw_right, result.clean_right))
    only_clean = sum(c and not r for r, c in zip(result.raw_right, result.clean_right))
    noise = sum(r != c and same for r, c, same in zip(result.raw_right, result.clean_right, result.unchanged))
    return "\n".join(
        [
            f"test posts: {n} (the same posts for both runs)",
            f"raw posts      {format_accuracy(raw, n)}",
            f"cleaned posts  {format_accuracy(clean, n)}",
            f"difference     {(clean - raw) / n:+.3f} ({clean - raw:+d} posts): right only when raw {only_raw}, "
            f"right only when cleaned {only_clean}",
            f"paired sign test (McNemar, exact) on the {only_raw + only_clean} discordant posts: "
            f"p = {sign_test_p(only_raw, only_clean):.3f}",
            f"discordant posts that cleaning left unchanged (flipped by training noise alone): {noise}",
        ]
    )


def sign_test_p(only_raw: int, only_clean: int) -> float:
    """Two-sided exact p-value that the discordant posts split this unevenly if cleaning made no difference."""
    if only_raw + only_clean == 0:
        return 1.0
    return float(binomtest(only_clean, only_raw + only_clean, 0.5).pvalue)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.epochs <= 0:
        raise CourseError("--epochs must be positive (Lab 4 trains 4).")
    raw_config = replace(LAB4, seed=args.seed, epochs=args.epochs, output=args.output / "raw", no_progress=True)
    clean_data = args.output / "trail_status_clean.csv"
    args.output.mkdir(parents=True, exist_ok=True)
    changed = write_cleaned_copy(LAB4.data, LAB4.text_column, clean_data)
    # Lab 4's run (make train) or seed_spread.py's run of this seed may already be this very run.
    lab4_runs = [default_run_dir(raw_config), OUTPUTS_DIR / "seed-spread" / f"seed-{args.seed}"]
    raw_run = find_or_train(raw_config, reuse_from=lab4_runs)
    clean_run = find_or_train(replace(raw_config, data=clean_data, output=args.output / "cleaned"))
    print(f"Lab 4 recipe (seed {args.seed}, {args.epochs:g} epochs); clean_social_text changed {changed} posts\n")
    print(comparison_table(paired_result(raw_run / "test_predictions.csv", clean_run / "test_predictions.csv")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
