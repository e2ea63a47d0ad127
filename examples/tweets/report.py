"""Project "Tweet sentiment": write a run's report.md with its figures, from the run's files only.

    python examples/tweets/report.py outputs/tweets-sigmoid             # -> outputs/tweets-sigmoid/report/
    python examples/tweets/report.py outputs/tweets-sigmoid --output-dir my-report --overwrite

The report holds the training settings, the split sizes, the test metrics with 95 % intervals, the threshold and
how it was chosen, four figures (training vs validation loss, precision-recall and F1-vs-threshold on validation,
the test confusion matrix) and sample predictions. Nothing is typed by hand: every number is read from the run
(``training_config.json``, ``metrics.json``, ``threshold.json``, ``log_history.json``, the predictions CSVs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text, refuse_to_replace
from coursekit.lessons.tweets import accuracy_line, read_run, save_figures
from coursekit.models import require_model_dir
from coursekit.paths import shown_path

SETTINGS = ["model", "cleaner", "head", "epochs", "batch_size", "learning_rate", "max_length", "max_train_rows",
            "seed", "validate_every"]  # fmt: skip


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def sample_predictions(run: dict, count: int = 4) -> list[list[object]]:
    """The first ``count`` right and the first ``count`` wrong test predictions."""
    test = run["test"]
    right = test[test["predicted_label"] == test["true_label"]].head(count)
    wrong = test[test["predicted_label"] != test["true_label"]].head(count)
    return [
        [r.text, r.true_label, r.predicted_label, r.confidence] for r in (*right.itertuples(), *wrong.itertuples())
    ]


def render(run: dict, figures: list[str]) -> str:
    """The report's Markdown."""
    config, metrics, threshold = run["config"], run["metrics"], run["threshold"]
    test = metrics["test"]
    parts = [
        f"# Tweet sentiment: report of run `{Path(metrics['output_dir']).name}`",
        "## Settings\n\n" + markdown_table(["setting", "value"], [[k, config.get(k)] for k in SETTINGS]),
        "## Splits\n\n"
        + markdown_table(
            ["split", "tweets"],
            [
                ["train", metrics["train_size"]],
                ["validation", metrics["validation_size"]],
                ["test", metrics["test_size"]],
            ],
        ),
        "## Threshold\n\n"
        f"A tweet is `{threshold['positive_label']}` when its probability is at least **{threshold['threshold']}**, "
        f"the {threshold['rule']} (F1 {threshold['validation_f1']}, precision {threshold['validation_precision']}, "
        f"recall {threshold['validation_recall']}).",
        "## Test metrics\n\n"
        f"Accuracy {accuracy_line(run['test'])}.\n\n"
        + markdown_table(
            ["metric", "value"],
            [
                [k, test[k]]
                for k in ("f1_macro", "precision_macro", "recall_macro", "recall_negative", "recall_positive")
            ],
        ),
        "## Figures\n\n" + "\n\n".join(f"![{name.removesuffix('.png')}]({name})" for name in figures),
        "## Sample test predictions (right, then wrong)\n\n"
        + markdown_table(["tweet (as the model read it)", "true", "predicted", "confidence"], sample_predictions(run)),
    ]
    return "\n\n".join(parts) + "\n"


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Read the run, draw the figures, write report.md next to them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run folder written by examples/tweets/train_tweets.py")
    parser.add_argument("--output-dir", type=Path, help="default: <run>/report")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier report")
    args = parser.parse_args(argv)
    run_dir = require_model_dir(args.run)
    if not (run_dir / "threshold.json").is_file():
        raise CourseError(
            f"{run_dir} has no threshold.json: report.py needs a run of examples/tweets/train_tweets.py."
        )
    out = args.output_dir or run_dir / "report"
    refuse_to_replace(out / "report.md", args.overwrite)
    run = read_run(run_dir)
    figures = save_figures(run, out)
    atomic_write_text(out / "report.md", render(run, figures))
    print(f"wrote {shown_path(out / 'report.md')} with {len(figures)} figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
