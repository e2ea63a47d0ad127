"""Lesson layer (Lab 11): how much of a model to train: frozen-encoder embeddings, head-only, LoRA, full.

    from coursekit.lessons.efficient import trail_splits, embedding_baseline, fine_tune, freeze_encoder, with_lora
    splits = trail_splits(TrainConfig(no_progress=True))
    print(embedding_baseline(splits).row())                    # sentence embeddings + logistic regression
    print(fine_tune("head only", splits, config, prepare=freeze_encoder).row())
    print(fine_tune("LoRA r=8", splits, config, prepare=lambda m: with_lora(m, rank=8)).row())

Every variant uses the run's split (:func:`coursekit.training.split_dataset`, same seed as Lab 4), the Lab 4
``TrainingArguments`` (:func:`coursekit.training.training_arguments`) and scores the test split once; a result
carries the trainable parameters, the seconds of training and the test accuracy with its Wilson interval, so the
table compares like with like. ``examples/efficient/lora_sweep.py`` and ``examples/efficient/search.py`` are the
longer runs; the Lab 11 notebook runs small ones.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasets import DatasetDict

from coursekit.data import load_labelled_texts
from coursekit.metrics import format_accuracy, make_compute_metrics, wilson_interval
from coursekit.models import resolve_model
from coursekit.training import TrainConfig, split_dataset

# The modules the LoRA recipe adapts: BERT's attention projections (LoRA paper, section 4.2).
ATTENTION_MODULES = ("query", "value")
# Every Linear of a BERT layer: attention q/k/v/output and the feed-forward pair (`dense` matches all three).
ALL_LINEAR_MODULES = ("query", "key", "value", "dense")


@dataclass
class VariantResult:
    """One row of the Lab 11 comparison: what was trained, for how long, and how it scored on the test split."""

    name: str
    trainable: int
    total: int
    seconds: float
    correct: int
    tested: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.tested

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.tested)

    def row(self) -> dict[str, Any]:
        """A table row: trainable parameters (count and share), seconds, accuracy with its 95 % interval."""
        low, high = self.interval
        return {
            "variant": self.name,
            "trainable": self.trainable,
            "trainable_%": round(100 * self.trainable / self.total, 2),
            "seconds": round(self.seconds, 1),
            "accuracy": round(self.accuracy, 3),
            "95% CI": f"{low:.3f}-{high:.3f}",
            "correct": f"{self.correct}/{self.tested}",
        }

    def describe(self) -> str:
        """``"LoRA r=8: 0.711 (95% CI ..., 96/135), 74,498 trainable, 60.2 s"``."""
        return (
            f"{self.name}: {format_accuracy(self.correct, self.tested)}, "
            f"{self.trainable:,} trainable, {self.seconds:.1f} s"
        )


def trail_splits(config: TrainConfig) -> DatasetDict:
    """The train / validation / test split a run of ``config`` trains on (``max_train_rows`` applied, as in Lab 4)."""
    data = load_labelled_texts(config.data, config.text_column, config.label_column, config.label_names)
    splits = split_dataset(data, config.test_size, config.validation_size, config.seed)
    if config.max_train_rows:
        rows = min(config.max_train_rows, len(splits["train"]))
        splits["train"] = splits["train"].shuffle(seed=config.seed).select(range(rows))
    return splits


def label_names(splits: DatasetDict) -> list[str]:
    """The class names carried by the split's ``ClassLabel`` column."""
    return list(splits["train"].features["label"].names)


def count_trainable(model) -> tuple[int, int]:
    """(parameters that receive gradients, all parameters) of a PyTorch model."""
    parameters = list(model.parameters())
    return sum(p.numel() for p in parameters if p.requires_grad), sum(p.numel() for p in parameters)


def sentence_embeddings(texts: list[str], model_path: str | None = None, batch_size: int = 32) -> np.ndarray:
    """Mean-pooled, normalised sentence embeddings of the default model (what all-MiniLM-L6-v2 was trained for)."""
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(model_path or resolve_model(None).path, device="cpu")
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)


def fit_logistic(features: np.ndarray, labels: list[int], seed: int = 42):
    """A logistic regression on frozen features: seconds to fit, and the one thing that learns here."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000, random_state=seed).fit(features, labels)


@dataclass
class Embedded:
    """The train and test posts as sentence embeddings (the frozen encoder runs once), with their labels."""

    train: np.ndarray
    train_labels: list[int]
    test: np.ndarray
    test_labels: list[int]
    seconds: float  # encoding the training posts: the one slow step of this baseline


def embed_splits(splits: DatasetDict, model_path: str | None = None) -> Embedded:
    """Encode the train and test splits once with the frozen encoder."""
    started = time.perf_counter()
    train = sentence_embeddings(list(splits["train"]["text"]), model_path)
    seconds = time.perf_counter() - started
    test = sentence_embeddings(list(splits["test"]["text"]), model_path)
    return Embedded(train, list(splits["train"]["label"]), test, list(splits["test"]["label"]), seconds)


def embedding_baseline(embedded: Embedded, seed: int = 42) -> VariantResult:
    """A logistic regression on the training embeddings, scored once on the test embeddings; its seconds are
    encoding plus fitting (the encoder's parameters are not trained, so only the regression's count)."""
    started = time.perf_counter()
    classifier = fit_logistic(embedded.train, embedded.train_labels, seed)
    seconds = embedded.seconds + time.perf_counter() - started
    correct = int((classifier.predict(embedded.test) == np.asarray(embedded.test_labels)).sum())
    trainable = int(classifier.coef_.size + classifier.intercept_.size)
    return VariantResult(
        "embeddings + logistic regression", trainable, trainable, seconds, correct, len(embedded.test)
    )


def few_shot_curve(
    embedded: Embedded, shots: tuple[int, ...] = (8, 16, 32), draws: int = 5, seed: int = 42
) -> list[dict[str, Any]]:
    """Accuracy of a logistic regression trained on ``k`` labelled posts per class, over ``draws`` random draws.

    A few-shot score depends on *which* posts were labelled, so each size is drawn several times: the spread
    between draws is part of the answer, next to the median draw's interval on the test split.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(embedded.train_labels)
    test = np.asarray(embedded.test_labels)
    rows = []
    for k in shots:
        scores = []
        for _ in range(draws):
            chosen = np.concatenate(
                [rng.choice(np.flatnonzero(labels == c), k, replace=False) for c in np.unique(labels)]
            )
            model = fit_logistic(embedded.train[chosen], labels[chosen].tolist(), seed)
            scores.append(int((model.predict(embedded.test) == test).sum()))
        low, high = wilson_interval(int(np.median(scores)), len(test))
        rows.append(
            {
                "per_class": k,
                "labelled": k * len(np.unique(labels)),
                "median_accuracy": round(float(np.median(scores)) / len(test), 3),
                "95% CI (median draw)": f"{low:.3f}-{high:.3f}",
                "worst_draw": round(min(scores) / len(test), 3),
                "best_draw": round(max(scores) / len(test), 3),
            }
        )
    return rows


def freeze_encoder(model, trainable_prefixes: tuple[str, ...] = ("classifier",)):
    """Head-only training: gradients only for parameters whose names start with ``trainable_prefixes``.

    The Trainer builds its optimizer from the parameters with ``requires_grad``, so the frozen encoder costs a
    forward pass per step and no backward pass through its layers.
    """
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(trainable_prefixes)
    return model


def lora_config(
    rank: int = 8,
    modules: tuple[str, ...] = ATTENTION_MODULES,
    save: tuple[str, ...] = ("classifier",),
    alpha: int | None = None,
):
    """PEFT's LoRA settings for a sequence classifier.

    ``save`` (``modules_to_save``) are trained in full and stored in the adapter: the fresh classifier head always,
    since LoRA only adapts weights that were pretrained; ``("classifier", "pooler")`` also trains BERT's pooler, the
    dense + tanh layer between the encoder and the head that full fine-tuning trains and a LoRA on ``query`` and
    ``value`` leaves frozen.
    """
    from peft import LoraConfig

    return LoraConfig(
        task_type="SEQ_CLS",
        r=rank,
        lora_alpha=alpha or 2 * rank,  # the update is scaled by alpha / r: alpha = 2r keeps that equal across ranks
        lora_dropout=0.1,  # the dropout of the LoRA paper's GLUE runs
        target_modules=list(modules),
        modules_to_save=list(save),
    )


def with_lora(
    model, rank: int = 8, modules: tuple[str, ...] = ATTENTION_MODULES, save: tuple[str, ...] = ("classifier",)
):
    """The model wrapped by PEFT: the pretrained weights frozen, low-rank ``B @ A`` updates added to ``modules``."""
    import warnings

    from peft import get_peft_model

    # peft 0.21 asks transformers 5 a deprecated question (is_gradient_checkpointing); harmless, and not ours.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    return get_peft_model(model, lora_config(rank, modules, save))


def encode_splits(splits: DatasetDict, tokenizer, max_length: int) -> DatasetDict:
    """Tokenized splits without padding (the collator pads per batch), as Lab 4 does."""
    from coursekit.training import tokenize_splits

    return tokenize_splits(splits, tokenizer, max_length)


def make_trainer(
    model,
    tokenizer,
    encoded: DatasetDict,
    config: TrainConfig,
    learning_rate: float,
    scratch: Path,
    overrides: dict[str, Any] | None = None,
    model_init: Callable[..., Any] | None = None,
):
    """A Trainer with the Lab 4 arguments (one place for them: :func:`coursekit.training.training_arguments`),
    with ``overrides`` (``TrainingArguments`` names, e.g. a search's best settings) set on top."""
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer

    from coursekit.device import detect_device
    from coursekit.training import training_arguments

    args = training_arguments(config, scratch, learning_rate, detect_device())
    for name, value in (overrides or {}).items():
        setattr(args, name, value)
    trainer = Trainer(
        model=model,
        model_init=model_init,  # a search builds a fresh model per trial with it
        args=args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=make_compute_metrics(label_names(encoded)),
    )
    if config.no_progress:
        trainer.remove_callback(PrinterCallback)
    return trainer


def test_correct(trainer, test_split) -> int:
    """How many test posts the trained model gets right (predicted once, in dataset order)."""
    trainer.args.train_sampling_strategy = "sequential"  # group_by_length would reorder the predictions
    output = trainer.predict(test_split)
    return int((output.predictions.argmax(axis=-1) == output.label_ids).sum())


def fine_tune(
    name: str,
    splits: DatasetDict,
    config: TrainConfig,
    prepare: Callable[[Any], Any] = lambda model: model,
    learning_rate: float | None = None,
    save_to: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> VariantResult:
    """Load the model with a fresh head, ``prepare`` it (freeze, wrap in LoRA, ...), train, score the test split.

    ``save_to`` keeps what was trained (``save_pretrained``: a LoRA model writes only its adapter).
    """
    import transformers

    from coursekit.training import load_tokenizer_and_model

    transformers.set_seed(config.seed)
    choice = resolve_model(config.model)
    names = label_names(splits)
    tokenizer, model = load_tokenizer_and_model(choice, dict(enumerate(names)))
    model = prepare(model)
    trainable, total = count_trainable(model)
    encoded = encode_splits(splits, tokenizer, config.max_length)
    with tempfile.TemporaryDirectory(prefix="lab11-") as scratch:
        rate = learning_rate or choice.learning_rate
        trainer = make_trainer(model, tokenizer, encoded, config, rate, Path(scratch), overrides)
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
    correct = test_correct(trainer, encoded["test"])
    if save_to is not None:
        model.save_pretrained(save_to)
        tokenizer.save_pretrained(save_to)
    return VariantResult(name, trainable, total, seconds, correct, len(encoded["test"]))


def weights_mb(folder: Path) -> float:
    """Size of the weight files in a saved folder (``model.safetensors`` or ``adapter_model.safetensors``), in MB."""
    return sum(f.stat().st_size for f in Path(folder).glob("*.safetensors")) / 2**20


def hp_space(trial) -> dict[str, Any]:
    """What the search may choose, as ``TrainingArguments`` names (Optuna draws one value of each per trial)."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 3e-5, 1e-3, log=True),  # a factor of 30 around 3e-4
        "num_train_epochs": trial.suggest_int("num_train_epochs", 1, 3),
        "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", [8, 16, 32]),
        "warmup_steps": trial.suggest_float("warmup_steps", 0.0, 0.2),  # a float is a share of all steps
    }


@dataclass
class SearchResult:
    """Every trial (parameters and validation accuracy) and the best trial retrained and scored once on test."""

    trials: list[dict[str, Any]]
    best: dict[str, Any]
    test: VariantResult


def search(config: TrainConfig, trials: int, splits: DatasetDict | None = None, seed: int = 42) -> SearchResult:
    """``Trainer.hyperparameter_search(backend="optuna")`` on the validation split, then the best settings
    retrained from scratch and scored once on the test split (the only time the search looks at it)."""
    import optuna
    import transformers

    from coursekit.training import load_tokenizer_and_model

    splits = splits or trail_splits(config)
    choice = resolve_model(config.model)
    names = dict(enumerate(label_names(splits)))
    tokenizer, _ = load_tokenizer_and_model(choice, names)
    encoded = encode_splits(splits, tokenizer, config.max_length)

    def model_init(trial=None):
        # Every trial starts from the pretrained weights with a fresh head (the Trainer calls this per trial).
        return load_tokenizer_and_model(choice, names)[1]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory(prefix="lab11-search-") as scratch:
        transformers.set_seed(config.seed)
        trainer = make_trainer(None, tokenizer, encoded, config, choice.learning_rate, Path(scratch), None, model_init)
        best = trainer.hyperparameter_search(
            direction="maximize",
            backend="optuna",
            hp_space=hp_space,
            n_trials=trials,
            compute_objective=lambda metrics: metrics["eval_accuracy"],  # validation accuracy, never test
            study_name="lab-11",
            storage=storage,
            sampler=optuna.samplers.TPESampler(seed=seed),  # the same trials on every run
            pruner=optuna.pruners.NopPruner(),  # every trial runs to the end: few trials, one comparison
        )
    study = optuna.load_study(study_name="lab-11", storage=storage)
    rows = [{"trial": t.number, **t.params, "validation_accuracy": t.value} for t in study.trials]
    retrained = fine_tune("best trial, retrained", splits, config, overrides=best.hyperparameters)
    chosen = {"trial": int(best.run_id), **best.hyperparameters, "validation_accuracy": best.objective}
    return SearchResult(rows, chosen, retrained)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows of one shape as a Markdown table (integers with thousands separators)."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append(
            "| " + " | ".join(f"{row[c]:,}" if isinstance(row[c], int) else str(row[c]) for c in columns) + " |"
        )
    return "\n".join(lines)


def plot_trials(trials: list[dict[str, Any]], path: Path | None = None):
    """Validation accuracy of each trial against its learning rate (log axis), coloured by epochs, numbered;
    saved as PNG to ``path`` (atomically) if given. Returns the figure."""
    import matplotlib.pyplot as plt

    from coursekit.fileio import atomic_writer

    done = [t for t in trials if t["validation_accuracy"] is not None]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    points = axis.scatter(
        [t["learning_rate"] for t in done],
        [t["validation_accuracy"] for t in done],
        c=[t["num_train_epochs"] for t in done],
        cmap="viridis",
    )
    for t in done:
        axis.annotate(str(t["trial"]), (t["learning_rate"], t["validation_accuracy"]), fontsize=8)
    axis.set(xscale="log", xlabel="learning rate", ylabel="validation accuracy", title="Optuna trials")
    figure.colorbar(points, label="epochs")
    figure.tight_layout()
    if path is not None:
        with atomic_writer(path, mode="wb") as handle:
            figure.savefig(handle, format="png", dpi=100)
    return figure
