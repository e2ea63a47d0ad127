"""Lesson layer (Lab 7; Lab 8 reuses it): inference with a saved classifier, shared by the batch script, the web
service (:mod:`coursekit.serving`) and the app.

    from coursekit.inference import load_classifier
    classifier = load_classifier("outputs/blankets_creek-minilm-l6")       # device picked automatically
    for p in classifier.predict(["Blankets is open!", "Closed for rain"], threshold=0.9):
        print(p.label, p.confidence, p.scores)

Underneath is one ``transformers.pipeline("text-classification", top_k=None, truncation=True)``; this
module adds what every deployment needs around it: a clear error for a missing model folder or empty texts,
one record per text (label, confidence, every label's score), and a confidence threshold below which a
prediction is handed to a person (label :data:`NEEDS_REVIEW`) instead of being trusted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coursekit.errors import CourseError
from coursekit.models import require_model_dir

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


def flat_record(record: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """A record for a table: ``scores`` becomes one ``score_<label>`` column per label, in ``labels`` order."""
    return {
        **{k: v for k, v in record.items() if k != "scores"},
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


class Classifier:
    """A loaded text classifier. Thread-safe: concurrent callers take turns (see :meth:`predict`)."""

    def __init__(self, pipe, model_dir: Path, device: str, max_length: int):
        self.pipeline = pipe
        self.model_dir = model_dir
        self.device = device
        self.max_length = max_length
        config = pipe.model.config
        self.labels: list[str] = [config.id2label[i] for i in sorted(config.id2label)]
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
            outputs = self.pipeline(texts, batch_size=batch_size)
        predictions = []
        for text, scores in zip(texts, outputs):
            raw = {s["label"]: float(s["score"]) for s in scores}
            by_label = {label: round(raw[label], DECIMALS) for label in self.labels}  # in label order
            best = max(raw, key=lambda label: raw[label])
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
        return {
            "name": self.model_dir.name,
            "base_model": metrics.get("model"),
            "labels": self.labels,
            "device": self.device,
            "max_length": self.max_length,
            "metrics": metrics.get("test", {}),
            "training_config": read_json_file(self.model_dir / "training_config.json"),
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

    try:
        pipe = pipeline(
            "text-classification", model=str(path), device=chosen, top_k=None, truncation=True, max_length=max_length
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
