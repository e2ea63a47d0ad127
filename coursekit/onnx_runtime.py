"""Core layer (Lab 11; the batch script and the service through :mod:`coursekit.inference`): run a classifier's
exported ONNX graph with ONNX Runtime, answering like a ``text-classification`` pipeline.

The graphs are written by :mod:`coursekit.lessons.onnx_export` (``examples/efficient/export_onnx.py``) into
``<run>/onnx/``: ``model.onnx`` (float32) and ``model-int8.onnx`` (dynamic int8). :class:`OnnxPipeline` returns one
list of ``{"label", "score"}`` per text, so :class:`coursekit.inference.Classifier` uses it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from coursekit.errors import CourseError

ONNX_DIR = "onnx"  # inside the run folder, next to model.safetensors
FLOAT32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
BACKENDS = {"onnx": FLOAT32_FILE, "onnx-int8": INT8_FILE}


def onnx_path(model_dir: str | Path, backend: str = "onnx") -> Path:
    """Where the exported graph of ``backend`` (``onnx`` or ``onnx-int8``) lives in a run folder."""
    if backend not in BACKENDS:
        raise CourseError(f"unknown ONNX backend {backend!r}; use one of {', '.join(BACKENDS)}.")
    return Path(model_dir) / ONNX_DIR / BACKENDS[backend]


def require_graph(path: Path) -> Path:
    """``path`` if the exported graph is there, else a :class:`CourseError` saying how to export it."""
    if not Path(path).is_file():
        raise CourseError(
            f"no ONNX model at {path}. Export it first: "
            f"python examples/efficient/export_onnx.py {Path(path).parent.parent}"
        )
    return Path(path)


def make_session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session with full graph optimisation, using ``threads`` (default: torch's count).

    ONNX Runtime ignores ``OMP_NUM_THREADS``; taking torch's thread count keeps a comparison with PyTorch fair.
    """
    import onnxruntime as ort
    import torch

    require_graph(path)
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


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Element-wise sigmoid in float64: each label scored on its own (multi-label and one-logit runs)."""
    return 1 / (1 + np.exp(-logits.astype(np.float64)))


def scoring_function(config) -> Callable[[np.ndarray], np.ndarray]:
    """The pipeline's rule: sigmoid for a multi-label run or a one-logit head, softmax otherwise."""
    if getattr(config, "problem_type", None) == "multi_label_classification" or config.num_labels == 1:
        return sigmoid
    return softmax


def pad_batch(rows: list[list[int]], pad_id: int) -> np.ndarray:
    """Token id lists as one int64 matrix, each row padded on the right to the longest with ``pad_id``."""
    batch = np.full((len(rows), max(map(len, rows))), pad_id, dtype=np.int64)
    for i, row in enumerate(rows):
        batch[i, : len(row)] = row
    return batch


class OnnxPipeline:
    """An ONNX Runtime session with the tokenizer around it, called like a ``text-classification`` pipeline.

    A call tokenizes all its texts at once and runs them in batches of similar length (shortest first), so a
    batch is padded to little more than its own texts: the ``group_by_length`` idea of Lab 4, and the "sorted by
    length" column of Lab 7's benchmark, done inside the pipeline. Answers come back in the order of the texts.
    """

    def __init__(self, session, tokenizer, config, max_length: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.model = SimpleNamespace(config=config)  # Classifier reads the label names from pipe.model.config
        self.max_length = max_length
        self.inputs = [i.name for i in session.get_inputs()]
        self.scores = scoring_function(config)

    def _run(self, encoded: dict[str, list[list[int]]], rows: list[int]) -> np.ndarray:
        """The logits of the texts ``rows`` of ``encoded``, as one batch padded to its longest text."""
        pad_ids = {"input_ids": self.tokenizer.pad_token_id or 0, "attention_mask": 0, "token_type_ids": 0}
        feed = {name: pad_batch([encoded[name][i] for i in rows], pad_ids[name]) for name in self.inputs}
        return self.session.run(["logits"], feed)[0]

    def _encode(self, texts: list[str]) -> dict[str, list[list[int]]]:
        """Token ids, attention masks and token type ids of every text, unpadded."""
        return self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length, return_token_type_ids=True
        ).data

    def logits(self, texts: list[str]) -> np.ndarray:
        """The logits of the texts as one batch, in their order."""
        return self._run(self._encode(texts), list(range(len(texts))))

    def __call__(self, texts: list[str], batch_size: int = 32) -> list[list[dict[str, Any]]]:
        """One list of ``{"label", "score"}`` per text (every label, best first), as the pipeline answers."""
        id2label = self.model.config.id2label
        encoded = self._encode(texts)
        by_length = sorted(range(len(texts)), key=lambda i: len(encoded["input_ids"][i]))
        scores = np.empty((len(texts), self.model.config.num_labels))
        for start in range(0, len(texts), batch_size):
            rows = by_length[start : start + batch_size]
            scores[rows] = self.scores(self._run(encoded, rows))
        return [
            [{"label": id2label[int(i)], "score": float(row[i])} for i in np.argsort(-row, kind="stable")]
            for row in scores
        ]


def load_onnx_pipeline(model_dir: str | Path, backend: str = "onnx", max_length: int = 128) -> OnnxPipeline:
    """The run's exported graph (``onnx`` or ``onnx-int8``) with the run's own tokenizer and label names."""
    from transformers import AutoConfig, AutoTokenizer

    path = onnx_path(model_dir, backend)
    session = make_session(path)
    return OnnxPipeline(
        session, AutoTokenizer.from_pretrained(model_dir), AutoConfig.from_pretrained(model_dir), max_length
    )
