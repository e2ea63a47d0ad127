"""Lesson layer (Lab 9, optional part): dynamic int8 quantisation of a saved classifier on CPU, measured honestly.

    from coursekit.lessons.quantization import compare_quantized
    report = compare_quantized("outputs/blankets_creek-minilm-l6")
    print(report.rows())    # accuracy, macro F1, size and texts/s before and after

``torch.ao.quantization.quantize_dynamic`` replaces every ``nn.Linear`` with a version that stores its
weights as int8 and quantises the activations on the fly, batch by batch. Nothing needs calibrating and the
model needs no retraining, so it is the cheapest speed-up for a BERT-sized model on a CPU. The accuracy is
measured again on the run's own test split, recomputed from its data file and settings exactly as the
training script split it.

torch 2.13 marks ``torch.ao.quantization`` as deprecated in favour of the separate ``torchao`` package
(``torchao.quantization.quantize_``) but still runs it; :func:`quantize_dynamic_int8` returns the warnings
instead of printing them so that callers can say so in one line.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coursekit.errors import CourseError
from coursekit.paths import DATA_DIR, PROJECT_ROOT

DEPRECATION_NOTE = (
    "torch.ao.quantization is deprecated in torch 2.13 (torchao's quantize_ replaces it) "
    "but quantize_dynamic still works"
)


@dataclass
class TestSplit:
    """The held-out texts of a run, with integer labels and the data file they came from."""

    texts: list[str]
    labels: list[int]
    label_names: list[str]
    data_file: Path
    matches_predictions: bool | None  # same texts and labels as the run's test_predictions.csv (None: no file)


def find_data_file(value: str) -> Path:
    """A training_config ``data`` value (absolute, or relative to the project as published) as an existing file."""
    raw = Path(value).expanduser()
    for candidate in (raw, PROJECT_ROOT / value, DATA_DIR / raw.name):
        if candidate.is_file():
            return candidate
    raise CourseError(
        f"the run's data file {value!r} was not found (also looked in {DATA_DIR}). The test split is "
        "recomputed from it: copy the file back, or pass --data."
    )


def run_test_split(run_dir: Path, data: Path | None = None) -> TestSplit:
    """Recompute a run's test split from its training_config.json, as examples/training/classifier.py made it."""
    from coursekit.data import load_labelled_texts
    from coursekit.lessons.publish_checks import TRAINING_CONFIG, read_json
    from coursekit.training import split_dataset

    config = read_json(run_dir / TRAINING_CONFIG, "the run's settings: data file, columns, split sizes and seed")
    data_file = data or find_data_file(str(config["data"]))
    labelled = load_labelled_texts(data_file, config["text_column"], config["label_column"], config.get("label_names"))
    splits = split_dataset(labelled, config["test_size"], config["validation_size"], config["seed"])
    test = splits["test"]
    predictions = run_dir / "test_predictions.csv"
    texts, labels = list(test["text"]), list(test["label"])
    matches = None
    if predictions.is_file():
        saved = pd.read_csv(predictions, keep_default_na=False)
        matches = saved["text"].tolist() == texts and saved["true_label"].tolist() == [
            labelled.label_names[i] for i in labels
        ]
    return TestSplit(texts, labels, labelled.label_names, data_file, matches)


def predict(model, tokenizer, texts: list[str], max_length: int, batch_size: int) -> tuple[list[int], float]:
    """Predicted label ids (dataset order) and the seconds the forward passes took, with dynamic padding."""
    import torch

    predicted, seconds = [], 0.0
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            began = time.perf_counter()
            logits = model(**batch).logits
            seconds += time.perf_counter() - began
            predicted += logits.argmax(dim=-1).tolist()
    return predicted, seconds


def quantize_dynamic_int8(model) -> tuple[object, list[str]]:
    """An int8 copy of every ``nn.Linear`` (the original model is not changed), and the warnings torch raised."""
    import copy

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quantized = quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    return quantized, sorted({str(w.message).splitlines()[0] for w in caught})


def serialized_mb(model) -> float:
    """Size of the model's state_dict as ``torch.save`` writes it, in MB (what the weights cost on disk)."""
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell() / 2**20


@dataclass
class ModelScore:
    """One model's row of the comparison."""

    model: str
    accuracy: float
    f1_macro: float
    size_mb: float
    texts_per_second: float


@dataclass
class QuantizationReport:
    """Before and after, plus what was measured on and the deprecation note."""

    test_size: int
    data_file: str
    matches_predictions: bool | None
    float32: ModelScore
    int8: ModelScore
    warnings: list[str]

    @property
    def accuracy_change_points(self) -> float:
        return 100 * (self.int8.accuracy - self.float32.accuracy)

    @property
    def speedup(self) -> float:
        return self.int8.texts_per_second / self.float32.texts_per_second

    @property
    def size_ratio(self) -> float:
        return self.float32.size_mb / self.int8.size_mb

    def rows(self) -> pd.DataFrame:
        """The comparison as a table (one row per model)."""
        return pd.DataFrame([vars(self.float32), vars(self.int8)]).set_index("model")


def score(name: str, model, tokenizer, split: TestSplit, max_length: int, batch_size: int, repeats: int) -> ModelScore:
    """Accuracy and macro F1 on the test split, and the best of ``repeats`` timed passes (after a warm-up)."""
    from coursekit.metrics import classification_metrics

    predict(model, tokenizer, split.texts[:batch_size], max_length, batch_size)  # warm-up: first calls are slow
    runs = [predict(model, tokenizer, split.texts, max_length, batch_size) for _ in range(max(repeats, 1))]
    metrics = classification_metrics(split.labels, runs[0][0], split.label_names)
    fastest = min(seconds for _, seconds in runs)
    return ModelScore(name, metrics["accuracy"], metrics["f1_macro"], serialized_mb(model), len(split.texts) / fastest)


def compare_quantized(
    run_dir: str | Path,
    batch_size: int = 32,
    repeats: int = 3,
    data: Path | None = None,
    max_length: int | None = None,
) -> QuantizationReport:
    """Evaluate a saved classifier and its dynamic-int8 copy on the run's test split (CPU)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from coursekit.lessons.publish_checks import TRAINING_CONFIG, read_json
    from coursekit.models import require_model_dir

    folder = require_model_dir(run_dir)
    split = run_test_split(folder, data)
    length = max_length or int(read_json(folder / TRAINING_CONFIG, "the run's settings").get("max_length", 128))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).to("cpu")
    quantized, caught = quantize_dynamic_int8(model)
    before = score("float32", model, tokenizer, split, length, batch_size, repeats)
    after = score("int8 (dynamic)", quantized, tokenizer, split, length, batch_size, repeats)
    return QuantizationReport(len(split.texts), split.data_file.name, split.matches_predictions, before, after, caught)
