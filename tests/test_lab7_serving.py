"""Labs 7-8: coursekit.inference, the batch script, the throughput benchmark (Lab 7) and the FastAPI service (Lab 8).

The service is tested twice: the app of ``coursekit.serving.create_app`` in-process with FastAPI's TestClient,
and ``examples/serving/service.py`` as a real uvicorn process on a free 127.0.0.1 port hit over HTTP (start-up
polled with a deadline, always stopped by the fixture's finalizer).
Tests that need a trained model use the session fixture ``trained_model_dir`` and are marked slow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from helpers import free_port, import_script, run_main, run_script, running_server

from coursekit.data import load_labelled_texts, read_table, require_texts
from coursekit.errors import CourseError
from coursekit.inference import (
    NEEDS_REVIEW,
    Prediction,
    check_max_length,
    check_texts,
    check_threshold,
    decide,
    load_classifier,
)
from coursekit.paths import DATA_DIR, PROJECT_ROOT
from coursekit.serving import LIMITS, BodySizeLimit, create_app

BATCH = "examples/inferencing/batch_predict.py"
BENCHMARK = "examples/benchmark/inference_throughput.py"
SERVICE = "examples/serving/service.py"
LABELS = ["closed", "open"]
LIMITS_JSON = {"max_texts": 32, "max_chars": 2000, "max_body_bytes": 1024 * 1024}
START_DEADLINE = 120  # seconds for a server to answer /health (model loading on a loaded 2-core machine)
REQUEST_TIMEOUT = 60


def assert_consistent(record: dict, threshold: float | None) -> None:
    """One prediction record obeys the rules of coursekit.inference."""
    assert set(record) >= {"text", "label", "predicted_label", "confidence", "scores"}
    assert list(record["scores"]) == LABELS
    assert sum(record["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert record["confidence"] == max(record["scores"].values())
    assert record["predicted_label"] == max(record["scores"], key=record["scores"].get)
    review = threshold is not None and record["confidence"] < threshold
    assert record["label"] == (NEEDS_REVIEW if review else record["predicted_label"])


# ------------------------------------------------------------------------------------------------
# coursekit.inference without a model
# ------------------------------------------------------------------------------------------------


def test_decide_maps_low_confidence_to_needs_review():
    assert decide("open", 0.89, 0.9) == NEEDS_REVIEW
    assert decide("open", 0.9, 0.9) == "open"  # the threshold itself is confident enough
    assert decide("closed", 0.51, None) == "closed"
    assert decide("closed", 0.51, 0.0) == "closed"


@pytest.mark.parametrize(
    "texts, message",
    [
        ([], "no texts"),
        (["ok", "  "], "text number 2 is empty"),
        (["ok", 3], "text number 2 is not a string"),
    ],
)
def test_check_texts_names_the_bad_text(texts, message):
    with pytest.raises(CourseError, match=message):
        check_texts(texts)


def test_check_texts_accepts_one_string_and_thresholds_are_probabilities():
    assert check_texts("Blankets is open") == ["Blankets is open"]
    assert check_threshold(None) is None and check_threshold(0.9) == 0.9
    with pytest.raises(CourseError, match="between 0 and 1"):
        check_threshold(1.5)


def test_load_classifier_refuses_a_missing_or_non_model_folder(tmp_path):
    with pytest.raises(CourseError, match="model directory not found"):
        load_classifier(tmp_path / "nope")
    with pytest.raises(CourseError, match="no config.json"):
        load_classifier(tmp_path)


def test_prediction_record_has_the_documented_keys():
    record = Prediction("t", NEEDS_REVIEW, "open", 0.6, {"closed": 0.4, "open": 0.6}).to_dict()
    assert list(record) == ["text", "label", "predicted_label", "confidence", "scores"]


# ------------------------------------------------------------------------------------------------
# Batch script: bad input fails fast (before any model is loaded) with exit 2 and a precise message
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_model_dir(tmp_path_factory) -> Path:
    """A folder that passes the model-folder check; the bad-input tests fail before it is loaded."""
    folder = tmp_path_factory.mktemp("fake-model")
    (folder / "config.json").write_text('{"max_position_embeddings": 512}')
    return folder


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["--input", "missing.csv"], "data file not found: missing.csv"),
        ("id,text\np1,open\n", ["--text-column", "status"], "no column 'status'. The file has: 'id', 'text'"),
        ("id,text\np1,open\np2,\np3,   \n", [], "empty text in column 'text' at line 3, line 4"),
        ("id,text\np1,open\n", ["--threshold", "1.5"], "threshold must be between 0 and 1"),
        ("id,text\np1,open\n", ["--output", "out.txt"], "--output must end in .jsonl or .csv"),
        ("id,text\np1,open\n", ["--batch-size", "0"], "--batch-size must be at least 1"),
        # Found by probing: tracebacks for a deeply nested JSON file and --max-length 100000; 0 was accepted.
        ("[" * 100_000, ["--input", "in.json"], "in.json: nested too deeply to be a record"),
        ('{"text": "ok"}\n' + "[" * 100_000, ["--input", "in.jsonl"], "in.jsonl: line 2 is nested too deeply"),
        ("id,text\np1,open\n", ["--max-length", "100000"], "max_length must be between 8 and 512 (what fake-model"),
        ("id,text\np1,open\n", ["--max-length", "0"], "max_length must be between 8 and 512"),
        ('[{"text": "ok"}, {"text": "a \\ud800"}]', ["--input", "in.json"], "in.json: could not be parsed as json"),
    ],
)
def test_batch_script_bad_input(tmp_path, fake_model_dir, setup, args, message):
    base = {"--input": "in.csv", "--output": "out.jsonl"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    if setup is not None:
        (tmp_path / base["--input"]).write_text(setup)
    result = run_main(BATCH, str(fake_model_dir), *[x for kv in base.items() for x in kv], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_check_max_length_uses_the_models_own_limit(tmp_path):
    (tmp_path / "config.json").write_text('{"max_position_embeddings": 514}')
    (tmp_path / "tokenizer_config.json").write_text('{"model_max_length": 512}')  # RoBERTa-style: 2 reserved
    assert check_max_length(512, tmp_path) == 512 and check_max_length(8, tmp_path) == 8
    for bad in (7, 513, 100_000):
        with pytest.raises(CourseError, match="max_length must be between 8 and 512"):
            check_max_length(bad, tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".jsonl"])
def test_texts_that_look_like_numbers_or_missing_values_are_read_as_text(tmp_path, suffix):
    """pandas reads 123 as a number and NaN, N/A, null as missing: in a text column they are posts."""
    texts = ["123", "NaN", "N/A", "null", "None", "#N/A", "Blankets is open"]
    frame = pd.DataFrame({"id": range(len(texts)), "text": texts, "label": [0, 1] * 3 + [1]})
    path = tmp_path / f"posts{suffix}"
    if suffix in {".csv", ".tsv"}:
        frame.to_csv(path, index=False, sep="," if suffix == ".csv" else "\t")
    else:
        frame.to_json(path, orient="records", lines=suffix == ".jsonl")
    assert require_texts(read_table(path, text_columns=["text"]), "text", path) == texts
    assert load_labelled_texts(path, "text", "label").texts == texts


def test_a_bare_json_number_is_its_digits_and_missing_labels_are_still_found(tmp_path):
    (tmp_path / "posts.jsonl").write_text('{"text": 123, "label": 1}\n{"text": null, "label": 0}\n')
    with pytest.raises(CourseError, match="empty text in column 'text' at line 2"):
        require_texts(read_table(tmp_path / "posts.jsonl"), "text", tmp_path / "posts.jsonl")
    assert require_texts(read_table(tmp_path / "posts.jsonl", ["text"]).head(1), "text", "x") == ["123"]
    (tmp_path / "posts.csv").write_text("text,label\nNaN,1\nnull,\nN/A,NA\n")
    with pytest.raises(CourseError, match="missing label in column 'label' at line 3, line 4"):
        load_labelled_texts(tmp_path / "posts.csv", "text", "label")


def test_batch_output_is_written_atomically(tmp_path):
    """A failure while writing leaves the old output whole and no temporary file behind."""
    script = import_script("inferencing/batch_predict.py")
    out = tmp_path / "preds.jsonl"
    out.write_text("earlier run\n")
    rows = [{"text": "a", "label": "open"}, {"text": "b", "label": object()}]  # the second row cannot be written
    with pytest.raises(TypeError):
        script.write_records(out, rows, LABELS)
    assert out.read_text() == "earlier run\n" and [p.name for p in tmp_path.iterdir()] == ["preds.jsonl"]


def test_batch_script_refuses_to_overwrite(tmp_path, fake_model_dir):
    (tmp_path / "in.csv").write_text("id,text\np1,open\n")
    (tmp_path / "out.jsonl").write_text("keep me\n")
    result = run_main(BATCH, str(fake_model_dir), "--input", "in.csv", "--output", "out.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert "out.jsonl already exists; pass --overwrite" in result.stderr
    assert (tmp_path / "out.jsonl").read_text() == "keep me\n"


def test_batch_script_missing_model_dir(tmp_path):
    (tmp_path / "in.csv").write_text("id,text\np1,open\n")
    result = run_script(BATCH, "no-model-here", "--input", "in.csv", "--output", "o.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert "model directory not found" in result.stderr


def test_benchmark_bad_arguments(tmp_path):
    result = run_script(BENCHMARK, "--batch-sizes", "0", "8", cwd=tmp_path)
    assert result.returncode == 2 and "batch sizes must be at least 1" in result.stderr
    result = run_script(BENCHMARK, "--text-column", "nope", cwd=tmp_path)
    assert result.returncode == 2 and "no column 'nope'" in result.stderr


# ------------------------------------------------------------------------------------------------
# Batch script and benchmark with the trained model
# ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_batch_script_writes_jsonl_records_with_ids(tmp_path, trained_model_dir):
    posts = pd.read_csv(DATA_DIR / "challenges" / "lab-4" / "posts.csv").head(40)
    posts.to_csv(tmp_path / "posts.csv", index=False)
    result = run_script(
        BATCH,
        str(trained_model_dir),
        "--input",
        "posts.csv",
        "--output",
        "preds.jsonl",
        "--threshold",
        "0.95",
        "--batch-size",
        "8",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in (tmp_path / "preds.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == posts["id"].tolist()
    assert [r["text"] for r in records] == posts["text"].tolist()
    for record in records:
        assert_consistent(record, 0.95)
    counts = {label: sum(r["label"] == label for r in records) for label in [*LABELS, NEEDS_REVIEW]}
    assert (
        f"40 texts on cpu: closed {counts['closed']}, open {counts['open']}, needs review {counts[NEEDS_REVIEW]}"
        in result.stdout
    )
    assert counts["closed"] > 5 and counts["open"] > 5


@pytest.mark.slow
def test_batch_script_csv_output_from_a_text_file(tmp_path, trained_model_dir, capsys):
    (tmp_path / "posts.txt").write_text("Blankets Creek is open, enjoy!\n\nBoth trails closed after the storm.\n")
    script = import_script("inferencing/batch_predict.py")
    assert (
        script.main(
            [
                str(trained_model_dir),
                "--input",
                str(tmp_path / "posts.txt"),
                "--output",
                str(tmp_path / "preds.csv"),
                "--threshold",
                "0",
            ]
        )
        == 0
    )
    frame = pd.read_csv(tmp_path / "preds.csv")
    assert list(frame.columns) == ["text", "label", "predicted_label", "confidence", "score_closed", "score_open"]
    assert frame["label"].tolist() == ["open", "closed"]
    assert (frame["score_closed"] + frame["score_open"]).round(3).eq(1).all()
    assert "2 texts on cpu" in capsys.readouterr().out


@pytest.mark.slow
def test_benchmark_table_and_csv(tmp_path, trained_model_dir, capsys):
    script = import_script("benchmark/inference_throughput.py")
    out = tmp_path / "throughput.csv"
    assert (
        script.main(
            [
                "--model-dir",
                str(trained_model_dir),
                "--texts",
                "8",
                "--batch-sizes",
                "1",
                "4",
                "--repeats",
                "1",
                "--also-sorted",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "| batch size | texts/s | seconds | speed-up | texts/s sorted by length |" in printed
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["batch_size", "texts_per_second", "seconds", "texts", "sorted_texts_per_second"]
    assert frame["batch_size"].tolist() == [1, 4] and frame["texts"].eq(8).all()
    assert (frame["texts_per_second"] > 0).all()


# ------------------------------------------------------------------------------------------------
# The service in-process (TestClient)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(trained_model_dir):
    """A TestClient of the app; entering it runs the lifespan, which loads the model once."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(trained_model_dir, threshold=0.9)) as test_client:
        yield test_client


@pytest.mark.slow
def test_health_and_model_endpoints(client, trained_model_dir):
    assert client.get("/health").json() == {"status": "ok", "model": trained_model_dir.name, "limits": LIMITS_JSON}
    info = client.get("/model").json()
    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    assert info["name"] == trained_model_dir.name and info["base_model"] == "minilm-l6"
    assert info["labels"] == LABELS and info["threshold"] == 0.9 and info["limits"] == LIMITS_JSON
    assert info["metrics"] == metrics["test"] and info["metrics"]["accuracy"] > 0.75
    assert "training_config" not in info  # it holds the server's file paths


@pytest.mark.slow
def test_predict_one_text_or_a_list(client):
    one = client.post("/predict", json={"texts": "Blankets Creek is open, ride on!"}).json()
    assert one["threshold"] == 0.9 and len(one["predictions"]) == 1
    assert one["predictions"][0]["text"] == "Blankets Creek is open, ride on!"
    texts = ["Both trails are open today.", "Blankets is closed after the storm.", "Rope Mill closed, Blankets open."]
    many = client.post("/predict", json={"texts": texts, "threshold": 0.0}).json()
    assert [p["text"] for p in many["predictions"]] == texts and many["threshold"] == 0.0
    for record in many["predictions"]:
        assert_consistent(record, 0.0)
    assert [p["label"] for p in many["predictions"][:2]] == ["open", "closed"]
    strict = client.post("/predict", json={"texts": texts, "threshold": 1}).json()  # an integer is a number
    for record in strict["predictions"]:
        assert_consistent(record, 1.0)


def post_json(client, body: dict):
    """POST ``body`` as JSON with \\u escapes (httpx's own encoder cannot write a lone surrogate)."""
    return client.post("/predict", content=json.dumps(body), headers={"Content-Type": "application/json"})


@pytest.mark.slow
@pytest.mark.parametrize(
    "body, location, message",
    [
        ({"texts": ""}, ["body", "texts"], "text 1 is empty"),
        ({"texts": ["fine", "   "]}, ["body", "texts"], "text 2 is empty"),
        ({"texts": []}, ["body", "texts"], "give at least one text"),
        ({"texts": ["a"] * 33}, ["body", "texts"], "too many texts: 33; at most 32 per request"),
        ({"texts": "x" * 2001}, ["body", "texts"], "text 1 has 2001 characters; at most 2000 allowed"),
        ({"texts": "ok", "threshold": 1.5}, ["body", "threshold"], "less than or equal to 1"),
        ({"text": "ok"}, ["body", "texts"], "Field required"),
        # Found by probing: a lone surrogate gave 500 for the whole batch; "0.5" and true were taken as numbers.
        (
            {"texts": ["Blankets is open", "bad \ud800 text"]},
            ["body", "texts"],
            "text 2 holds an invalid character at position 5 (a lone surrogate, U+D800)",
        ),
        ({"texts": "ok", "threshold": "0.5"}, ["body", "threshold"], "Input should be a valid number"),
        ({"texts": "ok", "threshold": True}, ["body", "threshold"], "Input should be a valid number"),
        ({"texts": "ok", "threshold": float("nan")}, ["body", "threshold"], "Input should be a finite number"),
        ({"texts": [7]}, ["body", "texts", "list[str]", 0], "Input should be a valid string"),
        ({"\ud800": 1, "texts": "ok"}, ["body"], "unable to parse raw data as a unicode string"),  # a key: no 500
    ],
)
def test_predict_refuses_bad_requests_with_422(client, body, location, message):
    response = post_json(client, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(d["loc"] == location and message in d["msg"] for d in detail), detail
    assert "input" not in detail[0]  # huge inputs are not echoed back
    assert response.json()["limits"] == LIMITS_JSON


@pytest.mark.slow
def test_predict_refuses_an_oversized_body_with_413(client):
    response = client.post("/predict", content=b"[" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the request body is 3,145,728 bytes; at most 1,048,576 bytes are allowed (at most 32 texts of 2,000 "
        "characters): split the texts over several requests"
    )
    assert client.get("/health").status_code == 200  # the service is still there


def test_the_largest_valid_request_fits_under_the_body_limit():
    """32 texts of 2,000 emoji, each sent as a 12-byte JSON escape: the worst valid body must not get 413."""
    body = json.dumps({"texts": ["\U0001f600" * LIMITS.max_chars] * LIMITS.max_texts, "threshold": 0.123456789})
    assert len(body.encode("utf-8")) <= LIMITS.max_body_bytes < 2 * len(body)


class Upload:
    """An ASGI ``receive`` that streams a body in chunks and counts how many chunks the app asked for."""

    def __init__(self, chunk: bytes, chunks: int):
        self.chunk, self.chunks, self.read = chunk, chunks, 0

    async def __call__(self) -> dict:
        self.read += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.read < self.chunks}


def call_limited(upload: Upload, headers: list[tuple[bytes, bytes]], max_bytes: int) -> tuple[list[dict], list]:
    """Run BodySizeLimit around an app that records the body it got; return what was sent and what the app saw."""
    import asyncio

    seen: list[bytes] = []

    async def app(scope, receive, send):
        seen.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": headers}
    asyncio.run(BodySizeLimit(app, max_bytes=max_bytes)(scope, upload, send))
    return sent, seen


def test_body_limit_refuses_a_declared_length_before_reading_a_byte():
    upload = Upload(b"x" * 1000, 191_000)  # 191 MB, declared up front
    sent, seen = call_limited(upload, [(b"content-length", b"191000000")], max_bytes=10_000)
    assert sent[0]["status"] == 413 and upload.read == 0 and seen == []
    assert "191,000,000 bytes; at most 10,000 bytes are allowed" in json.loads(sent[1]["body"])["detail"]


def test_body_limit_stops_reading_a_streamed_body_at_the_limit():
    upload = Upload(b"x" * 1000, 191_000)  # chunked: no Content-Length
    sent, seen = call_limited(upload, [], max_bytes=10_000)
    assert sent[0]["status"] == 413 and upload.read == 11 and seen == []
    assert "over 10,000 bytes" in json.loads(sent[1]["body"])["detail"]


def test_body_limit_passes_a_small_body_on_unchanged():
    upload = Upload(b"abc", 3)
    sent, seen = call_limited(upload, [(b"content-length", b"9")], max_bytes=10_000)
    assert sent[0]["status"] == 200 and seen == [b"abcabcabc"]


# ------------------------------------------------------------------------------------------------
# The service as a real uvicorn process
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(trained_model_dir, tmp_path_factory):
    """`python examples/serving/service.py --model-dir ... --port <free>` started from another directory."""
    port = free_port()
    command = [
        sys.executable,
        str(PROJECT_ROOT / SERVICE),
        "--model-dir",
        str(trained_model_dir),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with running_server(command, port, "/health", tmp_path_factory.mktemp("server"), START_DEADLINE) as url:
        yield url


@pytest.mark.slow
def test_real_server_answers_good_and_bad_requests(server):
    with httpx.Client(base_url=server, timeout=REQUEST_TIMEOUT) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/model").json()["labels"] == LABELS
        good = http.post("/predict", json={"texts": ["Blankets is open!", "Closed for rain today."]})
        assert good.status_code == 200
        assert [p["predicted_label"] for p in good.json()["predictions"]] == ["open", "closed"]
        bad = http.post("/predict", json={"texts": ["a"] * 40})
        assert bad.status_code == 422 and "too many texts: 40" in bad.json()["detail"][0]["msg"]
        not_json = http.post("/predict", content="texts=hello", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 422
        assert http.get("/nope").status_code == 404


@pytest.mark.slow
def test_real_server_handles_concurrent_requests(server):
    """16 requests from 4 threads: every one answered, each with its own texts, within a deadline."""

    def ask(number: int) -> tuple[int, dict]:
        texts = [f"Post {number}: Blankets Creek is open.", f"Post {number}: closed, too wet."]
        response = httpx.post(f"{server}/predict", json={"texts": texts}, timeout=REQUEST_TIMEOUT)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(ask, n) for n in range(16)]
        results = [future.result(timeout=REQUEST_TIMEOUT * 2) for future in futures]
    assert [status for status, _ in results] == [200] * 16
    for number, (_, body) in enumerate(results):
        assert [p["text"][: len(f"Post {number}:")] for p in body["predictions"]] == [f"Post {number}:"] * 2


def test_service_script_refuses_a_missing_model_dir(tmp_path):
    result = run_script(SERVICE, "--model-dir", "no-such-model", "--port", str(free_port()), cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert re.search(r"error: model directory not found: .*no-such-model", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_uvicorn_command_with_missing_model_dir_fails_with_the_reason(tmp_path):
    """`uvicorn --app-dir examples/serving service:app` reads $MODEL_DIR at start-up and exits if it is wrong."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(PROJECT_ROOT / "examples" / "serving"),
            "service:app",
            "--port",
            str(free_port()),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MODEL_DIR": str(tmp_path / "missing")},
    )
    assert result.returncode != 0
    assert "model directory not found" in result.stderr
    assert "Application startup failed" in result.stderr


# ------------------------------------------------------------------------------------------------
# Dockerfile (Docker cannot run here: check what can be checked without it)
# ------------------------------------------------------------------------------------------------


def requirement_pins() -> dict[str, str]:
    """name -> version of every `name==version` line of requirements.txt."""
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))


def test_dockerfile_pins_match_requirements_and_copies_what_the_service_needs():
    dockerfile = (PROJECT_ROOT / "examples" / "serving" / "Dockerfile").read_text()
    pins = dict(re.findall(r"\b([A-Za-z][\w.-]*)==([\w.]+)", dockerfile))
    assert pins, "the Dockerfile pins its packages"
    expected = requirement_pins()
    assert {name: expected.get(name) for name in pins} == pins
    assert {"torch", "transformers", "fastapi", "uvicorn"} <= set(pins)
    assert "download.pytorch.org/whl/cpu" in dockerfile
    for needed in ("COPY coursekit/", "COPY examples/serving/", "MODEL_DIR=/model", '"--host", "0.0.0.0"'):
        assert needed in dockerfile
    ignore = (PROJECT_ROOT / "examples" / "serving" / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") + 1 : ignore.index("*") + 4] == [
        "!coursekit/",
        "!examples/serving/",
        "!outputs/blankets_creek-minilm-l6/",
    ]
