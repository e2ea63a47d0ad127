"""Project "product feedback": train the first version, publish it to the registry, and compare it with two baselines.

    python examples/feedback/train.py                    # registry outputs/registry/product-feedback/v1
    python examples/feedback/train.py --registry outputs/project-product-feedback/registry --skip-baselines

Steps: clean data/feedback.jsonl with Lab 1's rules and freeze a stratified test split
(outputs/project-product-feedback/data/test.jsonl, never changed afterwards); fine-tune the default model on the rest
(the run cache trains it once); store the app card (title, examples) in the run; publish it as the first registry
version and make it the production version; then answer "do I need to fine-tune at all?": TF-IDF + logistic
regression and frozen sentence embeddings + logistic regression, trained on the same rows, scored on the same frozen
test split, each accuracy with its 95 % Wilson interval.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from coursekit.app_card import write_app_card
from coursekit.errors import friendly_errors
from coursekit.inference import load_classifier
from coursekit.lessons.feedback_project import (
    FEEDBACK_CARD,
    PROJECT_DIR,
    REGISTRY_NAME,
    Score,
    embedding_predict,
    feedback_config,
    markdown_table,
    prepare_splits,
    production_version,
    publish_once,
    read_split,
    record_promotion,
    score,
    tfidf_predict,
)
from coursekit.lessons.publishing import REGISTRY_DIR
from coursekit.logs import quiet_libraries
from coursekit.paths import shown_path
from coursekit.run_cache import find_or_train


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / "data", help="pool.jsonl and test.jsonl")
    parser.add_argument("--runs-dir", type=Path, default=PROJECT_DIR / "runs", help="training runs")
    parser.add_argument("--registry", type=Path, default=REGISTRY_DIR, help="the model registry (Lab 9)")
    parser.add_argument("--name", default=REGISTRY_NAME, help="the model's name in the registry")
    parser.add_argument("--skip-baselines", action="store_true", help="only train and publish")
    return parser


def baseline_scores(run_dir: Path, pool: pd.DataFrame, test: pd.DataFrame) -> list[Score]:
    """The fine-tuned model and the two baselines, all trained on ``pool`` and scored on the frozen ``test``."""
    texts, true = list(test["text"]), list(test["label"])
    train_texts, train_labels = list(pool["text"]), list(pool["label"])
    fine_tuned = [p.predicted_label for p in load_classifier(run_dir).predict(texts)]
    return [
        score("TF-IDF + logistic regression", true, tfidf_predict(train_texts, train_labels, texts)),
        score("frozen embeddings + logistic regression", true, embedding_predict(train_texts, train_labels, texts)),
        score("fine-tuned MiniLM", true, fine_tuned),
    ]


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Split, train (or find) the first run, publish it, compare."""
    args = build_parser().parse_args(argv)
    quiet_libraries()
    splits = prepare_splits(args.data_dir)
    run_dir = find_or_train(feedback_config(splits.pool, args.runs_dir / "base"))
    write_app_card(run_dir, FEEDBACK_CARD)
    registry = args.registry.resolve()
    had_production = production_version(args.name, registry) is not None
    version, new = publish_once(run_dir, args.name, registry)
    if not had_production:
        record_promotion(args.name, registry, version, "the first version")
    state = "published as" if new else "already published as"
    print(f"run {shown_path(run_dir)} {state} {args.name} {version} in {shown_path(registry)}")
    if not args.skip_baselines:
        scores = baseline_scores(run_dir, read_split(splits.pool), read_split(splits.test))
        print(markdown_table([s.row() for s in scores]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
