"""SMS spam project: what "BERT is sensitive to the learning rate" means for this model, as a table.

    python examples/spam/lr_sweep.py                                  # 2e-5, 5e-5 and the course default
    python examples/spam/lr_sweep.py --learning-rates 1e-4 default

Each learning rate trains the project's run (``coursekit.lessons.spam.SPAM_RUN``: same data, split, 600 training
messages, 2 epochs, seed) through the run cache, so the course-default row *is* the notebook's run and nothing is
trained twice. The table shows, per learning rate, the validation loss of the kept epoch, the test accuracy and
spam recall at P(SPAM) >= 0.5 with 95 % intervals, and the PR-AUC (threshold-free). It is also written to
``sweep.csv`` in the output folder. The notebook quotes this script's committed transcript
(labs/transcripts/project-sms-spam-lr-sweep.txt) because three trainings do not fit its time budget.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from transformers import HfArgumentParser

from coursekit.data import load_labelled_texts
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text
from coursekit.lessons.spam import RUNS_DIR, SMS_SPAM_CSV, SPAM_RUN, lr_run, spam_probabilities, splits, summary
from coursekit.logs import quiet_libraries
from coursekit.models import resolve_model
from coursekit.paths import shown_path
from coursekit.run_cache import find_or_train
from coursekit.training import TrainConfig

DEFAULT = "default"


@dataclass
class SweepArguments:
    """The command line: which learning rates, on which data and budget, into which folder."""

    learning_rates: list[str] = field(
        default_factory=lambda: ["2e-5", "5e-5", DEFAULT],
        metadata={"help": f"learning rates to try; '{DEFAULT}' is the model's course default"},
    )
    data: Path = field(default=SMS_SPAM_CSV, metadata={"help": "CSV with columns label (HAM/SPAM) and message"})
    epochs: float = field(default=SPAM_RUN.epochs, metadata={"help": "passes over the training messages"})
    max_train_rows: int | None = field(default=SPAM_RUN.max_train_rows, metadata={"help": "training messages"})
    output: Path = field(default=RUNS_DIR, metadata={"help": "folder of the runs and of sweep.csv"})


def parse_rate(text: str) -> float | None:
    """``"5e-5"`` -> 5e-05, ``"default"`` -> None; anything else is an error that says what to write."""
    if text == DEFAULT:
        return None
    try:
        rate = float(text)
    except ValueError:
        raise CourseError(f"--learning-rates: {text!r} is not a number; write e.g. 5e-5 or '{DEFAULT}'.") from None
    if not 0 < rate < 1:
        raise CourseError(f"--learning-rates: {text} is not between 0 and 1; BERT-style models use 1e-5 to 1e-3.")
    return rate


def sweep_configs(args: SweepArguments) -> list[TrainConfig]:
    """One run per learning rate; with the default folder, the default rate's run is the notebook's run."""
    base = replace(SPAM_RUN, data=args.data, epochs=args.epochs, max_train_rows=args.max_train_rows)
    configs = []
    for rate in map(parse_rate, args.learning_rates):
        config = lr_run(rate, base)
        configs.append(replace(config, output=Path(args.output) / Path(str(config.output)).name))
    return configs


def sweep_row(run_dir: Path, config: TrainConfig) -> dict:
    """One row of the table from a finished run: its kept epoch's validation loss and its test scores."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    test = splits(config)["test"]
    scores = summary(list(test["label"]), spam_probabilities(run_dir, list(test["text"]), config.max_length))
    rate = config.learning_rate or resolve_model(config.model).learning_rate
    return {
        "learning_rate": f"{rate:g}" + (" (default)" if config.learning_rate is None else ""),
        "best_val_loss": min(epoch["loss"] for epoch in metrics["validation_history"]),
        "accuracy": scores["accuracy"],
        "spam_recall": scores["spam_recall"],
        "pr_auc": scores["pr_auc"],
        "train_seconds": metrics["train_seconds"],
    }


def interval_text(rate: dict) -> str:
    """``0.989 (0.973-0.996)``."""
    return f"{rate['value']:.3f} ({rate['low']:.3f}-{rate['high']:.3f})"


def print_table(rows: list[dict]) -> None:
    """The sweep as a fixed-width table."""
    print(f"\n{'learning rate':>18}{'val loss':>10}{'test accuracy':>22}{'spam recall':>22}{'PR-AUC':>8}")
    for row in rows:
        print(
            f"{row['learning_rate']:>18}{row['best_val_loss']:>10.3f}{interval_text(row['accuracy']):>22}"
            f"{interval_text(row['spam_recall']):>22}{row['pr_auc']:>8.3f}"
        )


def flat(row: dict) -> dict:
    """A CSV row: each proportion as its value and interval bounds."""
    out = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update({key: value["value"], f"{key}_low": value["low"], f"{key}_high": value["high"]})
        else:
            out[key] = value
    return out


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Check the data, train (or reuse) one run per learning rate, and print and save the table."""
    (args,) = HfArgumentParser(SweepArguments, description=__doc__.split("\n\n")[0]).parse_args_into_dataclasses(argv)
    configs = sweep_configs(args)
    base = configs[0]
    load_labelled_texts(base.data, base.text_column, base.label_column, base.label_names)  # fail before training
    quiet_libraries()
    rows = [sweep_row(find_or_train(config), config) for config in configs]
    print_table(rows)
    path = Path(args.output) / "sweep.csv"
    atomic_write_text(path, pd.DataFrame([flat(row) for row in rows]).to_csv(index=False))
    print(f"saved to {shown_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
