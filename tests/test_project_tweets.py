"""Project "Tweet sentiment": data, loading and its errors, cleaning, the sigmoid head and its threshold, train/serve
parity, the report, and the service started through start.sh.

The trained runs are the notebook's (``coursekit.lessons.tweets.TweetConfig`` with the sigmoid and the softmax
head), found or trained once through the run cache; tests work on them read-only or on copies.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from helpers import free_port, run_main, run_script, running_server

from coursekit.cleaning import CLEANERS, clean_tweet, get_cleaner
from coursekit.data import SENTIMENT140_COLUMNS, load_chunks, load_sentiment140_chunks, sentiment140_label
from coursekit.lessons.tweets import CHECK_TWEETS, TWEETS_DIR, TweetConfig, head_comparison, read_run
from coursekit.metrics import wilson_interval
from coursekit.paths import DATA_DIR, EXAMPLES_DIR, PROJECT_ROOT
from coursekit.training import choose_threshold

TRAIN = "examples/tweets/train_tweets.py"
REPORT = "examples/tweets/report.py"
TWEET_WITH_EVERYTHING = "@jess_k omg #BestDayEver 😍 the pizza was AMAZING http://t.co/abc123"


# ------------------------------------------------------------------------------------------------
# Data: generator, chunks, datasheet
# ------------------------------------------------------------------------------------------------


def test_generator_reproduces_the_committed_chunks_byte_for_byte(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DATA_DIR / "generate_tweets.py"), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert "2400 tweets in 4 chunks" in result.stdout
    committed = sorted(TWEETS_DIR.glob("chunk_*.csv"))
    assert [p.name for p in sorted(tmp_path.glob("chunk_*.csv"))] == [p.name for p in committed]
    for path in committed:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_chunks_are_balanced_unique_and_varied():
    data = load_sentiment140_chunks(TWEETS_DIR)
    assert len(data.texts) == 2400 and sum(data.labels) == 1200
    assert data.label_names == ["negative", "positive"]
    assert len(set(data.texts)) == len(data.texts)
    share = {
        "mention": np.mean(["@" in t for t in data.texts]),
        "url": np.mean(["http" in t for t in data.texts]),
        "hashtag": np.mean(["#" in t for t in data.texts]),
        "negation": np.mean([any(w in t.lower() for w in ("n't", " not ", "never", "nothing")) for t in data.texts]),
    }
    assert all(0.1 < s < 0.5 for s in share.values()), share
    vocabulary = {w.lower() for t in data.texts for w in t.split()}
    assert len(vocabulary) > 1500  # not a handful of templates


def test_loading_streams_the_same_rows_as_an_iterable_dataset():
    stream = load_chunks(TWEETS_DIR, streaming=True)
    assert type(stream).__name__ == "IterableDataset"
    first = next(iter(stream))
    assert list(first) == SENTIMENT140_COLUMNS
    assert first["text"] == load_chunks(TWEETS_DIR)[0]["text"]


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (4, 1), ("4", 1), (4.0, 1)])
def test_sentiment140_labels_map_to_model_ids(value, expected):
    assert sentiment140_label(value, "here") == expected


def write_chunk(folder: Path, name: str, text: str | bytes) -> None:
    """One chunk file (str as UTF-8, bytes as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


GOOD_CHUNK = "target,id,date,user,text\n" + "".join(
    f"{4 * (i % 2)},{i},Mon Apr 06 22:19:45 PDT 2009,u{i},tweet number {i} is {'great' if i % 2 else 'awful'}\n"
    for i in range(40)
)


@pytest.mark.parametrize(
    ("second_chunk", "message"),
    [
        ("target,id,date,user,tweet\n4,1,d,u,hello\n", "header target,id,date,user,tweet differs"),
        ("target,id,date,user,text\n2,1,d,u,meh\n", "line 2: label '2' is not a Sentiment140 label"),
        ("target,id,date,user,text\n4,1,d,u,   \n", "line 2 has an empty tweet"),
        ("target,id,date,user,text\n4,1,d,u,caf\xe9\n".encode("latin-1"), "not UTF-8 text"),
    ],
    ids=["other-header", "label-2", "empty-tweet", "not-utf8"],
)
def test_bad_chunks_stop_training_with_a_clear_error(tmp_path, second_chunk, message):
    folder = tmp_path / "chunks"
    write_chunk(folder, "chunk_000.csv", GOOD_CHUNK)
    write_chunk(folder, "chunk_001.csv", second_chunk)
    result = run_main(TRAIN, "--data", str(folder), "--output", str(tmp_path / "run"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "chunk_001.csv" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "run").exists()


def test_an_empty_folder_and_bad_settings_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_main(TRAIN, "--data", str(tmp_path / "empty"), cwd=tmp_path)
    assert result.returncode == 2 and "no chunk_*.csv files" in result.stderr
    result = run_main(TRAIN, "--head", "tanh", cwd=tmp_path)
    assert result.returncode == 2 and "--head must be one of softmax, sigmoid" in result.stderr
    result = run_main(TRAIN, "--cleaner", "aggressive", cwd=tmp_path)
    assert result.returncode == 2 and "unknown cleaner 'aggressive'" in result.stderr


# ------------------------------------------------------------------------------------------------
# Cleaning and the threshold rule (no model)
# ------------------------------------------------------------------------------------------------


def test_the_tweet_cleaner_removes_mentions_and_urls_and_names_hashtags_and_emojis():
    assert clean_tweet(TWEET_WITH_EVERYTHING) == "omg Best Day Ever smiling face with heart-eyes the pizza was AMAZING"
    assert clean_tweet("  so   tired \n of this ") == "so tired of this"
    assert get_cleaner(None)("@x 😍") == "@x 😍" and set(CLEANERS) == {"none", "social", "tweets"}


def test_the_threshold_is_the_best_validation_f1_rounded_down():
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    scores = np.array([0.1, 0.2, 0.35, 0.3, 0.8, 0.9, 0.95, 0.6], dtype=np.float32)
    chosen = choose_threshold(labels, scores)
    # at 0.8: three of the four positives and no false one, F1 = 6/7 (at 0.3 all four, two false: F1 = 0.8)
    assert chosen["threshold"] == 0.8 and chosen["validation_f1"] == pytest.approx(6 / 7, abs=1e-4)
    assert (chosen["validation_precision"], chosen["validation_recall"]) == (1.0, 0.75)
    assert choose_threshold(labels, scores + np.float32(0.00007))["threshold"] == 0.8  # rounded down


# ------------------------------------------------------------------------------------------------
# The trained runs (the notebook's, through the run cache)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sigmoid_run() -> Path:
    from coursekit.run_cache import find_or_train

    return find_or_train(TweetConfig())


@pytest.fixture(scope="module")
def softmax_run() -> Path:
    from coursekit.run_cache import find_or_train

    return find_or_train(TweetConfig(head="softmax"))


@pytest.fixture(scope="module")
def classifier(sigmoid_run):
    from coursekit.inference import load_classifier

    return load_classifier(sigmoid_run)


@pytest.mark.slow
def test_the_sigmoid_run_has_one_logit_and_saves_its_cleaner_and_threshold(sigmoid_run, classifier):
    config = json.loads((sigmoid_run / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification" and config["id2label"] == {"0": "positive"}
    settings = json.loads((sigmoid_run / "training_config.json").read_text())
    assert settings["cleaner"] == "tweets" and settings["head"] == "sigmoid"
    threshold = json.loads((sigmoid_run / "threshold.json").read_text())["threshold"]
    assert classifier.labels == ["negative", "positive"] and classifier.decision_threshold == threshold
    assert classifier.cleaner == "tweets"


@pytest.mark.slow
def test_inference_decides_with_the_runs_threshold(sigmoid_run, classifier):
    run = read_run(sigmoid_run)
    sample = run["test"].head(64)
    predictions = classifier.predict(list(sample["text"]))
    threshold = run["threshold"]["threshold"]
    for p, row in zip(predictions, sample.itertuples()):
        assert p.scores["negative"] + p.scores["positive"] == pytest.approx(1, abs=2e-4)
        assert p.label == ("positive" if p.scores["positive"] >= threshold else "negative")
        assert abs(p.scores["positive"] - row.score_positive) < 2e-3  # the test split's scores, saved in training
    # the saved test metrics were made with the same threshold
    assert (sample["predicted_label"] == [p.label for p in predictions]).mean() > 0.95


@pytest.mark.slow
def test_the_onnx_backend_scores_a_one_logit_run_with_the_sigmoid(sigmoid_run, classifier, tmp_path):
    """A one-logit head is scored with the sigmoid in ONNX Runtime too (a softmax over one logit is always 1)."""
    from coursekit.inference import load_backend
    from coursekit.lessons.onnx_export import export_onnx

    run = tmp_path / "run"
    shutil.copytree(sigmoid_run, run)
    export_onnx(run)
    texts = list(read_run(sigmoid_run)["test"]["text"].head(32))
    onnx = load_backend(run, "onnx").predict(texts)
    reference = classifier.predict(texts)
    assert [p.label for p in onnx] == [p.label for p in reference]
    assert max(abs(a.scores["positive"] - b.scores["positive"]) for a, b in zip(onnx, reference)) < 1e-3
    assert len({p.scores["positive"] for p in onnx}) > 10  # real probabilities, not a constant


@pytest.mark.slow
def test_independent_hand_written_tweets_are_labelled_well_above_chance(classifier):
    rows = list(csv.DictReader(CHECK_TWEETS.open(encoding="utf-8")))
    predictions = classifier.predict([r["text"] for r in rows])
    correct = sum(p.label == ("positive" if r["target"] == "4" else "negative") for p, r in zip(predictions, rows))
    low, _ = wilson_interval(correct, len(rows))
    assert len(rows) == 40 and low > 0.7, f"{correct}/40"


@pytest.mark.slow
def test_the_service_cleans_as_the_saved_run_says_not_by_default(sigmoid_run, classifier, tmp_path):
    """Train/serve parity: the served scores are the model's scores of the *cleaned* text, and a copy of the run
    whose config names no cleaner is served raw text (so the service reads the run, not a default)."""
    from fastapi.testclient import TestClient

    from coursekit.serving import create_app

    raw = tmp_path / "raw-run"
    raw.mkdir()
    for item in sigmoid_run.iterdir():
        if item.name != "training_config.json":
            (raw / item.name).symlink_to(item)
    settings = json.loads((sigmoid_run / "training_config.json").read_text())
    (raw / "training_config.json").write_text(json.dumps({**settings, "cleaner": "none"}))

    def served(run: Path, text: str) -> dict:
        with TestClient(create_app(run, threshold=None)) as client:
            return client.post("/predict", json={"texts": [text]}).json()["predictions"][0]["scores"]

    pipe = classifier.pipeline
    expected = pipe(clean_tweet(TWEET_WITH_EVERYTHING), top_k=None)[0]["score"]
    assert served(sigmoid_run, TWEET_WITH_EVERYTHING)["positive"] == pytest.approx(expected, abs=1e-4)
    unclean = pipe(TWEET_WITH_EVERYTHING, top_k=None)[0]["score"]
    assert abs(expected - unclean) > 1e-3, "cleaning must matter for this tweet"
    assert served(raw, TWEET_WITH_EVERYTHING)["positive"] == pytest.approx(unclean, abs=1e-4)
    with TestClient(create_app(sigmoid_run)) as client:
        info = client.get("/model").json()
    assert info["labels"] == ["negative", "positive"] and info["cleaner"] == "tweets"
    assert info["decision_threshold"] == classifier.decision_threshold


@pytest.mark.slow
def test_both_heads_are_compared_on_the_same_split_with_intervals(sigmoid_run, softmax_run):
    table = head_comparison({"sigmoid": sigmoid_run, "softmax": softmax_run})
    assert list(table.index) == ["sigmoid", "softmax"]
    assert read_run(sigmoid_run)["test"]["text"].tolist() == read_run(softmax_run)["test"]["text"].tolist()
    for row in table.itertuples():
        low, high = (float(x) for x in row[3].split("-"))
        assert low < row[2] < high and row[2] > 0.8
    assert json.loads((softmax_run / "config.json").read_text())["id2label"] == {"0": "negative", "1": "positive"}


@pytest.mark.slow
def test_report_is_written_from_the_runs_files(sigmoid_run, tmp_path):
    out = tmp_path / "report"
    result = run_script(REPORT, str(sigmoid_run), "--output-dir", str(out), cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    report = (out / "report.md").read_text()
    run = read_run(sigmoid_run)
    test = run["test"]
    correct = int((test["predicted_label"] == test["true_label"]).sum())
    assert f"{correct}/{len(test)}" in report and f"**{run['threshold']['threshold']}**" in report
    for name in ("loss", "precision_recall", "f1_threshold", "confusion_matrix"):
        assert f"]({name}.png)" in report and (out / f"{name}.png").stat().st_size > 5000
    again = run_main(REPORT, str(sigmoid_run), "--output-dir", str(out), cwd=tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr


@pytest.mark.slow
def test_start_sh_serves_a_tweet_run_on_port_from_the_environment(sigmoid_run, tmp_path):
    port = free_port()
    command = ["sh", str(EXAMPLES_DIR / "serving" / "start.sh")]
    env = {"PORT": str(port), "MODEL_DIR": str(sigmoid_run), "PYTHON": sys.executable, "PYTHONPATH": str(PROJECT_ROOT)}
    with running_server(command, port, "/health", tmp_path, 180, env=env) as url:
        request = urllib.request.Request(
            url + "/predict",
            data=json.dumps(
                {"texts": ["worst flight of my life, lost my bag 😡", "best birthday ever!! 🎉"]}
            ).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
    assert body["model"] == sigmoid_run.name
    assert [p["predicted_label"] for p in body["predictions"]] == ["negative", "positive"]


@pytest.mark.slow
def test_train_script_runs_end_to_end_on_a_small_chunk_folder(tmp_path):
    """The one subprocess run of the training script: 60 tweets, a few steps (the project's run is the notebook's)."""
    folder = tmp_path / "chunks"
    header, *rows = list(csv.reader((TWEETS_DIR / "chunk_000.csv").open(encoding="utf-8")))
    for number, part in enumerate((rows[:30], rows[30:60])):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header, *part])
        write_chunk(folder, f"chunk_{number:03d}.csv", buffer.getvalue())
    out = tmp_path / "run"
    args = ["--data", str(folder), "--output", str(out), "--max-train-rows", "16", "--validate-every", "100"]
    result = run_script(TRAIN, *args, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test (" in result.stdout and "P(positive)" in result.stdout
    assert json.loads((out / "threshold.json").read_text())["positive_label"] == "positive"
    assert shutil.which("sh")
