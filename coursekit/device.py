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
