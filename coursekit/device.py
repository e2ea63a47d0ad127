"""Pick the best available device, and say what was picked."""

from __future__ import annotations

import torch


def detect_device() -> str:
    """Return ``"cuda"``, ``"mps"`` (Apple silicon) or ``"cpu"``, in that order of preference."""
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def describe_device(device: str) -> str:
    """A one-line description for logs: GPU name on CUDA, thread count on CPU."""
    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if device == "mps":
        return "mps (Apple silicon GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def precision_settings(device: str) -> tuple[dict[str, bool], str]:
    """``TrainingArguments`` keywords for mixed precision on ``device``, and why they were chosen.

    * CUDA: ``bf16`` when the GPU supports it (Ampere or newer: float32's range, no loss scaling
      needed), else ``fp16`` (needs a loss scaler, which the Trainer adds).
    * MPS: nothing. The Trainer's fp16/bf16 autocast on Apple GPUs is partial and version-dependent;
      float32 is the reliable choice there.
    * CPU: nothing, i.e. float32. ``fp16=True`` is accepted on CPU and silently does nothing, and
      ``bf16=True`` is refused unless ``use_cpu=True`` is set too (only CPUs with AMX gain from it).
    """
    if device == "cuda":
        if torch.cuda.is_bf16_supported():
            return {
                "bf16": True
            }, "bf16 mixed precision: this GPU supports bfloat16 (float32's range, no loss scaling)"
        return {"fp16": True}, "fp16 mixed precision with loss scaling: this GPU has no bfloat16"
    if device == "mps":
        return (
            {},
            "float32: mixed precision on Apple's MPS backend is partial, so the Trainer's float32 is the safe choice",
        )
    return {}, "float32: fp16=True on a CPU is silently ignored, and bf16 only pays off on CPUs with AMX"
