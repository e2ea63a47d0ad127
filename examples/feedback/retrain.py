"""Project "product feedback": retrain from people's corrections, publish a new version, promote it only if not worse.

    python examples/feedback/retrain.py                                   # corrections: outputs/app_feedback.jsonl
    python examples/feedback/retrain.py --corrections my_feedback.jsonl --registry outputs/registry

1. Read the corrections the app wrote (damaged lines are skipped and counted) and keep the valid ones: a text and a
   right label the model knows.
2. Merge them into the training pool (coursekit.lessons.feedback_project.merge_corrections): one vote per person per
   text (their last answer), the majority decides, a tie is left out for a person to settle; texts of the frozen
   test split are never used; a new text is added, a pool text gets the decided label.
3. Train a new run on the merged pool with the same recipe (the run cache: the same corrections give the same run).
4. Publish it as the next registry version (a published version is never overwritten; publishing the same run again
   is a no-op) and compare it with the production version on the frozen test split and on the corrected texts.
5. Promote it (``<registry>/<name>/production.json``) only if it is not worse: it must not lose clearly more of the
   test texts the two versions disagree on than it wins (95 % Wilson interval of its share of wins below 0.5), and
   it must get at least as many corrected texts right.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from coursekit.app_card import read_app_card, write_app_card
from coursekit.errors import CourseError, friendly_errors
from coursekit.feedback_log import read_jsonl
from coursekit.fileio import atomic_write_text
from coursekit.inference import load_classifier
from coursekit.lessons.feedback_project import (
    PROJECT_DIR,
    REGISTRY_NAME,
    feedback_config,
    jsonl_text,
    markdown_table,
    merge_corrections,
    paired_comparison,
    production_version,
    promotion_decision,
    publish_once,
    read_split,
    record_promotion,
    score,
)
from coursekit.lessons.publishing import REGISTRY_DIR, version_dir
from coursekit.logs import quiet_libraries
from coursekit.paths import OUTPUTS_DIR, shown_path
from coursekit.run_cache import find_or_train


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--corrections", type=Path, default=OUTPUTS_DIR / "app_feedback.jsonl", help="the app's file")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / "data", help="pool.jsonl and test.jsonl")
    parser.add_argument("--runs-dir", type=Path, default=PROJECT_DIR / "runs", help="training runs")
    parser.add_argument("--registry", type=Path, default=REGISTRY_DIR, help="the model registry (Lab 9)")
    parser.add_argument("--name", default=REGISTRY_NAME, help="the model's name in the registry")
    return parser


def predicted(model_dir: Path, texts: list[str]) -> list[str]:
    """The model's best label for each text (no review threshold: we compare the models themselves)."""
    return [p.predicted_label for p in load_classifier(model_dir).predict(texts)] if texts else []


def compare(old_dir: Path, new_dir: Path, test, corrected) -> tuple[list[dict], bool, str]:
    """Old vs new on the frozen test split and on the corrected texts: table rows and the promotion decision."""
    texts, true = list(test["text"]), list(test["label"])
    fixed_texts, fixed_true = list(corrected["text"]), list(corrected["label"])
    old_test, new_test = predicted(old_dir, texts), predicted(new_dir, texts)
    old_fixed, new_fixed = predicted(old_dir, fixed_texts), predicted(new_dir, fixed_texts)
    scores = [score("old, frozen test split", true, old_test), score("new, frozen test split", true, new_test)]
    if fixed_texts:
        scores += [
            score("old, corrected texts", fixed_true, old_fixed),
            score("new, corrected texts", fixed_true, new_fixed),
        ]
        promote, reason = promotion_decision(paired_comparison(true, old_test, new_test), scores[2], scores[3])
    else:
        promote, reason = False, "not promoted: no corrected texts to learn from"
    return [s.row() for s in scores], promote, reason


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Merge, train, publish, compare, promote (or not), and write the report next to the version."""
    args = build_parser().parse_args(argv)
    quiet_libraries()
    registry = args.registry.resolve()
    pool_file, test_file = args.data_dir / "pool.jsonl", args.data_dir / "test.jsonl"
    if not (pool_file.is_file() and test_file.is_file()):
        raise CourseError(
            f"no training pool and frozen test split in {shown_path(args.data_dir)}. Run "
            "examples/feedback/train.py first (it makes them and publishes the first version)."
        )
    old_version = production_version(args.name, registry)
    if old_version is None:
        raise CourseError(
            f"no version of {args.name!r} in {shown_path(registry)} to improve on. Run examples/feedback/train.py "
            "first (it publishes v1)."
        )
    if not args.corrections.is_file():
        raise CourseError(f"no corrections file at {shown_path(args.corrections)}; mark predictions in the app first.")
    read = read_jsonl([args.corrections])
    test = read_split(test_file)
    merged = merge_corrections(read_split(pool_file), test, read.records)
    counts = merged.counts | {"damaged_lines": read.skipped}
    print("corrections: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for text in merged.ties:
        print(f"  left for a person (the votes tie): {text[:80]!r}")
    if counts["added"] + counts["relabelled"] == 0:
        print("nothing new to learn from: no version trained.")
        return 0

    data = jsonl_text(merged.pool)
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()[:10]
    merged_file = args.data_dir / f"pool-{digest}.jsonl"  # named by content: the same corrections, the same run
    if not merged_file.is_file():
        atomic_write_text(merged_file, data)
    old_dir = version_dir(args.name, old_version, registry)
    run_dir = find_or_train(feedback_config(merged_file, args.runs_dir / f"retrain-{digest}"))
    write_app_card(run_dir, read_app_card(old_dir))  # the new version presents itself like the old one
    new_version, newly = publish_once(run_dir, args.name, registry)
    if new_version == old_version:
        print(f"{args.name} {new_version} is this run already and in production: nothing to do.")
        return 0

    rows, promote, reason = compare(old_dir, version_dir(args.name, new_version, registry), test, merged.corrected)
    report = f"# {args.name}: {old_version} (production) vs {new_version}\n\n{markdown_table(rows)}\n\n{reason}\n"
    print(report)
    if newly:
        atomic_write_text(registry / args.name / f"{new_version}-retrain.md", report)
        if promote:
            record_promotion(args.name, registry, new_version, reason)
    print(f"production version: {production_version(args.name, registry)} ({shown_path(registry / args.name)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
