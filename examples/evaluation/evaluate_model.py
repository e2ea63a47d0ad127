"""Lab 6: evaluate a trained text classifier on a labelled file and write a report you can hand in.

    python examples/evaluation/evaluate_model.py outputs/lab-6/email-minilm-l6 --data outputs/lab-6/email_test.csv
    python examples/evaluation/evaluate_model.py MODEL_DIR --data data/trail_status.csv \
        --text-column status --label-column Blankets_Creek          # 0/1 labels are read as the model's ids

MODEL_DIR is a directory written by ``save_pretrained`` (e.g. by examples/training/classifier.py) whose
config names its labels. The output directory (default ``outputs/evaluation/<model dir name>``) receives:

* ``report.json``  model, data, n, labels, accuracy, f1_macro, f1_weighted, f1_micro,
                   per_class {label: {precision, recall, f1, support}}, confusion_matrix (rows = true,
                   columns = predicted, in ``labels`` order), most_confident_mistakes (the top ``--top``)
* ``report.md``    the same for people
* ``confusion_matrix.png``  counts and row-normalised heatmaps
* ``mistakes.csv`` every wrong prediction (text,true_label,predicted_label,confidence), most confident first

An existing report in that folder (perhaps edited by hand) is never replaced unless you pass ``--overwrite``.
All four files are made in memory first and each is written to a temporary name and renamed, so a failure or
Ctrl+C never leaves half a file or a report that disagrees with its mistakes.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from coursekit.data import as_text, read_table, require_columns
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_bytes, atomic_write_text
from coursekit.lessons.error_analysis import (
    align_labels,
    build_report,
    model_label_names,
    most_confident_mistakes,
    predict_probabilities,
    report_markdown,
    save_confusion_png,
)
from coursekit.logs import quiet_libraries
from coursekit.models import require_model_dir
from coursekit.paths import OUTPUTS_DIR, shown_path

REPORT_FILES = ("report.json", "report.md", "confusion_matrix.png", "mistakes.csv")


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("model_dir", type=Path, help="a saved model directory with label names in its config")
    parser.add_argument("--data", type=Path, required=True, help="CSV/TSV/JSON/JSONL/Parquet with texts and labels")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--output", type=Path, default=None, help="default: outputs/evaluation/<model dir name>")
    parser.add_argument("--max-length", type=int, default=128, help="longer texts are truncated")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--top", type=int, default=10, help="mistakes listed in report.json")
    parser.add_argument("--overwrite", action="store_true", help="replace the report files of an earlier evaluation")
    return parser


def output_dir(args: argparse.Namespace, model_dir: Path) -> Path:
    """The folder for the report; one that already holds report files is refused unless ``--overwrite``."""
    output = (args.output or OUTPUTS_DIR / "evaluation" / model_dir.name).resolve()
    if output.exists() and not output.is_dir():
        raise CourseError(f"--output {shown_path(output)} is a file; give a folder for the {len(REPORT_FILES)} files.")
    existing = [name for name in REPORT_FILES if (output / name).exists()]
    if existing and not args.overwrite:
        raise CourseError(
            f"{shown_path(output)} already holds {', '.join(existing)} (maybe edited by hand); pass --overwrite to "
            "replace them, or choose another --output."
        )
    return output


def write_report(output: Path, report: dict, texts: list[str], y_true: list, y_pred: list, confidence: list) -> None:
    """Make all four files in memory, then write each atomically (a temporary name, renamed when complete)."""
    png = io.BytesIO()
    save_confusion_png(report, png)
    files = {
        "report.json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        "report.md": report_markdown(report),
        "mistakes.csv": most_confident_mistakes(texts, y_true, y_pred, confidence).to_csv(index=False),
    }
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        atomic_write_text(output / name, text)
    atomic_write_bytes(output / "confusion_matrix.png", png.getvalue())


def evaluate(args: argparse.Namespace) -> dict:
    """Predict every row of ``--data``, build the report and write the four output files."""
    model_dir = require_model_dir(args.model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    label_names = model_label_names(config.get("id2label") or {})
    output = output_dir(args, model_dir)  # before the slow part: a refused folder fails at once
    frame = read_table(args.data, text_columns=[args.text_column])
    require_columns(frame, [args.text_column, args.label_column], args.data)
    has_text = frame[args.text_column].map(lambda value: bool(as_text(value).strip()))
    frame = frame[has_text & frame[args.label_column].notna()]
    if frame.empty:
        raise CourseError(f"{args.data}: no row has both a {args.text_column!r} and a {args.label_column!r} value.")
    y_true = align_labels(frame[args.label_column].tolist(), label_names, str(args.data))
    if [str(v).strip() for v in frame[args.label_column]] != y_true:
        print(
            f"note: the numeric labels of {args.label_column!r} were read as the model's label ids: "
            + ", ".join(f"{i} = {name}" for i, name in enumerate(label_names)),
            file=sys.stderr,
        )
    texts = [as_text(value) for value in frame[args.text_column]]
    probabilities, _ = predict_probabilities(model_dir, texts, args.batch_size, args.max_length)
    y_pred = [label_names[i] for i in probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1).tolist()
    report = build_report(
        y_true,
        y_pred,
        confidence,
        texts,
        label_names,
        model=model_dir.name,
        data=Path(args.data).name,
        top_mistakes=args.top,
    )

    write_report(output, report, texts, y_true, y_pred, confidence)
    report["output_dir"] = shown_path(output)
    return report


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Parse the command line, evaluate and print the headline numbers."""
    args = build_parser().parse_args(argv)
    quiet_libraries()
    report = evaluate(args)
    print(
        f"{report['model']} on {report['data']}: n={report['n']}  accuracy {report['accuracy']:.3f}  "
        f"F1 macro {report['f1_macro']:.3f}  weighted {report['f1_weighted']:.3f}  micro {report['f1_micro']:.3f}"
    )
    for label, row in report["per_class"].items():
        print(
            f"  {label:>14}  precision {row['precision']:.3f}  recall {row['recall']:.3f}  f1 {row['f1']:.3f}"
            f"  support {row['support']}"
        )
    print(
        f"{report['n'] - sum(report['confusion_matrix'][i][i] for i in range(len(report['labels'])))} mistakes; "
        f"wrote {', '.join(REPORT_FILES)} to {report['output_dir']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
