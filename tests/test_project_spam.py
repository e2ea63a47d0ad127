"""SMS spam project: the data and its generator, the hand-written check set, the spam metrics, the training
switches (keep_best, freeze_encoder), the scripts' errors (in-process) and one real run of each script."""

from __future__ import annotations

import csv
import importlib.util
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from helpers import run_main, run_script

from coursekit.grading.challenge import SMS_SPAM_GENERATOR, sms_spam_rows
from coursekit.lessons import spam
from coursekit.metrics import wilson_interval
from coursekit.models import resolve_model
from coursekit.paths import DATA_DIR, PROJECT_ROOT
from coursekit.run_cache import find_or_train
from coursekit.training import TrainConfig, load_tokenizer_and_model, training_arguments

CHALLENGE = DATA_DIR / "challenges" / "project-sms-spam" / "messages.csv"


@pytest.fixture(scope="module")
def generator():
    """data/generate_sms_spam.py as a module."""
    module_spec = importlib.util.spec_from_file_location("generate_sms_spam", SMS_SPAM_GENERATOR)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def read_rows(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------


def test_generator_reproduces_the_committed_file_byte_for_byte(generator):
    rows = generator.generate(generator.DEFAULT_SEED, generator.DEFAULT_ROWS)
    assert generator.csv_text(rows).encode("utf-8") == spam.SMS_SPAM_CSV.read_bytes()


def test_data_has_13_percent_spam_varied_messages_and_no_duplicates(generator):
    rows = read_rows(spam.SMS_SPAM_CSV)
    labels = [r["label"] for r in rows]
    assert set(labels) == {"HAM", "SPAM"} and len(rows) == 2500
    assert labels.count("SPAM") == 325  # 13 %
    texts = [r["message"].lower() for r in rows]
    assert len(set(texts)) == len(texts) and all(t.strip() for t in texts)
    vocabulary = {w for t in texts for w in generator.tokens(t)}
    assert len(vocabulary) > 1500  # varied wording, not a few templates
    # confusable on purpose: spam words occur in real messages too
    for word in ("won", "free", "call", "claim", "parcel"):
        assert sum(word in t and lab == "HAM" for t, lab in zip(texts, labels)) >= 5, word


def test_handwritten_set_is_independent_of_the_generator(generator):
    written = read_rows(spam.HANDWRITTEN_CSV)
    assert len(written) == 40 and {r["label"] for r in written} == {"HAM", "SPAM"}
    training = [generator.tokens(r["message"]) for r in read_rows(spam.SMS_SPAM_CSV)]
    closest = max(generator.jaccard(generator.tokens(r["message"]), t) for r in written for t in training)
    assert closest < 0.6, "a hand-written message is close to a generated one"


def test_public_challenge_is_reproducible_and_unlike_the_training_data(generator):
    triples = sms_spam_rows(2026, 200)
    assert [(i, m) for i, m, _ in triples] == [(r["id"], r["message"]) for r in read_rows(CHALLENGE)]
    assert 30 <= sum(label == "SPAM" for *_, label in triples) <= 50
    training = [generator.tokens(r["message"]) for r in read_rows(spam.SMS_SPAM_CSV)]
    assert all(generator.jaccard(generator.tokens(m), t) < 0.8 for _, m, _ in triples for t in training)


# ------------------------------------------------------------------------------------------------
# Spam metrics and the operating point
# ------------------------------------------------------------------------------------------------


def test_threshold_for_precision_picks_the_lowest_threshold_reaching_the_target():
    labels = [0, 0, 0, 1, 0, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    assert spam.threshold_for_precision(labels, scores, 0.99) == 0.7  # above the ham at 0.6
    assert spam.threshold_for_precision(labels, scores, 0.8) == 0.4  # 4 spam of 5 flagged
    assert spam.threshold_for_precision([0, 1], [0.9, 0.1], 0.99) > 0.9  # unreachable: flag nothing


def test_at_threshold_counts_and_intervals():
    rates = spam.at_threshold([0, 0, 1, 1, 1], [0.1, 0.8, 0.9, 0.7, 0.2], 0.5)
    assert (rates["spam_precision"].hits, rates["spam_precision"].total) == (2, 3)
    assert (rates["spam_recall"].hits, rates["spam_recall"].total) == (2, 3)
    assert (rates["accuracy"].hits, rates["accuracy"].total) == (3, 5)
    assert rates["accuracy"].interval == wilson_interval(3, 5)
    record = spam.summary([0, 0, 1, 1, 1], [0.1, 0.8, 0.9, 0.7, 0.2])
    assert record["spam_recall"]["value"] == 0.6667 and 0 < record["pr_auc"] < 1


def test_naive_bayes_separates_obvious_spam():
    texts = ["win a free prize call now", "see you at lunch", "claim your cash prize", "running late sorry"] * 3
    labels = [1, 0, 1, 0] * 3
    p = spam.naive_bayes_scores(texts, labels, ["free cash prize", "late for lunch"])
    assert p[0] > 0.5 > p[1]


# ------------------------------------------------------------------------------------------------
# Training switches
# ------------------------------------------------------------------------------------------------


def test_keep_best_saves_every_epoch_and_reloads_the_best(tmp_path):
    classic = training_arguments(spam.SPAM_RUN, tmp_path, 3e-4, "cpu")
    assert (classic.eval_strategy, classic.save_strategy) == ("epoch", "epoch")
    assert classic.load_best_model_at_end and classic.metric_for_best_model == "loss"
    assert classic.weight_decay == 0.01
    plain = training_arguments(TrainConfig(), tmp_path, 3e-4, "cpu")
    assert (plain.save_strategy, plain.load_best_model_at_end) == ("no", False)


def test_switches_change_the_run_key_only_when_on(monkeypatch):
    from coursekit import training

    choice = resolve_model("minilm-l6")
    base = TrainConfig()
    key = training.run_key(base, choice, {})
    assert key != training.run_key(replace(base, keep_best=True), choice, {})
    assert key != training.run_key(replace(base, freeze_encoder=True), choice, {})
    monkeypatch.setattr(training, "KEYED_WHEN_SET", {})  # as if every setting were always in the key
    assert training.run_key(base, choice, {}) != key  # so left off, they are not: earlier runs keep their key


def test_freezing_leaves_only_the_head_trainable():
    from coursekit.training import count_parameters, freeze_encoder

    _, model = load_tokenizer_and_model(resolve_model("minilm-l6"), {0: "HAM", 1: "SPAM"})
    freeze_encoder(model)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"}
    assert count_parameters(model, trainable_only=True) == 384 * 384 + 384 + 384 * 2 + 2


# ------------------------------------------------------------------------------------------------
# Scripts: bad input in-process (each fails before any training), one real run each
# ------------------------------------------------------------------------------------------------


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("label,message\nHAM,hi\nspam,WIN now\n", "utf-8", "unknown label 'spam' at line 3; expected one of"),
        ("label,message\nHAM,hi\nSPAM,\n", "utf-8", "empty text in column 'message' at line 3"),
        ("label,text\nHAM,hi\n", "utf-8", "no column 'message'. The file has: 'label', 'text'"),
        ("label,message\nHAM,caf\u00e9 at 8\n", "latin-1", "not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("script", ["spam/spam_filter.py", "spam/lr_sweep.py"])
def test_scripts_reject_bad_data_with_a_clear_error(tmp_path, script, content, encoding, message):
    data = write(tmp_path, "sms.csv", content, encoding)
    done = run_main(script, "--data", data, "--output", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert not (tmp_path / "run").exists()


def test_spam_filter_rejects_bad_messages_to_predict(tmp_path):
    to_predict = write(tmp_path, "new.csv", "id,text\n1,hello\n")
    done = run_main("spam/spam_filter.py", "--predict", to_predict, "--output", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 2 and "no column 'message'" in done.stderr, done.stderr
    existing = write(tmp_path, "predictions.csv", "keep me\n")
    good = write(tmp_path, "ok.csv", "id,message\n1,hello\n")
    done = run_main("spam/spam_filter.py", "--predict", good, "--predictions", existing, cwd=tmp_path)
    assert done.returncode == 2 and "pass --overwrite" in done.stderr
    assert (tmp_path / "predictions.csv").read_text() == "keep me\n"


def test_spam_filter_rejects_a_bad_target_and_the_sweep_a_bad_rate(tmp_path):
    done = run_main("spam/spam_filter.py", "--target-precision", "99", cwd=tmp_path)
    assert done.returncode == 2 and "--target-precision must be in (0, 1]" in done.stderr
    done = run_main("spam/lr_sweep.py", "--learning-rates", "fast", cwd=tmp_path)
    assert done.returncode == 2 and "'fast' is not a number" in done.stderr


@pytest.mark.slow
def test_spam_filter_script_end_to_end_on_a_tiny_run(tmp_path):
    done = run_script(
        "examples/spam/spam_filter.py",
        *("--max-train-rows", "24", "--epochs", "1", "--output", str(tmp_path / "run")),
        *("--predict", str(CHALLENGE), "--predictions", str(tmp_path / "predictions.csv")),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "24 training messages, 22,713,986 of 22,713,986 parameters" in done.stdout
    assert "threshold for spam precision >= 0.99 on validation" in done.stdout
    evaluation = json.loads((tmp_path / "run" / "evaluation.json").read_text())
    assert evaluation["test"]["accuracy"]["total"] == 375 and 0 <= evaluation["threshold"] <= 1.01
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert list(predictions.columns) == ["id", "label", "p_spam"] and len(predictions) == 200
    assert set(predictions["label"]) <= {"HAM", "SPAM"}


@pytest.mark.slow
def test_lr_sweep_script_end_to_end_on_a_tiny_run(tmp_path):
    done = run_script(
        "examples/spam/lr_sweep.py",
        *("--learning-rates", "5e-5", "--max-train-rows", "16", "--epochs", "1", "--output", str(tmp_path)),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert list(table["learning_rate"]) == [5e-05] and 0 <= table.loc[0, "pr_auc"] <= 1
    assert "learning rate" in done.stdout and (tmp_path / "lr-5e-05" / "metrics.json").is_file()


# ------------------------------------------------------------------------------------------------
# The notebook's run (reused through the run cache, never trained with another config here)
# ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_project_run_is_a_good_filter_and_beats_chance_on_handwritten_messages():
    evaluation = spam.evaluate_run(find_or_train(spam.SPAM_RUN))
    assert evaluation["validation_at_threshold"]["spam_precision"]["value"] >= 0.99
    assert evaluation["test"]["accuracy"]["low"] > 0.87  # above always-HAM, by its interval
    written = evaluation["handwritten"]["accuracy"]
    assert written["low"] > 0.60, written  # chance (always the larger class) is 24/40
    assert np.isclose(evaluation["test"]["pr_auc"], evaluation["test_at_threshold"]["pr_auc"])


def test_lab_text_quotes_committed_transcripts():
    text = (PROJECT_ROOT / "labs" / "project-sms-spam.md").read_text(encoding="utf-8")
    for name in ("project-sms-spam-filter", "project-sms-spam-lr-sweep"):
        assert f"labs/transcripts/{name}.txt" in text
        assert (PROJECT_ROOT / "labs" / "transcripts" / f"{name}.txt").is_file()


def test_challenge_cli_makes_the_spam_files_and_a_variant_per_student(tmp_path, capsys):
    from coursekit.grading import challenge
    from coursekit.grading.checks import load_answers, load_spec

    assert (
        challenge.main(["make", "--lab", "project-sms-spam", "--seed", "5", "--rows", "20", "--out", str(tmp_path)])
        == 0
    )
    assert "(20 messages): hand this to students" in capsys.readouterr().out
    answers = read_rows(tmp_path / "answers.csv")
    assert [r["id"] for r in answers] == [r["id"] for r in read_rows(tmp_path / "messages.csv")]
    assert {r["label"] for r in answers} <= {"HAM", "SPAM"}
    roster = write(tmp_path, "roster.csv", "student\nana\nben\n")
    out = tmp_path / "r"
    args = ["make", "--lab", "project-sms-spam", "--seed", "5", "--rows", "20", "--roster", roster, "--out", str(out)]
    assert challenge.main(args) == 0
    variants = {s: read_rows(out / "students" / s / "messages.csv") for s in ("ana", "ben")}
    keyed = read_rows(out / "answers.csv")
    for student, rows in variants.items():  # each student's ids and only theirs are in the answers
        assert [r["id"] for r in rows] == [r["id"] for r in keyed if r["student"] == student] and len(rows) == 20
    assert not {r["id"] for r in variants["ana"]} & {r["id"] for r in variants["ben"]}
    assert [r["message"] for r in variants["ana"]] != [r["message"] for r in variants["ben"]]
    load_answers(out / "answers.csv", load_spec("project-sms-spam"))  # the grader reads the per-student answers
