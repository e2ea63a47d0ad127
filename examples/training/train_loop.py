"""Lab 10: the loop the Trainer runs, written out with Accelerate, on the same split and recipe as Lab 4.

    python examples/training/train_loop.py                                   # Lab 4's recipe, one process
    python examples/training/train_loop.py --gradient-accumulation-steps 2 --batch-size 8
    COURSE_PRECISION=bf16 python examples/training/train_loop.py             # bf16 autocast (the course policy)
    torchrun --nproc_per_node 2 examples/training/train_loop.py              # two processes (gloo on a CPU)
    accelerate launch --multi_gpu --num_processes 2 examples/training/train_loop.py

Each step below names, in a comment, the ``TrainingArguments`` field that makes the Trainer do the same
(``coursekit.training.training_arguments`` holds Lab 4's values). The data, split, tokenizer, model and label names
come from ``coursekit.training``, so the loop and ``classifier.py`` train on the same posts. ``--batch-size`` is per
process: under two processes each optimizer step sees ``2 x batch-size x gradient-accumulation-steps`` posts.

The run folder (default ``outputs/<label>-<model>-loop``) gets ``metrics.json`` (per-epoch losses and validation
accuracy, the test accuracy, world size, batch sizes, seconds) and, with ``--save-model``, the model. Only the main
process writes; an existing folder is replaced only with ``--overwrite``, and only once the new run has finished.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader
from transformers import DataCollatorWithPadding, HfArgumentParser, get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import LengthGroupedSampler

from coursekit.data import load_labelled_texts
from coursekit.device import detect_device, precision_settings
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text, staging_dir, swap_in_dir
from coursekit.logs import quiet_libraries
from coursekit.metrics import wilson_interval
from coursekit.models import resolve_model
from coursekit.paths import shown_path
from coursekit.training import (
    TrainConfig,
    check_output_dir,
    default_output_dir,
    load_tokenizer_and_model,
    split_dataset,
    tokenize_splits,
)

WEIGHT_DECAY = 0.01  # TrainingArguments(weight_decay=0.01), Lab 4's value
WARMUP_RATIO = 0.1  # TrainingArguments(warmup_steps=0.1): a float is a share of all optimizer steps
EVAL_BATCH_SIZE = 64  # TrainingArguments(per_device_eval_batch_size=64)


@dataclass(frozen=True)
class LoopOptions:
    """What the hand-written loop adds to Lab 4's settings (each one a ``TrainingArguments`` field too)."""

    gradient_accumulation_steps: int = field(
        default=1, metadata={"help": "batches whose gradients are summed before one optimizer step"}
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "clip the gradient's norm to this (0: no clipping)"})
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "recompute activations in the backward pass: less memory, more time"}
    )
    save_model: bool = field(default=False, metadata={"help": "also save the trained model into the run folder"})

    def __post_init__(self) -> None:
        """Reject settings the loop cannot use."""
        if self.gradient_accumulation_steps < 1 or self.max_grad_norm < 0:
            raise CourseError("--gradient-accumulation-steps must be at least 1 and --max-grad-norm at least 0.")


def mixed_precision(device: str) -> str:
    """Accelerate's ``mixed_precision`` for the course's one precision policy (``coursekit.device``)."""
    settings = precision_settings(device)[0]
    return "bf16" if settings.get("bf16") else "fp16" if settings.get("fp16") else "no"


def decay_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """AdamW parameter groups as the Trainer builds them: no weight decay on biases and LayerNorm weights."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (no_decay if "bias" in name or "LayerNorm" in name else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_loaders(encoded, tokenizer, batch_size: int, seed: int) -> tuple[DataLoader, DataLoader, DataLoader]:
    """Train / validation / test loaders; each batch is padded to its own longest post."""
    collator = DataCollatorWithPadding(tokenizer)  # Trainer(data_collator=DataCollatorWithPadding(tokenizer))
    train, validation, test = (encoded[s].remove_columns("text") for s in ("train", "validation", "test"))
    # train_sampling_strategy="group_by_length", seed=...: shuffled, with posts of similar length batched together
    sampler = LengthGroupedSampler(
        batch_size,
        lengths=[len(ids) for ids in encoded["train"]["input_ids"]],
        generator=torch.Generator().manual_seed(seed),
    )
    train_loader = DataLoader(train, batch_size=batch_size, sampler=sampler, collate_fn=collator)
    validation_loader = DataLoader(validation, batch_size=EVAL_BATCH_SIZE, collate_fn=collator)
    test_loader = DataLoader(test, batch_size=EVAL_BATCH_SIZE, collate_fn=collator)
    return train_loader, validation_loader, test_loader


def evaluate(model, loader: DataLoader, accelerator: Accelerator) -> dict:
    """Loss and accuracy over a whole split; ``gather_for_metrics`` collects every process's predictions once each."""
    model.eval()
    losses, correct, total = [], 0, 0
    with torch.no_grad():
        for batch in loader:
            outputs = model(**batch)
            # The sampler pads the last batches so every process gets one; gather_for_metrics drops those duplicates.
            predictions, labels = accelerator.gather_for_metrics((outputs.logits.argmax(dim=-1), batch["labels"]))
            batch_losses = accelerator.gather_for_metrics(outputs.loss.detach().float().repeat(len(batch["labels"])))
            losses.append(batch_losses)
            correct += int((predictions == labels).sum())
            total += len(labels)
    model.train()
    return {
        "loss": round(float(torch.cat(losses).mean()), 4),
        "accuracy": round(correct / total, 4),
        "correct": correct,
        "total": total,
    }


class LoopRun(NamedTuple):
    """What :func:`train_loop` returns: the metrics, and what :func:`save_run` needs to save the model."""

    metrics: dict
    accelerator: Accelerator
    model: torch.nn.Module
    tokenizer: Any


def train_loop(config: TrainConfig, options: LoopOptions) -> LoopRun:
    """Fine-tune with a hand-written loop; return the run's metrics (``metrics.json``) and the trained model."""
    device = detect_device()
    accelerator = Accelerator(
        cpu=device == "cpu",  # TrainingArguments(use_cpu=True); under torchrun on a CPU this also picks gloo
        mixed_precision=mixed_precision(device),  # TrainingArguments(bf16=True) / (fp16=True)
        gradient_accumulation_steps=options.gradient_accumulation_steps,  # gradient_accumulation_steps=...
    )
    torch.manual_seed(config.seed)  # TrainingArguments(seed=...): the new classifier head's initial weights
    choice = resolve_model(config.model)
    data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
    splits = split_dataset(data, config.test_size, config.validation_size, config.seed)
    if config.max_train_rows:
        rows = min(config.max_train_rows, len(splits["train"]))
        splits["train"] = splits["train"].shuffle(seed=config.seed).select(range(rows))
    tokenizer, model = load_tokenizer_and_model(choice, data.id2label)
    if options.gradient_checkpointing:
        model.activation_checkpointing_enable()  # TrainingArguments(gradient_checkpointing=True)
    with accelerator.main_process_first():  # one process tokenizes first (on a cluster: fills the datasets cache)
        encoded = tokenize_splits(splits, tokenizer, config.max_length)
    train_loader, validation_loader, test_loader = make_loaders(encoded, tokenizer, config.batch_size, config.seed)

    learning_rate = config.learning_rate or choice.learning_rate  # TrainingArguments(learning_rate=...)
    optimizer = torch.optim.AdamW(decay_groups(model, WEIGHT_DECAY), lr=learning_rate)  # optim="adamw_torch"
    # Steps as one process counts them: the prepared scheduler steps once per process per optimizer step.
    steps = math.ceil(len(train_loader) / options.gradient_accumulation_steps) * math.ceil(config.epochs)
    scheduler = get_linear_schedule_with_warmup(  # lr_scheduler_type="linear", warmup_steps=0.1
        optimizer, num_warmup_steps=math.ceil(steps * WARMUP_RATIO), num_training_steps=steps
    )
    # Wraps the model in DistributedDataParallel, shards the loaders across processes, moves batches to the device.
    model, optimizer, train_loader, validation_loader, test_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, validation_loader, test_loader, scheduler
    )

    history, optimizer_steps = [], 0
    started = time.perf_counter()
    model.train()
    for epoch in range(math.ceil(config.epochs)):  # num_train_epochs
        train_loader.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        epoch_loss, batches = torch.zeros((), device=accelerator.device), 0
        for batch in train_loader:
            with accelerator.accumulate(model):  # no gradient sync or optimizer step until the last accumulated batch
                loss = model(**batch).loss  # the mean cross-entropy of this process's batch
                accelerator.backward(loss)  # loss.backward(), scaled for fp16; DDP averages gradients across processes
                if accelerator.sync_gradients and options.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), options.max_grad_norm)  # max_grad_norm=1.0
                optimizer.step()  # skipped by Accelerate until the accumulation is complete
                scheduler.step()
                optimizer.zero_grad()
            optimizer_steps += int(accelerator.sync_gradients)
            epoch_loss += loss.detach().float()
            batches += 1
        # logging_strategy="epoch": the mean training loss over the epoch, averaged over the processes
        train_loss = float(accelerator.reduce(epoch_loss / batches, reduction="mean"))
        validation = evaluate(model, validation_loader, accelerator)  # eval_strategy="epoch"
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": round(train_loss, 4),
                "validation_loss": validation["loss"],
                "validation_accuracy": validation["accuracy"],
            }
        )
        accelerator.print(
            f"  epoch {epoch + 1}: train loss {train_loss:.3f}  validation loss {validation['loss']:.3f}"
            f"  accuracy {validation['accuracy']:.3f}"
        )
    train_seconds = round(time.perf_counter() - started, 1)
    test = evaluate(model, test_loader, accelerator)
    metrics = {
        "model": choice.name,
        "world_size": accelerator.num_processes,
        "per_device_batch_size": config.batch_size,
        "gradient_accumulation_steps": options.gradient_accumulation_steps,
        "global_batch_size": config.batch_size * options.gradient_accumulation_steps * accelerator.num_processes,
        "optimizer_steps": optimizer_steps,
        "mixed_precision": accelerator.mixed_precision,
        "gradient_checkpointing": options.gradient_checkpointing,
        "threads_per_process": torch.get_num_threads(),
        "train_size": len(splits["train"]),
        "train_seconds": train_seconds,
        "history": history,
        "test": test,
    }
    return LoopRun(metrics, accelerator, model, tokenizer)


def save_run(run: LoopRun, output: Path, settings: dict, save_model: bool) -> None:
    """Main process only: write the settings, ``metrics.json`` (and the model) to a staging folder, then swap it in.

    ``training_config.json`` also marks the folder as a run of the course's code, which ``--overwrite`` may replace.
    """
    accelerator = run.accelerator
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    run_dir = staging_dir(output)
    try:
        atomic_write_text(run_dir / "training_config.json", json.dumps(settings, indent=2, default=str) + "\n")
        if save_model:
            accelerator.unwrap_model(run.model).save_pretrained(run_dir)  # the plain model, without the DDP wrapper
            run.tokenizer.save_pretrained(run_dir)
        atomic_write_text(run_dir / "metrics.json", json.dumps(run.metrics, indent=2) + "\n")
        swap_in_dir(run_dir, output)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise


def print_report(result: dict, output: Path) -> None:
    """World size, batch sizes and the test accuracy with its 95% interval."""
    test, r = result["test"], result
    low, high = wilson_interval(test["correct"], test["total"])
    print(
        f"processes {r['world_size']} x {r['threads_per_process']} thread(s); batch {r['per_device_batch_size']}"
        f" per process x {r['gradient_accumulation_steps']} accumulation = {r['global_batch_size']} per step;"
        f" {r['optimizer_steps']} optimizer steps; precision {r['mixed_precision']}\n"
        f"trained in {r['train_seconds']:.0f} s on {r['train_size']} posts\n"
        f"test ({test['total']} posts): accuracy {test['accuracy']:.3f} (95% CI {low:.3f}-{high:.3f}),"
        f" loss {test['loss']:.3f}\nsaved to {shown_path(output)}"
    )


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Parse Lab 4's flags plus the loop's, train, and write the run folder (main process)."""
    parser = HfArgumentParser((TrainConfig, LoopOptions), description=__doc__.split("\n\n")[0])
    config, options = parser.parse_args_into_dataclasses(args=argv)  # checks the settings (exit 2 with a message)
    quiet_libraries()
    choice = resolve_model(config.model)
    default = default_output_dir(config.label_column, choice)
    output = Path(config.output or default.with_name(default.name + "-loop")).resolve()
    if int(os.environ.get("RANK", "0")) == 0:
        check_output_dir(output, config.overwrite)  # before training: a refused folder costs nothing
    run = train_loop(config, options)
    settings = {**asdict(config), **asdict(options), "output": output, "script": "examples/training/train_loop.py"}
    save_run(run, output, settings, options.save_model)
    if run.accelerator.is_main_process:
        print_report(run.metrics, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
