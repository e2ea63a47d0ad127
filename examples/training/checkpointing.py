"""Lab 10: what gradient checkpointing saves and costs, measured on one training step of a real model.

    python examples/training/checkpointing.py                         # MiniLM-L6, 8 posts x 64 tokens
    python examples/training/checkpointing.py --model mpnet --max-length 128   # after make install-large

Runs one batch of trail posts (padded to ``--max-length``, so every run computes on the same shape) through a
forward and backward pass with gradient checkpointing and without (``coursekit.lessons.scaling.set_checkpointing``:
transformers' switch, or each layer wrapped in ``torch.utils.checkpoint`` where a model has none), and prints
per step: the bytes autograd saves for the backward pass (``saved_tensors_hooks``), how far the process's resident
memory rises (RSS, sampled by a thread), and the seconds. In ``TrainingArguments`` the same switch is
``gradient_checkpointing=True``. Numbers depend on the machine; quote it with them.
"""

from __future__ import annotations

import argparse
import sys

from coursekit.data import load_labelled_texts
from coursekit.errors import CourseError, friendly_errors
from coursekit.models import DEFAULT_MODEL
from coursekit.paths import TRAIL_STATUS_CSV


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="alias (minilm-l6, mpnet, ...) or model directory")
    parser.add_argument("--batch-size", type=int, default=8, help="posts in the measured batch")
    parser.add_argument("--max-length", type=int, default=64, help="tokens per post (padded or truncated to it)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per setting; the median counts")
    return parser


def check_settings(args: argparse.Namespace) -> None:
    """Refuse settings that cannot be measured, with what to pass instead."""
    if args.batch_size < 1 or args.steps < 1:
        raise CourseError(f"--batch-size and --steps must be at least 1, got {args.batch_size} and {args.steps}.")
    if not 8 <= args.max_length <= 512:
        raise CourseError(
            f"--max-length must be between 8 and 512 (the models read 512 tokens), got {args.max_length}."
        )


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Measure one batch with and without gradient checkpointing and print the table."""
    args = build_parser().parse_args(argv)
    check_settings(args)
    from coursekit.models import resolve_model

    choice = resolve_model(args.model)  # an alias that is not installed says how to install it

    import torch

    from coursekit.lessons.scaling import checkpointing_comparison
    from coursekit.logs import quiet_libraries
    from coursekit.training import load_tokenizer_and_model

    quiet_libraries()
    posts = load_labelled_texts(TRAIL_STATUS_CSV, "status", "Blankets_Creek")
    texts, labels = posts.texts[: args.batch_size], posts.labels[: args.batch_size]
    tokenizer, model = load_tokenizer_and_model(choice, {0: "closed", 1: "open"})
    batch = dict(
        tokenizer(texts, padding="max_length", max_length=args.max_length, truncation=True, return_tensors="pt")
    )
    batch["labels"] = torch.tensor(labels)
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"{choice.name}: {parameters / 1e6:.1f}M parameters, {model.config.num_hidden_layers} layers; "
        f"batch {len(texts)} x {args.max_length} tokens; {torch.get_num_threads()} thread(s)"
    )
    print(checkpointing_comparison(model, batch, steps=args.steps).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
