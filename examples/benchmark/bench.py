"""`make bench`: one table of this machine's training and inference speed, against its measured matmul peak.

    python examples/benchmark/bench.py                 # ~3-5 min on an idle 2-core CPU
    python examples/benchmark/bench.py --steps 2 --naive-steps 2 --texts 8 --batch-sizes 1 4 --peak-size 256

Rows, all on the CPU with ``--threads`` threads and the default model (minilm-l6):

* the peak: a ``torch.matmul`` of two ``--peak-size``² matrices in float32 and (when the CPU has native
  bfloat16) bf16 — the most this machine's cores compute per second; probed before and after the other rows, the
  faster probe counts (other jobs can only slow a probe down);
* training samples/s of the naive recipe (every post padded to 512 tokens) and of the course recipe (dynamic
  padding, Lab 4) in float32 and, when supported, bf16 autocast; the steps after the first are timed;
* inference texts/s (forward pass only, tokenization excluded) at each batch size for each backend available:
  PyTorch float32, PyTorch bf16 autocast, PyTorch dynamic int8 (``quantize_dynamic``), and ONNX Runtime float32
  and dynamic int8 (Lab 11's export).

GFLOP/s counts 6 × non-embedding parameters × tokens for training and 2 × … for inference (see
``coursekit.benchmark``); "% of peak" compares with the matmul peak of the precision the row computes in. Prints
the table and writes it to ``--output-dir``/bench.md and bench.json. Run it on an otherwise idle machine and
quote the load it reports: other jobs on the same cores slow every row.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

import torch

from coursekit.benchmark import (
    COURSE,
    NAIVE,
    Throughput,
    format_markdown_table,
    gflops_per_second,
    inference_flops,
    measure_inference,
    measure_session,
    measure_training,
    non_embedding_parameters,
    peak_matmul_gflops,
    torch_threads,
    training_flops,
)
from coursekit.data import LabelledTexts, load_labelled_texts
from coursekit.device import CPU_BF16, cpu_has_native_bf16
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text, refuse_to_replace
from coursekit.lessons.quantization import quantize_dynamic_int8
from coursekit.logs import quiet_libraries
from coursekit.models import resolve_model
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV
from coursekit.training import load_tokenizer_and_model

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
HEADER = ["row", "precision", "batch", "texts/s", "× naive", "tokens/text", "GFLOP/s", "% of peak"]
FOOTNOTE = (
    "Training rows: steps after the first, tokens = what the model computes on (512 per post when padded to "
    "max_length, the real tokens with dynamic padding), FLOPs = 6 × non-embedding parameters × tokens. Inference "
    "rows: forward pass only (tokenization excluded), FLOPs = 2 × parameters × real tokens. int8 has no matmul "
    "peak here (— in % of peak). ONNX Runtime rows: the graphs of Lab 11 (coursekit.lessons.onnx_export; int8 = "
    "MatMul weights, one scale per channel) on the same batches, in the same order."
)


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per course-recipe row")
    parser.add_argument("--naive-steps", type=int, default=3, help="optimizer steps of the (slow) naive row")
    parser.add_argument("--batch-size", type=int, default=16, help="training batch size")
    parser.add_argument("--texts", type=int, default=192, help="texts per inference row")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32], help="inference batch sizes")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for every row")
    parser.add_argument("--peak-size", type=int, default=2048, help="matrix size of the peak probe")
    parser.add_argument("--output-dir", type=Path, default=OUTPUTS_DIR, help="where bench.md and bench.json go")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier bench.md / bench.json")
    return parser


def check_settings(args: argparse.Namespace) -> None:
    """Reject settings that cannot give a timed measurement."""
    if args.steps < 2 or args.naive_steps < 2:
        raise CourseError("--steps and --naive-steps must be at least 2 (the first step is not timed).")
    if min([args.batch_size, args.texts, args.threads, args.peak_size, *args.batch_sizes]) < 1:
        raise CourseError("--batch-size, --texts, --threads, --peak-size and --batch-sizes must be positive.")


def precisions(native_bf16: bool) -> dict[str, dict[str, bool]]:
    """The precisions to measure: float32 always (on the CPU), bf16 autocast where the CPU has it natively."""
    found = {"fp32": {"use_cpu": True}}
    if native_bf16:
        found["bf16"] = dict(CPU_BF16)
    return found


def probe_peaks(names: list[str], size: int) -> dict[str, float]:
    """The matmul GFLOP/s in each precision of ``names``."""
    return {name: peak_matmul_gflops(DTYPES[name], size) for name in names}


def percent(value: float, peak: float | None) -> float | None:
    """``value`` as a percentage of ``peak`` (``None`` when there is no peak to compare with)."""
    return None if peak is None else 100.0 * value / peak


def training_rows(
    args: argparse.Namespace, data: LabelledTexts, names: list[str], runs: dict[str, dict]
) -> list[list]:
    """Naive fp32, then the course recipe in each precision of ``names``; each with its GFLOP/s."""
    plan = [(NAIVE, "fp32", args.naive_steps)] + [(COURSE, name, args.steps) for name in names]
    rows, naive_speed = [], None
    for recipe, precision, steps in plan:
        measured, parameters = measure_training(
            recipe, data.texts, data.labels, steps, args.batch_size, precisions(True)[precision]
        )
        gflops = gflops_per_second(training_flops(parameters, measured.tokens), measured.seconds)
        naive_speed = naive_speed or measured.per_second
        label = f"training, {recipe.name} ({'pad to 512' if recipe.pad_to_max_length else 'dynamic padding'})"
        rows.append(
            [label, precision, args.batch_size, measured.per_second, measured.per_second / naive_speed]
            + [measured.tokens_per_item, gflops, None]
        )
        runs[f"train-{recipe.name}-{precision}"] = vars(measured) | {"parameters": parameters, "gflops": gflops}
        print(f"measured: {label} {precision}", flush=True)
    return rows


def inference_batches(tokenizer, texts: list[str], batch_size: int) -> list[dict[str, torch.Tensor]]:
    """The texts tokenized as the course does (truncate to Lab 4's max_length, pad each batch to its longest)."""
    return [
        dict(
            tokenizer(
                texts[i : i + batch_size],
                truncation=True,
                max_length=COURSE.max_length,
                padding=True,
                return_tensors="pt",
            )
        )
        for i in range(0, len(texts), batch_size)
    ]


def inference_rows(args: argparse.Namespace, texts: list[str], names: list[str], runs: dict[str, dict]) -> list[list]:
    """Texts/s per backend and batch size: PyTorch fp32, bf16 autocast (if native), dynamic int8; ONNX Runtime."""
    tokenizer, model = load_tokenizer_and_model(resolve_model("minilm-l6"), {0: "closed", 1: "open"})
    parameters = non_embedding_parameters(model)
    int8_model, _ = quantize_dynamic_int8(model)  # torch's deprecation warnings are expected, and kept quiet
    backends = [("PyTorch", "fp32", model, False)]
    if "bf16" in names:
        backends.append(("PyTorch autocast", "bf16", model, True))
    backends.append(("PyTorch dynamic", "int8", int8_model, False))
    rows = []
    for backend, precision, backend_model, autocast in backends:
        for batch_size in args.batch_sizes:
            measured: Throughput = measure_inference(
                backend_model, inference_batches(tokenizer, texts, batch_size), autocast_bf16=autocast
            )
            rows.append(inference_row(backend, precision, batch_size, measured, parameters, runs))
        print(f"measured: inference {backend} {precision}", flush=True)
    with tempfile.TemporaryDirectory() as folder:  # the graphs of this (untrained-head) model: same speed
        for backend, precision, session in onnx_sessions(model, tokenizer, Path(folder), args.threads):
            for batch_size in args.batch_sizes:
                measured = measure_session(session, inference_batches(tokenizer, texts, batch_size))
                rows.append(inference_row(backend, precision, batch_size, measured, parameters, runs))
            print(f"measured: inference {backend} {precision}", flush=True)
    return rows


def inference_row(
    backend: str, precision: str, batch_size: int, measured: Throughput, parameters: int, runs: dict[str, dict]
) -> list:
    """One inference row of the table (and its raw numbers in ``runs``)."""
    gflops = gflops_per_second(inference_flops(parameters, measured.tokens), measured.seconds)
    key = f"infer-{'onnx-' if backend.startswith('ONNX') else ''}{precision}-{batch_size}"
    runs[key] = vars(measured) | {"parameters": parameters, "gflops": gflops}
    row = [f"inference, {backend}", precision, batch_size, measured.per_second, None, measured.tokens_per_item]
    return [*row, gflops, None]  # "% of peak" is filled in once the peaks are probed again at the end


def onnx_sessions(model, tokenizer, folder: Path, threads: int) -> list[tuple[str, str, object]]:
    """ONNX Runtime sessions (float32 and dynamic int8) of ``model``, exported into ``folder`` as Lab 11 does."""
    from coursekit.lessons.onnx_export import export_onnx, quantize_onnx
    from coursekit.onnx_runtime import make_session

    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    fp32 = export_onnx(folder)
    int8 = quantize_onnx(fp32)
    return [
        ("ONNX Runtime", "fp32", make_session(fp32, threads)),
        ("ONNX Runtime dynamic", "int8", make_session(int8, threads)),
    ]


def machine_line(args: argparse.Namespace, native_bf16: bool, load_at_start: tuple[float, ...]) -> str:
    """Date, CPU and load (at the start and the end): a bench number means little without them."""
    start, end = (", ".join(f"{x:.2f}" for x in load) for load in (load_at_start, os.getloadavg()))
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{when}; {os.cpu_count()} cores, {args.threads} torch threads, CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}, native bf16 {'yes' if native_bf16 else 'no'}; "
        f"load average (1, 5, 15 min) at the start {start}, at the end {end}; torch {torch.__version__}"
    )


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Measure the peak, the training rows and the inference rows; print and save one table."""
    args = build_parser().parse_args(argv)
    check_settings(args)
    markdown_path, json_path = args.output_dir / "bench.md", args.output_dir / "bench.json"
    for path in (markdown_path, json_path):
        refuse_to_replace(path, args.overwrite, "benchmark result")
    quiet_libraries()
    load_at_start = os.getloadavg()
    native_bf16 = cpu_has_native_bf16()
    data = load_labelled_texts(TRAIL_STATUS_CSV, "status", "Blankets_Creek")
    runs: dict[str, dict] = {}
    names = list(precisions(native_bf16))
    with torch_threads(args.threads):
        before = probe_peaks(names, args.peak_size)
        rows = training_rows(args, data, names, runs)
        rows += inference_rows(args, (data.texts * (args.texts // len(data.texts) + 1))[: args.texts], names, runs)
        after = probe_peaks(names, args.peak_size)
    peaks = {name: max(before[name], after[name]) for name in names}
    for row in rows:  # the last column: GFLOP/s as a share of the peak of the row's precision (int8 has none)
        row[-1] = percent(row[-2], peaks.get(row[1]))
    rows = [
        [f"peak: matmul {args.peak_size}²", name, None, None, None, None, peaks[name], 100.0] for name in names
    ] + rows
    machine = machine_line(args, native_bf16, load_at_start)
    report = f"{format_markdown_table(HEADER, rows)}\n{machine}\n\n{FOOTNOTE}\n"
    print("\n" + report)
    atomic_write_text(markdown_path, report)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    atomic_write_text(
        json_path,
        json.dumps(
            {"machine": machine, "settings": settings, "peaks": peaks, "header": HEADER, "rows": rows, "runs": runs},
            indent=2,
        )
        + "\n",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
