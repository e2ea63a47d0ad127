"""Lesson layer (Lab 10): memory at scale: what each training strategy keeps per device, and gradient checkpointing.

    from coursekit.lessons.scaling import memory_table, checkpointing_comparison
    memory_table(350e6, world_size=4)        # GB per device: DDP, ZeRO-1/2/3, FSDP, for a 350M-parameter model
    checkpointing_comparison(model, batch)   # activations, peak RSS growth, seconds per step: with and without

Training with AdamW keeps, per parameter: the weights, their gradients, and two optimizer moments. In mixed
precision (bf16/fp16) the weights and gradients the model computes with are 2 bytes each and the optimizer keeps a
float32 master copy plus its two moments (4 + 4 + 4 bytes): 16 bytes per parameter before any activation (the ZeRO
paper's accounting, and the idea behind ``accelerate estimate-memory``). In float32 it is 4 + 4 + 8 = 16 bytes too.
DDP keeps all of it on every device; ZeRO/FSDP split parts of it across the ``world_size`` devices. Activations
(what the forward pass saves for the backward pass) come on top and grow with batch size and sequence length:
gradient checkpointing keeps only each layer's input and recomputes the rest during the backward pass.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import pandas as pd
import torch
from torch.utils.checkpoint import checkpoint
from transformers import PreTrainedModel

from coursekit.errors import CourseError

GB = 1e9
# strategy -> (what is split across the devices, when to use it); the lab's table.
STRATEGIES: dict[str, tuple[str, str]] = {
    "ddp": ("nothing: every device holds a full copy", "the model, its gradients and AdamW fit on one device"),
    "zero1": ("optimizer states", "AdamW's moments are what does not fit; no extra communication"),
    "zero2": ("optimizer states + gradients", "the usual first step beyond DDP; about DDP's communication"),
    "zero3": ("optimizer states + gradients + weights", "the model itself does not fit; ~1.5x DDP's communication"),
    "fsdp": ("as ZeRO-3 (FULL_SHARD): weights, gradients, optimizer", "PyTorch-native ZeRO-3; wrap per layer"),
}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per device for one strategy: weights, gradients, optimizer states (no activations)."""

    strategy: str
    weights: float
    gradients: float
    optimizer: float

    @property
    def total(self) -> float:
        """All three together."""
        return self.weights + self.gradients + self.optimizer


def training_memory(parameters: float, strategy: str, world_size: int, mixed_precision: bool = True) -> MemoryEstimate:
    """Bytes per device to train ``parameters`` with AdamW under ``strategy`` on ``world_size`` devices.

    Mixed precision: weights 2 + gradients 2 + optimizer 12 (float32 master weights and two moments) bytes per
    parameter; float32: 4 + 4 + 8. A sharded part is divided by ``world_size``.
    """
    if strategy not in STRATEGIES:
        raise CourseError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    if parameters <= 0 or world_size < 1:
        raise CourseError("parameters must be positive and world_size at least 1.")
    weights, gradients, optimizer = (2, 2, 12) if mixed_precision else (4, 4, 8)
    shards = {
        "ddp": (1, 1, 1),
        "zero1": (1, 1, world_size),
        "zero2": (1, world_size, world_size),
        "zero3": (world_size, world_size, world_size),
        "fsdp": (world_size, world_size, world_size),
    }[strategy]
    return MemoryEstimate(
        strategy,
        parameters * weights / shards[0],
        parameters * gradients / shards[1],
        parameters * optimizer / shards[2],
    )


def memory_table(parameters: float, world_size: int, mixed_precision: bool = True) -> pd.DataFrame:
    """One row per strategy: GB per device for weights, gradients, optimizer, total; what is sharded."""
    rows = []
    for strategy, (sharded, _) in STRATEGIES.items():
        estimate = training_memory(parameters, strategy, world_size, mixed_precision)
        rows.append(
            {
                "strategy": strategy,
                "sharded": sharded,
                "weights GB": round(estimate.weights / GB, 2),
                "gradients GB": round(estimate.gradients / GB, 2),
                "optimizer GB": round(estimate.optimizer / GB, 2),
                "total GB": round(estimate.total / GB, 2),
            }
        )
    return pd.DataFrame(rows).set_index("strategy")


def saved_activation_bytes(model: torch.nn.Module, batch: dict) -> int:
    """Bytes of the tensors the forward pass saves for the backward pass (the activations), for one training step.

    ``torch.autograd.graph.saved_tensors_hooks`` sees every tensor autograd keeps. (``tracemalloc`` would not:
    it traces Python's allocator, and PyTorch allocates tensor memory in C++.) A tensor saved twice (e.g. a weight
    used by two operations) is counted once.
    """
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        seen.setdefault(tensor.untyped_storage().data_ptr(), tensor.untyped_storage().nbytes())
        return tensor

    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = model(**batch).loss
    loss.backward()
    model.zero_grad()
    return sum(size for pointer, size in seen.items() if pointer not in parameters)


def peak_rss_growth(model: torch.nn.Module, batch: dict, interval: float = 0.002) -> int:
    """How far the process's resident memory (RSS) rises above its level before one training step, in bytes.

    A thread samples the RSS every ``interval`` seconds during the forward and backward pass. This is what the
    operating system sees (activations, gradients, temporary buffers), so it is coarser than
    :func:`saved_activation_bytes`, and a step that reuses memory freed earlier may show less than it uses.
    """
    import psutil  # comes with accelerate

    process = psutil.Process()
    baseline = peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(interval):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        model(**batch).loss.backward()
    finally:
        done.set()
        sampler.join()
    peak = max(peak, process.memory_info().rss)
    model.zero_grad(set_to_none=True)
    return peak - baseline


def step_seconds(model: torch.nn.Module, batch: dict, steps: int = 3) -> float:
    """Median seconds of a forward + backward pass (after one warm-up step)."""
    times = []
    for _ in range(steps + 1):
        started = time.perf_counter()
        model(**batch).loss.backward()
        times.append(time.perf_counter() - started)
        model.zero_grad()
    return float(sorted(times[1:])[len(times[1:]) // 2])


def encoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The transformer layers of a BERT-style encoder (``model.<base>.encoder.layer``)."""
    layers = getattr(getattr(getattr(model, "base_model", None), "encoder", None), "layer", None)
    if not isinstance(layers, torch.nn.ModuleList):
        raise CourseError(f"{type(model).__name__} has no encoder.layer list to checkpoint layer by layer.")
    return layers


def set_checkpointing(model: PreTrainedModel, enabled: bool) -> None:
    """Gradient checkpointing on or off: transformers' own switch where the model supports it, otherwise (MPNet in
    transformers 5) each encoder layer's forward wrapped in ``torch.utils.checkpoint`` — what the switch does."""
    if model.supports_gradient_checkpointing:
        if enabled:
            model.activation_checkpointing_enable()
        else:
            model.activation_checkpointing_disable()
        return
    for layer in encoder_layers(model):
        if enabled:  # an instance attribute shadows the class's forward; deleting it restores the original
            layer.forward = functools.partial(checkpoint, type(layer).forward.__get__(layer), use_reentrant=False)
        elif "forward" in vars(layer):
            del layer.forward


def checkpointing_comparison(model: PreTrainedModel, batch: dict, steps: int = 3) -> pd.DataFrame:
    """Activation memory (MB), peak RSS growth (MB) and seconds per training step with and without gradient
    checkpointing. With checkpointing first: memory the allocator keeps after a step can only hide growth in the
    step after it, so the smaller step is measured while no larger one has run yet."""
    model.train()
    rows = []
    for enabled in (True, False):
        set_checkpointing(model, enabled)
        rows.append(
            {
                "gradient checkpointing": enabled,
                "activations MB": round(saved_activation_bytes(model, batch) / 1e6, 1),
                "peak RSS growth MB": round(peak_rss_growth(model, batch) / 1e6, 1),
                "seconds per step": round(step_seconds(model, batch, steps), 3),
            }
        )
    set_checkpointing(model, False)
    return pd.DataFrame(rows).set_index("gradient checkpointing").sort_index()  # False, True


def memory_summary(
    parameters: float, world_size: int, strategies: tuple[str, ...] = ("ddp", "zero2", "zero3")
) -> dict:
    """The Lab 10 hand-in's ``memory.json``: GB per device for each strategy's parts and total, 2 decimals."""
    summary: dict = {"parameters": int(parameters), "world_size": world_size}
    for strategy in strategies:
        estimate = training_memory(parameters, strategy, world_size)
        parts = {"weights": estimate.weights, "gradients": estimate.gradients, "optimizer": estimate.optimizer}
        summary[strategy] = {name: round(value / GB, 2) for name, value in parts.items()}
        summary[strategy]["total"] = round(estimate.total / GB, 2)
    return summary
