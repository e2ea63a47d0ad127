"""The precision policy (coursekit.device.precision_settings) decided on faked CPUs, and the override variable."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import TrainingArguments

from coursekit import device
from coursekit.device import CPU_BF16, PRECISION_VARIABLE, cpu_flags, cpu_has_native_bf16, precision_settings
from coursekit.errors import CourseError
from coursekit.paths import EXAMPLES_DIR

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu sse2 avx2 avx512f avx512bw {extra}
bogomips\t: 4000.00
"""


@pytest.fixture
def fake_cpu(monkeypatch):
    """Pretend to run on a CPU with the given /proc/cpuinfo flags and PyTorch capability, with no override set."""
    monkeypatch.delenv(PRECISION_VARIABLE, raising=False)

    def pretend(flags: set[str], capability: str = "AVX512") -> None:
        monkeypatch.setattr(device, "cpu_flags", lambda: frozenset(flags))
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)

    return pretend


def test_cpu_flags_are_read_from_the_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO.format(extra="avx512_bf16 amx_tile"))
    assert {"avx512_bf16", "amx_tile", "avx2"} <= cpu_flags(cpuinfo)
    assert "bogomips" not in cpu_flags(cpuinfo)
    assert cpu_flags(tmp_path / "missing") == frozenset()  # macOS, Windows: no /proc/cpuinfo


@pytest.mark.parametrize(
    ("flags", "capability", "native"),
    [
        ({"avx512f", "avx512_bf16"}, "AVX512", True),
        ({"avx512f", "amx_bf16", "amx_tile"}, "AVX512", True),
        ({"avx512f", "avx512bw"}, "AVX512", False),  # AVX-512 without bf16: oneDNN would emulate it, slower
        ({"avx512_bf16"}, "AVX2", False),  # ATEN_CPU_CAPABILITY=avx2: PyTorch does not use the instructions
        (set(), "DEFAULT", False),  # ARM / macOS: no /proc/cpuinfo flags
    ],
)
def test_native_bf16_needs_the_flag_and_avx512_kernels(flags, capability, native):
    assert cpu_has_native_bf16(frozenset(flags), capability) is native


def test_cpu_with_native_bf16_stays_float32_because_bf16_lost_accuracy(fake_cpu):
    fake_cpu({"avx512_bf16"})
    settings, reason = precision_settings("cpu")
    assert settings == {}
    assert "native bf16" in reason and "lost test accuracy" in reason and "COURSE_PRECISION=bf16" in reason
    fake_cpu({"avx2"})  # the same answer and the same words on any CPU: notebooks print it
    assert precision_settings("cpu") == ({}, reason)


def test_cpu_with_native_bf16_would_train_in_bf16_with_use_cpu_once_a_measurement_holds(fake_cpu, monkeypatch):
    fake_cpu({"avx512_bf16"})
    monkeypatch.setattr(device, "BF16_ON_NATIVE_CPUS", True)
    settings, reason = precision_settings("cpu")
    assert settings == {"bf16": True, "use_cpu": True}
    assert reason.startswith("bf16 autocast")
    fake_cpu({"avx2"})  # no native bf16: float32 whatever the measurement said
    assert precision_settings("cpu")[0] == {}


def test_the_committed_measurement_backs_the_switch():
    results = sorted((EXAMPLES_DIR / "benchmark" / "results").glob("precision*.json"))
    verdicts = [v for path in results for v in json.loads(path.read_text())["verdicts"]]
    assert verdicts, "examples/benchmark/results/precision*.json is missing"
    assert all(v["holds"] for v in verdicts) == device.BF16_ON_NATIVE_CPUS


def test_cpu_without_the_flag_stays_float32(fake_cpu, monkeypatch):
    fake_cpu({"avx2", "avx512f"})
    monkeypatch.setattr(device, "BF16_ON_NATIVE_CPUS", True)
    settings, reason = precision_settings("cpu")
    assert settings == {} and reason.startswith("float32") and "silently ignored" in reason


def test_mps_stays_float32_whatever_the_cpu(fake_cpu):
    fake_cpu({"avx512_bf16"})
    settings, reason = precision_settings("mps")
    assert settings == {} and "MPS" in reason


@pytest.mark.parametrize(("bf16_gpu", "expected"), [(True, {"bf16": True}), (False, {"fp16": True})])
def test_cuda_uses_bf16_where_the_gpu_has_it_else_fp16(fake_cpu, monkeypatch, bf16_gpu, expected):
    fake_cpu(set())
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16_gpu)
    assert precision_settings("cuda")[0] == expected


def test_override_forces_fp32_on_a_bf16_cpu(fake_cpu, monkeypatch):
    fake_cpu({"avx512_bf16"})
    monkeypatch.setenv(PRECISION_VARIABLE, "fp32")
    settings, reason = precision_settings("cpu")
    assert settings == {} and PRECISION_VARIABLE in reason


def test_override_forces_bf16_with_use_cpu_on_any_cpu(fake_cpu, monkeypatch):
    fake_cpu(set(), "AVX2")
    monkeypatch.setenv(PRECISION_VARIABLE, " BF16 ")
    assert precision_settings("cpu")[0] == {"bf16": True, "use_cpu": True}
    assert precision_settings("cuda")[0] == {"bf16": True}  # use_cpu would move a GPU run to the CPU


def test_override_auto_is_the_default(fake_cpu, monkeypatch):
    fake_cpu({"amx_bf16"})
    monkeypatch.setattr(device, "BF16_ON_NATIVE_CPUS", True)
    monkeypatch.setenv(PRECISION_VARIABLE, "auto")
    assert precision_settings("cpu")[0] == CPU_BF16
    monkeypatch.setenv(PRECISION_VARIABLE, "")
    assert precision_settings("cpu")[0] == CPU_BF16


def test_unknown_override_is_a_course_error_naming_the_choices(fake_cpu, monkeypatch):
    fake_cpu(set())
    monkeypatch.setenv(PRECISION_VARIABLE, "fp16")
    with pytest.raises(CourseError, match=r"COURSE_PRECISION='fp16'.*auto, fp32, bf16"):
        precision_settings("cpu")


def test_returned_settings_are_a_copy(fake_cpu, monkeypatch):
    fake_cpu({"avx512_bf16"})
    monkeypatch.setattr(device, "BF16_ON_NATIVE_CPUS", True)
    precision_settings("cpu")[0]["bf16"] = False
    assert CPU_BF16 == {"bf16": True, "use_cpu": True}


def test_transformers_accepts_the_cpu_bf16_settings_and_refuses_bf16_alone(fake_cpu, monkeypatch, tmp_path):
    fake_cpu({"avx512_bf16"})
    monkeypatch.setenv(PRECISION_VARIABLE, "bf16")
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", **precision_settings("cpu")[0])
    assert args.bf16 and args.use_cpu and args.device.type == "cpu"
    if torch.cuda.is_available():
        pytest.skip("bf16=True alone is refused only where there is no GPU")
    with pytest.raises(ValueError):  # why use_cpu=True always accompanies bf16 on a CPU
        TrainingArguments(output_dir=str(tmp_path), report_to="none", bf16=True)
