"""Lesson layer (SMS spam project): the project's runs and what the classic accuracy-only workflow misses.

The runs are defined here once, so the notebook, its solution, ``examples/spam/*.py`` and the tests ask
``coursekit.run_cache.find_or_train`` for the *same* runs and each is trained once:

* :data:`SPAM_RUN` the classic fine-tuning (``keep_best``: evaluate and save every epoch, reload the best);
* :func:`frozen_run` the same with the encoder frozen (only the head learns);
* :func:`lr_run` the same as :data:`SPAM_RUN` with another learning rate (the sweep).

Then the spam-specific evaluation: spam precision / recall with intervals and PR-AUC from P(SPAM)
(:func:`summary`), the operating point with spam precision ≥ 0.99 chosen on validation
(:func:`threshold_for_precision`) and applied to test (:func:`at_threshold`), and the classic TF-IDF + naive
Bayes filter (:func:`naive_bayes_scores`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve

from coursekit.data import load_labelled_texts
from coursekit.errors import CourseError
from coursekit.metrics import wilson_interval
from coursekit.paths import DATA_DIR, OUTPUTS_DIR
from coursekit.training import TrainConfig, limit_train_rows, split_dataset

SMS_SPAM_CSV = DATA_DIR / "sms_spam.csv"
HANDWRITTEN_CSV = DATA_DIR / "sms_spam_handwritten.csv"
LABELS = ["HAM", "SPAM"]  # id2label = {0: "HAM", 1: "SPAM"}
SPAM = 1
RUNS_DIR = OUTPUTS_DIR / "project-sms-spam"
# A real message lost in the spam folder costs more than a spam let through: the filter must be right
# 99 times out of 100 when it says SPAM.
TARGET_PRECISION = 0.99
# A head alone (pooler + classifier, ~0.15M parameters on a fixed encoder) needs a larger step than
# fine-tuning all 22.7M parameters; 1e-3 is the usual order for a linear probe with AdamW.
FROZEN_LEARNING_RATE = 1e-3
SWEEP_LEARNING_RATES = (2e-5, 5e-5, None)  # None = the model's course default (3e-4 for minilm-l6)

# The notebook's run: 600 training messages x 2 epochs fits the CI budget (~1 min on one idle core);
# max_length 64 truncates none of the messages (the longest has 46 tokens, notebook section 2).
SPAM_RUN = TrainConfig(
    data=SMS_SPAM_CSV,
    text_column="message",
    label_column="label",
    label_names=LABELS,
    epochs=2,
    max_length=64,
    max_train_rows=600,
    keep_best=True,
    output=RUNS_DIR / "full",
    no_progress=True,
)


def frozen_run(base: TrainConfig = SPAM_RUN) -> TrainConfig:
    """``base`` with the encoder frozen: same data, split, epochs and seed; only the head learns."""
    return replace(base, freeze_encoder=True, learning_rate=FROZEN_LEARNING_RATE, output=RUNS_DIR / "frozen")


def lr_run(learning_rate: float | None, base: TrainConfig = SPAM_RUN) -> TrainConfig:
    """``base`` with another learning rate (``None``: the course default, i.e. ``base`` itself)."""
    if learning_rate is None:
        return base
    return replace(base, learning_rate=learning_rate, output=RUNS_DIR / f"lr-{learning_rate:g}")


def splits(config: TrainConfig = SPAM_RUN):
    """The splits a run trained and was tested on (same data, seed and ``max_train_rows`` = same rows)."""
    data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
    return limit_train_rows(split_dataset(data, config.test_size, config.validation_size, config.seed), config)


@dataclass(frozen=True)
class Rate:
    """A proportion with its count and 95 % Wilson interval, e.g. spam recall 61/64."""

    hits: int
    total: int

    @property
    def value(self) -> float:
        """The proportion (0 when there is nothing to count)."""
        return self.hits / self.total if self.total else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % Wilson interval."""
        return wilson_interval(self.hits, self.total) if self.total else (0.0, 1.0)

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.value:.3f} ({low:.3f}-{high:.3f}, {self.hits}/{self.total})"


def check_binary(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (0 = HAM, 1 = SPAM) and P(SPAM) scores as arrays of the same length."""
    y, p = np.asarray(labels, dtype=int), np.asarray(scores, dtype=float)
    if y.shape != p.shape or y.ndim != 1 or not len(y):
        raise CourseError(f"need one P(SPAM) score per label, got {p.shape} scores for {y.shape} labels.")
    if not set(np.unique(y)) <= {0, 1}:
        raise CourseError("labels must be 0 (HAM) or 1 (SPAM).")
    return y, p


def at_threshold(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float = 0.5
) -> dict[str, Rate]:
    """Accuracy, spam precision and spam recall when messages with P(SPAM) ≥ ``threshold`` are called SPAM."""
    y, p = check_binary(labels, scores)
    flagged = p >= threshold
    caught = int((flagged & (y == SPAM)).sum())
    return {
        "accuracy": Rate(int((flagged == (y == SPAM)).sum()), len(y)),
        "spam_precision": Rate(caught, int(flagged.sum())),
        "spam_recall": Rate(caught, int((y == SPAM).sum())),
    }


def threshold_for_precision(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, target: float = TARGET_PRECISION
) -> float:
    """The lowest P(SPAM) threshold whose spam precision on these (validation) messages is at least ``target``.

    Lowest, because among the thresholds that keep precision high enough it flags the most spam (recall).
    If no threshold reaches ``target`` the highest score plus a little is returned: nothing is flagged.
    """
    y, p = check_binary(labels, scores)
    precision, _, thresholds = precision_recall_curve(y, p)
    good = [t for prec, t in zip(precision[:-1], thresholds) if prec >= target]
    return float(min(good)) if good else float(p.max()) + 1e-6


def naive_bayes_scores(train_texts: Sequence[str], train_labels: Sequence[int], texts: Sequence[str]) -> np.ndarray:
    """P(SPAM) from the classic spam filter: TF-IDF features and multinomial naive Bayes (Lab 6's ``tfidf-nb``)."""
    from coursekit.lessons.error_analysis import baseline_models

    model = baseline_models()["tfidf-nb"].fit(list(train_texts), list(train_labels))
    return model.predict_proba(list(texts))[:, list(model.classes_).index(SPAM)]


def spam_probabilities(model_dir: Path, texts: Sequence[str], max_length: int = SPAM_RUN.max_length) -> np.ndarray:
    """P(SPAM) of each text from a saved run (``coursekit.lessons.error_analysis.predict_probabilities``)."""
    from coursekit.lessons.error_analysis import predict_probabilities

    probabilities, id2label = predict_probabilities(Path(model_dir), list(texts), max_length=max_length)
    names = {int(k): v for k, v in id2label.items()}
    if names.get(SPAM) != "SPAM":
        raise CourseError(f"{model_dir} is not a HAM/SPAM model (its labels are {names}).")
    return probabilities[:, SPAM]


def summary(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float = 0.5) -> dict:
    """JSON-ready: accuracy, spam precision and spam recall at ``threshold`` (value, counts, 95 % interval) and
    PR-AUC (which does not depend on the threshold)."""
    y, p = check_binary(labels, scores)
    record: dict = {
        name: {"value": round(rate.value, 4), "hits": rate.hits, "total": rate.total}
        | dict(zip(("low", "high"), (round(v, 4) for v in rate.interval)))
        for name, rate in at_threshold(y, p, threshold).items()
    }
    record["pr_auc"] = round(float(average_precision_score(y, p)), 4)
    return record


def evaluate_run(run_dir: Path, config: TrainConfig = SPAM_RUN, target: float = TARGET_PRECISION) -> dict:
    """Everything the project reports about one run, from its saved model and its split (JSON-ready).

    The operating point is chosen on the validation split only (the lowest threshold with spam precision ≥
    ``target`` there), then applied once to the test split. The naive Bayes filter is fitted on the run's own
    training rows; both are also scored on the hand-written messages (an independent check).
    """
    parts = splits(config)
    texts = {name: list(parts[name]["text"]) for name in ("train", "validation", "test")}
    labels = {name: list(parts[name]["label"]) for name in ("train", "validation", "test")}
    written = load_labelled_texts(HANDWRITTEN_CSV, "message", "label", LABELS)
    p_val, p_test, p_written = (
        spam_probabilities(run_dir, t, config.max_length) for t in (texts["validation"], texts["test"], written.texts)
    )
    threshold = threshold_for_precision(labels["validation"], p_val, target)
    nb_test, nb_written = (
        naive_bayes_scores(texts["train"], labels["train"], t) for t in (texts["test"], written.texts)
    )
    return {
        "run": run_dir.name,
        "target_precision": target,
        "threshold": round(threshold, 4),
        "validation_at_threshold": summary(labels["validation"], p_val, threshold),
        "test": summary(labels["test"], p_test),
        "test_at_threshold": summary(labels["test"], p_test, threshold),
        "naive_bayes_test": summary(labels["test"], nb_test),
        "handwritten": summary(written.labels, p_written),
        "naive_bayes_handwritten": summary(written.labels, nb_written),
    }
