"""The Lab 8 spec: the reference hand-in scores 100, and each broken variant loses exactly its rubric points."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from grading_builders import lost

from coursekit.grading.checks import load_spec
from coursekit.grading.grade import grade_entry

LABELS = ["closed", "open"]
REVIEW = "needs review"
THRESHOLD = 0.9


def record(predicted: str, confidence: float) -> dict:
    """One prediction as the service returns it (its text is set by the caller)."""
    other = LABELS[1 - LABELS.index(predicted)]
    scores = {predicted: confidence, other: round(1 - confidence, 4)}
    return {
        "text": "",
        "label": REVIEW if confidence < THRESHOLD else predicted,
        "predicted_label": predicted,
        "confidence": confidence,
        "scores": {label: scores[label] for label in LABELS},
    }


def reference_service() -> dict:
    """The JSON bodies a running service returned (GET /health, GET /model, POST /predict, one 422)."""
    limits = {"max_texts": 32, "max_chars": 2000}
    texts = ["Blankets is open!", "Closed after the storm.", "Maybe later today."]
    predictions = [record("open", 0.99), record("closed", 0.97), record("closed", 0.71)]
    for prediction, text in zip(predictions, texts):
        prediction["text"] = text
    return {
        "health": {"status": "ok", "model": "blankets_creek-minilm-l6", "limits": limits},
        "model": {
            "name": "blankets_creek-minilm-l6",
            "base_model": "minilm-l6",
            "labels": LABELS,
            "device": "cpu",
            "max_length": 128,
            "metrics": {"accuracy": 0.9333, "f1_macro": 0.9333},
            "threshold": THRESHOLD,
            "limits": limits,
        },
        "predict": {
            "request": {"texts": texts},
            "response": {"model": "blankets_creek-minilm-l6", "threshold": THRESHOLD, "predictions": predictions},
        },
        "error": {
            "request": {"texts": ""},
            "status_code": 422,
            "response": {"detail": [{"loc": ["body", "texts"], "msg": "text 1 is empty"}], "limits": limits},
        },
    }


def write_handin(folder: Path, service: dict | None = None) -> Path:
    """The one hand-in file."""
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps(service or reference_service(), indent=2)
    (folder / "service_responses.json").write_text(body, encoding="utf-8")
    return folder


def grade(folder: Path):
    """Grade a folder with the Lab 8 spec (no hidden answers: the bodies are checked against themselves)."""
    return grade_entry(folder, load_spec(8), None)


def test_spec_totals_100_and_reference_handin_scores_full_marks(tmp_path):
    assert load_spec(8)["max_points"] == 100
    result = grade(write_handin(tmp_path / "lab-8"))
    assert result.points == 100, [(c.check_id, c.message) for c in result.checks if not c.passed]


def service_change(change):
    def broken():
        service = copy.deepcopy(reference_service())
        change(service)
        return service

    return broken


def no_error(service):
    del service["error"]


def status_400(service):
    service["error"]["status_code"] = 400


def labels_reversed(service):
    service["model"]["labels"] = ["open", "closed"]


def threshold_mismatch(service):
    service["predict"]["response"]["threshold"] = 0.5  # the 0.71 prediction would not need review


def one_prediction(service):
    del service["predict"]["response"]["predictions"][1:]


def empty_detail(service):
    service["error"]["response"]["detail"] = []


@pytest.mark.parametrize(
    "make_service, expected",
    [
        (service_change(no_error), {"service_keys": 15, "service_error_status": 15, "service_error_detail": 15}),
        (service_change(status_400), {"service_error_status": 15}),
        (service_change(labels_reversed), {"service_model": 20}),
        (service_change(threshold_mismatch), {"service_predictions_consistent": 20}),
        (service_change(one_prediction), {"service_predictions": 15}),
        (service_change(empty_detail), {"service_error_detail": 15}),
    ],
)
def test_broken_service_responses_lose_their_points(tmp_path, make_service, expected):
    result = grade(write_handin(tmp_path / "lab-8", make_service()))
    assert lost(result) == expected, [(c.check_id, c.message) for c in result.checks]


def test_missing_file_loses_every_check(tmp_path):
    folder = tmp_path / "lab-8"
    folder.mkdir()
    assert grade(folder).points == 0
