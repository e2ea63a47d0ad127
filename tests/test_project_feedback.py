"""Project "product feedback": the logs (coursekit.feedback_log), the app card, merging corrections, the promotion
rule, the drift report, and the scripts in examples/feedback/ (train, monitor, retrain).

The fast tests use small hand-made records; the slow ones reuse the project notebook's runs through the run cache
(``feedback_config`` on the frozen split: the same config, the same run, trained at most once per machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from helpers import import_script, run_main, run_script

from coursekit.app_card import APP_CARD_FILE, AppCard, read_app_card, write_app_card
from coursekit.errors import CourseError
from coursekit.feedback_log import RotatingLog, append_jsonl, correction_record, model_version, read_jsonl
from coursekit.lessons import feedback_project as fp
from coursekit.lessons.drift import drift_markdown, drift_report
from coursekit.paths import PROJECT_ROOT

monitor = import_script("feedback/monitor.py")
retrain = import_script("feedback/retrain.py")


# ------------------------------------------------------------------------------------------------
# The logs
# ------------------------------------------------------------------------------------------------


def record(number: int, text: str = "x" * 80) -> dict:
    return {"n": number, "text": text, "confidence": 0.5}


def test_rotating_log_never_holds_more_than_its_limit_and_keeps_the_newest(tmp_path):
    log = RotatingLog(tmp_path / "log.jsonl", max_bytes=4096, backups=2)
    for number in range(200):
        log.append(record(number))
        assert log.size() <= 4096
    assert all(path.stat().st_size <= log.file_limit for path in log.files())
    numbers = [r["n"] for r in log.read().records]
    assert numbers == list(range(numbers[0], 200))  # oldest first, nothing in between lost, the newest kept
    per_file = log.file_limit // len(json.dumps(record(100)) + "\n")  # 11 lines of 124 bytes in 1,365
    assert 2 * per_file < len(numbers) <= 3 * per_file  # two full backups and the current file


def test_rotating_log_without_backups_and_a_record_too_big(tmp_path):
    log = RotatingLog(tmp_path / "log.jsonl", max_bytes=1024, backups=0)
    for number in range(30):
        log.append(record(number))
    assert log.size() <= 1024 and log.read().records[-1]["n"] == 29
    with pytest.raises(CourseError, match="does not fit a log file of 1,024 bytes"):
        log.append(record(0, "y" * 2000))
    with pytest.raises(CourseError, match="at least 1 KB per file"):
        RotatingLog(tmp_path / "tiny.jsonl", max_bytes=100)


APPENDER = """
import sys
from coursekit.feedback_log import RotatingLog
log = RotatingLog(sys.argv[1], max_bytes=10_000_000)
for number in range(100):
    log.append({"worker": int(sys.argv[2]), "n": number, "text": "é" * 50})
"""


def append_records(path: Path, worker: int) -> None:
    log = RotatingLog(path, max_bytes=10_000_000)
    for number in range(100):
        log.append({"worker": worker, "n": number, "text": "é" * 50})


def test_concurrent_appends_from_threads_and_processes_never_mix_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), str(w)], env=env) for w in (4, 5)]
    threads = [threading.Thread(target=append_records, args=(path, w)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    result = RotatingLog(path, max_bytes=10_000_000).read()
    assert result.skipped == 0
    by_worker = {w: [r["n"] for r in result.records if r["worker"] == w] for w in range(6)}
    assert all(numbers == list(range(100)) for numbers in by_worker.values())


def test_damaged_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\nnot json\n[1, 2]\n\n{"a": 2}\n{"a": 3, "cut off', encoding="utf-8")
    result = read_jsonl([path, tmp_path / "missing.jsonl"])
    assert [r["a"] for r in result.records] == [1, 2] and result.skipped == 3


def test_correction_record_and_model_version(tmp_path):
    run = tmp_path / "feedback-run"
    run.mkdir()
    (run / "training_config.json").write_text(json.dumps({"run_key": "0123456789abcdef"}), encoding="utf-8")
    assert model_version(run) == "feedback-run@01234567"
    version = tmp_path / "registry" / "product-feedback" / "v2"
    version.mkdir(parents=True)
    (version.parent / "versions.json").write_text("{}", encoding="utf-8")
    assert model_version(version) == "product-feedback/v2"
    line = correction_record("App crashes", "praise", "bug_report", "product-feedback/v2", "  ", 0.61)
    assert {k: line[k] for k in ("user", "text", "predicted_label", "true_label", "correct", "model_version")} == {
        "user": "anonymous",
        "text": "App crashes",
        "predicted_label": "praise",
        "true_label": "bug_report",
        "correct": False,
        "model_version": "product-feedback/v2",
    }
    append_jsonl(tmp_path / "corrections.jsonl", line)
    assert read_jsonl([tmp_path / "corrections.jsonl"]).records == [line]


# ------------------------------------------------------------------------------------------------
# The app card
# ------------------------------------------------------------------------------------------------


def test_app_card_is_read_from_the_run_or_worked_out_for_old_runs(tmp_path):
    trail = tmp_path / "trail"
    trail.mkdir()
    (trail / "training_config.json").write_text(json.dumps({"label_column": "Rope_Mill"}), encoding="utf-8")
    pd.DataFrame(
        {
            "text": ["wrong one", "Rope Mill is open", "Closed today", "open again"],
            "true_label": ["open", "open", "closed", "open"],
            "predicted_label": ["closed", "open", "closed", "open"],
        }
    ).to_csv(trail / "test_predictions.csv", index=False)
    card = read_app_card(trail)
    assert (card.title, card.item, card.examples) == (
        "Rope Mill trail status",
        "trail post",
        ["Rope Mill is open", "Closed today"],
    )
    assert card.hint(["closed", "open"]) == "Rope Mill is open"

    email = tmp_path / "email"
    email.mkdir()
    (email / "training_config.json").write_text(json.dumps({"data": "/x/data/email_triage.csv"}), encoding="utf-8")
    card = read_app_card(email)
    assert (card.title, card.examples) == ("Email triage classifier", [])
    assert card.hint(["billing", "spam"]) == "Type a text to sort into billing, spam"

    write_app_card(email, AppCard(title="Inbox triage", item="e-mail", examples=["Invoice overdue"]))
    assert read_app_card(email) == AppCard(title="Inbox triage", item="e-mail", examples=["Invoice overdue"])
    (email / APP_CARD_FILE).write_text("{broken", encoding="utf-8")
    assert read_app_card(email).title == "Email triage classifier"  # a broken card is never worth a crash


# ------------------------------------------------------------------------------------------------
# Data, corrections, promotion
# ------------------------------------------------------------------------------------------------


def test_prepare_splits_freezes_the_test_split(tmp_path):
    splits = fp.prepare_splits(tmp_path)
    pool, test = fp.read_split(splits.pool), fp.read_split(splits.test)
    assert (len(pool), len(test)) == (381, 96)  # 477 clean rows (Lab 1), 20 % frozen for testing
    assert splits.removed == {"empty_text": 1, "missing_label": 1, "unknown_label": 0, "duplicate": 1}
    assert not set(pool["text"]) & set(test["text"])
    assert test["label"].value_counts().to_dict() == {
        "bug_report": 29,
        "praise": 27,
        "feature_request": 21,
        "billing": 12,
        "other": 7,
    }
    before = splits.test.stat().st_mtime_ns
    fp.prepare_splits(tmp_path)  # the same split again: the files keep their bytes (and the run cache its key)
    assert splits.test.stat().st_mtime_ns == before
    splits.test.write_text(splits.test.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    with pytest.raises(CourseError, match="holds another test split"):
        fp.prepare_splits(tmp_path)


def vote(text: str, label: str, user: str, time: str = "2026-11-29T10:00:00+00:00") -> dict:
    return {"time": time, "user": user, "text": text, "predicted_label": "praise", "true_label": label}


def test_merge_corrections_dedupes_votes_and_never_touches_the_test_split():
    pool = pd.DataFrame({"id": ["a", "b"], "text": ["Love it", "Crashes on start"], "label": ["praise", "praise"]})
    test = pd.DataFrame({"id": ["t"], "text": ["Refund please"], "label": ["billing"]})
    records = [
        vote("crashes  on START", "bug_report", "ana"),  # a pool text, written differently: relabelled
        vote("New text", "feature_request", "ana"),
        vote("new text", "feature_request", "ana", "2026-11-29T11:00:00+00:00"),  # the same vote again
        vote("Tie text", "billing", "ana"),
        vote("Tie text", "other", "ben"),  # one vote each: left for a person
        vote("Majority", "other", "ana"),
        vote("Majority", "billing", "ben"),
        vote("Majority", "other", "cy"),
        vote("Changed mind", "billing", "ana", "2026-11-29T09:00:00+00:00"),
        vote("Changed mind", "other", "ana", "2026-11-29T12:00:00+00:00"),  # her last answer counts
        vote("Refund please", "other", "ana"),  # a test text: never used
        vote("Love it", "praise", "ana"),  # confirms the pool label
        vote("", "praise", "ana"),
        vote("Bad label", "needs review", "ana"),
        {"text": 5, "true_label": "praise"},
    ]
    merged = fp.merge_corrections(pool, test, records)
    assert merged.counts == {
        "records": 15,
        "invalid": 3,
        "texts": 7,
        "tied": 1,
        "in_test_split": 1,
        "relabelled": 1,
        "confirmed": 1,
        "added": 3,
    }
    assert merged.ties == ["Tie text"]
    assert merged.pool.to_dict(orient="list") == {
        "id": ["a", "b", "corr-0001", "corr-0002", "corr-0003"],
        "text": ["Love it", "Crashes on start", "Changed mind", "New text", "Majority"],
        "label": ["praise", "bug_report", "other", "feature_request", "other"],
    }
    assert "Refund please" not in set(merged.corrected["text"]) and len(merged.corrected) == 5


def test_promotion_needs_not_worse_on_test_and_on_corrected_texts():
    true = ["a"] * 40
    same = fp.paired_comparison(true, ["a"] * 40, ["a"] * 40)
    assert same.new_wins_interval is None and not same.new_is_worse
    slightly = fp.paired_comparison(true, ["a"] * 40, ["b"] * 2 + ["a"] * 38)  # loses 2 of 2 disagreements
    assert not slightly.new_is_worse  # 0/2: the interval (0-0.66) still reaches 0.5
    clearly = fp.paired_comparison(true, ["a"] * 40, ["b"] * 8 + ["a"] * 32)
    assert clearly.new_is_worse and clearly.new_wins_interval[1] < 0.5
    old_fixed, new_fixed = fp.Score("old", 1, 6, 0.2), fp.Score("new", 6, 6, 1.0)
    assert fp.promotion_decision(slightly, old_fixed, new_fixed)[0]
    promote, reason = fp.promotion_decision(clearly, old_fixed, new_fixed)
    assert not promote and "wins only 0 of 8 disagreements" in reason
    promote, reason = fp.promotion_decision(same, new_fixed, old_fixed)
    assert not promote and "fewer corrected texts right (1 vs 6)" in reason


# ------------------------------------------------------------------------------------------------
# Drift and the monitor script
# ------------------------------------------------------------------------------------------------

TRAINING = pd.DataFrame(
    {
        "text": ["the app crashes", "love the maps", "add dark mode", "refund my plan"],
        "label": ["bug", "praise", "feature", "billing"],
    }
)


def logged(text: str, label: str, confidence: float, day: int = 20) -> dict:
    return {
        "time": f"2026-11-{day:02d}T10:00:00+00:00",
        "text": text,
        "predicted_label": label,
        "confidence": confidence,
    }


def test_drift_report_numbers():
    records = [
        logged("the app crashes on my ebike", "bug", 0.95),
        logged("ebike mode crashes", "bug", 0.55),
        logged("love the maps", "praise", 0.99),
        logged("old record", "billing", 0.99, day=1),  # outside the last 7 days
        {"time": "2026-11-20T10:00:00+00:00", "text": "no confidence", "predicted_label": "bug"},
    ]
    report = drift_report(records, TRAINING, threshold=0.9, reference_confidences=[0.99, 0.98, 0.6, 0.97])
    assert (report["records"], report["in_window"], report["unusable"]) == (5, 4, 1)
    assert report["label_mix"]["bug"] == {"training": 0.25, "log": 0.667}
    assert report["label_mix_distance"] == 0.5  # (0.417 + 0.083 + 0.25 + 0.25) / 2
    assert (
        report["confidence_log"]["below_threshold"] == 1 and report["confidence_log"]["share_below_threshold"] == 0.333
    )
    assert report["confidence_reference"]["mean"] == pytest.approx(0.885)
    assert report["new_tokens"] == [("ebike", 2), ("on", 1)]  # "mode" and "my" occur in the training texts
    assert report["texts_with_new_tokens"] == 2
    markdown = drift_markdown(report)
    assert "| bug | 25.0% | 66.7% | +41.7% |" in markdown and "| ebike | 2 |" in markdown


def test_monitor_writes_markdown_json_and_plot(tmp_path, capsys):
    log = RotatingLog(tmp_path / "log.jsonl")
    log.append_many([logged("the app crashes on my ebike", "bug", 0.95), logged("love it", "praise", 0.4)])
    with (tmp_path / "log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{damaged\n")
    TRAINING.to_csv(tmp_path / "train.csv", index=False)
    args = ["--log", str(tmp_path / "log.jsonl"), "--training-data", str(tmp_path / "train.csv")]
    assert monitor.main([*args, "--output", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert report["damaged_lines"] == 1 and report["confidence_log"]["n"] == 2
    assert (tmp_path / "out" / "drift.png").read_bytes()[:4] == b"\x89PNG"
    assert "1 damaged log lines skipped." in (tmp_path / "out" / "drift.md").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        monitor.main([*args, "--output", str(tmp_path / "out")])
    assert exit_info.value.code == 2 and "pass --overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--log", "missing.jsonl"], "no prediction log at"),
        (["--threshold", "1.5"], "threshold must be between 0 and 1"),
        (["--training-data", "nothing.csv"], "nothing.csv"),
    ],
)
def test_monitor_bad_input_gets_a_message(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    RotatingLog(tmp_path / "log.jsonl").append(logged("x", "bug", 0.9))
    TRAINING.to_csv(tmp_path / "train.csv", index=False)
    args = ["--log", str(tmp_path / "log.jsonl"), "--training-data", str(tmp_path / "train.csv")]
    with pytest.raises(SystemExit) as exit_info:
        monitor.main([*args, "--output", str(tmp_path / "out"), *extra])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2 and error.startswith("error: ") and message in error, error


def test_retrain_says_what_to_run_first(tmp_path, capsys):
    with pytest.raises(SystemExit):
        retrain.main(["--data-dir", str(tmp_path / "data"), "--registry", str(tmp_path / "registry")])
    assert "Run examples/feedback/train.py first" in capsys.readouterr().err
    fp.prepare_splits(tmp_path / "data")
    with pytest.raises(SystemExit):
        retrain.main(["--data-dir", str(tmp_path / "data"), "--registry", str(tmp_path / "registry")])
    assert "to improve on. Run examples/feedback/train.py" in capsys.readouterr().err


@pytest.mark.slow
def test_the_service_logs_every_prediction_it_serves(tmp_path, trained_model_dir):
    from fastapi.testclient import TestClient

    from coursekit.serving import create_app

    log = RotatingLog(tmp_path / "log.jsonl", max_bytes=100_000)
    with TestClient(create_app(trained_model_dir, threshold=0.9, prediction_log=log)) as client:
        answer = client.post("/predict", json={"texts": ["Blankets Creek is open!", "Closed after the storm."]})
        assert answer.status_code == 200
        assert client.post("/predict", json={"texts": []}).status_code == 422  # refused requests are not logged
    served = answer.json()["predictions"]
    records = log.read().records
    assert [(r["source"], r["text"], r["label"], r["confidence"]) for r in records] == [
        ("service", p["text"], p["label"], p["confidence"]) for p in served
    ]
    assert records[0]["model_version"].startswith(trained_model_dir.name + "@")


@pytest.mark.slow
def test_scripts_run_as_subprocesses(tmp_path):
    """One real run of each script from another folder: train.py publishes v1 (the cached run), the monitor reads a
    log, and retrain.py without corrections says what to do."""
    registry = str(tmp_path / "registry")
    trained = run_script("examples/feedback/train.py", "--registry", registry, "--skip-baselines", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "published as product-feedback v1" in trained.stdout
    assert fp.production_version(fp.REGISTRY_NAME, tmp_path / "registry") == "v1"
    again = run_main("examples/feedback/train.py", "--registry", registry, "--skip-baselines", cwd=tmp_path)
    assert "already published as product-feedback v1" in again.stdout  # a version is never made twice

    RotatingLog(tmp_path / "log.jsonl").append(logged("the app crashes on my ebike", "bug", 0.95))
    TRAINING.to_csv(tmp_path / "train.csv", index=False)
    monitored = run_script(
        "examples/feedback/monitor.py", "--log", "log.jsonl", "--training-data", "train.csv", "--output", "out",
        cwd=tmp_path,
    )  # fmt: skip
    assert monitored.returncode == 0, monitored.stderr
    assert "| ebike | 1 |" in monitored.stdout and (tmp_path / "out" / "drift.png").is_file()

    missing = run_script(
        "examples/feedback/retrain.py", "--corrections", "none.jsonl", "--registry", registry, cwd=tmp_path
    )
    assert missing.returncode == 2 and missing.stderr.startswith("error: no corrections file at")
