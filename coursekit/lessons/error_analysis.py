"""Lesson layer (Lab 6): evaluate a classifier's predictions: a fixed-schema report, a confusion-matrix plot, mistakes.

Lab 6 uses these functions in its notebook and in ``examples/evaluation/evaluate_model.py``, so the
numbers a student sees in the notebook and the ``report.json`` they hand in are computed the same way.
Everything here works on label *names* (``"theft"``), never on ids, so a report can be read on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from coursekit.errors import CourseError

# The keys of report.json, in this order (the Lab 6 hand-in is graded against this schema).
REPORT_KEYS = [
    "model",
    "data",
    "n",
    "labels",
    "accuracy",
    "f1_macro",
    "f1_weighted",
    "f1_micro",
    "per_class",
    "confusion_matrix",
    "most_confident_mistakes",
]
PER_CLASS_KEYS = ["precision", "recall", "f1", "support"]
MISTAKE_COLUMNS = ["text", "true_label", "predicted_label", "confidence"]


def model_label_names(id2label: dict) -> list[str]:
    """The model's label names in id order; refuse the generic ``LABEL_0, LABEL_1`` a config gets by default.

    A model saved without ``id2label`` predicts ``LABEL_3``, and a report in those terms cannot be compared
    with the data's labels.
    """
    by_id = {int(k): str(v) for k, v in (id2label or {}).items()}  # JSON keys are text: "0", "1", ...
    names = [by_id[i] for i in sorted(by_id)]
    if not names or all(name.startswith("LABEL_") for name in names):
        raise CourseError(
            "the model has no label names (its config.json id2label is "
            f"{', '.join(names) or 'empty'}). Train it with label names (the Lab 4 script stores "
            "them) or set model.config.id2label before save_pretrained."
        )
    return names


def align_labels(values: list, label_names: list[str], source: str) -> list[str]:
    """The data's labels as the model's names; integer labels 0..k-1 are read as ids; unknown ones are named."""
    texts = [str(v).strip() for v in values]
    if all(t.lstrip("-").isdigit() for t in texts) and not set(texts) <= set(label_names):
        ids = [int(t) for t in texts]
        if all(0 <= i < len(label_names) for i in ids):
            return [label_names[i] for i in ids]
    unknown = sorted(set(texts) - set(label_names))
    if unknown:
        raise CourseError(
            f"{source}: label(s) {', '.join(repr(u) for u in unknown)} are unknown to the model, "
            f"which knows {', '.join(repr(n) for n in label_names)}. Evaluate on data with the "
            "model's labels (or train a model on this data)."
        )
    return texts


def most_confident_mistakes(
    texts: list[str], y_true: list[str], y_pred: list[str], confidence: list[float], top: int | None = None
) -> pd.DataFrame:
    """Wrong predictions, most confident first (ties keep data order): where the model is sure and wrong."""
    frame = pd.DataFrame(
        {
            "text": texts,
            "true_label": y_true,
            "predicted_label": y_pred,
            "confidence": np.round(np.asarray(confidence, dtype=float), 4),
        }
    )
    wrong = frame[frame["true_label"] != frame["predicted_label"]]
    wrong = wrong.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)
    return wrong if top is None else wrong.head(top)


def build_report(
    y_true: list[str],
    y_pred: list[str],
    confidence: list[float],
    texts: list[str],
    labels: list[str],
    model: str,
    data: str,
    top_mistakes: int = 10,
) -> dict:
    """The fixed-schema evaluation report (``REPORT_KEYS``) for label-name predictions.

    ``labels`` fixes the order of ``per_class`` and of the confusion matrix's rows (true) and columns
    (predicted); classes absent from the data still get a row, with support 0.
    """
    if not y_true:
        raise CourseError("nothing to evaluate: the data has no rows.")
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    mistakes = most_confident_mistakes(texts, y_true, y_pred, confidence, top_mistakes)

    def f1_avg(average: str) -> float:
        return round(float(f1_score(y_true, y_pred, labels=labels, average=average, zero_division=0)), 4)

    return {
        "model": model,
        "data": data,
        "n": len(y_true),
        "labels": list(labels),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "f1_macro": f1_avg("macro"),
        "f1_weighted": f1_avg("weighted"),
        "f1_micro": f1_avg("micro"),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "most_confident_mistakes": mistakes.to_dict(orient="records"),
    }


def report_markdown(report: dict) -> str:
    """A human-readable ``report.md``: headline numbers, per-class table, the worst mistakes."""
    lines = [
        f"# Evaluation of {report['model']}",
        "",
        f"Data: `{report['data']}` ({report['n']} texts, {len(report['labels'])} labels)",
        "",
        "| accuracy | F1 macro | F1 weighted | F1 micro |",
        "|---|---|---|---|",
        f"| {report['accuracy']:.3f} | {report['f1_macro']:.3f} | {report['f1_weighted']:.3f} | "
        f"{report['f1_micro']:.3f} |",
        "",
        "## Per class",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
        for label, row in report["per_class"].items()
    ]
    lines += ["", "## Most confident mistakes", "", "| confidence | true | predicted | text |", "|---|---|---|---|"]
    lines += [
        f"| {m['confidence']:.2f} | {m['true_label']} | {m['predicted_label']} | "
        f"{' '.join(str(m['text']).split())[:160].replace('|', '/')} |"
        for m in report["most_confident_mistakes"]
    ]
    return "\n".join(lines) + "\n"


def plot_confusion(matrix, labels: list[str], normalize: bool = False, ax=None, title: str | None = None):
    """A seaborn heatmap of a confusion matrix: rows are true labels, columns predictions.

    ``normalize=True`` divides each row by its total, so the diagonal is each class's recall and a small
    class's errors are as visible as a big one's.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    matrix = np.asarray(matrix, dtype=float)
    if normalize:
        matrix = matrix / np.clip(matrix.sum(axis=1, keepdims=True), 1, None)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 0.9 * len(labels) + 1.5))
    sns.heatmap(
        matrix,
        annot=True,
        fmt=".2f" if normalize else ".0f",
        cmap="Blues",
        cbar=False,
        xticklabels=labels,
        yticklabels=labels,
        ax=ax,
        vmin=0,
        vmax=1 if normalize else None,
    )
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(
        title
        or ("confusion matrix (row-normalised: recall on the diagonal)" if normalize else "confusion matrix (counts)")
    )
    ax.tick_params(axis="x", rotation=30)
    ax.tick_params(axis="y", rotation=0)
    return ax


def save_confusion_png(report: dict, path: Path) -> None:
    """Counts and row-normalised matrices side by side, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = len(report["labels"])
    fig, axes = plt.subplots(1, 2, figsize=(2.2 * size + 4, 0.9 * size + 2))
    plot_confusion(report["confusion_matrix"], report["labels"], normalize=False, ax=axes[0])
    plot_confusion(report["confusion_matrix"], report["labels"], normalize=True, ax=axes[1])
    fig.suptitle(f"{report['model']} on {report['data']} (n={report['n']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def predict_probabilities(model_dir: Path, texts: list[str], batch_size: int = 32, max_length: int = 128):
    """Class probabilities (rows: texts, columns: the model's label ids) from a saved model directory."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()
    batches = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer(
                texts[start : start + batch_size],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            batches.append(torch.softmax(model(**encoded).logits, dim=-1).numpy())
    return np.concatenate(batches), model.config.id2label


def baseline_models() -> dict:
    """The Lab 6 baselines as unfitted scikit-learn estimators, weakest first.

    ``majority`` always predicts the most frequent training label: the floor any model must beat.
    The TF-IDF + logistic regression recipe is the one ``examples/models/compare_models.py`` uses.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    return {
        "majority": DummyClassifier(strategy="most_frequent"),
        "tfidf-logreg": make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=2000, C=10)
        ),
        "tfidf-nb": make_pipeline(TfidfVectorizer(), MultinomialNB()),
    }


def summary_scores(y_true: list, y_pred: list) -> dict:
    """accuracy, f1_macro and f1_weighted rounded to 4 decimals: one row of the baselines table."""
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "f1_macro": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
        "f1_weighted": round(float(f1_score(y_true, y_pred, average="weighted", zero_division=0)), 4),
    }
