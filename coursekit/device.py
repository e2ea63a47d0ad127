"""Core layer: pick the best available device, the precision and batch size to train with on it, and say why
(Labs 4-9).

:func:`precision_settings` is the course's one precision policy: every training path (``make train``, the
Lab 5 script, the notebooks, the tests) passes its keywords to ``TrainingArguments``. bf16 autocast on a CPU
is only worth trying where the CPU has native bfloat16 instructions (``avx512_bf16`` or AMX), and only if it
keeps the accuracy: ``examples/benchmark/precision_comparison.py`` measured it on the reference machine
(``examples/benchmark/results/``, quoted in Lab 5) and it did not, so CPUs train in float32 unless
``COURSE_PRECISION=bf16`` asks for bf16 (``COURSE_PRECISION=fp32|bf16|auto``, default ``auto``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from coursekit.errors import CourseError

PRECISION_VARIABLE = "COURSE_PRECISION"
PRECISION_CHOICES = ("auto", "fp32", "bf16")
# CPU flags (Linux /proc/cpuinfo names) of instructions that compute in bfloat16 natively. Without them oneDNN
# emulates bf16 with float32 instructions (avx512bw) or does not offer it, and autocast only adds conversions.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# bf16 autocast on CPU: the Trainer refuses bf16=True on a CPU unless use_cpu=True says so explicitly.
CPU_BF16 = {"bf16": True, "use_cpu": True}
# Does ``auto`` train in bf16 on CPUs with native bf16? Only if bf16 kept the Lab 4 accuracy in
# examples/benchmark/results/precision*.json. It did not for every seed: with seed 42 it reached 0.867 (117/135)
# against float32's 0.933 (95% CI 0.878-0.965) with a higher test loss (0.390 vs 0.296); seed 1 held, seed 7 did
# not learn in either precision. So float32 it is until a new measurement holds.
BF16_ON_NATIVE_CPUS = False


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


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags the (Linux, x86) kernel reports for the first CPU; empty where there is no such file."""
    try:
        text = cpuinfo.read_text()
    except OSError:  # macOS, Windows, containers without /proc
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def cpu_has_native_bf16(flags: frozenset[str] | None = None, capability: str | None = None) -> bool:
    """True when this CPU computes in bfloat16 natively and PyTorch uses its AVX-512 kernels.

    Both must hold: the flag says the hardware has the instructions, the capability says PyTorch dispatches to
    code that can use them (``ATEN_CPU_CAPABILITY=avx2`` would turn them off). macOS/ARM and older x86 CPUs
    report neither, and stay in float32.
    """
    flags = cpu_flags() if flags is None else flags
    capability = torch.backends.cpu.get_cpu_capability() if capability is None else capability
    return bool(flags & NATIVE_BF16_FLAGS) and capability.startswith("AVX512")


def requested_precision() -> str:
    """The value of ``COURSE_PRECISION`` (``auto`` when unset), checked."""
    value = os.environ.get(PRECISION_VARIABLE, "auto").strip().lower() or "auto"
    if value not in PRECISION_CHOICES:
        raise CourseError(
            f"{PRECISION_VARIABLE}={value!r} is not one of {', '.join(PRECISION_CHOICES)}; unset it or fix it."
        )
    return value


def precision_settings(device: str) -> tuple[dict[str, bool], str]:
    """``TrainingArguments`` keywords for the precision to train in on ``device``, and why they were chosen.

    * CUDA: ``bf16`` when the GPU supports it (Ampere or newer: float32's range, no loss scaling
      needed), else ``fp16`` (needs a loss scaler, which the Trainer adds).
    * MPS: nothing. The Trainer's fp16/bf16 autocast on Apple GPUs is partial and version-dependent;
      float32 is the reliable choice there.
    * CPU: float32. bf16 autocast (``bf16=True, use_cpu=True``) is faster on CPUs with native bfloat16
      instructions, but on the Lab 4 recipe it lost test accuracy (:data:`BF16_ON_NATIVE_CPUS`); on other
      CPUs it is emulated and slower. ``fp16=True`` is silently ignored on a CPU.

    ``COURSE_PRECISION=fp32`` forces float32 on every device; ``COURSE_PRECISION=bf16`` forces bf16 (on a
    CPU without native support it runs, slowly; use it to compare).
    """
    requested = requested_precision()
    if requested == "fp32":
        return {}, f"float32: forced by {PRECISION_VARIABLE}=fp32"
    if requested == "bf16":
        settings = {"bf16": True} if device != "cpu" else dict(CPU_BF16)
        return settings, f"bf16 mixed precision: forced by {PRECISION_VARIABLE}=bf16"
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
    if BF16_ON_NATIVE_CPUS and cpu_has_native_bf16():
        return dict(CPU_BF16), "bf16 autocast: this CPU computes in bfloat16 natively and bf16 kept the accuracy"
    # One reason for every CPU (with or without native bf16): the answer is the same, and notebooks print it.
    return {}, (
        "float32: fp16=True on a CPU is silently ignored, and bf16 autocast lost test accuracy on the Lab 4 recipe "
        f"even on a CPU with native bf16 (Lab 5); {PRECISION_VARIABLE}=bf16 tries it"
    )


def device_batch_size(device: str, memory_bytes: int | None = None) -> int:
    """The batch size ``TrainConfig(batch_size=0)`` trains with on ``device``: what fits and still learns well.

    CPU and Apple's MPS: 16, the Lab 4 recipe (a bigger batch is no faster per post on a CPU). CUDA: 16 per
    4 GB of GPU memory, between 8 and 64, for MiniLM-sized models and short posts; if it still runs out of
    memory, ``coursekit.training.fit_with_fallback`` halves it.
    """
    if device != "cuda":
        return 16
    if memory_bytes is None:
        memory_bytes = torch.cuda.get_device_properties(0).total_memory
    return int(min(64, max(8, 16 * (memory_bytes // (4 * 1024**3)))))
