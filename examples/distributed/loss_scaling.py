"""Lab 10: what ``average_tokens_across_devices`` does to a classifier's loss and gradient under more than one process.

    python examples/distributed/loss_scaling.py                              # one process: both settings agree
    torchrun --nproc_per_node 2 examples/distributed/loss_scaling.py         # two: the default doubles them

The Trainer's first optimizer step on the Lab 4 split and model, taken twice from the same start (same seed, same
batches): once with ``average_tokens_across_devices=True`` (the transformers default), once with ``False`` (what
``coursekit.training`` sets under a launcher). It prints the logged loss and gradient norm of that step. The default
multiplies each process's loss by the number of processes, which is right only for a model whose loss is a sum over
the tokens of the whole global batch (language models); a sequence classifier already returns a per-batch mean.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, set_seed

from coursekit.data import load_labelled_texts
from coursekit.device import detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.logs import quiet_libraries
from coursekit.models import resolve_model
from coursekit.training import (
    TrainConfig,
    is_main_process,
    load_tokenizer_and_model,
    split_dataset,
    tokenize_splits,
    training_arguments,
    world_size,
)


def first_step(average_tokens: bool, config: TrainConfig, scratch: Path) -> dict:
    """The Trainer's log of one optimizer step (loss and gradient norm, averaged over the processes)."""
    set_seed(config.seed)  # the same head initialisation and batch order for both settings
    choice = resolve_model(config.model)
    data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
    splits = split_dataset(data, config.test_size, config.validation_size, config.seed)
    tokenizer, model = load_tokenizer_and_model(choice, data.id2label)
    encoded = tokenize_splits(splits, tokenizer, config.max_length)
    args = training_arguments(config, scratch, config.learning_rate or choice.learning_rate, detect_device())
    args = dataclasses.replace(
        args, average_tokens_across_devices=average_tokens, max_steps=1, logging_steps=1, eval_strategy="no"
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=encoded["train"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return next(entry for entry in trainer.state.log_history if "loss" in entry)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Take the first step both ways and print the two losses and gradient norms."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=16, help="posts per process per step (default 16)")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        raise CourseError("--batch-size must be at least 1.")
    quiet_libraries()
    config = TrainConfig(batch_size=args.batch_size, no_progress=True)
    with tempfile.TemporaryDirectory() as scratch:
        logs = {average: first_step(average, config, Path(scratch)) for average in (True, False)}
    if is_main_process():
        print(f"processes: {world_size()}, batch {args.batch_size} each = {world_size() * args.batch_size} per step")
        for average, log in logs.items():
            print(
                f"average_tokens_across_devices={average!s:<5}  first-step loss {log['loss']:.4f}"
                f"  gradient norm {log['grad_norm']:.4f}"
            )
        ratio = logs[True]["loss"] / logs[False]["loss"]
        print(f"loss ratio True/False: {ratio:.2f} (the number of processes: {world_size()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
