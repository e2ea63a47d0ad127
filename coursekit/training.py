"""Core layer: the pieces of a fine-tuning run that every training path shares (Labs 4-8, tests, solutions).

``examples/training/classifier.py`` (Lab 4) tells the story of a run with these pieces: a stratified split that
keeps label names (:func:`split_dataset`), tokenization without padding (:func:`tokenize_splits`), a run folder
that never silently replaces another (:func:`prepare_output_dir`), the per-epoch validation history and the test
predictions written once at the end (:func:`write_test_predictions`), and the run's summary (:class:`RunResult`).
Later labs, the grader's tests and the reference solutions import them from here, never from the script.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from datasets import ClassLabel, Dataset, DatasetDict
from transformers import Trainer

from coursekit.data import LabelledTexts
from coursekit.errors import CourseError
from coursekit.metrics import classification_metrics


def split_dataset(data: LabelledTexts, test_size: float, validation_size: float, seed: int) -> DatasetDict:
    """Stratified train / validation / test split, reproducible through ``seed``.

    The label column is a ``ClassLabel``, so ``stratify_by_column`` keeps each class's share equal in
    every split, and the names travel with the data. Validation picks nothing here (no early stopping),
    but it is what we watch during training; the test split is looked at once, at the end.
    """
    dataset = Dataset.from_dict({"text": data.texts, "label": data.labels})
    dataset = dataset.cast_column("label", ClassLabel(names=data.label_names))
    counts = np.bincount(data.labels, minlength=len(data.label_names))
    if counts.min() < 4:
        small = data.label_names[int(counts.argmin())]
        raise CourseError(f"label {small!r} has only {counts.min()} rows; each label needs at least 4 to be split.")
    first = dataset.train_test_split(test_size=test_size, stratify_by_column="label", seed=seed)
    second = first["train"].train_test_split(
        test_size=validation_size / (1 - test_size), stratify_by_column="label", seed=seed
    )
    return DatasetDict(train=second["train"], validation=second["test"], test=first["test"])


def tokenize_splits(splits: DatasetDict, tokenizer, max_length: int) -> DatasetDict:
    """Tokenize without padding: ``DataCollatorWithPadding`` pads each batch to its own longest text.

    Padding every text to ``max_length`` (``padding="max_length"``, the old tutorials' recipe) makes
    the model compute on pad tokens; for short posts that is most of the work (see the benchmark).
    """

    def encode(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length)

    return splits.map(encode, batched=True)


def prepare_output_dir(path: Path, overwrite: bool) -> None:
    """Create the run directory; replace an earlier run only when asked, never a foreign folder."""
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise CourseError(
                f"{path} already holds a run. Pass --overwrite to replace it, or choose another --output."
            )
        if not (path / "training_config.json").is_file():
            raise CourseError(
                f"{path} is not empty and was not written by this script; refusing to delete it. "
                "Choose another --output."
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


@dataclass
class RunResult:
    """What a training run produced (also written to ``metrics.json``)."""

    model: str
    model_description: str
    label_column: str
    label_names: list[str]
    parameters: int
    train_seconds: float
    train_size: int
    validation_size: int
    test_size: int
    validation_history: list[dict]
    test: dict
    output_dir: str


def validation_history(trainer: Trainer) -> list[dict]:
    """Per-epoch validation metrics from the trainer's log, rounded for humans."""
    return [
        {k.removeprefix("eval_"): round(v, 4) for k, v in entry.items() if not k.endswith(("_runtime", "_per_second"))}
        for entry in trainer.state.log_history
        if "eval_loss" in entry
    ]


def write_test_predictions(trainer: Trainer, test_split: Dataset, label_names: list[str], path: Path) -> dict:
    """Predict the test split once, save text/true/predicted/confidence as CSV, and return the metrics."""
    # transformers 5 applies group_by_length to evaluation batches too, which reorders the predictions;
    # pairing each text with its prediction needs them in dataset order.
    trainer.args.train_sampling_strategy = "sequential"
    output = trainer.predict(test_split)
    probabilities = torch.softmax(torch.from_numpy(output.predictions), dim=-1).numpy()
    predicted = probabilities.argmax(axis=-1)
    pd.DataFrame(
        {
            "text": test_split["text"],
            "true_label": [label_names[i] for i in output.label_ids],
            "predicted_label": [label_names[i] for i in predicted],
            "confidence": probabilities.max(axis=-1).round(4),
        }
    ).to_csv(path, index=False)
    return {k: round(v, 4) for k, v in classification_metrics(output.label_ids, predicted, label_names).items()}
