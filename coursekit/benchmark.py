"""Measurement layer: training and inference speed against the machine's matmul peak (Labs 4, 5, 7; README).

Used by ``examples/benchmark/bench.py`` (``make bench``: one table) and ``examples/benchmark/padding_benchmark.py``
(``make benchmark``: the Lab 4 padding comparison). The arithmetic is kept apart from the measuring so that tests
can check it without timing anything:

* a forward pass of a transformer costs about ``2 × N × T`` FLOPs for ``N`` non-embedding parameters and ``T``
  tokens (each weight is used in one multiply and one add per token); training (forward + backward, the backward
  costs about twice the forward) costs ``6 × N × T``. Attention scores add ``O(T²)`` per text, negligible for
  posts of ~40 tokens, so they are left out;
* a ``n × n`` by ``n × n`` matmul costs ``2 n³`` FLOPs, which gives the machine's peak in each precision.

Embedding lookups are not matmuls (they copy rows), so embedding parameters are not counted.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Recipe:
    """How texts become batches: padded to ``max_length`` (the naive recipe) or per batch (the course's)."""

    name: str
    pad_to_max_length: bool
    max_length: int
    group_by_length: bool


# The old tutorials' recipe, and the course's (Lab 4: dynamic padding, max_length 96, length-grouped batches).
NAIVE = Recipe("naive", pad_to_max_length=True, max_length=512, group_by_length=False)
COURSE = Recipe("course", pad_to_max_length=False, max_length=96, group_by_length=True)
RECIPES = {recipe.name: recipe for recipe in (NAIVE, COURSE)}


@dataclass(frozen=True)
class Throughput:
    """What one timed measurement processed: ``items`` texts holding ``tokens`` tokens in ``seconds``."""

    items: int
    tokens: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Texts (samples) per second."""
        return self.items / self.seconds

    @property
    def tokens_per_item(self) -> float:
        """Mean tokens counted per text."""
        return self.tokens / self.items


def non_embedding_parameters(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all except the embedding tables (and their LayerNorm)."""
    return sum(p.numel() for name, p in model.named_parameters() if "embeddings." not in name)


def training_flops(parameters: int, tokens: int) -> float:
    """FLOPs of forward + backward over ``tokens`` tokens: ``6 × parameters × tokens``."""
    return 6.0 * parameters * tokens


def inference_flops(parameters: int, tokens: int) -> float:
    """FLOPs of a forward pass over ``tokens`` tokens: ``2 × parameters × tokens``."""
    return 2.0 * parameters * tokens


def matmul_flops(size: int) -> float:
    """FLOPs of one ``size × size`` matrix product: ``2 × size³`` (a multiply and an add per term)."""
    return 2.0 * size**3


def gflops_per_second(flops: float, seconds: float) -> float:
    """Achieved GFLOP/s."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    return flops / seconds / 1e9


@contextlib.contextmanager
def torch_threads(threads: int):
    """Run the block with ``threads`` intra-op threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def peak_matmul_gflops(dtype: torch.dtype, size: int = 2048, repeats: int = 5, rounds: int = 3) -> float:
    """The machine's matmul GFLOP/s in ``dtype``: the fastest of ``rounds`` rounds of ``repeats`` products.

    The fastest round counts: other programs can only slow a round down. One product runs first, untimed
    (it allocates and picks kernels).
    """
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(dtype)
    b = torch.randn(size, size, generator=generator).to(dtype)
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeats):
            torch.matmul(a, b)
        best = min(best, time.perf_counter() - started)
    return gflops_per_second(matmul_flops(size) * repeats, best)


def measure_training(
    recipe: Recipe,
    texts: Sequence[str],
    labels: Sequence[int],
    steps: int,
    batch_size: int,
    precision: dict[str, Any],
    model_name: str = "minilm-l6",
) -> tuple[Throughput, int]:
    """Train ``steps`` optimizer steps with ``recipe`` and return what the steps after the first processed.

    Tokens are those the recipe makes the model compute on: every one of the 512 per text for the naive
    recipe, the real (non-padding) tokens for dynamic padding. Also returns the model's non-embedding
    parameter count. The first step is not timed: it pays one-off costs (allocation, kernel choice).
    """
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

    from coursekit.models import resolve_model
    from coursekit.training import load_tokenizer_and_model

    class StepClock(TrainerCallback):
        """Seconds and tokens of the steps after the first."""

        def __init__(self) -> None:
            self.started = 0.0
            self.tokens_at_start = 0
            self.seconds = 0.0
            self.tokens = 0

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 1:
                self.started, self.tokens_at_start = time.perf_counter(), state.num_input_tokens_seen
            else:
                self.seconds = time.perf_counter() - self.started
                self.tokens = state.num_input_tokens_seen - self.tokens_at_start

    transformers.set_seed(0)
    tokenizer, model = load_tokenizer_and_model(resolve_model(model_name), {0: "closed", 1: "open"})
    padding = "max_length" if recipe.pad_to_max_length else False
    dataset = Dataset.from_dict({"text": list(texts), "label": list(labels)}).map(
        lambda batch: tokenizer(batch["text"], truncation=True, padding=padding, max_length=recipe.max_length),
        batched=True,
        remove_columns=["text"],
    )
    clock = StepClock()
    with tempfile.TemporaryDirectory() as scratch:
        trainer = Trainer(
            model=model,
            data_collator=default_data_collator if recipe.pad_to_max_length else DataCollatorWithPadding(tokenizer),
            train_dataset=dataset,
            processing_class=tokenizer,
            args=TrainingArguments(
                output_dir=scratch,
                max_steps=steps,
                per_device_train_batch_size=batch_size,
                save_strategy="no",  # nothing to keep
                report_to="none",
                disable_tqdm=True,
                optim="adamw_torch",
                dataloader_pin_memory=False,  # CPU: pinning only warns
                logging_strategy="no",
                train_sampling_strategy="group_by_length" if recipe.group_by_length else "random",
                # count what the model computes on: 512 per text when padded to max_length, else the real tokens
                include_num_input_tokens_seen="all" if recipe.pad_to_max_length else "non_padding",
                **precision,
            ),
            callbacks=[clock],
        )
        trainer.remove_callback(PrinterCallback)  # no raw log dicts between the table's lines
        trainer.train()
    return Throughput(items=(steps - 1) * batch_size, tokens=clock.tokens, seconds=clock.seconds), (
        non_embedding_parameters(model)
    )


def measure_inference(
    model: torch.nn.Module, batches: Sequence[dict[str, torch.Tensor]], autocast_bf16: bool = False
) -> Throughput:
    """Time the model's forward pass over pre-tokenized ``batches`` (tokenization excluded); count real tokens.

    The first batch runs once untimed (warm-up). ``autocast_bf16`` runs the matmuls in bfloat16.
    """
    context = torch.autocast("cpu", dtype=torch.bfloat16) if autocast_bf16 else contextlib.nullcontext()
    model.eval()
    with torch.inference_mode(), context:
        model(**batches[0])
        started = time.perf_counter()
        for batch in batches:
            model(**batch)
        seconds = time.perf_counter() - started
    return batches_throughput(batches, seconds)


def batches_throughput(batches: Sequence[dict[str, torch.Tensor]], seconds: float) -> Throughput:
    """Texts and real tokens (padding not counted) of ``batches``, classified in ``seconds``."""
    items = sum(len(batch["input_ids"]) for batch in batches)
    tokens = int(sum(batch["attention_mask"].sum() for batch in batches))
    return Throughput(items=items, tokens=tokens, seconds=seconds)


def measure_session(session, batches: Sequence[dict[str, torch.Tensor]]) -> Throughput:
    """:func:`measure_inference` for an ONNX Runtime session (Lab 11's graphs): the same batches, as int64 arrays."""
    names = [node.name for node in session.get_inputs()]
    feeds = [{name: batch[name].numpy().astype("int64") for name in names} for batch in batches]
    session.run(["logits"], feeds[0])  # warm-up
    started = time.perf_counter()
    for feed in feeds:
        session.run(["logits"], feed)
    return batches_throughput(batches, time.perf_counter() - started)


def format_markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: a column holding any number is right-aligned, others left-aligned."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError("every row needs one cell per column")
    numeric = [any(isinstance(row[i], int | float) for row in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if is_number else "---" for is_number in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    """Numbers with sensible digits (3 significant below 10, none above 100), ``None`` as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if value < 1 else f"{value:.2f}"
    return str(value)
