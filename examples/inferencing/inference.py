"""Lab 4: label new texts with a model saved by the training script, with a confidence per text.

    python examples/inferencing/inference.py outputs/blankets_creek-minilm-l6 "Trails are open!" "Closed for rain"
    python examples/inferencing/inference.py MODEL_DIR --file posts.csv --text-column status --json
    python examples/inferencing/inference.py MODEL_DIR --file posts.txt          # one text per line

Texts are classified in batches by ``transformers.pipeline``; labels are the names the model was trained
with (``id2label`` in its config.json). Works from any working directory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from transformers import AutoConfig, pipeline

from coursekit.data import as_text, read_table, require_columns
from coursekit.device import detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.inference import check_max_length
from coursekit.logs import quiet_libraries
from coursekit.models import require_model_dir


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("model_dir", type=Path, help="a directory written by examples/training/classifier.py")
    parser.add_argument("texts", nargs="*", help="texts to classify (or use --file)")
    parser.add_argument(
        "--file", type=Path, help=".txt (one text per line), or CSV/JSONL/JSON/Parquet with --text-column"
    )
    parser.add_argument("--text-column", default="status", help="column holding the texts in --file")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128, help="longer texts are truncated")
    parser.add_argument("--json", action="store_true", help="print JSON records with every class's score")
    return parser


def read_texts(args: argparse.Namespace) -> list[str]:
    """Texts from the command line and/or ``--file``; empty texts are an error naming their position."""
    texts = list(args.texts)
    if args.file is not None:
        if args.file.suffix.lower() == ".txt":
            if not args.file.is_file():
                raise CourseError(f"text file not found: {args.file}")
            try:
                texts += [
                    line.rstrip("\n") for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()
                ]
            except UnicodeDecodeError:
                raise CourseError(f"{args.file}: not UTF-8 text; re-save it as UTF-8.") from None
        else:
            frame = read_table(args.file, text_columns=[args.text_column])
            require_columns(frame, [args.text_column], args.file)
            texts += [as_text(t) for t in frame[args.text_column]]
    if not texts:
        raise CourseError("no texts to classify: give texts as arguments or --file FILE.")
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise CourseError(f"text number {', '.join(map(str, empty[:10]))} is empty; remove or fill it.")
    return texts


def load_classifier(model_dir: Path, max_length: int):
    """A text-classification pipeline on the best device, returning every class's score."""
    config = AutoConfig.from_pretrained(model_dir)
    if all(name.startswith("LABEL_") for name in config.id2label.values()):
        print("note: this model has no label names (id2label); train with label names to get them.", file=sys.stderr)
    return pipeline(
        "text-classification",
        model=str(model_dir),
        device=detect_device(),
        top_k=None,
        truncation=True,
        max_length=max_length,
    )


def classify(classifier, texts: list[str], batch_size: int) -> list[dict]:
    """One record per text: the best label, its confidence and all scores."""
    records = []
    for text, scores in zip(texts, classifier(texts, batch_size=batch_size)):
        best = max(scores, key=lambda s: s["score"])
        records.append(
            {
                "text": text,
                "label": best["label"],
                "confidence": round(best["score"], 4),
                "scores": {s["label"]: round(s["score"], 4) for s in scores},
            }
        )
    return records


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Classify the given texts and print a table (or JSON)."""
    args = build_parser().parse_args(argv)
    quiet_libraries()
    model_dir = require_model_dir(args.model_dir)
    check_max_length(args.max_length, model_dir)
    texts = read_texts(args)
    records = classify(load_classifier(model_dir, args.max_length), texts, args.batch_size)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for record in records:
            print(f"{record['label']:>10}  {record['confidence']:.2f}  {record['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
