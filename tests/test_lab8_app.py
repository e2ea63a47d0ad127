"""Lab 8 Part B: the Streamlit app (examples/app/app.py and app_helpers.py).

Three layers: the helpers directly (no model), the app in-process with ``streamlit.testing.v1.AppTest``
(type, click, upload, read the page), and once the real app in headless Chromium over HTTP. Tests that
need a trained model use the session fixture ``trained_model_dir`` and are marked slow; the model is
loaded once per process (``st.cache_resource``), so the AppTest runs after the first are quick.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from helpers import PAGE_TIMEOUT, free_port, import_script, running_server
from streamlit.testing.v1 import AppTest

from coursekit.errors import CourseError
from coursekit.inference import NEEDS_REVIEW, Prediction
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT

APP = PROJECT_ROOT / "examples" / "app" / "app.py"
helpers = import_script("app/app_helpers.py")
LABELS = ["closed", "open"]
# The first AppTest run imports torch and loads the model; AppTest's default of 3 s is far too short.
RUN_TIMEOUT = 120
START_DEADLINE = 120  # seconds for `streamlit run` to answer /_stcore/health
OPEN_POST = "Weekend update: Trails are open and a little dusty! Have fun out there."
CLOSED_POST = "Trail report: Blankets Creek is closed today, the trails are too wet. Next check tomorrow at 8."


def write_run(folder: Path, id2label: dict | None = None, accuracy: float | None = 0.9, metrics: bool = True) -> Path:
    """A fake training run: just the two files the app's model finder looks at."""
    folder.mkdir(parents=True)
    config = {"architectures": ["BertForSequenceClassification"]}
    if id2label is not None:
        config["id2label"] = id2label
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if metrics:
        test = {} if accuracy is None else {"accuracy": accuracy}
        (folder / "metrics.json").write_text(json.dumps({"model": "minilm-l6", "test": test}), encoding="utf-8")
    return folder


def prediction(text: str, label: str, confidence: float) -> Prediction:
    """A two-label prediction as coursekit.inference makes them."""
    scores = {name: confidence if name == label else round(1 - confidence, 4) for name in LABELS}
    return Prediction(text=text, label=label, predicted_label=label, confidence=confidence, scores=scores)


# ------------------------------------------------------------------------------------------------
# Helpers, no model
# ------------------------------------------------------------------------------------------------


def test_settings_come_from_arguments_then_environment_then_defaults(tmp_path):
    env = {helpers.MODELS_DIR_ENV: str(tmp_path / "env-models"), helpers.FEEDBACK_FILE_ENV: str(tmp_path / "fb.jsonl")}
    assert helpers.app_settings([], {}) == helpers.AppSettings(OUTPUTS_DIR, OUTPUTS_DIR / "app_feedback.jsonl")
    assert helpers.app_settings([], env) == helpers.AppSettings(tmp_path / "env-models", tmp_path / "fb.jsonl")
    from_args = helpers.app_settings(["--models-dir", str(tmp_path / "arg"), "-p", "no:cacheprovider"], env)
    assert from_args.models_dir == tmp_path / "arg" and from_args.feedback_file == tmp_path / "fb.jsonl"
    # Relative paths are relative to the project, not to wherever streamlit was started; the page shows them so.
    settings = helpers.app_settings(["--models-dir", "outputs/lab-6"], {})
    assert settings.models_dir == PROJECT_ROOT / "outputs" / "lab-6"
    assert helpers.shown_path(settings.models_dir) == "outputs/lab-6"
    assert helpers.shown_path(tmp_path) == str(tmp_path)


def test_find_models_keeps_finished_runs_with_labels_only(tmp_path):
    write_run(tmp_path / "b-run", {"0": "closed", "1": "open"}, accuracy=0.9333)
    write_run(tmp_path / "lab-9" / "registry" / "trail" / "v1", {"0": "no", "1": "yes", "2": "maybe"}, accuracy=None)
    write_run(tmp_path / "a-run" / "checkpoint-10", {"0": "closed", "1": "open"}, metrics=False)  # unfinished
    write_run(tmp_path / "no-labels")
    write_run(tmp_path / "odd-labels", ["a", "b"])
    write_run(tmp_path / "1" / "2" / "3" / "4" / "too-deep", {"0": "a", "1": "b"})
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "broken" / "metrics.json").write_text("{}", encoding="utf-8")

    models = helpers.find_models(tmp_path)
    assert [m.name for m in models] == ["b-run", "lab-9/registry/trail/v1"]
    assert models[0].labels == LABELS and models[0].test_accuracy == 0.9333 and models[0].base_model == "minilm-l6"
    assert models[0].title() == "0.933 · b-run"
    assert models[1].labels == ["no", "yes", "maybe"] and models[1].title() == "n/a · lab-9/registry/trail/v1"
    assert helpers.default_model_index(models) == 0
    # The models folder may itself be a run.
    assert [m.name for m in helpers.find_models(tmp_path / "b-run")] == ["b-run"]


def test_find_models_says_what_to_do_when_there_are_none(tmp_path):
    with pytest.raises(CourseError, match=r"No models folder at .*missing.*make train.*COURSE_MODELS_DIR"):
        helpers.find_models(tmp_path / "missing")
    write_run(tmp_path / "checkpoint-5", {"0": "a", "1": "b"}, metrics=False)
    with pytest.raises(CourseError, match=r"No trained models in .*config.json and metrics.json.*make train"):
        helpers.find_models(tmp_path)


@pytest.mark.parametrize(
    "name, data, message",
    [
        (
            "posts.csv",
            "text\ncafé fermé\n".encode("latin-1"),
            r"^posts\.csv: not UTF-8 text \(byte \d+ is b'\\xe9'\)\. Re-save",
        ),
        ("posts.csv", b"", r"^posts\.csv: the file is empty\."),
        ("posts.csv", b"text,id\n", r"^posts\.csv: the file holds no rows\."),
        ("posts.jsonl", b'{"text": "ok"}\n{"text": \n', r"^posts\.jsonl: line 2 is not valid JSON"),
    ],
)
def test_bad_uploads_are_named_by_their_own_file_name(name, data, message):
    with pytest.raises(CourseError, match=message) as error:
        helpers.read_upload(name, data, "text")
    assert "/tmp" not in str(error.value)


def test_upload_texts_names_the_missing_column_and_empty_rows():
    frame = helpers.read_upload("posts.csv", b"id,status\n1,open today\n2,\n3,closed\n", "status")
    with pytest.raises(CourseError, match=r"posts\.csv has no column 'text'\. Its columns are: 'id', 'status'"):
        helpers.upload_texts(frame, "text", "posts.csv")
    with pytest.raises(CourseError, match=r"posts\.csv: empty text in column 'status' at line 3\."):
        helpers.upload_texts(frame, "status", "posts.csv")
    assert helpers.upload_texts(frame.drop(index=1), "status", "posts.csv") == ["open today", "closed"]


def upload_limit_mb() -> int:
    """server.maxUploadSize in the app's own Streamlit config."""
    return tomllib.loads(helpers.STREAMLIT_CONFIG.read_text(encoding="utf-8"))["server"]["maxUploadSize"]


def test_streamlit_run_reads_the_apps_upload_limit(tmp_path):
    """`streamlit run examples/app/app.py` (as `make app`) from any directory gets the app's own upload limit.

    Streamlit reads .streamlit/config.toml next to the main script once `streamlit run` has set the script path.
    """
    assert 1 <= upload_limit_mb() <= 50  # Streamlit's default is 200 MB
    probe = (
        f"from streamlit import config; config._main_script_path = {str(APP)!r}; "
        "print(config.get_option('server.maxUploadSize'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(upload_limit_mb())


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("posts.json", b"[" * 100_000, r"^posts\.json: nested too deeply to be a record"),
        ("posts.jsonl", b'{"text": "ok"}\n' + b"{" * 100_000, r"^posts\.jsonl: line 2 is not valid JSON|nested"),
        ("posts.parquet", b"PAR1 this is not parquet", r"^posts\.parquet: could not be parsed as parquet"),
        ("posts.xlsx", b"PK\x03\x04", r"^posts\.xlsx: unknown file type '\.xlsx'"),
    ],
)
def test_odd_uploads_get_a_message_not_a_traceback(name, data, message):
    with pytest.raises(CourseError, match=message) as error:
        helpers.read_upload(name, data, "text")
    assert "/tmp" not in str(error.value)


def test_upload_texts_that_look_like_numbers_or_missing_values_are_texts():
    frame = helpers.read_upload("posts.csv", b"id,text\n1,123\n2,NaN\n3,N/A\n4,null\n", "text")
    assert helpers.upload_texts(frame, "text", "posts.csv") == ["123", "NaN", "N/A", "null"]


def test_check_upload_size_names_the_limit_and_where_it_is_set():
    helpers.check_upload_size("posts.csv", 10 * 1024 * 1024, 10)  # exactly the limit is fine
    with pytest.raises(CourseError) as error:
        helpers.check_upload_size("posts.csv", 10 * 1024 * 1024 + 1, 10)
    assert str(error.value) == (
        "posts.csv is 10.0 MB; the app reads files of at most 10 MB (server.maxUploadSize in "
        "examples/app/.streamlit/config.toml). Score big files with examples/inferencing/batch_predict.py."
    )


def test_results_frame_has_the_batch_script_columns():
    frame = helpers.results_frame([prediction("a", "open", 0.97), prediction("b", "closed", 0.6)], LABELS, ids=[7, 8])
    assert list(frame.columns) == [
        "id",
        "text",
        "label",
        "predicted_label",
        "confidence",
        "score_closed",
        "score_open",
    ]
    assert frame["id"].tolist() == [7, 8] and frame["score_open"].tolist() == [0.97, 0.4]


def test_history_stats_and_feedback_is_appended_never_overwritten(tmp_path):
    model = helpers.ModelEntry(tmp_path / "run", "run", LABELS, 0.93, "minilm-l6")
    history = [
        helpers.history_entry(prediction("a", "open", 0.9), model),
        helpers.history_entry(prediction("b", "open", 0.7), model),
        helpers.history_entry(prediction("c", "closed", 0.8), model),
    ]
    history[0]["feedback"] = "correct"
    stats = helpers.history_stats(history)
    assert stats == {
        "analyses": 3,
        "labels": {"open": 2, "closed": 1},
        "mean_confidence": pytest.approx(0.8),
        "with_feedback": 1,
    }

    feedback = tmp_path / "deeper" / "feedback.jsonl"
    helpers.append_feedback(feedback, helpers.feedback_record(history[1], False, "closed"))
    helpers.append_feedback(feedback, helpers.feedback_record(history[2], True, "closed"))
    lines = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["predicted_label"], r["correct"], r["true_label"]) for r in lines] == [
        ("b", "open", False, "closed"),
        ("c", "closed", True, "closed"),
    ]
    assert lines[0]["model_dir"] == str(tmp_path / "run") and lines[0]["confidence"] == 0.7


# ------------------------------------------------------------------------------------------------
# The app in-process (AppTest)
# ------------------------------------------------------------------------------------------------


def start_app(monkeypatch, models_dir: Path, feedback_file: Path) -> AppTest:
    """Run the app once against ``models_dir`` (read from the environment, as a student would set it)."""
    monkeypatch.setenv(helpers.MODELS_DIR_ENV, str(models_dir))
    monkeypatch.setenv(helpers.FEEDBACK_FILE_ENV, str(feedback_file))
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.parametrize(
    "make_folder, message",
    [
        (lambda tmp: tmp / "missing", "No models folder at"),
        (lambda tmp: tmp, "No trained models in"),
    ],
)
def test_app_without_models_shows_what_to_do(monkeypatch, tmp_path, make_folder, message):
    app = start_app(monkeypatch, make_folder(tmp_path), tmp_path / "feedback.jsonl")
    assert len(app.error) == 1
    assert message in app.error[0].value and "make train" in app.error[0].value
    assert not app.text_area  # the page stops at the error


@pytest.fixture
def app(monkeypatch, tmp_path, trained_model_dir) -> AppTest:
    """The app on the session's trained model, review threshold off so labels are the model's own."""
    app = start_app(monkeypatch, trained_model_dir.parent, tmp_path / "feedback.jsonl")
    app.sidebar.slider(key="threshold").set_value(0.0).run()
    return app


def classify(app: AppTest, text: str) -> str:
    """Type ``text``, press Classify, return the label shown in the badge."""
    app.text_area(key="text").input(text)
    app.button(key="classify").click().run()
    assert not app.exception, app.exception
    badges = [h.value for h in app.html if h.value.startswith('<span class="prediction-badge')]
    assert len(badges) == 1, badges
    return re.search(r">([^<]+)</span>", badges[0]).group(1)


@pytest.mark.slow
def test_app_classifies_a_post_and_lists_the_model(app, trained_model_dir):
    accuracy = json.loads((trained_model_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert app.sidebar.selectbox(key="model").options == [f"{accuracy:.3f} · {trained_model_dir.name}"]
    assert app.sidebar.metric[0].value == f"{accuracy:.1%}"

    assert classify(app, OPEN_POST) == "open"
    entry = app.session_state.history[-1]
    assert entry["predicted_label"] == "open" and list(entry["scores"]) == LABELS
    assert app.progress[0].value == int(entry["confidence"] * 100)  # the confidence bar
    assert classify(app, CLOSED_POST) == "closed"

    app.text_area(key="text").input("   ")
    app.button(key="classify").click().run()
    assert app.warning[0].value == "Type or paste a trail post first."  # the item named by the model's app card
    assert len(app.session_state.history) == 2


@pytest.mark.slow
def test_app_threshold_turns_unsure_predictions_into_needs_review(app):
    app.sidebar.slider(key="threshold").set_value(1.0).run()
    assert classify(app, OPEN_POST) == NEEDS_REVIEW
    assert any("The model leans to 'open'" in caption.value for caption in app.caption)


@pytest.mark.slow
def test_app_history_and_feedback(app, tmp_path):
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text('{"earlier": "feedback stays"}\n', encoding="utf-8")
    classify(app, OPEN_POST)
    app.button(key="feedback_correct").click().run()
    assert app.success[0].value == "Feedback saved (correct). Thank you!"
    classify(app, CLOSED_POST)
    app.selectbox(key="true_label").set_value("open")
    app.button(key="feedback_wrong").click().run()
    assert app.success[0].value == "Feedback saved (wrong, is open). Thank you!"

    lines = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"earlier": "feedback stays"}
    assert [(r["text"], r["predicted_label"], r["correct"], r["true_label"]) for r in lines[1:]] == [
        (OPEN_POST, "open", True, "open"),
        (CLOSED_POST, "closed", False, "open"),
    ]

    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Analyses"] == "2" and metrics["With feedback"] == "2"
    history = app.dataframe[-1].value
    assert history["text"].tolist() == [CLOSED_POST, OPEN_POST]  # newest first
    assert history["feedback"].tolist() == ["wrong, is open", "correct"]
    app.button(key="clear_history").click().run()
    assert app.info[0].value == "Nothing analysed yet in this session."


@pytest.mark.slow
def test_app_scores_an_uploaded_csv(app):
    posts = pd.DataFrame(
        {"id": [1, 2, 3], "text": [OPEN_POST, CLOSED_POST, "Rope Mill is OPEN, Blankets is open too!"]}
    )
    app.file_uploader(key="upload").set_value(("posts.csv", posts.to_csv(index=False).encode("utf-8"), "text/csv"))
    app.run()
    app.button(key="score").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    results = app.session_state.batch["results"]
    assert results["id"].tolist() == [1, 2, 3]
    assert results["label"].tolist()[:2] == ["open", "closed"]
    assert list(results.columns)[-2:] == ["score_closed", "score_open"]
    assert [p.value for p in app.progress][-1] == 100 and app.progress[-1].text == "3/3 texts"
    assert app.download_button[0].label == "Download results (CSV)"
    assert any(m.value.startswith("**posts.csv**: 3 texts") for m in app.markdown)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("posts.csv", b"id,status\n1,open\n", "posts.csv has no column 'text'. Its columns are: 'id', 'status'"),
        ("posts.csv", "text\nferm\xe9\n".encode("latin-1"), "posts.csv: not UTF-8 text"),
        ("posts.csv", b"text\n", "posts.csv: the file holds no rows."),
        ("posts.csv", b"", "posts.csv: the file is empty."),
    ],
)
def test_app_explains_a_bad_upload(app, name, data, message):
    app.file_uploader(key="upload").set_value((name, data, "text/csv"))
    app.run()
    app.button(key="score").click().run()
    assert not app.exception
    assert [e.value for e in app.error] and app.error[0].value.startswith(message), [e.value for e in app.error]
    assert app.session_state.batch is None


@pytest.fixture
def app_upload_limit():
    """The app's upload limit set in this process, as `streamlit run` sets it from the app's config.toml.

    AppTest runs the script in-process and reads only ~/.streamlit and ./.streamlit, so the test sets the option.
    """
    from streamlit import config

    before = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", upload_limit_mb())
    yield upload_limit_mb()
    config.set_option("server.maxUploadSize", before)


@pytest.mark.slow
def test_app_refuses_a_too_large_upload_with_the_limit(app, app_upload_limit):
    big = b"text\n" + b"Blankets Creek is open today.\n" * (app_upload_limit * 1024 * 1024 // 30 + 1)
    app.file_uploader(key="upload").set_value(("posts.csv", big, "text/csv"))
    app.run()
    app.button(key="score").click().run()
    assert not app.exception and app.session_state.batch is None
    assert [e.value for e in app.error] == [
        f"posts.csv is {len(big) / 1024 / 1024:.1f} MB; the app reads files of at most {app_upload_limit} MB "
        "(server.maxUploadSize in examples/app/.streamlit/config.toml). Score big files with "
        "examples/inferencing/batch_predict.py."
    ]


# ------------------------------------------------------------------------------------------------
# The real app in headless Chromium
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def streamlit_url(trained_model_dir, tmp_path):
    """`streamlit run` the app on a free local port; the process is always stopped afterwards."""
    port = free_port()
    env = {
        helpers.MODELS_DIR_ENV: str(trained_model_dir.parent),
        helpers.FEEDBACK_FILE_ENV: str(tmp_path / "feedback.jsonl"),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with running_server(command, port, "/_stcore/health", tmp_path, START_DEADLINE, env) as url:
        yield url


@pytest.mark.slow
def test_app_in_a_real_browser(browser, streamlit_url, trained_model_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(streamlit_url)
    wait = WebDriverWait(browser, PAGE_TIMEOUT)
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "textarea[aria-label='Trail post']")))
    box.send_keys(OPEN_POST)
    box.send_keys(Keys.CONTROL, Keys.ENTER)  # st.text_area sends its value on Ctrl+Enter (or when it loses focus)
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[.//p[text()='Classify']]"))).click()
    badge = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".prediction-badge")))
    assert badge.text in LABELS + [NEEDS_REVIEW]
    accuracy = json.loads((trained_model_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert f"{accuracy:.1%}" in browser.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']").text
    # The run is over when Streamlit's "running" indicator has gone (then the screenshot shows the final page):
    # the prediction, its scores and the feedback buttons, as labs/lab-8.md shows them.
    wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stStatusWidget']")))
    picture = tmp_path / "lab-8-app.png"  # not copied to labs/img/: the app shows this test's temporary folder
    assert browser.save_screenshot(str(picture)) and picture.stat().st_size > 10_000
    # The uploader shows the app's own limit from examples/app/.streamlit/config.toml, not Streamlit's 200 MB.
    browser.find_element(By.XPATH, "//*[@role='tab' and contains(., 'Batch file')]").click()
    uploader = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stFileUploader']")))
    assert re.search(rf"\b{upload_limit_mb()}\s?MB per file", uploader.text), uploader.text
