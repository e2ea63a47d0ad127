"""SMS spam project: train the spam filter once, then evaluate it as a spam filter, not by accuracy alone.

    python examples/spam/spam_filter.py                          # the project's run (trained once, then reused)
    python examples/spam/spam_filter.py --freeze-encoder         # only the head learns
    python examples/spam/spam_filter.py --predict data/challenges/project-sms-spam/messages.csv

It trains ``coursekit.lessons.spam.SPAM_RUN`` (all-MiniLM-L6-v2, 600 training messages, 2 epochs, the best epoch
kept) through the run cache, so the notebook, this script and the solution share one run. Then it reports, on the
run's test split, accuracy, spam precision and recall with 95 % intervals and PR-AUC; picks the P(SPAM) threshold
at which spam precision reaches 0.99 on the validation split and applies it to the test split; compares with
TF-IDF + naive Bayes trained on the same messages; checks both on the hand-written messages; and writes
``evaluation.json`` next to the run. With ``--predict`` it labels a CSV of messages (columns ``id,message``) at
that threshold and writes ``id,label,p_spam``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from transformers import HfArgumentParser

from coursekit.data import load_labelled_texts, read_table, require_columns, require_texts
from coursekit.errors import CourseError, friendly_errors
from coursekit.fileio import atomic_write_text, refuse_to_replace
from coursekit.lessons.spam import (
    LABELS,
    RUNS_DIR,
    SMS_SPAM_CSV,
    SPAM_RUN,
    TARGET_PRECISION,
    evaluate_run,
    frozen_run,
    spam_probabilities,
)
from coursekit.logs import quiet_libraries
from coursekit.paths import shown_path
from coursekit.run_cache import find_or_train
from coursekit.training import TrainConfig

ROWS = [  # (key in evaluation.json, what it is)
    ("test", "transformer, threshold 0.5"),
    ("test_at_threshold", "transformer, precision threshold"),
    ("naive_bayes_test", "TF-IDF + naive Bayes, 0.5"),
    ("handwritten", "hand-written, transformer, 0.5"),
    ("naive_bayes_handwritten", "hand-written, naive Bayes, 0.5"),
]


@dataclass
class SpamArguments:
    """The command line: which run to train and evaluate, and what to predict."""

    data: Path = field(default=SMS_SPAM_CSV, metadata={"help": "CSV with columns label (HAM/SPAM) and message"})
    epochs: float = field(default=SPAM_RUN.epochs, metadata={"help": "passes over the training messages"})
    max_train_rows: int | None = field(
        default=SPAM_RUN.max_train_rows, metadata={"help": "train on this many messages (the project uses 600)"}
    )
    learning_rate: float | None = field(default=None, metadata={"help": "default: the model's course default"})
    freeze_encoder: bool = field(default=False, metadata={"help": "train only the head (pooler + classifier)"})
    target_precision: float = field(
        default=TARGET_PRECISION, metadata={"help": "spam precision the threshold must reach on validation"}
    )
    output: Path | None = field(default=None, metadata={"help": "run folder (default outputs/project-sms-spam/…)"})
    predict: Path | None = field(default=None, metadata={"help": "CSV of messages to label (columns id,message)"})
    predictions: Path = field(
        default=RUNS_DIR / "predictions.csv", metadata={"help": "where --predict writes id,label,p_spam"}
    )
    overwrite: bool = field(default=False, metadata={"help": "replace an existing --predictions file"})

    def __post_init__(self) -> None:
        """Reject a target precision that is not a probability."""
        if not 0 < self.target_precision <= 1:
            raise CourseError(f"--target-precision must be in (0, 1], e.g. 0.99; got {self.target_precision}.")


def run_config(args: SpamArguments) -> TrainConfig:
    """The project run with the command line's changes (``frozen_run`` when the encoder is frozen)."""
    base = replace(SPAM_RUN, data=args.data, epochs=args.epochs, max_train_rows=args.max_train_rows)
    config = frozen_run(base) if args.freeze_encoder else base
    if args.learning_rate is not None:
        config = replace(config, learning_rate=args.learning_rate)
    return replace(config, output=args.output or config.output)


def messages_to_predict(path: Path) -> pd.DataFrame:
    """The ``id,message`` table to label, with an error naming any missing column or empty message."""
    frame = read_table(path, text_columns=["id", "message"])
    require_columns(frame, ["id", "message"], path)
    frame["message"] = require_texts(frame, "message", path)
    return frame


def print_report(evaluation: dict) -> None:
    """One line per model and data: accuracy, spam precision and recall with intervals, PR-AUC."""
    print(
        f"\nthreshold for spam precision >= {evaluation['target_precision']} on validation: "
        f"P(SPAM) >= {evaluation['threshold']:.4f}"
    )
    print(f"{'':33}{'accuracy':>29}{'spam precision':>29}{'spam recall':>29}{'PR-AUC':>8}")
    for key, name in ROWS:
        scores = evaluation[key]
        cells = [
            f"{s['value']:.3f} ({s['low']:.3f}-{s['high']:.3f}, {s['hits']}/{s['total']})".rjust(29)
            for s in (scores["accuracy"], scores["spam_precision"], scores["spam_recall"])
        ]
        print(f"{name:33}{''.join(cells)}{scores['pr_auc']:8.3f}")


def write_predictions(run_dir: Path, frame: pd.DataFrame, threshold: float, path: Path, max_length: int) -> None:
    """Label each message SPAM when P(SPAM) >= ``threshold``; write ``id,label,p_spam`` atomically."""
    p_spam = spam_probabilities(run_dir, list(frame["message"]), max_length)
    table = pd.DataFrame(
        {
            "id": frame["id"],
            "label": [LABELS[int(p >= threshold)] for p in p_spam],
            "p_spam": p_spam.round(4),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, table.to_csv(index=False))
    print(f"wrote {len(table)} predictions ({int((p_spam >= threshold).sum())} SPAM) to {shown_path(path)}")


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Check the inputs, train (or reuse) the run, evaluate it, and optionally label new messages."""
    (args,) = HfArgumentParser(SpamArguments, description=__doc__.split("\n\n")[0]).parse_args_into_dataclasses(argv)
    config = run_config(args)
    load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)  # fail early
    to_predict = messages_to_predict(args.predict) if args.predict else None
    if to_predict is not None:
        refuse_to_replace(args.predictions, args.overwrite, "predictions file")
    quiet_libraries()
    run_dir = find_or_train(config)
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    print(
        f"run {shown_path(run_dir)}: {metrics['train_size']} training messages, "
        f"{metrics['trainable_parameters']:,} of {metrics['parameters']:,} parameters trained "
        f"in {metrics['train_seconds']:.0f} s"
    )
    evaluation = evaluate_run(run_dir, config, args.target_precision)
    atomic_write_text(run_dir / "evaluation.json", json.dumps(evaluation, indent=2) + "\n")
    print_report(evaluation)
    if to_predict is not None:
        write_predictions(run_dir, to_predict, evaluation["threshold"], args.predictions, config.max_length)
    return 0


if __name__ == "__main__":
    sys.exit(main())
