"""Lab 9 (optional): dynamic int8 quantisation of a trained classifier on CPU, before and after.

    python examples/publishing/quantize_model.py outputs/blankets_creek-minilm-l6
    python examples/publishing/quantize_model.py RUN_DIR --threads 1 --json outputs/quantization.json

Replaces every Linear layer with an int8 version (``torch.ao.quantization.quantize_dynamic``), then measures
both models on the run's own test split, recomputed from its data file and settings exactly as the training
script split it: accuracy, macro F1, size of the weights and texts per second. This is a benchmark: run it
on an otherwise idle machine and read the speed-up as a ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.lessons.quantization import DEPRECATION_NOTE, compare_quantized
from coursekit.logs import quiet_libraries


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("run_dir", type=Path, help="folder of a finished training run (with training_config.json)")
    parser.add_argument("--data", type=Path, default=None, help="the run's data file, if it moved since training")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the test split; the fastest counts")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Quantise, measure, report."""
    args = build_parser().parse_args(argv)
    if args.batch_size < 1 or args.repeats < 1 or (args.threads is not None and args.threads < 1):
        raise CourseError("--batch-size, --repeats and --threads must be at least 1.")
    quiet_libraries()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    report = compare_quantized(args.run_dir, args.batch_size, args.repeats, args.data)
    match = {
        True: "same texts and labels as test_predictions.csv",
        False: "DIFFERENT from test_predictions.csv",
        None: "no test_predictions.csv to compare",
    }[report.matches_predictions]
    print(
        f"test split: {report.test_size} texts recomputed from {report.data_file} ({match}); "
        f"{torch.get_num_threads()} CPU thread(s)"
    )
    print(report.rows().round({"accuracy": 3, "f1_macro": 3, "size_mb": 1, "texts_per_second": 0}).to_string())
    print(
        f"int8: accuracy {report.accuracy_change_points:+.1f} points, {report.speedup:.1f}x the texts per second, "
        f"{report.size_ratio:.1f}x smaller weights"
    )
    if report.warnings:
        print(f"note: {DEPRECATION_NOTE}.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    **asdict(report),
                    "accuracy_change_points": report.accuracy_change_points,
                    "speedup": report.speedup,
                    "size_ratio": report.size_ratio,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
