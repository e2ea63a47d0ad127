"""Lesson layer (Lab 11): a saved classifier as an ONNX graph, served by ONNX Runtime in float32 or int8.

    from coursekit.lessons.onnx_export import export_onnx, quantize_onnx, logits_parity
    fp32 = export_onnx("outputs/blankets_creek-minilm-l6")       # writes <run>/onnx/model.onnx
    int8 = quantize_onnx(fp32)                                    # writes <run>/onnx/model-int8.onnx

The export uses ``torch.onnx.export`` directly (optimum's ONNX exporter would downgrade transformers), with the
batch and sequence axes dynamic, so one graph takes any batch of any length. :func:`logits_parity` runs PyTorch
and ONNX Runtime on the same batch and reports the largest absolute difference of the logits.
:class:`coursekit.onnx_runtime.OnnxPipeline` (core layer) runs the graphs and answers like
``pipeline("text-classification", top_k=None)``, so the batch script and the service use an ONNX model through
:func:`coursekit.inference.load_backend` unchanged.

int8 is ONNX Runtime's *dynamic* quantization: weights of every MatMul stored as int8, activations quantized per
batch on the fly; no calibration data, no retraining. Measure its accuracy before serving it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from coursekit.onnx_runtime import INT8_FILE, load_onnx_pipeline, onnx_path

OPSET = 17  # every ONNX Runtime of the last years runs it; the classic exporter's well-trodden path
SAMPLE_TEXTS = ["Blankets Creek is open!", "Closed after the storm, the trails need two dry days before we ride."]


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
