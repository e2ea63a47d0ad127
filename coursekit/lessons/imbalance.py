"""Lesson layer (Lab 3): imbalanced classification done correctly: measure it, split stratified, oversample after
the split, weight the loss.

The order of operations is the whole lesson. Oversampling copies minority posts; if the copies are
made *before* the train/test split, the same post lands on both sides and the test set measures
memory, not generalisation. :func:`oversample_then_split` does it wrong on purpose (so the leak can be
counted with :func:`leaked_texts`); :func:`split_then_oversample` does it right.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from transformers import Trainer

from coursekit.errors import CourseError
from coursekit.metrics import classification_metrics


@dataclass
class Split:
    """Train and test texts with their integer labels."""

    train_texts: list[str]
    train_labels: list[int]
    test_texts: list[str]
    test_labels: list[int]


def class_counts(labels: Sequence[int], label_names: list[str]) -> dict[str, int]:
    """How many examples each class has, in label-id order: ``{"closed": 69, "open": 442}``."""
    counts = Counter(int(label) for label in labels)
    return {name: counts.get(i, 0) for i, name in enumerate(label_names)}


def minority_label(labels: Sequence[int], label_names: list[str]) -> str:
    """The name of the smallest class (the first one on a tie)."""
    counts = class_counts(labels, label_names)
    return min(counts, key=lambda name: counts[name])


def imbalance_summary(labels: Sequence[int], label_names: list[str]) -> dict:
    """Counts, shares, the minority class and the majority:minority ratio of a label list."""
    counts = class_counts(labels, label_names)
    total = sum(counts.values())
    if total == 0:
        raise CourseError("no labels to summarise: the list is empty.")
    smallest, largest = min(counts.values()), max(counts.values())
    return {
        "counts": counts,
        "shares": {name: round(count / total, 3) for name, count in counts.items()},
        "minority_label": minority_label(labels, label_names),
        "ratio": round(largest / smallest, 2) if smallest else float("inf"),
    }


def majority_baseline(train_labels: Sequence[int], test_labels: Sequence[int], label_names: list[str]) -> dict:
    """Metrics of a 'model' that always predicts the most common training label.

    On imbalanced data its accuracy looks good while its minority recall is 0: the number any real
    model must beat.
    """
    majority = Counter(train_labels).most_common(1)[0][0]
    return classification_metrics(list(test_labels), [majority] * len(test_labels), label_names)


def stratified_split(texts: Sequence[str], labels: Sequence[int], test_size: float = 0.3, seed: int = 42) -> Split:
    """Split keeping each class's share equal in train and test (``stratify=labels``).

    Without stratification a small test set can end up with almost no minority examples, and
    minority recall then moves in huge steps or is undefined.
    """
    if len(texts) != len(labels):
        raise CourseError(f"texts and labels differ in length ({len(texts)} vs {len(labels)}).")
    smallest = min(Counter(labels).values())
    if smallest < 2:
        raise CourseError("a stratified split needs at least 2 examples of every class.")
    train_x, test_x, train_y, test_y = train_test_split(
        list(texts), list(labels), test_size=test_size, random_state=seed, stratify=list(labels)
    )
    return Split(train_x, [int(y) for y in train_y], test_x, [int(y) for y in test_y])


def oversample_indices(labels: Sequence[int], seed: int = 42) -> list[int]:
    """Indices that repeat smaller classes (drawn with replacement) until every class matches the largest.

    Every original index appears at least once; the result is shuffled. Use it as
    ``train_dataset.select(oversample_indices(train_dataset["label"]))``.
    """
    if len(labels) == 0:
        raise CourseError("cannot oversample an empty label list.")
    rng = random.Random(seed)
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    target = max(len(members) for members in by_class.values())
    indices = []
    for members in by_class.values():
        indices += members + rng.choices(members, k=target - len(members))
    rng.shuffle(indices)
    return indices


def oversample(texts: Sequence[str], labels: Sequence[int], seed: int = 42) -> tuple[list[str], list[int]]:
    """Random oversampling of lists: copies of minority examples until the classes are equal."""
    indices = oversample_indices(labels, seed)
    return [texts[i] for i in indices], [int(labels[i]) for i in indices]


def split_then_oversample(
    texts: Sequence[str], labels: Sequence[int], test_size: float = 0.3, seed: int = 42
) -> Split:
    """The right order: split first, oversample only the training part; the test set stays untouched."""
    split = stratified_split(texts, labels, test_size, seed)
    split.train_texts, split.train_labels = oversample(split.train_texts, split.train_labels, seed)
    return split


def oversample_then_split(
    texts: Sequence[str], labels: Sequence[int], test_size: float = 0.3, seed: int = 42
) -> Split:
    """The WRONG order, kept to demonstrate the leak: copies of one post end up in train and in test."""
    return stratified_split(*oversample(texts, labels, seed), test_size=test_size, seed=seed)


def leaked_texts(train_texts: Sequence[str], test_texts: Sequence[str]) -> set[str]:
    """Texts that occur in both train and test (exact matches after stripping whitespace)."""
    return {t.strip() for t in train_texts} & {t.strip() for t in test_texts}


def balanced_class_weights(labels: Sequence[int], n_classes: int) -> list[float]:
    """scikit-learn's 'balanced' weights, ``n_samples / (n_classes * count_c)``, one per class id.

    A class with a seventh of the examples of another gets seven times its weight, so both classes
    contribute equally to the loss. Compute them on the *training* labels.
    """
    present = set(int(label) for label in labels)
    missing = [c for c in range(n_classes) if c not in present]
    if missing:
        raise CourseError(f"class id(s) {missing} never occur in the training labels; cannot weight them.")
    weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=np.asarray(labels))
    return [float(w) for w in weights]


class WeightedLossTrainer(Trainer):
    """A ``Trainer`` whose cross-entropy loss weights each class (``class_weights[i]`` for class ``i``).

    Overriding ``compute_loss`` is the documented way to change the loss. Its signature in
    transformers 5 is ``compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None)``;
    tutorials written before 4.46 omit ``num_items_in_batch`` and then fail with
    "got an unexpected keyword argument 'num_items_in_batch'".
    """

    # The loss below is a per-batch mean, not a sum divided by num_items_in_batch: tell the Trainer so
    # that it divides by the gradient-accumulation steps itself (transformers 5 guesses otherwise).
    loss_is_scaled_for_ga = False

    def __init__(self, *args, class_weights: Sequence[float], **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weights = torch.tensor(list(class_weights), dtype=torch.float32)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """Run the model without labels and compute the class-weighted cross-entropy ourselves."""
        inputs = dict(inputs)  # a copy: the caller's batch keeps its labels
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits
        loss_fn = torch.nn.CrossEntropyLoss(weight=self.class_weights.to(device=logits.device, dtype=logits.dtype))
        loss = loss_fn(logits.view(-1, logits.size(-1)), labels.view(-1))
        return (loss, outputs) if return_outputs else loss
