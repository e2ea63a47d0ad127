"""Lab 11: LoRA with PEFT: train one adapter per rank and compare them with full fine-tuning (the Lab 4 run).

    python examples/efficient/lora_sweep.py                                  # ranks 4 8 16, 4 epochs, lr 2e-3
    python examples/efficient/lora_sweep.py --ranks 8 --epochs 12 --learning-rate 3e-3
    python examples/efficient/lora_sweep.py --ranks 8 --modules all          # q, k, v and every dense layer

Each rank trains ``LoraConfig(task_type="SEQ_CLS", target_modules=[...], modules_to_save=["classifier"])`` on the
Lab 4 split with the Lab 4 recipe (only the learning rate differs: an adapter starts at zero and needs a larger
step) and is scored once on the test split. The table shows trainable parameters, training time, test accuracy
with its 95 % interval and the adapter's size on disk next to the full model's; the full fine-tuning row is read
from the Lab 4 run (``make train``), not trained again. Adapters are saved under ``--output`` (one folder per
setting, loadable with ``PeftModel.from_pretrained``). Times are wall-clock on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import replace
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_writer, refuse_to_replace
from coursekit.paths import OUTPUTS_DIR, shown_path

MODULE_SETS = {"attention": ("query", "value"), "all": ("query", "key", "value", "dense")}


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--ranks", type=int, nargs="+", default=[4, 8, 16], help="LoRA ranks r to train")
    parser.add_argument("--epochs", type=float, default=4)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument(
        "--modules", choices=sorted(MODULE_SETS), default="attention", help="attention: query,value; all: + key,dense"
    )
    parser.add_argument(
        "--train-pooler", action="store_true", help="also train BERT's pooler in full (modules_to_save)"
    )
    parser.add_argument("--max-train-rows", type=int, help="train on fewer posts (a quick smoke run)")
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "lab-11" / "lora", help="adapters and CSV")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier sweep in --output")
    return parser


def check_args(args: argparse.Namespace) -> None:
    """Refuse impossible settings before anything slow is imported."""
    if min(args.ranks) < 1:
        raise CourseError(f"--ranks must be at least 1, got {args.ranks}.")
    if args.epochs <= 0 or args.learning_rate <= 0:
        raise CourseError("--epochs and --learning-rate must be positive.")
    if args.max_train_rows is not None and args.max_train_rows < 4:
        raise CourseError(f"--max-train-rows must be at least 4, got {args.max_train_rows}.")
    refuse_to_replace(args.output / "lora_sweep.csv", args.overwrite, "sweep")


def full_fine_tuning_row(run_dir: Path) -> dict:
    """The Lab 4 run as a row of the same table (its test predictions, seconds and size on disk)."""
    import json

    import pandas as pd

    from coursekit.lessons.efficient import weights_mb
    from coursekit.metrics import wilson_interval

    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    predictions = pd.read_csv(run_dir / "test_predictions.csv", keep_default_na=False)
    correct = int((predictions["true_label"] == predictions["predicted_label"]).sum())
    low, high = wilson_interval(correct, len(predictions))
    learning_rate = json.loads((run_dir / "training_config.json").read_text(encoding="utf-8"))["learning_rate"]
    return {
        "variant": f"full fine-tuning (Lab 4, lr {learning_rate:g})",
        "trainable": metrics["parameters"],
        "trainable_%": 100.0,
        "seconds": metrics["train_seconds"],
        "accuracy": round(correct / len(predictions), 3),
        "95% CI": f"{low:.3f}-{high:.3f}",
        "correct": f"{correct}/{len(predictions)}",
        "weights_mb": round(weights_mb(run_dir), 1),
    }


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Train one LoRA adapter per rank, then print and save the comparison with full fine-tuning."""
    args = build_parser().parse_args(argv)
    check_args(args)

    import torch

    from coursekit.lessons.efficient import fine_tune, markdown_table, trail_splits, weights_mb, with_lora
    from coursekit.logs import quiet_libraries
    from coursekit.trained_model import LAB4_TRAINING, lab4_model_dir

    quiet_libraries()
    full = full_fine_tuning_row(lab4_model_dir())
    config = replace(LAB4_TRAINING, epochs=args.epochs, max_train_rows=args.max_train_rows)
    splits = trail_splits(config)
    modules = MODULE_SETS[args.modules]
    save = ("classifier", "pooler") if args.train_pooler else ("classifier",)
    print(
        f"LoRA on {', '.join(modules)}, trained in full: {', '.join(save)}; {len(splits['train'])} training posts, "
        f"{args.epochs:g} epochs, lr {args.learning_rate:g}, {torch.get_num_threads()} thread(s)",
        flush=True,
    )
    rows = []
    for rank in args.ranks:
        folder = args.output / f"r{rank}-{args.modules}{'-pooler' if args.train_pooler else ''}"
        result = fine_tune(
            f"LoRA r={rank}",
            splits,
            config,
            prepare=lambda model, r=rank: with_lora(model, r, modules, save),
            learning_rate=args.learning_rate,
            save_to=folder,
        )
        rows.append(result.row() | {"weights_mb": round(weights_mb(folder), 2)})
        print(result.describe(), flush=True)
    rows.append(full)
    print(markdown_table(rows))
    with atomic_writer(args.output / "lora_sweep.csv", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {shown_path(args.output / 'lora_sweep.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
