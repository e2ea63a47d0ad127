"""Precision as a local ``evaluate`` module: ``evaluate.load("<project>/metrics/precision")`` works offline.

Same inputs and keywords as the Hub's ``precision`` metric: ``average`` ("binary" by default, "macro",
"weighted", "micro", or None for one value per class), ``labels``, ``pos_label``. ``_compute`` accepts
``**kwargs`` because ``evaluate.combine`` passes every keyword argument to every metric.
"""

import datasets
import evaluate
from sklearn.metrics import precision_score


class Precision(evaluate.Metric):
    """Precision: of the texts predicted as a class, the share that truly are (scikit-learn's ``precision_score``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Precision: of the texts predicted as a class, the share that truly are.",
            citation="scikit-learn: Machine Learning in Python, Pedregosa et al., JMLR 12, 2011.",
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
        )

    def _compute(
        self,
        predictions,
        references,
        average="binary",
        labels=None,
        pos_label=1,
        sample_weight=None,
        zero_division=0,
        **kwargs,
    ) -> dict:
        score = precision_score(
            references,
            predictions,
            average=average,
            labels=labels,
            pos_label=pos_label,
            sample_weight=sample_weight,
            zero_division=zero_division,
        )
        return {"precision": score.tolist() if average is None else float(score)}
