"""Lesson layer (Lab 7; Labs 8-9 reuse it): inference with a saved classifier, shared by the batch script, the web
service (:mod:`coursekit.serving`) and the app.

    from coursekit.inference import load_classifier
    classifier = load_classifier("outputs/blankets_creek-minilm-l6")       # device picked automatically
    for p in classifier.predict(["Blankets is open!", "Closed for rain"], threshold=0.9):
        print(p.label, p.confidence, p.scores)

Underneath is one ``transformers.pipeline("text-classification", top_k=None, truncation=True)``; this
module adds what every deployment needs around it: a clear error for a missing model folder or empty texts,
one record per text (label, confidence, every label's score), and a confidence threshold below which a
prediction is handed to a person (label :data:`NEEDS_REVIEW`) instead of being trusted. A multi-label run
(Lab 5b) is scored with a sigmoid per label and its saved thresholds: a :class:`MultiLabelPrediction` per text.

A run carries two more decisions of its training, and every caller gets them by loading the run: the text
cleaner named in ``training_config.json`` (:mod:`coursekit.cleaning`; texts are cleaned exactly as in training)
and, for a two-label run trained with ``tune_threshold``, the decision threshold chosen on validation
(``threshold.json``: the second label when its probability is at least the threshold). A one-logit sigmoid run
(``head="sigmoid"``) reports both labels' probabilities, ``1 - p`` and ``p``, like a softmax run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coursekit.cleaning import get_cleaner
from coursekit.errors import CourseError
from coursekit.models import require_model_dir
from coursekit.multilabel import MULTI_LABEL, read_thresholds

NEEDS_REVIEW = "needs review"
# Course default: below 0.9 the Lab 4 model is right only about half the time on validation (Lab 7 notebook, §4).
DEFAULT_THRESHOLD = 0.9
DEFAULT_BATCH_SIZE = 32
# Tokens per text; longer texts are cut. Trail posts have at most ~100 tokens, so nothing real is lost.
DEFAULT_MAX_LENGTH = 128
# Below this a text keeps little more than [CLS] and [SEP]; above the model's position embeddings it crashes.
MIN_MAX_LENGTH = 8
# Scores are rounded before the threshold is applied, so a record's label always agrees with its
# printed confidence ("needs review" exactly when confidence < threshold).
DECIMALS = 4
DEVICES = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class Prediction:
    """One classified text.

    ``label`` is the decision (the model's label, or :data:`NEEDS_REVIEW` when ``confidence`` is below the
    threshold); ``predicted_label`` is always the model's best label; ``scores`` has every label's probability.
    """

    text: str
    label: str
    predicted_label: str
    confidence: float
    scores: dict[str, float]

    @property
    def needs_review(self) -> bool:
        """True when the prediction was not confident enough to be trusted."""
        return self.label == NEEDS_REVIEW

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: text, label, predicted_label, confidence, scores."""
        return asdict(self)


@dataclass(frozen=True)
class MultiLabelPrediction(Prediction):
    """One text classified by a multi-label model (Lab 5b): any number of its labels can be on at once.

    ``labels`` are the labels whose score reaches their own threshold (``thresholds``, tuned on validation and
    saved with the run); ``predicted_label`` joins them (:data:`NO_LABELS` when none is on), so tables, logs and
    counts treat both kinds of model alike. ``confidence`` is the least certain label's probability of what was
    decided (its score if on, 1 - score if off); below the review threshold ``label`` is :data:`NEEDS_REVIEW`.
    """

    labels: list[str]
    thresholds: dict[str, float]


NO_LABELS = "none"
LABEL_JOINER = " + "


def multi_label_prediction(
    text: str, scores: dict[str, float], thresholds: dict[str, float], threshold: float | None
) -> MultiLabelPrediction:
    """The labels of ``text`` whose sigmoid score reaches their threshold, and how sure the least sure one is."""
    labels = [label for label, score in scores.items() if score >= thresholds[label]]
    confidence = min(score if label in labels else round(1 - score, DECIMALS) for label, score in scores.items())
    predicted = LABEL_JOINER.join(labels) or NO_LABELS
    return MultiLabelPrediction(
        text=text,
        label=decide(predicted, confidence, threshold),
        predicted_label=predicted,
        confidence=confidence,
        scores=scores,
        labels=labels,
        thresholds=thresholds,
    )


def flat_record(record: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """A record for a table: ``scores`` becomes one ``score_<label>`` column per label, in ``labels`` order."""
    # A multi-label record's `labels` are already in its predicted_label, and its thresholds belong to the model.
    return {
        **{k: v for k, v in record.items() if k not in ("scores", "labels", "thresholds")},
        **{f"score_{label}": record["scores"][label] for label in labels},
    }


def check_threshold(threshold: float | None) -> float | None:
    """Return ``threshold`` if it is ``None`` or in [0, 1], else raise a :class:`CourseError`."""
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise CourseError(f"threshold must be between 0 and 1 (a probability), got {threshold}.")
    return threshold


def decide(predicted_label: str, confidence: float, threshold: float | None) -> str:
    """The label to act on: ``predicted_label``, or :data:`NEEDS_REVIEW` if ``confidence < threshold``."""
    if threshold is not None and confidence < threshold:
        return NEEDS_REVIEW
    return predicted_label


def invalid_character(text: str) -> str | None:
    """What is wrong with ``text`` as Unicode, or None: a lone surrogate (JSON ``"\\ud800"``) is not a character
    and makes the tokenizer fail, so it is refused up front, by position."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds an invalid character at position {exc.start + 1} (a lone surrogate, "
            f"U+{ord(text[exc.start]):04X}); send valid Unicode text"
        )
    return None


def check_texts(texts: str | Sequence[str]) -> list[str]:
    """One text or a list of texts as a list; empty input, empty texts, non-strings and invalid characters are
    errors."""
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    if not texts:
        raise CourseError("no texts to classify.")
    not_text = [i + 1 for i, t in enumerate(texts) if not isinstance(t, str)]
    if not_text:
        raise CourseError(f"text number {', '.join(map(str, not_text[:10]))} is not a string.")
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise CourseError(f"text number {', '.join(map(str, empty[:10]))} is empty; remove or fill it.")
    for number, text in enumerate(texts, start=1):
        problem = invalid_character(text)
        if problem:
            raise CourseError(f"text number {number} {problem}.")
    return texts


def longest_input(model_dir: Path) -> int | None:
    """The most tokens the model in ``model_dir`` can read: its ``max_position_embeddings``, or the tokenizer's
    ``model_max_length`` when that is smaller (RoBERTa-style models reserve two positions). None if unknown."""
    config = read_json_file(model_dir / "config.json")
    tokenizer = read_json_file(model_dir / "tokenizer_config.json")
    limits = [
        value
        for value in (config.get("max_position_embeddings"), tokenizer.get("model_max_length"))
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
    ]
    return min(limits) if limits else None


def check_max_length(max_length: int, model_dir: Path) -> int:
    """Return ``max_length`` if the model can read that many tokens, else raise a :class:`CourseError`."""
    longest = longest_input(model_dir)
    if max_length < MIN_MAX_LENGTH or (longest is not None and max_length > longest):
        upper = f"{longest} (what {model_dir.name} can read)" if longest is not None else "the model's limit"
        raise CourseError(
            f"max_length must be between {MIN_MAX_LENGTH} and {upper}, got {max_length}. "
            f"The course uses {DEFAULT_MAX_LENGTH}."
        )
    return max_length


def choose_device(device: str | None = None) -> str:
    """``None`` picks the best available device; an unavailable or unknown device is an error."""
    from coursekit.device import detect_device

    best = detect_device()
    if device is None:
        return best
    if device not in DEVICES:
        raise CourseError(f"unknown device {device!r}; use one of {', '.join(DEVICES)} (or leave it out).")
    if device != "cpu" and device != best:
        raise CourseError(f"device {device!r} is not available on this machine (best available: {best}).")
    return device


def read_json_file(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or ``{}`` if the file does not exist (models from elsewhere lack it)."""
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CourseError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}).") from None


def is_multi_label(model_dir: Path) -> bool:
    """True when the model in ``model_dir`` was trained multi-label (its config says so; pipeline reads it too).

    A one-logit sigmoid head (``head="sigmoid"``, the tweet project) is trained with the same problem type and loss,
    but it answers one question between two labels (``binary_label_names``): that is not a multi-label run.
    """
    config = read_json_file(Path(model_dir) / "config.json")
    return config.get("problem_type") == MULTI_LABEL and not config.get("binary_label_names")


class Classifier:
    """A loaded text classifier. Thread-safe: concurrent callers take turns (see :meth:`predict`)."""

    def __init__(self, pipe, model_dir: Path, device: str, max_length: int):
        self.pipeline = pipe
        self.model_dir = model_dir
        self.device = device
        self.max_length = max_length
        config = pipe.model.config
        self.labels: list[str] = [config.id2label[i] for i in sorted(config.id2label)]
        # a sigmoid run has one output (named after the positive label) and both names in binary_label_names
        self.single_logit = bool(getattr(config, "binary_label_names", None)) and len(self.labels) == 1
        if self.single_logit:
            self.labels = list(config.binary_label_names)
        self.cleaner: str = read_json_file(model_dir / "training_config.json").get("cleaner") or "none"
        self.clean = get_cleaner(self.cleaner)
        chosen = read_json_file(model_dir / "threshold.json").get("threshold")
        self.decision_threshold: float | None = float(chosen) if chosen is not None and len(self.labels) == 2 else None
        # A multi-label run (Lab 5b) answers every label yes/no with its own threshold, saved with the model.
        self.multi_label = is_multi_label(model_dir)
        self.thresholds: dict[str, float] | None = None
        if self.multi_label:
            self.thresholds = read_thresholds(model_dir, self.labels)
        # A fast tokenizer used from two threads at once can fail ("Already borrowed"), and two
        # forward passes at once on 2 cores are no faster than one after the other.
        self._lock = threading.Lock()

    def predict(
        self, texts: str | Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, threshold: float | None = None
    ) -> list[Prediction]:
        """Classify one text or a list, in batches of ``batch_size``; one :class:`Prediction` per text.

        With a ``threshold``, predictions whose confidence is below it get the label :data:`NEEDS_REVIEW`.
        """
        texts = check_texts(texts)
        check_threshold(threshold)
        if batch_size < 1:
            raise CourseError(f"batch size must be at least 1, got {batch_size}.")
        with self._lock:
            outputs = self.pipeline([self.clean(text) for text in texts], batch_size=batch_size)  # as in training
        predictions: list[Prediction] = []
        for text, scores in zip(texts, outputs):
            raw = {s["label"]: float(s["score"]) for s in scores}
            if self.single_logit:  # the sigmoid gives P(second label)
                raw = {self.labels[0]: 1 - raw[self.labels[1]], self.labels[1]: raw[self.labels[1]]}
            by_label = {label: round(raw[label], DECIMALS) for label in self.labels}  # in label order
            if self.thresholds is not None:
                predictions.append(multi_label_prediction(text, by_label, self.thresholds, threshold))
                continue
            best = max(raw, key=lambda label: raw[label])
            if self.decision_threshold is not None:  # the run's threshold, chosen on validation
                best = self.labels[1] if by_label[self.labels[1]] >= self.decision_threshold else self.labels[0]
            confidence = by_label[best]
            predictions.append(
                Prediction(
                    text=text,
                    label=decide(best, confidence, threshold),
                    predicted_label=best,
                    confidence=confidence,
                    scores=by_label,
                )
            )
        return predictions

    def model_info(self) -> dict[str, Any]:
        """What the model is: name (its folder), base model, labels, test metrics, training settings."""
        metrics = read_json_file(self.model_dir / "metrics.json")
        multi_label = {"problem_type": MULTI_LABEL, "thresholds": self.thresholds} if self.multi_label else {}
        return {
            "name": self.model_dir.name,
            "base_model": metrics.get("model"),
            "labels": self.labels,
            "device": self.device,
            "max_length": self.max_length,
            "cleaner": self.cleaner,
            "decision_threshold": self.decision_threshold,
            "metrics": metrics.get("test", {}),
            "training_config": read_json_file(self.model_dir / "training_config.json"),
            **multi_label,
        }


def load_classifier(
    model_dir: str | Path, device: str | None = None, max_length: int = DEFAULT_MAX_LENGTH
) -> Classifier:
    """Load a model folder saved by the training script into a :class:`Classifier`.

    A missing folder, one without ``config.json``, or a ``max_length`` the model cannot read raises a
    :class:`CourseError` that says what to do.
    """
    path = require_model_dir(model_dir)  # before the slow import: a wrong path fails at once
    check_max_length(max_length, path)
    chosen = choose_device(device)

    from transformers import pipeline

    # A multi-label model scores each label on its own (sigmoid), a single-label one shares 1 among them (softmax).
    scoring = "sigmoid" if is_multi_label(path) else None  # None: the pipeline's default (softmax here)
    try:
        pipe = pipeline(
            "text-classification",
            model=str(path),
            device=chosen,
            top_k=None,
            truncation=True,
            max_length=max_length,
            function_to_apply=scoring,
        )
    except (OSError, ValueError) as exc:
        raise CourseError(f"could not load the model in {path}: {exc}") from None
    return Classifier(pipe, path, chosen, max_length)


# Lab 11: the same Classifier on an ONNX Runtime graph exported by examples/efficient/export_onnx.py.
BACKENDS = ("pytorch", "onnx", "onnx-int8")


def load_backend(
    model_dir: str | Path, backend: str = "pytorch", device: str | None = None, max_length: int = DEFAULT_MAX_LENGTH
) -> Classifier:
    """:func:`load_classifier` for ``backend="pytorch"``; else the run's ONNX graph (``onnx``: float32,
    ``onnx-int8``: dynamic int8) run by ONNX Runtime on the CPU, with the same predictions API."""
    if backend not in BACKENDS:
        raise CourseError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    if backend == "pytorch":
        return load_classifier(model_dir, device=device, max_length=max_length)
    path = require_model_dir(model_dir)
    check_max_length(max_length, path)
    if device not in (None, "cpu"):
        raise CourseError(f"the ONNX backends run on the CPU; leave out --device {device} or use --backend pytorch.")
    from coursekit.onnx_runtime import load_onnx_pipeline

    return Classifier(load_onnx_pipeline(path, backend, max_length), path, "cpu", max_length)
