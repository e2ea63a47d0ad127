"""Core layer: the course's training API, one fine-tuning run from settings to saved model (Labs 4-9, tests).

``examples/training/classifier.py`` (Lab 4) parses its command line into a :class:`TrainConfig` and calls
:func:`train`, which tells the story of a run top to bottom: check every setting and the data, load the model with
its label names (:func:`load_tokenizer_and_model`), split and tokenize (:func:`split_dataset`,
:func:`tokenize_splits`), build the ``TrainingArguments`` (:func:`training_arguments`), ``Trainer(...)``,
``train()``, ``save_model()``, and predict the test split once (:func:`write_test_predictions`).

A run is safe for the folder it writes: everything is validated before the output folder is touched, the model is
trained in a temporary sibling folder and swapped in only when the run finished, so ``--overwrite`` never loses a
finished run to a failed one. Code that needs a trained model asks ``coursekit.run_cache.find_or_train`` (train once,
reuse after); later labs, tests and solutions import the pieces from here, never from the script.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import transformers
from datasets import ClassLabel, Dataset, DatasetDict, List, Value
from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments

from coursekit.cleaning import CLEANERS, DEFAULT_CLEANER, get_cleaner
from coursekit.data import LabelledTexts, chunk_files, load_labelled_texts, load_sentiment140_chunks
from coursekit.device import describe_device, detect_device, device_batch_size, precision_settings
from coursekit.errors import CourseError
from coursekit.fileio import atomic_write_text, staging_dir, swap_in_dir
from coursekit.metrics import classification_metrics, make_compute_metrics
from coursekit.models import DEFAULT_MODEL, MODELS, ModelChoice, model_help, resolve_model
from coursekit.multilabel import (
    MULTI_LABEL,
    MultiLabelTexts,
    load_multilabel_texts,
    make_multilabel_compute_metrics,
    multilabel_metrics,
    save_thresholds,
    sigmoid,
    tune_thresholds,
    write_multilabel_predictions,
)
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV, shown_path

# Part of every run's cache key: bump it when a change here changes what a run produces, so cached runs retrain.
CODE_VERSION = "2026.11-1"
MIN_ROWS_PER_LABEL = 4  # a stratified train / validation / test split needs a few of each label
HEADS = ("softmax", "sigmoid")
# Settings added after runs were cached: they enter a run's key only when set, so earlier runs keep their key.
KEYED_WHEN_SET = {
    "cleaner": DEFAULT_CLEANER,
    "head": "softmax",
    "tune_threshold": False,
    "validate_every": None,
    "keep_best": False,
    "freeze_encoder": False,
    "label_columns": None,
    "stratify_column": None,
}
THRESHOLD_FILE = "threshold.json"


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run; ``classifier.py`` turns each field into a flag (``--text-column`` etc.)."""

    data: Path = field(
        default=TRAIL_STATUS_CSV,
        metadata={"help": "CSV/TSV/JSON/JSONL/Parquet file, or a folder of Sentiment140 chunk_*.csv files"},
    )
    text_column: str = field(default="status", metadata={"help": "column holding the texts"})
    label_column: str = field(default="Blankets_Creek", metadata={"help": "column holding the labels"})
    label_names: list[str] | None = field(
        default=None,
        metadata={
            "help": "names for numeric labels 0,1,... in order, e.g. 'closed,open' (default: closed,open for the "
            "trail columns; text labels name themselves)"
        },
    )
    label_columns: list[str] | None = field(
        default=None,
        metadata={
            "help": "train ONE multi-label model on these 0/1 columns instead of --label-column, e.g. "
            "'Blankets_Creek,Rope_Mill' (Lab 5b): one yes/no output per column"
        },
    )
    stratify_column: str | None = field(
        default=None,
        metadata={
            "help": "split stratified by this column instead of the label, so runs on different labels of one file "
            "share train/validation/test rows (default: the label; the first of --label-columns)"
        },
    )
    model: str = field(default=DEFAULT_MODEL, metadata={"help": model_help()})
    epochs: float = field(default=4, metadata={"help": "passes over the training split"})
    batch_size: int = field(
        default=16, metadata={"help": "texts per optimizer step; 0 picks one for the device (coursekit.device)"}
    )
    learning_rate: float | None = field(
        default=None, metadata={"help": "default: the value that suits the chosen model (e.g. 3e-4 for minilm-l6)"}
    )
    max_length: int = field(
        default=96, metadata={"help": "longer texts are truncated; shorter ones are padded per batch, not to this"}
    )
    test_size: float = field(default=0.15, metadata={"help": "share of rows held out for the final test"})
    validation_size: float = field(default=0.15, metadata={"help": "share of rows watched during training"})
    max_train_rows: int | None = field(default=None, metadata={"help": "use only this many training rows (quick)"})
    seed: int = field(default=42, metadata={"help": "split, shuffling and head initialisation"})
    keep_best: bool = field(
        default=False,
        metadata={"help": "evaluate and save every epoch, and end with the epoch of lowest validation loss"},
    )
    freeze_encoder: bool = field(
        default=False,
        metadata={"help": "train only the head (pooler + classifier); the pretrained encoder stays as it is"},
    )
    output: Path | None = field(default=None, metadata={"help": "run directory (default: outputs/<label>-<model>)"})
    overwrite: bool = field(default=False, metadata={"help": "replace an earlier run in --output"})
    no_progress: bool = field(default=False, metadata={"help": "hide the progress bar (logs, CI)"})
    cleaner: str = field(
        default=DEFAULT_CLEANER, metadata={"help": f"text cleaning before tokenizing: {', '.join(CLEANERS)}"}
    )
    head: str = field(
        default="softmax",
        metadata={"help": "softmax: one logit per label; sigmoid: one logit, BCEWithLogitsLoss (two labels only)"},
    )
    tune_threshold: bool = field(
        default=False,
        metadata={"help": "two labels: choose the decision threshold with the best validation F1 and save it"},
    )
    validate_every: int | None = field(
        default=None, metadata={"help": "log and validate every this many steps (default: once per epoch)"}
    )

    def __post_init__(self) -> None:
        """Normalise paths and ``closed,open``-style names, and reject settings the Trainer would reject late."""
        object.__setattr__(self, "data", Path(self.data))
        if self.output is not None:
            object.__setattr__(self, "output", Path(self.output))
        if self.label_names is not None:
            names = [n.strip() for item in self.label_names for n in str(item).split(",") if n.strip()]
            object.__setattr__(self, "label_names", names)
        if self.label_columns is not None:
            columns = [c.strip() for item in self.label_columns for c in str(item).split(",") if c.strip()]
            if len(columns) < 2 or len(set(columns)) < len(columns):
                raise CourseError(
                    "--label-columns needs two or more different columns, e.g. Blankets_Creek,Rope_Mill."
                )
            object.__setattr__(self, "label_columns", columns)
        if self.epochs <= 0 or self.batch_size < 0 or self.max_length < 8:
            raise CourseError(
                "--epochs must be positive, --batch-size positive (or 0 for the device's default) "
                "and --max-length at least 8."
            )
        if not (0 < self.test_size < 0.5 and 0 < self.validation_size < 0.5):
            raise CourseError("--test-size and --validation-size must each be between 0 and 0.5 (e.g. 0.15).")
        get_cleaner(self.cleaner)
        if self.head not in HEADS:
            raise CourseError(f"--head must be one of {', '.join(HEADS)}, got {self.head!r}.")
        if self.validate_every is not None and self.validate_every < 1:
            raise CourseError("--validate-every must be at least 1 (or left out to validate once per epoch).")
        if self.max_train_rows is not None and self.max_train_rows < 1:
            raise CourseError("--max-train-rows must be at least 1 (or left out to use every training row).")


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
    trainable_parameters: int | None = None  # fewer than ``parameters`` when the encoder was frozen
    problem_type: str = "single_label_classification"
    thresholds: dict[str, float] | None = None  # multi-label runs: per label, tuned on validation
    fallbacks: list[str] = field(default_factory=list)  # what out-of-memory changed (halved batch, CPU)


def split_dataset(
    data: LabelledTexts | MultiLabelTexts,
    test_size: float,
    validation_size: float,
    seed: int,
    strata: LabelledTexts | None = None,
) -> DatasetDict:
    """Stratified train / validation / test split, reproducible through ``seed``.

    The label column is a ``ClassLabel``, so ``stratify_by_column`` keeps each class's share equal in
    every split, and the names travel with the data. Validation picks nothing here (no early stopping),
    but it is what we watch during training; the test split is looked at once, at the end.

    ``strata`` (another column of the same file) is stratified by instead of the label: the split depends only
    on the stratifying labels and the seed, so runs on different labels of one file share the same rows. A
    multi-label run's targets are lists of floats (no ``ClassLabel``), so it always passes ``strata``.
    """
    dataset = Dataset.from_dict({"text": data.texts, "label": data.labels})
    if isinstance(data, MultiLabelTexts):
        dataset = dataset.cast_column("label", List(Value("float32")))  # BCEWithLogitsLoss wants float targets
    else:
        dataset = dataset.cast_column("label", ClassLabel(names=data.label_names))
    column = "label"
    if strata is not None:
        column = "stratum"
        dataset = dataset.add_column(column, strata.labels).cast_column(column, ClassLabel(names=strata.label_names))
    require_rows_per_label(strata if strata is not None else data)  # type: ignore[arg-type]
    first = dataset.train_test_split(test_size=test_size, stratify_by_column=column, seed=seed)
    second = first["train"].train_test_split(
        test_size=validation_size / (1 - test_size), stratify_by_column=column, seed=seed
    )
    splits = DatasetDict(train=second["train"], validation=second["test"], test=first["test"])
    return splits.remove_columns("stratum") if strata is not None else splits


def limit_train_rows(splits: DatasetDict, config: TrainConfig) -> DatasetDict:
    """The splits with the training split cut to ``config.max_train_rows`` random rows (if set); the validation and
    test splits stay whole, so runs on fewer rows are scored on the same messages."""
    if config.max_train_rows:
        rows = min(config.max_train_rows, len(splits["train"]))
        splits["train"] = splits["train"].shuffle(seed=config.seed).select(range(rows))
    return splits


def tokenize_splits(splits: DatasetDict, tokenizer, max_length: int) -> DatasetDict:
    """Tokenize without padding: ``DataCollatorWithPadding`` pads each batch to its own longest text.

    Padding every text to ``max_length`` (``padding="max_length"``, the old tutorials' recipe) makes
    the model compute on pad tokens; for short posts that is most of the work (see the benchmark).
    """

    def encode(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length)

    return splits.map(encode, batched=True)


def validation_history(trainer: Trainer) -> list[dict]:
    """Per-epoch validation metrics from the trainer's log, rounded for humans."""
    return [
        {k.removeprefix("eval_"): round(v, 4) for k, v in entry.items() if not k.endswith(("_runtime", "_per_second"))}
        for entry in trainer.state.log_history
        if "eval_loss" in entry
    ]


def class_probabilities(logits) -> np.ndarray:
    """Each label's probability per row: a softmax over the logits, or ``[1 - p, p]`` from one sigmoid logit."""
    scores = torch.from_numpy(np.asarray(logits, dtype=np.float32))
    if scores.shape[-1] == 1:
        positive = torch.sigmoid(scores[:, 0])
        return torch.stack([1 - positive, positive], dim=-1).numpy()
    return torch.softmax(scores, dim=-1).numpy()


def predict_split(trainer: Trainer, split: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The true label ids and every label's probability for each row of ``split``, in the split's order."""
    # transformers 5 applies group_by_length to evaluation batches too, which reorders the predictions;
    # pairing each text with its prediction needs them in dataset order.
    trainer.args.train_sampling_strategy = "sequential"
    output = trainer.predict(split)
    assert output.label_ids is not None, "the split has labels"
    probabilities = class_probabilities(output.predictions)
    # a sigmoid head's labels come back as floats of shape (n, 1)
    return np.asarray(output.label_ids).reshape(len(probabilities), -1)[:, 0].astype(int), probabilities


def decisions(probabilities: np.ndarray, threshold: float | None) -> np.ndarray:
    """The predicted label ids: the most probable label, or for two labels ``P(label 1) >= threshold``."""
    if threshold is None:
        return probabilities.argmax(axis=-1)
    return (probabilities[:, 1].round(4) >= threshold).astype(int)  # rounded as coursekit.inference rounds


def write_test_predictions(
    trainer: Trainer, test_split: Dataset, label_names: list[str], path: Path, threshold: float | None = None
) -> dict:
    """Predict the test split once, save text/true/predicted/confidence as CSV, and return the metrics.

    With a decision ``threshold`` (two labels) a text is ``label_names[1]`` when its probability is at least the
    threshold, and the CSV also holds that probability (``score_<label 1>``) for precision-recall curves.
    """
    labels, probabilities = predict_split(trainer, test_split)
    predicted = decisions(probabilities, threshold)
    metrics = {k: round(v, 4) for k, v in classification_metrics(labels, predicted, label_names).items()}
    if not trainer.is_world_process_zero():  # every process predicts (its share, gathered); one writes
        return metrics
    columns = {
        "text": test_split["text"],
        "true_label": [label_names[i] for i in labels],
        "predicted_label": [label_names[i] for i in predicted],
        "confidence": probabilities[np.arange(len(predicted)), predicted].round(4),
    }
    if threshold is not None:
        columns[f"score_{label_names[1]}"] = probabilities[:, 1].round(4)
    pd.DataFrame(columns).to_csv(path, index=False)
    return metrics


def choose_threshold(labels: np.ndarray, positive_scores: np.ndarray) -> dict:
    """The decision threshold with the best F1 for label 1 on these (validation) rows, and its precision/recall.

    Every distinct score is a candidate (``precision_recall_curve``); the threshold is rounded down to 4
    decimals, so every row it accepted is still accepted with the rounded scores inference reports.
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(labels, positive_scores)
    precision, recall = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    best = int(f1.argmax())
    return {
        "threshold": round(float(np.floor(float(thresholds[best]) * 1e4)) / 1e4, 4),
        "rule": "best F1 of the positive label on the validation split",
        "validation_f1": round(float(f1[best]), 4),
        "validation_precision": round(float(precision[best]), 4),
        "validation_recall": round(float(recall[best]), 4),
    }


def tune_threshold(trainer: Trainer, validation: Dataset, label_names: list[str], run_dir: Path) -> float:
    """Predict the validation split, save its scores (``validation_predictions.csv``) and the chosen threshold."""
    labels, probabilities = predict_split(trainer, validation)
    pd.DataFrame(
        {
            "text": validation["text"],
            "true_label": [label_names[i] for i in labels],
            f"score_{label_names[1]}": probabilities[:, 1].round(4),
        }
    ).to_csv(run_dir / "validation_predictions.csv", index=False)
    chosen = {"positive_label": label_names[1], **choose_threshold(labels, probabilities[:, 1])}
    atomic_write_text(run_dir / THRESHOLD_FILE, json.dumps(chosen, indent=2) + "\n")
    return chosen["threshold"]


class FloatLabelCollator(DataCollatorWithPadding):
    """Pads like its parent; the labels become a float column (n, 1): what ``BCEWithLogitsLoss`` compares one
    logit with (the sigmoid head)."""

    def __call__(self, features):
        """One padded batch with float labels."""
        batch = super().__call__(features)
        batch["labels"] = batch["labels"].float().unsqueeze(-1)
        return batch


def require_rows_per_label(data: LabelledTexts, minimum: int = MIN_ROWS_PER_LABEL) -> None:
    """Refuse data with a label too rare to appear in train, validation and test."""
    counts = np.bincount(data.labels, minlength=len(data.label_names))
    if counts.min() < minimum:
        small = data.label_names[int(counts.argmin())]
        raise CourseError(
            f"label {small!r} has only {counts.min()} rows; each label needs at least {minimum} to be split. "
            "Add rows of that label or remove it from the data."
        )


def default_output_dir(label_column: str, choice: ModelChoice) -> Path:
    """Where a run goes without ``--output``: ``outputs/<label>-<model>`` (``make train``'s run folder)."""
    return OUTPUTS_DIR / f"{label_column.lower()}-{Path(choice.name).name}"


def check_output_dir(path: Path, overwrite: bool) -> None:
    """Refuse an output folder that holds something, unless it is a run of this code and ``overwrite`` is set.

    Nothing is deleted here: a finished run is replaced only after the new one finished (:func:`train`).
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        if not overwrite:
            raise CourseError(
                f"{path} already holds a run. Pass --overwrite to replace it, or choose another --output."
            )
        if not (path / "training_config.json").is_file():
            raise CourseError(
                f"{path} is not empty and was not written by this script; refusing to delete it. "
                "Choose another --output."
            )


@contextlib.contextmanager
def run_in_place(path: Path, overwrite: bool) -> Iterator[None]:
    """Train in ``path`` itself (Lab 5 resumes there); an earlier run is set aside, not deleted, until this one ends.

    The earlier run is renamed to a hidden sibling first; if the new run fails (bad settings found late, an error,
    Ctrl+C) the earlier one is put back, and it is deleted only once the new run has returned.
    """
    check_output_dir(path, overwrite)
    aside = path.with_name(f".{path.name}.replaced-{os.getpid()}") if path.exists() else None
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(path, aside)
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        if aside is not None:
            shutil.rmtree(path, ignore_errors=True)
            os.replace(aside, path)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes (the data a run was trained on, whatever its name or folder)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_sha256(path: Path) -> str:
    """The SHA-256 of a data file, or of a chunk folder's chunk names and bytes (any chunk changed: a new run)."""
    if not Path(path).is_dir():
        return file_sha256(path)
    digest = hashlib.sha256()
    for chunk in chunk_files(path):
        digest.update(f"{chunk.name}:{file_sha256(chunk)}\n".encode())
    return digest.hexdigest()


def whole_as_int(value: Any) -> Any:
    """``2.0`` as ``2``; any other value unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def run_key(config: TrainConfig, choice: ModelChoice, precision: dict) -> str:
    """What makes two runs the same: data bytes, model, every hyper-parameter, seed, precision and code version.

    Where the run is written and how it reports progress (``output``, ``overwrite``, ``no_progress``) are not part
    of it. An alias is identified by its name (its weights ship in a pinned package); a folder by its path.
    """
    # epochs=2 (a notebook) and epochs=2.0 (the command line) are the same setting: whole floats are keyed as ints.
    settings = {f.name: whole_as_int(getattr(config, f.name)) for f in fields(config)}
    for unused in ("data", "output", "overwrite", "no_progress"):
        settings.pop(unused)
    for name, default in KEYED_WHEN_SET.items():
        if settings[name] == default:
            settings.pop(name)
    settings.update(
        model=choice.name if choice.name in MODELS else choice.path,
        learning_rate=config.learning_rate or choice.learning_rate,
        data_sha256=data_sha256(config.data),
        precision=precision,
        code_version=CODE_VERSION,
    )
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def load_tokenizer_and_model(
    choice: ModelChoice, id2label: dict[int, str], head: str = "softmax", problem_type: str | None = None
):
    """Load the tokenizer and a sequence-classification model with a fresh head for ``id2label``.

    ``problem_type="multi_label_classification"`` (Lab 5b) makes the model's loss ``BCEWithLogitsLoss`` (one
    sigmoid per label) and is saved in its config, so ``pipeline`` applies a sigmoid, not a softmax.

    ``id2label`` / ``label2id`` go into the model's config, so the saved model and ``pipeline`` answer "open",
    not ``LABEL_1``. The loading report lists the new classifier weights as MISSING (initialised randomly and
    learned during fine-tuning) and checkpoint weights the model does not use as UNEXPECTED (e.g. the layers
    dropped by ``num_hidden_layers=3``).

    ``head="sigmoid"`` (two labels only) gives the classic binary head instead: one logit, ``BCEWithLogitsLoss``
    (``problem_type="multi_label_classification"`` with one label), and ``pipeline`` applies a sigmoid. Its config
    names the one output after the positive label and keeps both names in ``binary_label_names``.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    extra: dict[str, Any] = {"problem_type": problem_type} if problem_type else {}
    if head == "sigmoid":
        if len(id2label) != 2:
            raise CourseError(f"--head sigmoid needs exactly two labels, the data has {len(id2label)}.")
        extra = {"problem_type": "multi_label_classification"}
        binary_names = [id2label[0], id2label[1]]
        id2label = {0: id2label[1]}
    label2id = {name: idx for idx, name in id2label.items()}
    try:
        tokenizer = AutoTokenizer.from_pretrained(choice.path)
        if choice.pretrained:
            model = AutoModelForSequenceClassification.from_pretrained(
                choice.path,
                num_labels=len(id2label),
                id2label=id2label,
                label2id=label2id,
                **extra,
                **choice.from_pretrained_kwargs(),
            )
        else:
            config = AutoConfig.from_pretrained(
                choice.path,
                num_labels=len(id2label),
                id2label=id2label,
                label2id=label2id,
                **extra,
                **choice.from_pretrained_kwargs(),
            )
            model = AutoModelForSequenceClassification.from_config(config)
    except OSError as exc:
        raise CourseError(f"could not load {choice.description}: {exc}") from None
    if head == "sigmoid":
        model.config.binary_label_names = binary_names  # saved in config.json; coursekit.inference reads it
    return tokenizer, model


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of parameters of a PyTorch model (only those the optimizer updates, with ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def freeze_encoder(model) -> None:
    """Freeze the embeddings and transformer layers; the head (pooler, if any, and classifier) still learns.

    ``model.base_model`` is the pretrained encoder (``model.bert`` for BERT); its pooler, a dense layer on the
    ``[CLS]`` vector that only feeds the classifier, counts as part of the head here.
    """
    for name, parameter in model.base_model.named_parameters():
        parameter.requires_grad = name.startswith("pooler.")


def is_main_process() -> bool:
    """True in a plain run and in the rank-0 process of ``torchrun`` / ``accelerate launch``: the one that writes."""
    return int(os.environ.get("RANK", "0")) == 0


def world_size() -> int:
    """How many processes a launcher started for this run (1 in a plain ``python script.py``)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def distributed_settings(device: str) -> dict[str, Any]:
    """``TrainingArguments`` keywords for a run under ``torchrun`` / ``accelerate launch`` (Lab 10); none otherwise.

    * ``ddp_backend="gloo", use_cpu=True`` only when a launcher set ``WORLD_SIZE`` and there is no GPU: CPUs talk
      over gloo (NCCL is GPU-only). Without ``use_cpu=True`` Accelerate starts the process group but treats the
      run as not distributed: every process trains alone on all the data, with no gradient exchange. Set in a
      plain ``python script.py``, ``ddp_backend`` fails ("Default process group has not been initialized"), and on
      GPUs the Trainer's own choice (NCCL) is the right one.
    * ``average_tokens_across_devices=False``: with the default ``True`` the Trainer multiplies each process's loss
      by the number of processes, expecting the model to divide by the token count of the whole global batch. A
      sequence classifier's loss is already a per-batch mean, so under 2 processes the logged loss (and the
      gradient) would be twice one process's (Lab 10 measures it). With one process it changes nothing.
    * ``ddp_find_unused_parameters=False``: every parameter of a sequence classifier gets a gradient, so DDP need
      not walk the autograd graph after each backward pass to look for ones that did not (the default does, and
      warns that it found none).
    """
    if "WORLD_SIZE" not in os.environ:
        return {}
    settings: dict[str, Any] = {"average_tokens_across_devices": False, "ddp_find_unused_parameters": False}
    if device != "cuda":
        settings.update(ddp_backend="gloo", use_cpu=True)
    return settings


def training_arguments(
    config: TrainConfig,
    run_dir: Path,
    learning_rate: float,
    device: str,
    batch_size: int | None = None,
    accumulation: int = 1,
) -> TrainingArguments:
    """Today's TrainingArguments names (transformers 5): ``eval_strategy``, a float ``warmup_steps``.

    ``batch_size`` and ``accumulation`` are what :func:`fit_with_fallback` tries after running out of memory;
    ``device="cpu"`` on a machine with a GPU trains on the CPU (its last fallback).
    """
    precision: dict[str, Any] = dict(precision_settings(device)[0])
    if device == "cpu" and detect_device() != "cpu":
        precision["use_cpu"] = True  # the GPU ran out of memory even at batch 1: train on the CPU (was no_cuda)
    # The course's one precision policy (coursekit.device), e.g. bf16 where it pays, and under torchrun /
    # accelerate launch only: gloo on CPUs and an unscaled loss.
    device_settings: dict[str, Any] = precision | distributed_settings(device)
    return TrainingArguments(
        output_dir=str(run_dir / "trainer"),  # scratch space inside the run; deleted once the model is saved
        eval_strategy="steps" if config.validate_every else "epoch",  # one validation score per epoch (or per
        # --validate-every steps): the history we print (was evaluation_strategy)
        logging_strategy="steps" if config.validate_every else "epoch",  # the training loss at the same points
        eval_steps=config.validate_every,  # only used with --validate-every
        logging_steps=config.validate_every or 500,  # only used with --validate-every (500 is the library default)
        # without keep_best the final model is saved once below (no checkpoint folders); with it, one checkpoint
        # per validation, so the best one can be reloaded at the end
        save_strategy=("steps" if config.validate_every else "epoch") if config.keep_best else "no",
        save_steps=config.validate_every or 500,  # keep_best with --validate-every: a checkpoint per validation
        load_best_model_at_end=config.keep_best,  # end with the best epoch's weights, not the last epoch's
        metric_for_best_model="loss" if config.keep_best else None,  # best = lowest validation loss (smooth)
        save_total_limit=1 if config.keep_best else None,  # the best checkpoint (and the latest) only: disk space
        num_train_epochs=config.epochs,  # passes over the training split
        per_device_train_batch_size=batch_size or config.batch_size,  # posts per forward pass
        gradient_accumulation_steps=accumulation,  # forward passes per optimizer step (>1 only after an OOM)
        per_device_eval_batch_size=64,  # no gradients when evaluating, so bigger batches fit
        learning_rate=learning_rate,  # small models like a higher rate than BERT-base's 2e-5
        weight_decay=0.01,  # a little L2 pull towards zero against overfitting
        warmup_steps=0.1,  # a float is a ratio of all steps (warmup_ratio is gone)
        optim="adamw_torch",  # the plain PyTorch AdamW, the same on every device
        train_sampling_strategy="group_by_length",  # similar lengths per batch: less padding
        seed=config.seed,  # the same shuffling and head initialisation on every run
        report_to="none",  # no experiment tracker
        disable_tqdm=config.no_progress,  # logs and CI want no progress bar
        dataloader_pin_memory=device == "cuda",  # pinning only helps when copying to a GPU
        **device_settings,
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA raises ``torch.OutOfMemoryError``; Apple's MPS a ``RuntimeError`` whose message says so."""
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


def fallback_plans(batch_size: int, device: str) -> Iterator[tuple[int, int, str]]:
    """(batch per forward pass, gradient accumulation, device) to try, in order, when memory runs out.

    First as asked; then half the batch with twice the accumulation, down to 1: the optimizer still steps once
    per ``batch_size`` posts, so the run learns the same way, only slower. Last, a GPU run moves to the CPU.
    """
    per_device = batch_size
    while per_device >= 1:
        yield per_device, -(-batch_size // per_device), device
        per_device //= 2
    if device != "cpu":
        yield batch_size, 1, "cpu"


def free_memory(device: str) -> None:
    """Give the memory of a failed attempt back before the next one (PyTorch caches freed GPU memory)."""
    import gc

    gc.collect()
    if device == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device == "mps" and torch.backends.mps.is_available():
        torch.mps.empty_cache()


def fit_with_fallback(
    start: Callable[[int, int, str], Trainer], batch_size: int, device: str
) -> tuple[Trainer, list[str]]:
    """Train with ``start(batch, accumulation, device)``'s Trainer; on out-of-memory retry with the next plan.

    ``start`` builds a fresh model each time (a failed attempt may have half-updated the weights). Returns the
    trainer that finished and one note per fallback taken; any other error is raised as it is.
    """
    notes: list[str] = []
    for per_device, accumulation, where in fallback_plans(batch_size, device):
        trainer = start(per_device, accumulation, where)
        try:
            trainer.train()
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            notes.append(f"out of memory at batch {per_device} x {accumulation} on {where}")
            print(f"{notes[-1]}: retrying with a smaller batch (or on the CPU)", flush=True)
            del trainer
            free_memory(where)
            continue
        return trainer, notes
    raise CourseError(
        "out of memory even with one post per batch on the CPU. Close other programs, or use a smaller "
        "--max-length or a smaller --model."
    )


def write_run_config(
    config: TrainConfig, run_dir: Path, output: Path, choice: ModelChoice, learning_rate: float, device: str, key: str
) -> None:
    """Write every setting first: it also marks the folder as a run of this code (``--overwrite`` may replace it)."""
    settings = {f.name: getattr(config, f.name) for f in fields(config)} | {"output": output}
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.items()}
    settings.update(
        learning_rate=learning_rate,
        model_path=choice.path,
        model_description=choice.description,
        device=device,
        precision=precision_settings(device)[0],
        python=platform.python_version(),
        torch=torch.__version__,
        transformers=transformers.__version__,
        code_version=CODE_VERSION,
        run_key=key,
    )
    atomic_write_text(run_dir / "training_config.json", json.dumps(settings, indent=2) + "\n")


def clean_texts(data: LabelledTexts, cleaner: str, source: Path) -> LabelledTexts:
    """``data`` with every text cleaned by the named cleaner; a text that cleaning empties is an error."""
    clean = get_cleaner(cleaner)
    texts = [clean(t) for t in data.texts]
    empty = [i + 1 for i, t in enumerate(texts) if not t]
    if empty:
        raise CourseError(
            f"{source}: row {', '.join(map(str, empty[:10]))} holds nothing but mentions/URLs, so cleaning "
            f"({cleaner!r}) leaves no text; remove those rows."
        )
    return LabelledTexts(texts=texts, labels=data.labels, label_names=data.label_names)


def run_label(config: TrainConfig) -> str:
    """What a run predicts, for its folder name: the label column, or the label columns joined by ``-``."""
    return "-".join(config.label_columns) if config.label_columns else config.label_column


def check_run(config: TrainConfig) -> tuple[ModelChoice, LabelledTexts | MultiLabelTexts, LabelledTexts | None, Path]:
    """Everything that can be wrong before training: model, data file, columns, labels, rows, output folder.

    Returns the model, the labelled texts (cleaned by the run's cleaner), the labels to stratify the split by
    (None: the label itself) and the output folder.
    """
    choice = resolve_model(config.model)
    data: LabelledTexts | MultiLabelTexts
    if config.label_columns:
        data = load_multilabel_texts(config.data, config.text_column, config.label_columns)
    else:
        if Path(config.data).is_dir():
            data = load_sentiment140_chunks(config.data)
        else:
            data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
        data = clean_texts(data, config.cleaner, config.data)
        if config.tune_threshold and len(data.label_names) != 2:
            raise CourseError(f"--tune-threshold needs exactly two labels, the data has {len(data.label_names)}.")
        require_rows_per_label(data)
    stratify = config.stratify_column or (config.label_columns[0] if config.label_columns else None)
    strata = load_labelled_texts(config.data, config.text_column, stratify) if stratify else None
    output = Path(config.output or default_output_dir(run_label(config), choice)).resolve()
    check_output_dir(output, config.overwrite)
    return choice, data, strata, output


def evaluate_multilabel(
    trainer: Trainer, encoded: DatasetDict, label_names: list[str], run_dir: Path
) -> tuple[dict, dict[str, float]]:
    """Tune a threshold per label on validation, save it with the model, then score the test split once with it."""
    trainer.args.train_sampling_strategy = "sequential"  # predictions in dataset order (see write_test_predictions)
    validation = trainer.predict(encoded["validation"])
    thresholds = tune_thresholds(validation.label_ids, sigmoid(validation.predictions), label_names)
    save_thresholds(run_dir, thresholds)
    test = trainer.predict(encoded["test"])
    probabilities = sigmoid(test.predictions)
    write_multilabel_predictions(
        encoded["test"]["text"],
        test.label_ids,
        probabilities,
        label_names,
        thresholds,
        run_dir / "test_predictions.csv",
    )
    metrics = multilabel_metrics(test.label_ids, probabilities, label_names, thresholds)
    return {k: round(v, 4) for k, v in metrics.items()}, thresholds


def train(config: TrainConfig) -> RunResult:
    """Load data and model, fine-tune, evaluate on the test split, and save everything to the run folder."""
    choice, data, strata, output = check_run(config)
    multi_label = isinstance(data, MultiLabelTexts)
    problem_type = MULTI_LABEL if multi_label else "single_label_classification"
    transformers.set_seed(config.seed)
    device = detect_device()
    batch_size = config.batch_size or device_batch_size(device)
    if is_main_process():
        print(f"model:  {choice.description}\ndevice: {describe_device(device)}\noutput: {shown_path(output)}")
        if world_size() > 1:  # under torchrun / accelerate launch: each process takes its share of every batch
            print(f"processes: {world_size()}, batch {batch_size} each = {world_size() * batch_size}")

    splits = limit_train_rows(
        split_dataset(data, config.test_size, config.validation_size, config.seed, strata), config
    )
    problem = MULTI_LABEL if multi_label else None
    tokenizer, model = load_tokenizer_and_model(choice, data.id2label, config.head, problem)
    if config.freeze_encoder:
        freeze_encoder(model)
    encoded = tokenize_splits(splits, tokenizer, config.max_length)
    learning_rate = config.learning_rate or choice.learning_rate
    key = run_key(config, choice, precision_settings(device)[0])
    models = [model]  # the first attempt uses this model; a retry after out-of-memory loads a fresh one

    run_dir = staging_dir(output)  # a sibling folder: an earlier run at `output` stays until this one finished
    try:
        if is_main_process():  # the other processes use their run_dir as scratch space only
            write_run_config(config, run_dir, output, choice, learning_rate, device, key)

        def start(per_device: int, accumulation: int, where: str) -> Trainer:
            if not models:
                transformers.set_seed(config.seed)  # the same initial head as the first attempt
                retry = load_tokenizer_and_model(choice, data.id2label, config.head, problem)[1]
                if config.freeze_encoder:
                    freeze_encoder(retry)
                models.append(retry)
            trainer = Trainer(
                model=models.pop(),
                args=training_arguments(config, run_dir, learning_rate, where, per_device, accumulation),
                train_dataset=encoded["train"],
                eval_dataset=encoded["validation"],
                processing_class=tokenizer,  # was `tokenizer=` before transformers 5
                # pads each batch to its own longest post (and gives the sigmoid head float labels)
                data_collator=(FloatLabelCollator if config.head == "sigmoid" else DataCollatorWithPadding)(tokenizer),
                compute_metrics=(
                    make_multilabel_compute_metrics(data.label_names)
                    if multi_label
                    else make_compute_metrics(data.label_names)
                ),
            )
            if config.no_progress:
                trainer.remove_callback(PrinterCallback)  # it would print raw log dicts instead of the bar
            return trainer

        started = time.perf_counter()
        trainer, fallbacks = fit_with_fallback(start, batch_size, device)
        train_seconds = round(time.perf_counter() - started, 1)

        trainer.save_model(str(run_dir))  # model, config (with id2label and problem_type) and tokenizer
        shutil.rmtree(run_dir / "trainer", ignore_errors=True)
        atomic_write_text(run_dir / "log_history.json", json.dumps(trainer.state.log_history, indent=1) + "\n")
        thresholds = None
        if multi_label:
            test_metrics, thresholds = evaluate_multilabel(trainer, encoded, data.label_names, run_dir)
        else:
            threshold = None
            if config.tune_threshold:
                threshold = tune_threshold(trainer, encoded["validation"], data.label_names, run_dir)
            test_metrics = write_test_predictions(
                trainer, encoded["test"], data.label_names, run_dir / "test_predictions.csv", threshold
            )
        result = RunResult(
            model=choice.name,
            model_description=choice.description,
            label_column=",".join(config.label_columns) if config.label_columns else config.label_column,
            label_names=data.label_names,
            parameters=count_parameters(trainer.model),
            train_seconds=train_seconds,
            train_size=len(splits["train"]),
            validation_size=len(splits["validation"]),
            test_size=len(splits["test"]),
            validation_history=validation_history(trainer),
            test=test_metrics,
            output_dir=str(output),
            trainable_parameters=count_parameters(trainer.model, trainable_only=True),
            problem_type=problem_type,
            thresholds=thresholds,
            fallbacks=fallbacks,
        )
        if is_main_process():
            atomic_write_text(run_dir / "metrics.json", json.dumps(asdict(result), indent=2) + "\n")  # written last
            swap_in_dir(run_dir, output)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return result
