"""Lab 11: hyperparameter search with ``Trainer.hyperparameter_search(backend="optuna")`` on the validation split.

    python examples/efficient/search.py                                    # 4 trials on 96 training posts
    python examples/efficient/search.py --trials 20 --max-train-rows 0     # a real search on every training post

Each trial trains the default model from its pretrained weights (``model_init``) with a learning rate, number of
epochs, batch size and warmup share drawn by Optuna's TPE sampler (seeded: the same trials on every run), and is
scored on the validation split only. The best settings are then trained once more from scratch and scored once on
the test split: the only number of the search that estimates how the model will do on new posts. Writes
``trials.csv`` and ``trials.png`` (validation accuracy per trial against its learning rate) to ``--output``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_writer, refuse_to_replace
from coursekit.paths import OUTPUTS_DIR, shown_path


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=4, help="how many settings Optuna tries")
    parser.add_argument(
        "--max-train-rows", type=int, default=96, help="training posts per trial (0: all); the budget of a CI run"
    )
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "lab-11" / "search", help="trials.csv/png")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier search in --output")
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Search, retrain the best trial, score it on test, and write the trials."""
    args = build_parser().parse_args(argv)
    if args.trials < 1:
        raise CourseError(f"--trials must be at least 1, got {args.trials}.")
    if args.max_train_rows < 0 or 0 < args.max_train_rows < 8:
        raise CourseError(f"--max-train-rows must be 0 (all) or at least 8, got {args.max_train_rows}.")
    refuse_to_replace(args.output / "trials.csv", args.overwrite, "search")

    from dataclasses import replace

    import pandas as pd
    import torch

    from coursekit.lessons.efficient import markdown_table, plot_trials, search
    from coursekit.logs import quiet_libraries
    from coursekit.trained_model import LAB4_TRAINING

    quiet_libraries()
    config = replace(LAB4_TRAINING, max_train_rows=args.max_train_rows or None)
    print(f"{args.trials} trials, {torch.get_num_threads()} thread(s); objective: validation accuracy", flush=True)
    result = search(config, args.trials)
    table = pd.DataFrame(result.trials).round({"learning_rate": 6, "warmup_steps": 3, "validation_accuracy": 3})
    print(markdown_table(table.to_dict("records")))
    best = result.best
    print(
        f"best: trial {best['trial']} (lr {best['learning_rate']:.2g}, {best['num_train_epochs']} epochs, "
        f"batch {best['per_device_train_batch_size']}, warmup {best['warmup_steps']:.2f}), "
        f"validation {best['validation_accuracy']:.3f}"
    )
    print(f"retrained and scored once on test: {result.test.describe()}")
    args.output.mkdir(parents=True, exist_ok=True)
    with atomic_writer(args.output / "trials.csv", newline="") as handle:
        table.to_csv(handle, index=False, lineterminator="\n")
    import matplotlib

    matplotlib.use("Agg")  # no window: the figure only goes to a file
    plot_trials(result.trials, args.output / "trials.png")
    print(f"wrote {shown_path(args.output / 'trials.csv')} and trials.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
