"""Benchmark: the old tutorials' padding recipe against the course's, same model, same data, same steps.

  naive   tokenizer(..., padding="max_length", max_length=512): every post becomes 512 tokens, most of
          them padding, and the model computes on all of them
  course  tokenizer(..., truncation=True, max_length=128) + DataCollatorWithPadding: each batch is
          padded only to its own longest post, and similar lengths are batched together

    python examples/benchmark/padding_benchmark.py                 # ~3 min on an idle 2-core CPU
    python examples/benchmark/padding_benchmark.py --steps 5 --recipes course

Prints training samples per second for each recipe and the speed-up. This is a measurement, not a test:
numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import transformers
from datasets import Dataset
from transformers import (
    DataCollatorWithPadding,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    default_data_collator,
)

from coursekit.data import load_labelled_texts
from coursekit.device import describe_device, detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.logs import quiet_libraries
from coursekit.models import resolve_model
from coursekit.paths import TRAIL_STATUS_CSV
from coursekit.training import load_tokenizer_and_model

RECIPES = {
    "naive": dict(padding="max_length", max_length=512, group_by_length=False),
    "course": dict(padding=False, max_length=128, group_by_length=True),
}


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


class StepClock(TrainerCallback):
    """Time the steps after the first one: the first step pays one-off costs (allocation, caches)."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.elapsed = 0.0

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            self.started = time.perf_counter()
        elif self.started is not None:
            self.elapsed = time.perf_counter() - self.started


def samples_per_second(recipe: dict, args: argparse.Namespace, texts: list[str], labels: list[int]) -> float:
    """Train ``args.steps`` steps with one recipe and return the measured training samples per second."""
    transformers.set_seed(0)
    choice = resolve_model(args.model)
    tokenizer, model = load_tokenizer_and_model(choice, {0: "closed", 1: "open"})
    dataset = Dataset.from_dict({"text": texts, "label": labels}).map(
        lambda batch: tokenizer(
            batch["text"], truncation=True, padding=recipe["padding"], max_length=recipe["max_length"]
        ),
        batched=True,
        remove_columns=["text"],
    )
    collator = default_data_collator if recipe["padding"] else DataCollatorWithPadding(tokenizer)
    clock = StepClock()
    with tempfile.TemporaryDirectory() as scratch:
        trainer = Trainer(
            model=model,
            data_collator=collator,
            train_dataset=dataset,
            processing_class=tokenizer,
            args=TrainingArguments(
                output_dir=scratch,
                max_steps=args.steps,
                per_device_train_batch_size=args.batch_size,
                save_strategy="no",
                report_to="none",
                disable_tqdm=True,
                optim="adamw_torch",
                dataloader_pin_memory=False,
                logging_strategy="no",
                train_sampling_strategy="group_by_length" if recipe["group_by_length"] else "random",
            ),
            callbacks=[clock],
        )
        trainer.remove_callback(PrinterCallback)  # no raw log dicts between our lines
        trainer.train()
    return (args.steps - 1) * args.batch_size / clock.elapsed


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
        speeds[name] = samples_per_second(RECIPES[name], args, data.texts, data.labels)
        print(f"  {name:>6}: {speeds[name]:6.1f} samples/s   ({RECIPES[name]})", flush=True)
    if len(speeds) == 2:
        print(f"speed-up of the course recipe: {speeds['course'] / speeds['naive']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
