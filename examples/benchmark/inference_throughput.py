"""Benchmark: how many texts per second a saved classifier labels on this machine, for several batch sizes.

    python examples/benchmark/inference_throughput.py                      # the Lab 4 model, batch sizes 1 8 32
    python examples/benchmark/inference_throughput.py --model-dir outputs/my-run --texts 512
    python examples/benchmark/inference_throughput.py --also-sorted     # + batches of similar length
    python examples/benchmark/inference_throughput.py --output outputs/lab-7/throughput.csv
    python examples/benchmark/inference_throughput.py --backends pytorch pytorch-int8 onnx onnx-int8   # Lab 11

The texts are the first ``--texts`` posts of data/trail_status.csv, classified through the same pipeline the
batch script and the service use (coursekit.inference). One warm-up batch runs first (it pays one-off costs),
then each batch size classifies all texts ``--repeats`` times and the fastest run counts (as in ``timeit``:
other programs can only slow a run down, so the fastest is the closest to the machine's real speed).
``--also-sorted`` measures again with the texts sorted by length, so each batch holds texts of similar length
and needs little padding. Prints a Markdown table; ``--output`` also writes a CSV
(batch_size,texts_per_second,seconds,texts[,sorted_texts_per_second]). This is a measurement, not a test: the
numbers depend on the CPU and on whatever else runs on it, so say which machine and how loaded it was when you
quote them. ``--backends`` (Lab 11) measures the same texts with PyTorch float32, PyTorch dynamic int8
(``torch.ao`` quantize_dynamic, as in Lab 9) and ONNX Runtime float32 / int8 (export the graphs first with
examples/efficient/export_onnx.py), one after the other in one run, so their ratios are comparable. The ONNX
pipeline batches each call's texts by length itself (coursekit.onnx_runtime), so for its rows both columns
measure length-sorted batches.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from coursekit.data import as_text, read_table, require_columns
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_writer, refuse_to_replace
from coursekit.inference import BACKENDS, DEFAULT_MAX_LENGTH, DEVICES, Classifier, load_backend, load_classifier
from coursekit.paths import TRAIL_STATUS_CSV, shown_path

PYTORCH_INT8 = "pytorch-int8"


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--model-dir", type=Path, help="saved model folder (default: the Lab 4 model, trained if missing)"
    )
    parser.add_argument("--data", type=Path, default=TRAIL_STATUS_CSV, help="file with the texts to classify")
    parser.add_argument("--text-column", default="status")
    parser.add_argument("--texts", type=int, default=256, help="how many texts each batch size classifies")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=3, help="runs per batch size; the fastest counts")
    parser.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    parser.add_argument("--device", choices=DEVICES, help="default: the best available")
    parser.add_argument("--also-sorted", action="store_true", help="also measure with the texts sorted by length")
    parser.add_argument(
        "--backends", nargs="+", choices=[*BACKENDS, PYTORCH_INT8], default=["pytorch"], help="what runs the model"
    )
    parser.add_argument("--output", type=Path, help="also write the results as CSV")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    return parser


def load_texts(path: Path, column: str, count: int) -> list[str]:
    """The first ``count`` non-empty texts of the file (repeated if the file is shorter)."""
    if count < 1:
        raise CourseError(f"--texts must be at least 1, got {count}.")
    frame = read_table(path, text_columns=[column])
    require_columns(frame, [column], path)
    texts = [text for text in map(as_text, frame[column]) if text.strip()]
    if not texts:
        raise CourseError(f"{path}: column {column!r} holds no texts.")
    return (texts * (count // len(texts) + 1))[:count]


def seconds_for(classifier: Classifier, texts: list[str], batch_size: int, repeats: int) -> float:
    """Wall-clock seconds of the fastest of ``repeats`` runs over all texts with one batch size."""
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        classifier.predict(texts, batch_size=batch_size)
        runs.append(time.perf_counter() - started)
    return min(runs)


def measure(
    classifier: Classifier, texts: list[str], batch_size: int, also_sorted: bool, repeats: int
) -> dict[str, float]:
    """One row of the table: texts per second in the given order (and sorted by length if asked).

    A batch is padded to its longest text, so a batch mixing a 10-token and a 95-token post computes
    mostly padding; sorting by length first is what ``group_by_length`` did for training in Lab 4.
    """
    seconds = seconds_for(classifier, texts, batch_size, repeats)
    row = {
        "batch_size": batch_size,
        "texts_per_second": round(len(texts) / seconds, 1),
        "seconds": round(seconds, 2),
        "texts": len(texts),
    }
    if also_sorted:
        row["sorted_texts_per_second"] = round(
            len(texts) / seconds_for(classifier, sorted(texts, key=len), batch_size, repeats), 1
        )
    return row


def load_for(model_dir: Path, backend: str, device: str | None, max_length: int) -> Classifier:
    """The classifier of one backend; ``pytorch-int8`` is the PyTorch pipeline with int8 ``Linear`` layers."""
    if backend != PYTORCH_INT8:
        return load_backend(model_dir, backend, device=device, max_length=max_length)
    from coursekit.lessons.quantization import quantize_dynamic_int8

    classifier = load_classifier(model_dir, device="cpu", max_length=max_length)
    classifier.pipeline.model = quantize_dynamic_int8(classifier.pipeline.model)[0]
    return classifier


def markdown_table(rows: list[dict[str, float]]) -> str:
    """The results as a Markdown table, with the speed-up over the first row (and a column for several backends)."""
    also_sorted = "sorted_texts_per_second" in rows[0]
    several = "backend" in rows[0]
    lines = [
        ("| backend " if several else "")
        + "| batch size | texts/s | seconds | speed-up |"
        + (" texts/s sorted by length |" if also_sorted else ""),
        ("|---" if several else "") + "|---:|---:|---:|---:|" + ("---:|" if also_sorted else ""),
    ]
    for row in rows:
        lines.append(
            (f"| {row['backend']} " if several else "")
            + f"| {row['batch_size']} | {row['texts_per_second']:.0f} | {row['seconds']:.2f} | "
            f"{row['texts_per_second'] / rows[0]['texts_per_second']:.1f}x |"
            + (f" {row['sorted_texts_per_second']:.0f} |" if also_sorted else "")
        )
    return "\n".join(lines)


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Measure each batch size and print (and optionally save) the table."""
    args = build_parser().parse_args(argv)
    if min(args.batch_sizes) < 1:
        raise CourseError(f"batch sizes must be at least 1, got {args.batch_sizes}.")
    if args.repeats < 1:
        raise CourseError(f"--repeats must be at least 1, got {args.repeats}.")
    if args.output is not None:
        refuse_to_replace(args.output, args.overwrite)
    texts = load_texts(args.data, args.text_column, args.texts)

    import torch

    from coursekit.logs import quiet_libraries
    from coursekit.trained_model import lab4_model_dir

    quiet_libraries()
    model_dir = args.model_dir or lab4_model_dir()
    rows = []
    for backend in args.backends:
        classifier = load_for(model_dir, backend, args.device, args.max_length)
        classifier.predict(texts[: max(args.batch_sizes)], batch_size=max(args.batch_sizes))  # warm-up, not timed
        measured = [measure(classifier, texts, size, args.also_sorted, args.repeats) for size in args.batch_sizes]
        rows += [{"backend": backend, **row} for row in measured] if len(args.backends) > 1 else measured
    count = torch.get_num_threads()
    threads = f", {count} thread{'' if count == 1 else 's'}" if classifier.device == "cpu" else ""
    print(
        f"{classifier.model_dir.name} on {classifier.device}{threads}, torch {torch.__version__}: "
        f"{len(texts)} texts from {args.data.name}, max_length {args.max_length}, fastest of {args.repeats} runs"
    )
    print(markdown_table(rows))
    if args.output is not None:
        with atomic_writer(args.output, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {shown_path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
