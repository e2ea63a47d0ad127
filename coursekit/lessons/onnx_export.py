"""Lesson layer (Lab 11): a saved classifier as an ONNX graph, served by ONNX Runtime in float32 or int8.

    from coursekit.lessons.onnx_export import export_onnx, quantize_onnx, OnnxPipeline
    fp32 = export_onnx("outputs/blankets_creek-minilm-l6")       # writes <run>/onnx/model.onnx
    int8 = quantize_onnx(fp32)                                    # writes <run>/onnx/model-int8.onnx

The export uses ``torch.onnx.export`` directly (optimum's ONNX exporter would downgrade transformers), with the
batch and sequence axes dynamic, so one graph takes any batch of any length. :func:`logits_parity` runs PyTorch
and ONNX Runtime on the same batch and reports the largest absolute difference of the logits.
:class:`OnnxPipeline` answers like ``pipeline("text-classification", top_k=None)`` (one list of
``{"label", "score"}`` per text), so :class:`coursekit.inference.Classifier`, the batch script and the service
use an ONNX model unchanged (``load_onnx_classifier`` in :mod:`coursekit.inference`).

int8 is ONNX Runtime's *dynamic* quantization: weights of every MatMul stored as int8, activations quantized per
batch on the fly; no calibration data, no retraining. Measure its accuracy before serving it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from coursekit.errors import CourseError

ONNX_DIR = "onnx"  # inside the run folder, next to model.safetensors
FLOAT32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
BACKENDS = {"onnx": FLOAT32_FILE, "onnx-int8": INT8_FILE}
OPSET = 17  # every ONNX Runtime of the last years runs it; the classic exporter's well-trodden path
SAMPLE_TEXTS = ["Blankets Creek is open!", "Closed after the storm, the trails need two dry days before we ride."]


def onnx_path(model_dir: str | Path, backend: str = "onnx") -> Path:
    """Where the exported graph of ``backend`` (``onnx`` or ``onnx-int8``) lives in a run folder."""
    if backend not in BACKENDS:
        raise CourseError(f"unknown ONNX backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    return Path(model_dir) / ONNX_DIR / BACKENDS[backend]


def _logits_only(model):
    """A module that returns the logits tensor alone: the ONNX graph gets one named output."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    return LogitsOnly().eval()


def export_onnx(model_dir: str | Path, output: Path | None = None) -> Path:
    """Export a saved BERT-style classifier to ONNX (float32) with dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from coursekit.models import require_model_dir

    folder = require_model_dir(model_dir)
    target = Path(output or onnx_path(folder))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager").eval()
    sample = tokenizer(SAMPLE_TEXTS, padding=True, return_tensors="pt", return_token_type_ids=True)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the classic exporter's deprecation notice; it still exports correctly
        torch.onnx.export(
            _logits_only(model),
            tuple(sample[name] for name in names),
            str(partial),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**{name: {0: "batch", 1: "sequence"} for name in names}, "logits": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    partial.replace(target)
    return target


def quantize_onnx(fp32_path: Path, output: Path | None = None) -> Path:
    """ONNX Runtime dynamic int8 quantization of an exported graph (weights int8, activations per batch).

    Only the MatMuls are quantized, each weight with one scale per output channel: with the defaults (one scale
    per tensor, the embedding Gather quantized too) the Lab 4 model lost 0.03 of test accuracy; per channel it
    stayed within 0.01 (labs/transcripts/lab-11-onnx.txt).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = Path(output or Path(fp32_path).with_name(INT8_FILE))
    partial = target.with_name(f".{target.name}.partial")
    quantize_dynamic(
        str(fp32_path), str(partial), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
    partial.replace(target)
    return target


def make_session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session with full graph optimisation, using ``threads`` (default: torch's count).

    ONNX Runtime ignores ``OMP_NUM_THREADS``; taking torch's thread count keeps a comparison with PyTorch fair.
    """
    import onnxruntime as ort
    import torch

    if not Path(path).is_file():
        raise CourseError(
            f"no ONNX model at {path}. Export it first: "
            f"python examples/efficient/export_onnx.py {Path(path).parent.parent}"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed in float64 so that rounding does not differ from PyTorch's."""
    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


class OnnxPipeline:
    """An ONNX Runtime session with the tokenizer around it, called like a ``text-classification`` pipeline."""

    def __init__(self, session, tokenizer, config, max_length: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.model = SimpleNamespace(config=config)  # Classifier reads the label names from pipe.model.config
        self.max_length = max_length
        self.inputs = [i.name for i in session.get_inputs()]

    def logits(self, texts: list[str]) -> np.ndarray:
        """The logits of one batch (padded to its longest text)."""
        batch = self.tokenizer(
            texts,
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="np",
            return_token_type_ids=True,
        )
        feed = {name: batch[name].astype(np.int64) for name in self.inputs}
        return self.session.run(["logits"], feed)[0]

    def __call__(self, texts: list[str], batch_size: int = 32) -> list[list[dict[str, Any]]]:
        """One list of ``{"label", "score"}`` per text (every label, best first), as the pipeline answers."""
        id2label = self.model.config.id2label
        results = []
        for start in range(0, len(texts), batch_size):
            for row in softmax(self.logits(texts[start : start + batch_size])):
                order = np.argsort(-row)
                results.append([{"label": id2label[int(i)], "score": float(row[i])} for i in order])
        return results


def load_onnx_pipeline(model_dir: str | Path, backend: str = "onnx", max_length: int = 128) -> OnnxPipeline:
    """The run's exported graph (``onnx`` or ``onnx-int8``) with the run's own tokenizer and label names."""
    from transformers import AutoConfig, AutoTokenizer

    path = onnx_path(model_dir, backend)
    session = make_session(path)
    return OnnxPipeline(
        session, AutoTokenizer.from_pretrained(model_dir), AutoConfig.from_pretrained(model_dir), max_length
    )


def logits_parity(
    model_dir: str | Path, backend: str, texts: list[str], labels: list[int] | None = None, max_length: int = 128
) -> dict[str, float]:
    """PyTorch vs ONNX Runtime on the same batches: largest absolute logit difference, how often the predicted
    labels agree, and (given ``labels``) the accuracy of each."""
    import torch
    from transformers import AutoModelForSequenceClassification

    onnx = load_onnx_pipeline(model_dir, backend, max_length)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    differences, reference_predictions, onnx_predictions = [], [], []
    for start in range(0, len(texts), 32):
        chunk = texts[start : start + 32]
        batch = onnx.tokenizer(chunk, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            reference = model(**batch).logits.numpy()
        other = onnx.logits(chunk)
        differences.append(float(np.abs(reference - other).max()))
        reference_predictions += reference.argmax(-1).tolist()
        onnx_predictions += other.argmax(-1).tolist()
    ours, theirs = np.asarray(onnx_predictions), np.asarray(reference_predictions)
    result = {"max_abs_diff": max(differences), "same_prediction": float((ours == theirs).mean())}
    if labels is not None:
        result["accuracy"] = float((ours == np.asarray(labels)).mean())
        result["reference_accuracy"] = float((theirs == np.asarray(labels)).mean())
    return result
