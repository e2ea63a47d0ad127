"""Core layer: the course's training API, one fine-tuning run from settings to saved model (Labs 4-8, tests).

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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import transformers
from datasets import ClassLabel, Dataset, DatasetDict
from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments

from coursekit.data import LabelledTexts, load_labelled_texts
from coursekit.device import describe_device, detect_device, precision_settings
from coursekit.errors import CourseError
from coursekit.fileio import atomic_write_text, staging_dir, swap_in_dir
from coursekit.metrics import classification_metrics, make_compute_metrics
from coursekit.models import DEFAULT_MODEL, MODELS, ModelChoice, model_help, resolve_model
from coursekit.paths import OUTPUTS_DIR, TRAIL_STATUS_CSV, shown_path

# Part of every run's cache key: bump it when a change here changes what a run produces, so cached runs retrain.
CODE_VERSION = "2026.11-1"
MIN_ROWS_PER_LABEL = 4  # a stratified train / validation / test split needs a few of each label


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run; ``classifier.py`` turns each field into a flag (``--text-column`` etc.)."""

    data: Path = field(default=TRAIL_STATUS_CSV, metadata={"help": "CSV/TSV/JSON/JSONL/Parquet file"})
    text_column: str = field(default="status", metadata={"help": "column holding the texts"})
    label_column: str = field(default="Blankets_Creek", metadata={"help": "column holding the labels"})
    label_names: list[str] | None = field(
        default=None,
        metadata={
            "help": "names for numeric labels 0,1,... in order, e.g. 'closed,open' (default: closed,open for the "
            "trail columns; text labels name themselves)"
        },
    )
    model: str = field(default=DEFAULT_MODEL, metadata={"help": model_help()})
    epochs: float = field(default=4, metadata={"help": "passes over the training split"})
    batch_size: int = field(default=16, metadata={"help": "texts per optimizer step"})
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
    output: Path | None = field(default=None, metadata={"help": "run directory (default: outputs/<label>-<model>)"})
    overwrite: bool = field(default=False, metadata={"help": "replace an earlier run in --output"})
    no_progress: bool = field(default=False, metadata={"help": "hide the progress bar (logs, CI)"})

    def __post_init__(self) -> None:
        """Normalise paths and ``closed,open``-style names, and reject settings the Trainer would reject late."""
        object.__setattr__(self, "data", Path(self.data))
        if self.output is not None:
            object.__setattr__(self, "output", Path(self.output))
        if self.label_names is not None:
            names = [n.strip() for item in self.label_names for n in str(item).split(",") if n.strip()]
            object.__setattr__(self, "label_names", names)
        if self.epochs <= 0 or self.batch_size <= 0 or self.max_length < 8:
            raise CourseError("--epochs and --batch-size must be positive and --max-length at least 8.")
        if not (0 < self.test_size < 0.5 and 0 < self.validation_size < 0.5):
            raise CourseError("--test-size and --validation-size must each be between 0 and 0.5 (e.g. 0.15).")
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


def split_dataset(data: LabelledTexts, test_size: float, validation_size: float, seed: int) -> DatasetDict:
    """Stratified train / validation / test split, reproducible through ``seed``.

    The label column is a ``ClassLabel``, so ``stratify_by_column`` keeps each class's share equal in
    every split, and the names travel with the data. Validation picks nothing here (no early stopping),
    but it is what we watch during training; the test split is looked at once, at the end.
    """
    dataset = Dataset.from_dict({"text": data.texts, "label": data.labels})
    dataset = dataset.cast_column("label", ClassLabel(names=data.label_names))
    require_rows_per_label(data)
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
    assert output.label_ids is not None, "the test split has labels"
    probabilities = torch.softmax(torch.from_numpy(output.predictions), dim=-1).numpy()
    predicted = probabilities.argmax(axis=-1)
    if not trainer.is_world_process_zero():  # every process predicts (its share, gathered); one writes
        return {k: round(v, 4) for k, v in classification_metrics(output.label_ids, predicted, label_names).items()}
    pd.DataFrame(
        {
            "text": test_split["text"],
            "true_label": [label_names[i] for i in output.label_ids],
            "predicted_label": [label_names[i] for i in predicted],
            "confidence": probabilities.max(axis=-1).round(4),
        }
    ).to_csv(path, index=False)
    return {k: round(v, 4) for k, v in classification_metrics(output.label_ids, predicted, label_names).items()}


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


def run_key(config: TrainConfig, choice: ModelChoice, precision: dict) -> str:
    """What makes two runs the same: data bytes, model, every hyper-parameter, seed, precision and code version.

    Where the run is written and how it reports progress (``output``, ``overwrite``, ``no_progress``) are not part
    of it. An alias is identified by its name (its weights ship in a pinned package); a folder by its path.
    """
    settings = {f.name: getattr(config, f.name) for f in fields(config)}
    for unused in ("data", "output", "overwrite", "no_progress"):
        settings.pop(unused)
    settings.update(
        model=choice.name if choice.name in MODELS else choice.path,
        learning_rate=config.learning_rate or choice.learning_rate,
        data_sha256=file_sha256(config.data),
        precision=precision,
        code_version=CODE_VERSION,
    )
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def load_tokenizer_and_model(choice: ModelChoice, id2label: dict[int, str]):
    """Load the tokenizer and a sequence-classification model with a fresh head for ``id2label``.

    ``id2label`` / ``label2id`` go into the model's config, so the saved model and ``pipeline`` answer "open",
    not ``LABEL_1``. The loading report lists the new classifier weights as MISSING (initialised randomly and
    learned during fine-tuning) and checkpoint weights the model does not use as UNEXPECTED (e.g. the layers
    dropped by ``num_hidden_layers=3``).
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    label2id = {name: idx for idx, name in id2label.items()}
    try:
        tokenizer = AutoTokenizer.from_pretrained(choice.path)
        if choice.pretrained:
            model = AutoModelForSequenceClassification.from_pretrained(
                choice.path,
                num_labels=len(id2label),
                id2label=id2label,
                label2id=label2id,
                **choice.from_pretrained_kwargs(),
            )
        else:
            config = AutoConfig.from_pretrained(
                choice.path,
                num_labels=len(id2label),
                id2label=id2label,
                label2id=label2id,
                **choice.from_pretrained_kwargs(),
            )
            model = AutoModelForSequenceClassification.from_config(config)
    except OSError as exc:
        raise CourseError(f"could not load {choice.description}: {exc}") from None
    return tokenizer, model


def count_parameters(model) -> int:
    """Number of parameters of a PyTorch model."""
    return sum(p.numel() for p in model.parameters())


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


def training_arguments(config: TrainConfig, run_dir: Path, learning_rate: float, device: str) -> TrainingArguments:
    """Today's TrainingArguments names (transformers 5): ``eval_strategy``, a float ``warmup_steps``."""
    # The course's one precision policy (coursekit.device), e.g. bf16 where it pays, and under torchrun /
    # accelerate launch only: gloo on CPUs and an unscaled loss.
    device_settings: dict[str, Any] = precision_settings(device)[0] | distributed_settings(device)
    return TrainingArguments(
        output_dir=str(run_dir / "trainer"),  # scratch space inside the run; deleted once the model is saved
        eval_strategy="epoch",  # one validation score per epoch: the history we print (was evaluation_strategy)
        logging_strategy="epoch",  # the training loss per epoch, next to it
        save_strategy="no",  # the final model is saved once below; no multi-GB checkpoint folders
        num_train_epochs=config.epochs,  # passes over the training split
        per_device_train_batch_size=config.batch_size,  # posts per optimizer step
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


def check_run(config: TrainConfig) -> tuple[ModelChoice, LabelledTexts, Path]:
    """Everything that can be wrong before training: model, data file, columns, labels, rows, output folder."""
    choice = resolve_model(config.model)
    data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
    require_rows_per_label(data)
    output = Path(config.output or default_output_dir(config.label_column, choice)).resolve()
    check_output_dir(output, config.overwrite)
    return choice, data, output


def train(config: TrainConfig) -> RunResult:
    """Load data and model, fine-tune, evaluate on the test split, and save everything to the run folder."""
    choice, data, output = check_run(config)
    transformers.set_seed(config.seed)
    device = detect_device()
    if is_main_process():
        print(f"model:  {choice.description}\ndevice: {describe_device(device)}\noutput: {shown_path(output)}")
        if world_size() > 1:  # under torchrun / accelerate launch: each process takes its share of every batch
            print(f"processes: {world_size()}, batch {config.batch_size} each = {world_size() * config.batch_size}")

    splits = split_dataset(data, config.test_size, config.validation_size, config.seed)
    if config.max_train_rows:
        rows = min(config.max_train_rows, len(splits["train"]))
        splits["train"] = splits["train"].shuffle(seed=config.seed).select(range(rows))
    tokenizer, model = load_tokenizer_and_model(choice, data.id2label)
    encoded = tokenize_splits(splits, tokenizer, config.max_length)
    learning_rate = config.learning_rate or choice.learning_rate
    key = run_key(config, choice, precision_settings(device)[0])

    run_dir = staging_dir(output)  # a sibling folder: an earlier run at `output` stays until this one finished
    try:
        if is_main_process():  # the other processes use their run_dir as scratch space only
            write_run_config(config, run_dir, output, choice, learning_rate, device, key)
        trainer = Trainer(
            model=model,
            args=training_arguments(config, run_dir, learning_rate, device),
            train_dataset=encoded["train"],
            eval_dataset=encoded["validation"],
            processing_class=tokenizer,  # was `tokenizer=` before transformers 5
            data_collator=DataCollatorWithPadding(tokenizer),  # pads each batch to its own longest post
            compute_metrics=make_compute_metrics(data.label_names),
        )
        if config.no_progress:
            trainer.remove_callback(PrinterCallback)  # it would print raw log dicts instead of the bar
        started = time.perf_counter()
        trainer.train()
        train_seconds = round(time.perf_counter() - started, 1)

        trainer.save_model(str(run_dir))  # model, config (with id2label) and tokenizer
        shutil.rmtree(run_dir / "trainer", ignore_errors=True)
        test_metrics = write_test_predictions(
            trainer, encoded["test"], data.label_names, run_dir / "test_predictions.csv"
        )
        result = RunResult(
            model=choice.name,
            model_description=choice.description,
            label_column=config.label_column,
            label_names=data.label_names,
            parameters=count_parameters(model),
            train_seconds=train_seconds,
            train_size=len(splits["train"]),
            validation_size=len(splits["validation"]),
            test_size=len(splits["test"]),
            validation_history=validation_history(trainer),
            test=test_metrics,
            output_dir=str(output),
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
