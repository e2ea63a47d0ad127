"""Benchmark: the old tutorials' padding recipe against the course's, same model, same data, same steps.

  naive   tokenizer(..., padding="max_length", max_length=512): every post becomes 512 tokens, most of
          them padding, and the model computes on all of them
  course  tokenizer(..., truncation=True, max_length=96) + DataCollatorWithPadding: each batch is
          padded only to its own longest post, and similar lengths are batched together (Lab 4)

    python examples/benchmark/padding_benchmark.py                 # ~3 min on an idle 2-core CPU
    python examples/benchmark/padding_benchmark.py --steps 5 --recipes course

Prints training samples per second for each recipe and the speed-up, in float32. This is a measurement, not a
test: numbers depend on the machine and on what else runs on it. ``make bench`` (``bench.py``) puts the same
measurement (``coursekit.benchmark.measure_training``) into one table with bf16, inference and the machine's peak.
"""

from __future__ import annotations

import argparse
import sys

from coursekit.benchmark import RECIPES, measure_training
from coursekit.data import load_labelled_texts
from coursekit.device import describe_device, detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.logs import quiet_libraries
from coursekit.paths import TRAIL_STATUS_CSV


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--model", default="minilm-l6")
    parser.add_argument("--steps", type=int, default=9, help="optimizer steps per recipe (the first is not timed)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--recipes", nargs="+", choices=list(RECIPES), default=list(RECIPES))
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Run each recipe on the trail data and print the comparison."""
    args = build_parser().parse_args(argv)
    if args.steps < 2 or args.batch_size < 1:
        raise CourseError("--steps must be at least 2 (the first step is not timed) and --batch-size at least 1.")
    quiet_libraries()
    data = load_labelled_texts(TRAIL_STATUS_CSV, "status", "Blankets_Creek")
    print(f"{args.model} on {describe_device(detect_device())}, {args.steps} steps of {args.batch_size} posts")
    speeds = {}
    for name in args.recipes:
        measured, _ = measure_training(
            RECIPES[name], data.texts, data.labels, args.steps, args.batch_size, {}, model_name=args.model
        )
        speeds[name] = measured.per_second
        print(f"  {name:>6}: {speeds[name]:6.1f} samples/s   ({RECIPES[name]})", flush=True)
    if len(speeds) == 2:
        print(f"speed-up of the course recipe: {speeds['course'] / speeds['naive']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
