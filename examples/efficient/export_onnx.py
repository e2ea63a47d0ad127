"""Lab 11: export a saved classifier to ONNX, quantize it to int8, and check both against PyTorch.

    python examples/efficient/export_onnx.py outputs/blankets_creek-minilm-l6
    python examples/efficient/export_onnx.py MODEL_DIR --overwrite          # export again

Writes ``MODEL_DIR/onnx/model.onnx`` (float32, ``torch.onnx.export`` with dynamic batch and sequence axes) and
``MODEL_DIR/onnx/model-int8.onnx`` (ONNX Runtime dynamic quantization), then runs PyTorch and ONNX Runtime on
the run's test split and prints the largest absolute logit difference, how often the predictions agree, and the
test accuracy of each. Serve the result with ``--backend onnx`` or ``--backend onnx-int8`` in
examples/inferencing/batch_predict.py and examples/serving/service.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.models import require_model_dir
from coursekit.paths import shown_path


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("model_dir", type=Path, help="a run folder written by examples/training/classifier.py")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export in MODEL_DIR/onnx")
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Export, quantize, and compare on the run's test split."""
    args = build_parser().parse_args(argv)
    model_dir = require_model_dir(args.model_dir)

    from coursekit.lessons.onnx_export import export_onnx, logits_parity, quantize_onnx
    from coursekit.lessons.quantization import run_test_split
    from coursekit.logs import quiet_libraries
    from coursekit.onnx_runtime import BACKENDS, onnx_path

    existing = [onnx_path(model_dir, b) for b in BACKENDS if onnx_path(model_dir, b).exists()]
    if existing and not args.overwrite:
        raise CourseError(f"{shown_path(existing[0])} already exists. Pass --overwrite to export again.")
    quiet_libraries()
    split = run_test_split(model_dir)
    fp32 = export_onnx(model_dir)
    int8 = quantize_onnx(fp32)
    for path in (fp32, int8):
        print(f"wrote {shown_path(path)} ({path.stat().st_size / 2**20:.1f} MB)")
    print(f"PyTorch vs ONNX Runtime on the {len(split.texts)} test posts of {model_dir.name}:")
    print("| backend | max abs logit diff | same prediction | test accuracy |\n|---|---:|---:|---:|")
    for backend in BACKENDS:
        parity = logits_parity(model_dir, backend, split.texts, labels=split.labels)
        print(
            f"| {backend} | {parity['max_abs_diff']:.1e} | {parity['same_prediction']:.3f} | "
            f"{parity['accuracy']:.3f} (PyTorch {parity['reference_accuracy']:.3f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
