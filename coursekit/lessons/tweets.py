"""Lesson layer, project "Tweet sentiment" (labs/project-tweet-sentiment.md): the project's recipe, its figures and
its report, shared by ``examples/tweets/``, the project notebook, its solution and the tests.

    from coursekit.lessons.tweets import TweetConfig
    from coursekit.run_cache import find_or_train
    run = find_or_train(TweetConfig())                   # outputs/tweets-sigmoid: one logit, BCE, tuned threshold
    run_softmax = find_or_train(TweetConfig(head="softmax"))

:class:`TweetConfig` is :class:`~coursekit.training.TrainConfig` with the project's defaults (the chunked tweets in
``data/tweets/``, the ``tweets`` cleaner, the sigmoid head, the threshold chosen on validation, a budget that trains
in well under a minute per run); the figure and report functions read nothing but a run's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coursekit.metrics import format_accuracy, wilson_interval
from coursekit.paths import DATA_DIR, OUTPUTS_DIR
from coursekit.training import THRESHOLD_FILE, TrainConfig

TWEETS_DIR = DATA_DIR / "tweets"
CHECK_TWEETS = DATA_DIR / "tweets_check.csv"


@dataclass(frozen=True)
class TweetConfig(TrainConfig):
    """The project's recipe; every field is still a flag of ``examples/tweets/train_tweets.py``."""

    data: Path = field(default=TWEETS_DIR, metadata={"help": "folder of Sentiment140-style chunk_*.csv files"})
    text_column: str = field(default="text", metadata={"help": "column holding the tweets"})
    label_column: str = field(default="target", metadata={"help": "column holding 0 (negative) / 4 (positive)"})
    epochs: float = field(default=1, metadata={"help": "passes over the training rows"})
    # 48 tokens: after cleaning no tweet is longer (the notebook measures it), before cleaning 0.1 % are.
    max_length: int = field(default=48, metadata={"help": "longer tweets are truncated"})
    validation_size: float = field(default=0.10, metadata={"help": "share of rows for validation and the threshold"})
    # 640 of the 1,800 training tweets: the budget of a 2-core laptop (one run in ~30 s); the rest adds little.
    max_train_rows: int | None = field(default=640, metadata={"help": "use only this many training rows"})
    cleaner: str = field(default="tweets", metadata={"help": "text cleaning: tweets, social or none"})
    head: str = field(default="sigmoid", metadata={"help": "sigmoid (one logit, BCEWithLogitsLoss) or softmax"})
    tune_threshold: bool = field(default=True, metadata={"help": "choose the threshold with the best validation F1"})
    validate_every: int | None = field(default=10, metadata={"help": "validate every this many steps (loss curves)"})
    no_progress: bool = field(default=True, metadata={"help": "hide the progress bar"})

    def __post_init__(self) -> None:
        """Each head and cleaner gets its own run folder, so two runs never replace each other."""
        if self.output is None:
            suffix = "" if self.cleaner == "tweets" else f"-{self.cleaner}"
            object.__setattr__(self, "output", OUTPUTS_DIR / f"tweets-{self.head}{suffix}")
        super().__post_init__()


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Everything a report needs from a run folder: settings, metrics, threshold, log, predictions."""
    run = Path(run_dir)
    return {
        "config": json.loads((run / "training_config.json").read_text(encoding="utf-8")),
        "metrics": json.loads((run / "metrics.json").read_text(encoding="utf-8")),
        "threshold": json.loads((run / THRESHOLD_FILE).read_text(encoding="utf-8")),
        "log": json.loads((run / "log_history.json").read_text(encoding="utf-8")),
        "validation": pd.read_csv(run / "validation_predictions.csv", keep_default_na=False),
        "test": pd.read_csv(run / "test_predictions.csv", keep_default_na=False),
    }


def positive_column(frame: pd.DataFrame) -> str:
    """The ``score_<positive label>`` column of a predictions table."""
    return next(c for c in frame.columns if c.startswith("score_"))


def f1_by_threshold(frame: pd.DataFrame, thresholds: np.ndarray) -> np.ndarray:
    """F1 of the positive label at each threshold (a text is positive when its score >= threshold)."""
    column = positive_column(frame)
    positive = column.removeprefix("score_")
    truth = (frame["true_label"] == positive).to_numpy()
    scores = frame[column].to_numpy()
    result = []
    for t in thresholds:
        predicted = scores >= t
        tp = int((predicted & truth).sum())
        fp, fn = int((predicted & ~truth).sum()), int((~predicted & truth).sum())
        result.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return np.array(result)


def accuracy_line(frame: pd.DataFrame) -> str:
    """``0.950 (95% CI 0.922-0.968, 342/360)`` for a predictions table (predicted_label vs true_label)."""
    correct = int((frame["predicted_label"] == frame["true_label"]).sum())
    return format_accuracy(correct, len(frame))


def plot_losses(log: list[dict], ax) -> None:
    """Training loss and validation loss against the step (from ``log_history.json``)."""
    train = [(e["step"], e["loss"]) for e in log if "loss" in e and "eval_loss" not in e]
    valid = [(e["step"], e["eval_loss"]) for e in log if "eval_loss" in e]
    for points, name in ((train, "training loss"), (valid, "validation loss")):
        if points:
            ax.plot(*zip(*points), marker="o", label=name)
    ax.set(title="Loss", xlabel="optimizer step", ylabel="loss")
    ax.legend()


def plot_precision_recall(validation: pd.DataFrame, threshold: dict, ax) -> None:
    """The validation precision-recall curve, with the chosen operating point marked."""
    from sklearn.metrics import precision_recall_curve

    column = positive_column(validation)
    truth = validation["true_label"] == column.removeprefix("score_")
    precision, recall, _ = precision_recall_curve(truth, validation[column])
    ax.plot(recall, precision)
    ax.scatter([threshold["validation_recall"]], [threshold["validation_precision"]], color="#C44E52", zorder=3,
               label=f"threshold {threshold['threshold']}")  # fmt: skip
    ax.set(title="Precision-recall (validation)", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    ax.legend(loc="lower left")


def plot_f1_threshold(validation: pd.DataFrame, threshold: dict, ax) -> None:
    """F1 of the positive label against the threshold on validation, the chosen threshold marked."""
    grid = np.linspace(0, 1, 101)
    ax.plot(grid, f1_by_threshold(validation, grid))
    ax.axvline(threshold["threshold"], color="#C44E52", linestyle="--", label=f"chosen {threshold['threshold']}")
    ax.axvline(0.5, color="grey", linestyle=":", label="0.5")
    ax.set(title="F1 against the threshold (validation)", xlabel="threshold", ylabel="F1", ylim=(0, 1.02))
    ax.legend(loc="lower center")


def plot_confusion(test: pd.DataFrame, labels: list[str], ax) -> None:
    """The test confusion matrix (rows: true label, columns: predicted label) with counts."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(test["true_label"], test["predicted_label"], labels=labels)
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", color="black" if count < matrix.max() / 2 else "white")
    ax.set(title="Confusion matrix (test)", xlabel="predicted", ylabel="true",
           xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels, yticklabels=labels)  # fmt: skip


FIGURES = {
    "loss.png": lambda run, ax: plot_losses(run["log"], ax),
    "precision_recall.png": lambda run, ax: plot_precision_recall(run["validation"], run["threshold"], ax),
    "f1_threshold.png": lambda run, ax: plot_f1_threshold(run["validation"], run["threshold"], ax),
    "confusion_matrix.png": lambda run, ax: plot_confusion(run["test"], run["metrics"]["label_names"], ax),
}


def save_figures(run: dict[str, Any], folder: Path) -> list[str]:
    """Draw :data:`FIGURES` from a run (see :func:`read_run`) as PNG files in ``folder``; returns their names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in FIGURES.items():
        fig, ax = plt.subplots(figsize=(5, 3.6))
        draw(run, ax)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=90, metadata={"Software": None})  # no version stamp: stable bytes
        plt.close(fig)
    return list(FIGURES)


def head_comparison(runs: dict[str, str | Path]) -> pd.DataFrame:
    """One row per run (e.g. ``{"sigmoid": ..., "softmax": ...}``): threshold, test accuracy with its interval,
    macro F1, and the accuracy at 0.5 for comparison (from each run's test predictions)."""
    rows = []
    for name, run_dir in runs.items():
        run = read_run(run_dir)
        test = run["test"]
        correct = int((test["predicted_label"] == test["true_label"]).sum())
        low, high = wilson_interval(correct, len(test))
        column = positive_column(test)
        positive = column.removeprefix("score_")
        at_half = int(((test[column] >= 0.5) == (test["true_label"] == positive)).sum())
        rows.append(
            {
                "run": name,
                "threshold": run["threshold"]["threshold"],
                "test accuracy": round(correct / len(test), 3),
                "95% CI": f"{low:.3f}-{high:.3f}",
                "correct": f"{correct}/{len(test)}",
                "macro F1": run["metrics"]["test"]["f1_macro"],
                "accuracy at 0.5": round(at_half / len(test), 3),
                "train s": run["metrics"]["train_seconds"],
            }
        )
    return pd.DataFrame(rows).set_index("run")


CHALLENGE_POSTS = DATA_DIR / "challenges" / "project-tweet-sentiment" / "posts.csv"


def write_handin(run_dir: str | Path, posts_csv: str | Path, folder: str | Path) -> Path:
    """The project's hand-in in ``folder``: ``predictions.csv`` (id,label,score) for the tweets of ``posts_csv``,
    made through :func:`coursekit.inference.load_classifier` (the run's cleaner and threshold), the run's
    ``threshold.json`` and its report's ``confusion_matrix.png``."""
    import shutil
    import tempfile

    from coursekit.data import read_table
    from coursekit.fileio import atomic_write_text
    from coursekit.inference import load_classifier

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    posts = read_table(posts_csv, text_columns=["id", "text"])
    predictions = load_classifier(run_dir).predict(list(posts["text"]))
    table = pd.DataFrame(
        {
            "id": posts["id"],
            "label": [p.label for p in predictions],
            "score": [p.scores["positive"] for p in predictions],
        }
    )
    atomic_write_text(folder / "predictions.csv", table.to_csv(index=False))
    shutil.copyfile(Path(run_dir) / THRESHOLD_FILE, folder / THRESHOLD_FILE)
    with tempfile.TemporaryDirectory() as scratch:
        save_figures(read_run(run_dir), Path(scratch))
        shutil.copyfile(Path(scratch) / "confusion_matrix.png", folder / "confusion_matrix.png")
    return folder
