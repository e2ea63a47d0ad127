"""Lab 5: does bf16 autocast keep the Lab 4 accuracy on this CPU, and how much faster is it? fp32 vs bf16.

Trains the Lab 4 recipe (trail data, minilm-l6, 4 epochs, batch 16, max_length 96, lr 3e-4) once in float32 and
once with ``bf16=True, use_cpu=True`` for each seed, on the same split, and compares test accuracy (with its
Wilson 95 % interval), test loss and training seconds per epoch (evaluation excluded).

    python examples/benchmark/precision_comparison.py                      # ~10 min on an idle 2-core CPU
    python examples/benchmark/precision_comparison.py --seeds 42 --epochs 1 --output outputs/precision.json

bf16 "holds" for a seed when its test accuracy lies inside the float32 run's interval and its test loss is at
most ``--loss-tolerance`` above float32's. ``coursekit.device.precision_settings`` would turn bf16 on for CPUs
with native bf16 instructions only if it held for every seed on the reference machine; it did not (Lab 5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
import transformers
from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainerCallback, TrainingArguments

from coursekit.data import load_labelled_texts
from coursekit.device import CPU_BF16, cpu_has_native_bf16
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text, refuse_to_replace
from coursekit.logs import quiet_libraries
from coursekit.metrics import make_compute_metrics, wilson_interval
from coursekit.models import resolve_model
from coursekit.paths import EXAMPLES_DIR, TRAIL_STATUS_CSV
from coursekit.training import load_tokenizer_and_model, split_dataset, tokenize_splits

PRECISIONS = {"fp32": {}, "bf16": CPU_BF16}
DEFAULT_OUTPUT = EXAMPLES_DIR / "benchmark" / "results" / "precision.json"


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place (the defaults are Lab 4's)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--epochs", type=float, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--max-train-rows", type=int, default=None, help="use only this many training rows")
    parser.add_argument("--loss-tolerance", type=float, default=0.05, help="largest accepted rise of the test loss")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier result file")
    return parser


class EpochClock(TrainerCallback):
    """Seconds spent in each epoch's training steps (``on_epoch_end`` runs before that epoch's evaluation)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds: list[float] = []

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_epoch_end(self, args, state, control, **kwargs):
        self.seconds.append(time.perf_counter() - self.started)


def run_once(precision: str, seed: int, args: argparse.Namespace, scratch: str) -> dict:
    """Train the recipe once in ``precision`` with ``seed``; return test accuracy, interval, loss, s/epoch."""
    data = load_labelled_texts(TRAIL_STATUS_CSV, "status", "Blankets_Creek")
    transformers.set_seed(seed)
    splits = split_dataset(data, 0.15, 0.15, seed)
    if args.max_train_rows:
        splits["train"] = splits["train"].select(range(min(args.max_train_rows, len(splits["train"]))))
    tokenizer, model = load_tokenizer_and_model(resolve_model("minilm-l6"), data.id2label)
    encoded = tokenize_splits(splits, tokenizer, args.max_length)
    clock = EpochClock()
    trainer = Trainer(
        model=model,
        args=TrainingArguments(
            output_dir=scratch,
            eval_strategy="epoch",  # the validation loss per epoch, as in Lab 4
            logging_strategy="epoch",
            save_strategy="no",  # nothing to keep: only the numbers matter here
            num_train_epochs=args.epochs,
            per_device_train_batch_size=args.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=args.learning_rate,
            weight_decay=0.01,
            warmup_steps=0.1,  # a float is a ratio of all steps
            optim="adamw_torch",
            train_sampling_strategy="group_by_length",  # the course recipe: similar lengths per batch
            seed=seed,
            report_to="none",
            disable_tqdm=True,
            dataloader_pin_memory=False,  # CPU only: pinning would only warn
            **PRECISIONS[precision],  # the one thing that differs between the two runs
        ),
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=make_compute_metrics(data.label_names),
        callbacks=[clock],
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    test = trainer.evaluate(encoded["test"], metric_key_prefix="test")
    total = len(encoded["test"])
    correct = round(test["test_accuracy"] * total)
    low, high = wilson_interval(correct, total)
    return {
        "precision": precision,
        "seed": seed,
        "test_accuracy": round(correct / total, 4),
        "test_correct": correct,
        "test_size": total,
        "ci95": [round(low, 4), round(high, 4)],
        "test_loss": round(test["test_loss"], 4),
        "validation_loss": round([e for e in trainer.state.log_history if "eval_loss" in e][-1]["eval_loss"], 4),
        "seconds_per_epoch": round(sum(clock.seconds) / len(clock.seconds), 1),
    }


def compare(runs: list[dict], loss_tolerance: float) -> list[dict]:
    """Per seed: bf16's accuracy inside fp32's interval and its test loss within the tolerance → it holds."""
    by_key = {(run["seed"], run["precision"]): run for run in runs}
    verdicts = []
    for seed in sorted({run["seed"] for run in runs}):
        fp32, bf16 = by_key[seed, "fp32"], by_key[seed, "bf16"]
        inside = fp32["ci95"][0] <= bf16["test_accuracy"] <= fp32["ci95"][1]
        loss_ok = bf16["test_loss"] <= fp32["test_loss"] + loss_tolerance
        verdicts.append(
            {
                "seed": seed,
                "accuracy_inside_fp32_interval": inside,
                "test_loss_within_tolerance": loss_ok,
                "holds": inside and loss_ok,
                "speed_up": round(fp32["seconds_per_epoch"] / bf16["seconds_per_epoch"], 2),
            }
        )
    return verdicts


def print_table(runs: list[dict]) -> None:
    """One Markdown row per run."""
    print("| seed | precision | test accuracy (95% CI) | test loss | validation loss | s/epoch |")
    print("|---:|---|---|---:|---:|---:|")
    for run in runs:
        low, high = run["ci95"]
        print(
            f"| {run['seed']} | {run['precision']} | {run['test_accuracy']:.3f} ({low:.3f}-{high:.3f}, "
            f"{run['test_correct']}/{run['test_size']}) | {run['test_loss']:.3f} | {run['validation_loss']:.3f} "
            f"| {run['seconds_per_epoch']:.1f} |"
        )


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Train every (seed, precision) pair, interleaved so a change in machine load hits both alike."""
    args = build_parser().parse_args(argv)
    if args.epochs <= 0 or args.batch_size < 1:
        raise CourseError("--epochs and --batch-size must be positive.")
    refuse_to_replace(args.output, args.overwrite, "result file")
    quiet_libraries()
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for precision in PRECISIONS:
                runs.append(run_once(precision, seed, args, scratch))
                print(f"done: seed {seed} {precision}", flush=True)
    print_table(runs)
    verdicts = compare(runs, args.loss_tolerance)
    for verdict in verdicts:
        print(f"seed {verdict['seed']}: bf16 {'holds' if verdict['holds'] else 'does NOT hold'}, {verdict}")
    result = {
        "recipe": {k: v for k, v in vars(args).items() if k not in ("output", "overwrite")},
        "machine": {
            "cpu_native_bf16": cpu_has_native_bf16(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "python": platform.python_version(),
        },
        "runs": runs,
        "verdicts": verdicts,
    }
    atomic_write_text(args.output, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
