"""Lesson layer (project "product feedback"; Lab 8's prediction log): has what the model sees in use drifted away from
what it was trained on?

    from coursekit.lessons.drift import drift_report, drift_markdown
    report = drift_report(log_records, training_frame, threshold=0.9)
    print(drift_markdown(report))

Four signals, each cheap and label-free (nobody has to label the traffic first):

* **label mix**: the share of each predicted label in the log vs each label's share in the training data, and their
  total variation distance (half the sum of absolute differences: 0 = same mix, 1 = nothing in common);
* **confidence**: how sure the model is on the traffic vs on its own test split (a model meeting unfamiliar texts
  gets less sure before anyone measures its accuracy);
* **below the review threshold**: the share of predictions a person has to look at, with its 95 % interval;
* **new tokens**: words in the traffic that never occur in the training data, by the number of texts holding them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from coursekit.metrics import wilson_interval

WORD = re.compile(r"[a-z][a-z0-9']+")
CONFIDENCE_BINS = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]


def words(text: str) -> set[str]:
    """Lower-case words of at least two characters (numbers and emojis say little about drift)."""
    return set(WORD.findall(str(text).lower()))


def recent(records: list[dict], days: float | None) -> list[dict]:
    """The records of the last ``days`` days before the newest record (all of them when ``days`` is None)."""
    if days is None or not records:
        return list(records)
    times = [parse_time(r.get("time")) for r in records]
    known = [t for t in times if t is not None]
    if not known:
        return list(records)
    start = max(known) - timedelta(days=days)
    return [r for r, t in zip(records, times) if t is not None and t >= start]


def parse_time(value: Any) -> datetime | None:
    """An ISO time stamp, or None for a missing or malformed one."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def usable_predictions(records: list[dict]) -> list[dict]:
    """Records with a text, a predicted label and a confidence between 0 and 1 (others cannot be compared)."""
    return [
        r
        for r in records
        if isinstance(r.get("text"), str)
        and isinstance(r.get("predicted_label"), str)
        and isinstance(r.get("confidence"), (int, float))
        and 0 <= r["confidence"] <= 1
    ]


def label_mix(labels: Sequence[str], names: Sequence[str]) -> dict[str, float]:
    """The share of each of ``names`` among ``labels`` (0 for a label that never occurs)."""
    counts = Counter(labels)
    total = max(len(labels), 1)
    return {name: counts[name] / total for name in names}


def confidence_summary(confidences: Sequence[float], threshold: float) -> dict[str, Any]:
    """Mean, median, a histogram and the share below ``threshold`` (with its Wilson interval)."""
    values = np.asarray(confidences, dtype=float)
    below = int((values < threshold).sum())
    low, high = wilson_interval(below, len(values))
    histogram = np.histogram(values, bins=CONFIDENCE_BINS)[0]
    return {
        "n": len(values),
        "mean": round(float(values.mean()), 3),
        "median": round(float(np.median(values)), 3),
        "below_threshold": below,
        "share_below_threshold": round(below / len(values), 3),
        "share_below_ci": [round(low, 3), round(high, 3)],
        "histogram": [int(n) for n in histogram],
    }


def new_tokens(texts: Sequence[str], vocabulary: set[str], top: int) -> list[tuple[str, int]]:
    """Words absent from ``vocabulary``, with the number of ``texts`` holding each, most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text) - vocabulary)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def drift_report(
    records: list[dict],
    training: pd.DataFrame,
    threshold: float,
    reference_confidences: Sequence[float] | None = None,
    days: float | None = 7,
    top: int = 10,
) -> dict[str, Any]:
    """Compare the prediction log (its last ``days`` days) with the training data (``text``, ``label``)."""
    window = recent(records, days)
    served = usable_predictions(window)
    if not served:
        raise ValueError("no usable predictions in the log window")
    names = sorted(set(training["label"]) | {r["predicted_label"] for r in served})
    trained = label_mix(list(training["label"]), names)
    seen = label_mix([r["predicted_label"] for r in served], names)
    vocabulary = set().union(*(words(t) for t in training["text"]))
    texts = [r["text"] for r in served]
    return {
        "records": len(records),
        "window_days": days,
        "in_window": len(window),
        "unusable": len(window) - len(served),
        "from": min(str(r.get("time", "")) for r in served),
        "to": max(str(r.get("time", "")) for r in served),
        "threshold": threshold,
        "label_mix": {name: {"training": round(trained[name], 3), "log": round(seen[name], 3)} for name in names},
        "label_mix_distance": round(sum(abs(trained[n] - seen[n]) for n in names) / 2, 3),
        "confidence_log": confidence_summary([r["confidence"] for r in served], threshold),
        "confidence_reference": (
            confidence_summary(reference_confidences, threshold) if reference_confidences is not None else None
        ),
        "texts_with_new_tokens": sum(bool(words(t) - vocabulary) for t in texts),
        "new_tokens": new_tokens(texts, vocabulary, top),
    }


def drift_markdown(report: dict[str, Any]) -> str:
    """The report for people: one table per signal."""
    log, ref = report["confidence_log"], report["confidence_reference"]
    window = "all records" if report["window_days"] is None else f"the last {report['window_days']:g} days"
    lines = [
        "# Drift report",
        "",
        f"{report['in_window']} of {report['records']} logged predictions in {window} "
        f"({report['from']} to {report['to']}); {report['unusable']} unusable records skipped.",
        "",
        "## Label mix (predicted in the log vs the training data)",
        "",
        "| label | training | log | change |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {mix['training']:.1%} | {mix['log']:.1%} | {mix['log'] - mix['training']:+.1%} |"
            for name, mix in report["label_mix"].items()
        ),
        "",
        f"Total variation distance: **{report['label_mix_distance']:.2f}** (0 = the same mix, 1 = no overlap).",
        "",
        "## Confidence",
        "",
        "| | n | mean | median | below threshold | 95% CI |",
        "|---|---:|---:|---:|---:|---:|",
        confidence_row("log", log),
    ]
    if ref is not None:
        lines.append(confidence_row("model's test split", ref))
    lines += [
        "",
        f"Review threshold: {report['threshold']}. Predictions below it go to a person.",
        "",
        "## New tokens (never in the training data)",
        "",
        f"{report['texts_with_new_tokens']} of {log['n']} texts hold at least one word the training data never had.",
        "",
        "| token | texts |",
        "|---|---:|",
        *(f"| {token} | {count} |" for token, count in report["new_tokens"]),
        "",
    ]
    return "\n".join(lines)


def confidence_row(name: str, summary: dict[str, Any]) -> str:
    """One row of the confidence table."""
    low, high = summary["share_below_ci"]
    return (
        f"| {name} | {summary['n']} | {summary['mean']:.3f} | {summary['median']:.3f} | "
        f"{summary['share_below_threshold']:.1%} | {low:.1%}-{high:.1%} |"
    )


def drift_figure(report: dict[str, Any]):
    """Two panels: the label mix (training vs log) and the confidence histograms (log vs test split)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (mix_ax, conf_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
    names = list(report["label_mix"])
    x = np.arange(len(names))
    mix_ax.bar(x - 0.2, [report["label_mix"][n]["training"] for n in names], 0.4, label="training data")
    mix_ax.bar(x + 0.2, [report["label_mix"][n]["log"] for n in names], 0.4, label="prediction log")
    mix_ax.set_xticks(x, names, rotation=20)
    mix_ax.set(title="Label mix", ylabel="share")
    mix_ax.legend()
    edges = [f"{a:.2f}" for a in CONFIDENCE_BINS[:-1]]
    series = [("prediction log", report["confidence_log"]), ("test split", report["confidence_reference"])]
    for offset, (name, summary) in zip((-0.2, 0.2), series):
        if summary is not None:
            shares = np.asarray(summary["histogram"]) / max(summary["n"], 1)
            conf_ax.bar(np.arange(len(edges)) + offset, shares, 0.4, label=name)
    if report["threshold"] in CONFIDENCE_BINS:  # the bins' edge where "needs review" begins
        conf_ax.axvline(CONFIDENCE_BINS.index(report["threshold"]) - 0.5, color="grey", linestyle="--", linewidth=1)
    conf_ax.set_xticks(np.arange(len(edges)), [f">={e}" for e in edges], rotation=20)
    conf_ax.set(title=f"Confidence (review threshold {report['threshold']})", ylabel="share")
    conf_ax.legend()
    fig.tight_layout()
    return fig
