"""Core layer (Labs 3-9, grading): classification metrics from scikit-learn (no Hub, unlike ``evaluate.load``),
and the 95 % interval that travels with every accuracy."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def classification_metrics(references, predictions, label_names: list[str] | None = None) -> dict[str, float]:
    """Accuracy, weighted and macro precision/recall/F1, and per-class recall (when names are given).

    Weighted averages follow the class sizes; macro averages treat every class equally, so a model
    that ignores a small class is caught by macro F1 and not by accuracy.
    """
    references = np.asarray(references)
    predictions = np.asarray(predictions)
    labels = list(range(len(label_names))) if label_names else None
    result = {"accuracy": float(accuracy_score(references, predictions))}
    for average in ("weighted", "macro"):
        precision, recall, f1, _ = precision_recall_fscore_support(
            references, predictions, labels=labels, average=average, zero_division=0
        )
        result[f"precision_{average}"] = float(precision)
        result[f"recall_{average}"] = float(recall)
        result[f"f1_{average}"] = float(f1)
    if label_names:
        _, recall, _, _ = precision_recall_fscore_support(
            references, predictions, labels=labels, average=None, zero_division=0
        )
        result.update({f"recall_{name}": float(r) for name, r in zip(label_names, recall)})
    return result


def make_compute_metrics(label_names: list[str] | None = None):
    """Build the ``compute_metrics`` function the ``Trainer`` calls after each evaluation."""

    def compute_metrics(eval_pred) -> dict[str, float]:
        logits, references = eval_pred
        if np.shape(logits)[-1] == 1:  # one sigmoid logit: label 1 when it is positive; labels are floats (n, 1)
            predictions = (np.asarray(logits)[:, 0] > 0).astype(int)
            return classification_metrics(np.asarray(references).reshape(-1).astype(int), predictions, label_names)
        return classification_metrics(references, np.argmax(logits, axis=-1), label_names)

    return compute_metrics


def wilson_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) for an accuracy of ``correct`` out of ``total``.

    With 135 test posts one post is 0.7 points, and the interval around 0.93 is about ±0.04 wide: two models
    whose intervals overlap this much are not shown to differ. Wilson stays inside [0, 1] and behaves at 0 and
    1, where the textbook ``p ± z·sqrt(p(1-p)/n)`` does not.
    """
    if total <= 0:
        raise ValueError("total must be positive")
    if not 0 <= correct <= total:
        raise ValueError("correct must be between 0 and total")
    p = correct / total
    denominator = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def format_accuracy(correct: int, total: int) -> str:
    """``"0.933 (95% CI 0.878-0.965, 126/135)"``: an accuracy always travels with its interval and its count."""
    low, high = wilson_interval(correct, total)
    return f"{correct / total:.3f} (95% CI {low:.3f}-{high:.3f}, {correct}/{total})"
