"""Lab 4, exercise 5: how much do validation and test accuracy move when only the random split changes?

One split of 900 posts gives 135 validation and 135 test posts; one post is 0.7 points, and a single split's
validation and test accuracies can differ by several points by luck alone. This script trains the Lab 4 recipe
(``coursekit.training.TrainConfig`` defaults) once per split seed and prints, per seed, the final validation
accuracy and the test accuracy with their 95 % Wilson intervals, then the mean ± standard deviation across seeds
and the mean validation-minus-test gap:

    OMP_NUM_THREADS=1 python examples/models/seed_spread.py                      # 5 seeds, ~2 min each on a CPU
    python examples/models/seed_spread.py --seeds 1 2 3 --epochs 2               # quicker

The seed sets the split, the shuffling and the classifier head's initialisation together (as ``--seed`` does in
``classifier.py``), so the spread is that of "the same recipe, run again from scratch". Each run goes through the
run cache (``coursekit.run_cache.find_or_train``) into ``--output``/seed-N: a second call reuses the finished runs.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.metrics import format_accuracy
from coursekit.paths import OUTPUTS_DIR
from coursekit.run_cache import find_or_train
from coursekit.training import TrainConfig

LAB4 = TrainConfig()  # the Lab 4 recipe; only the seed (and, if asked, the epochs) change
DEFAULT_SEEDS = [42, 1, 2, 3, 4]  # 42 is Lab 4's own split


@dataclass(frozen=True)
class SeedResult:
    """One run's final validation and test scores, as counts (an accuracy travels with its count)."""

    seed: int
    validation_correct: int
    validation_total: int
    test_correct: int
    test_total: int
    learned: bool = True  # False: the final validation loss is that of a constant guess (the run collapsed)

    @property
    def validation_accuracy(self) -> float:
        return self.validation_correct / self.validation_total

    @property
    def test_accuracy(self) -> float:
        return self.test_correct / self.test_total


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS, help="one run per seed (at least 2)")
    parser.add_argument("--epochs", type=float, default=LAB4.epochs)
    parser.add_argument("--max-length", type=int, default=LAB4.max_length, help="truncate longer posts (tokens)")
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "seed-spread", help="one run folder per seed")
    return parser


def check_seeds(seeds: list[int]) -> None:
    """A spread needs at least two different seeds; a repeated seed would only repeat a run."""
    if len(set(seeds)) < 2:
        raise CourseError("--seeds needs at least two different seeds (e.g. --seeds 42 1 2 3 4) to show a spread.")
    if len(set(seeds)) != len(seeds):
        raise CourseError(f"--seeds lists a seed twice ({seeds}); each seed is one run, list each once.")


def read_result(seed: int, run_dir: Path) -> SeedResult:
    """The final epoch's validation accuracy and the test accuracy of a finished run, turned back into counts."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    n_val, n_test = metrics["validation_size"], metrics["test_size"]
    final = metrics["validation_history"][-1]
    return SeedResult(
        seed=seed,
        validation_correct=round(metrics["validation_history"][-1]["accuracy"] * n_val),
        validation_total=n_val,
        test_correct=round(metrics["test"]["accuracy"] * n_test),
        test_total=n_test,
        learned=learned(final["loss"], len(metrics["label_names"])),
    )


def learned(validation_loss: float, n_labels: int) -> bool:
    """False when the loss is within 1 % of ln(n_labels), the loss of always answering 1/n_labels: no learning."""
    return validation_loss < 0.99 * math.log(n_labels)


def mean_sd(values: list[float]) -> str:
    """``"0.870 ± 0.031"``: the mean and the sample standard deviation across seeds."""
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def spread_table(results: list[SeedResult]) -> str:
    """The per-seed table and the across-seed summary (of every run, and of the runs that learned if some did not)."""
    width = len(format_accuracy(135, 135))
    lines = [f"{'seed':>4}  {'validation accuracy':<{width}}  test accuracy"]
    lines += [
        f"{r.seed:>4}  {format_accuracy(r.validation_correct, r.validation_total):<{width}}  "
        f"{format_accuracy(r.test_correct, r.test_total)}" + ("" if r.learned else "  did not learn")
        for r in results
    ]
    lines += summary_lines(results, f"across {len(results)} seeds (mean ± sd):")
    learned_runs = [r for r in results if r.learned]
    if len(learned_runs) != len(results):
        lines.append(
            f"\n{len(results) - len(learned_runs)} run(s) did not learn (validation loss of a constant guess)"
        )
        if len(learned_runs) >= 2:
            lines += summary_lines(learned_runs, f"across the {len(learned_runs)} seeds that learned (mean ± sd):")
    return "\n".join(lines)


def summary_lines(results: list[SeedResult], title: str) -> list[str]:
    """Mean ± sd of validation accuracy, test accuracy and their gap over ``results`` (at least two)."""
    validation = [r.validation_accuracy for r in results]
    test = [r.test_accuracy for r in results]
    gaps = [v - t for v, t in zip(validation, test)]
    return [
        "",
        title,
        f"  validation accuracy       {mean_sd(validation)}",
        f"  test accuracy             {mean_sd(test)}",
        f"  validation minus test     {statistics.mean(gaps):+.3f} ± {statistics.stdev(gaps):.3f}",
    ]


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_seeds(args.seeds)
    if args.epochs <= 0 or args.max_length < 8:
        raise CourseError("--epochs must be positive (Lab 4 trains 4) and --max-length at least 8 (Lab 4 uses 96).")
    results = []
    for seed in args.seeds:
        config = TrainConfig(
            epochs=args.epochs,
            max_length=args.max_length,
            seed=seed,
            output=args.output / f"seed-{seed}",
            no_progress=True,
        )
        results.append(read_result(seed, find_or_train(config)))
    print(f"Lab 4 recipe ({args.epochs:g} epochs, max_length {args.max_length}), one run per split seed:\n")
    print(spread_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
