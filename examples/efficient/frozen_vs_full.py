"""Lab 11: do I even need to fine-tune? Frozen-encoder embeddings and head-only training vs full fine-tuning.

    python examples/efficient/frozen_vs_full.py                 # embeddings + LR, head-only, few-shot curve
    python examples/efficient/frozen_vs_full.py --head-epochs 2

Three ways to use the default model on the Lab 4 split, scored once on the same test split: (1) its sentence
embeddings (the frozen encoder, mean-pooled, what all-MiniLM-L6-v2 was trained for) + a logistic regression;
(2) the sequence classifier with every encoder weight frozen and only the head trained by the Trainer; (3) full
fine-tuning, read from the Lab 4 run (``make train``) instead of training it again. Then the few-shot curve: the
logistic regression trained on 8, 16 and 32 labelled posts per class (five random draws each). SetFit (contrastive
fine-tuning of the encoder before the head) is not pinned or run here: setfit 1.2's default metric calls
``evaluate.load``, which needs the Hub; the embedding curve is the offline few-shot baseline.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from coursekit.errors import CourseError, friendly_errors


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--head-epochs", type=float, default=4, help="epochs of head-only training")
    parser.add_argument("--head-learning-rate", type=float, default=1e-2, help="a lone head takes big steps")
    parser.add_argument("--max-train-rows", type=int, help="train on fewer posts (a quick smoke run)")
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Embed, fit, train the head, read the full run, and print both tables."""
    args = build_parser().parse_args(argv)
    if args.head_epochs <= 0 or args.head_learning_rate <= 0:
        raise CourseError("--head-epochs and --head-learning-rate must be positive.")
    if args.max_train_rows is not None and args.max_train_rows < 40:
        raise CourseError(f"--max-train-rows must be at least 40 (32 posts per class), got {args.max_train_rows}.")

    import torch

    from coursekit.lessons.efficient import (
        embed_splits,
        embedding_baseline,
        few_shot_curve,
        fine_tune,
        freeze_encoder,
        markdown_table,
        trail_splits,
    )
    from coursekit.logs import quiet_libraries
    from coursekit.trained_model import LAB4_TRAINING, lab4_model_dir

    quiet_libraries()
    full_run = lab4_model_dir()
    config = replace(LAB4_TRAINING, epochs=args.head_epochs, max_train_rows=args.max_train_rows)
    splits = trail_splits(config)
    threads = torch.get_num_threads()
    print(f"{len(splits['train'])} training posts, {len(splits['test'])} test posts, {threads} thread(s)")
    embedded = embed_splits(splits)
    rows = [embedding_baseline(embedded).row()]
    head = fine_tune("head only (encoder frozen)", splits, config, freeze_encoder, args.head_learning_rate)
    rows.append(head.row())
    rows.append(full_fine_tuning_row(full_run))
    print(markdown_table(rows))
    print("\nfew-shot: logistic regression on k labelled posts per class (5 random draws each)")
    print(markdown_table(few_shot_curve(embedded)))
    return 0


def full_fine_tuning_row(run_dir) -> dict:
    """The Lab 4 run as a row of the table (its own test predictions and training seconds)."""
    import json

    import pandas as pd

    from coursekit.lessons.efficient import VariantResult

    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    predictions = pd.read_csv(run_dir / "test_predictions.csv", keep_default_na=False)
    correct = int((predictions["true_label"] == predictions["predicted_label"]).sum())
    total = metrics["parameters"]
    name = "full fine-tuning (Lab 4 run)"
    return VariantResult(name, total, total, metrics["train_seconds"], correct, len(predictions)).row()


if __name__ == "__main__":
    sys.exit(main())
