"""Recall as a local ``evaluate`` module: ``evaluate.load("<project>/metrics/recall")`` works offline.

Same inputs and keywords as the Hub's ``recall`` metric: ``average`` ("binary" by default, "macro",
"weighted", "micro", or None for one value per class), ``labels``, ``pos_label``. ``_compute`` accepts
``**kwargs`` because ``evaluate.combine`` passes every keyword argument to every metric.
"""

import datasets
import evaluate
from sklearn.metrics import recall_score


class Recall(evaluate.Metric):
    """Recall: of the texts of a class, the share predicted as that class (scikit-learn's ``recall_score``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Recall: of the texts of a class, the share predicted as that class.",
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
        score = recall_score(
            references,
            predictions,
            average=average,
            labels=labels,
            pos_label=pos_label,
            sample_weight=sample_weight,
            zero_division=zero_division,
        )
        return {"recall": score.tolist() if average is None else float(score)}
