"""Accuracy as a local ``evaluate`` module: ``evaluate.load("<project>/metrics/accuracy")`` works offline.

``evaluate.load("accuracy")`` fetches the metric script from the Hugging Face Hub; this folder holds the
course's own script instead (same inputs and output key). ``_compute`` accepts ``**kwargs`` because
``evaluate.combine`` passes every keyword argument to every metric.
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score


class Accuracy(evaluate.Metric):
    """Share of predictions equal to the references."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Accuracy: the share of predictions that equal the references.",
            citation="scikit-learn: Machine Learning in Python, Pedregosa et al., JMLR 12, 2011.",
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, sample_weight=None, **kwargs) -> dict:
        return {"accuracy": float(accuracy_score(references, predictions, sample_weight=sample_weight))}
