"""Classification metrics from scikit-learn (no Hub needed, unlike ``evaluate.load("accuracy")``)."""

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
        return classification_metrics(references, np.argmax(logits, axis=-1), label_names)

    return compute_metrics
