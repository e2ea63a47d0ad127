"""The Streamlit app presents any saved run (title, input name, hint and examples from the run's app card): one
AppTest per model family (trail, e-mail, feedback), the feedback loop driven through the app (corrections ->
retrain -> a new registry version the app lists), and the app on two models in headless Chromium (the screenshots
in labs/project-product-feedback.md; ``COURSE_UPDATE_SCREENSHOTS=1`` writes them to labs/img/).

Every model here is a run a notebook already trains (Lab 4, the Lab 6 e-mail run, the project's feedback run and its
retrained run), found through the run cache.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import PAGE_TIMEOUT, free_port, import_script, keep_screenshot, running_server
from streamlit.testing.v1 import AppTest
from test_lab8_app import OPEN_POST, START_DEADLINE

from coursekit.app_card import write_app_card
from coursekit.feedback_log import RotatingLog, read_jsonl
from coursekit.inference import DEFAULT_THRESHOLD, load_classifier
from coursekit.lessons import feedback_project as fp
from coursekit.paths import DATA_DIR, OUTPUTS_DIR, PROJECT_ROOT
from coursekit.run_cache import find_or_train
from coursekit.training import TrainConfig

APP = PROJECT_ROOT / "examples" / "app" / "app.py"
helpers = import_script("app/app_helpers.py")
retrain = import_script("feedback/retrain.py")
RUN_TIMEOUT = 120
# The Lab 6 notebook's e-mail run (notebooks/lab-6-evaluation-error-analysis.ipynb, TRAINING): the same settings
# give the same cached run.
LAB6_EMAIL = TrainConfig(
    data=DATA_DIR / "email_triage.csv",
    text_column="text",
    label_column="label",
    model="minilm-l6",
    epochs=2,
    max_length=128,
    max_train_rows=420,
    output=OUTPUTS_DIR / "lab-6" / "email-minilm-l6",
    no_progress=True,
)


# ------------------------------------------------------------------------------------------------
# Pure helpers (no Streamlit, no model)
# ------------------------------------------------------------------------------------------------


def test_example_labels_fit_a_button_and_the_caption_names_the_labels():
    assert helpers.example_label("Please add   a dark mode.") == "Please add a dark mode."
    long = "I was charged twice for my annual subscription, can I get a refund?"
    assert helpers.example_label(long) == "I was charged twice for my annual subscription…"
    assert len(helpers.example_label(long)) <= helpers.EXAMPLE_LABEL_CHARS + 1
    card = fp.FEEDBACK_CARD
    assert helpers.card_caption(card, fp.FEEDBACK_LABELS) == card.description
    plain = type(card)(title="Email triage classifier", item="e-mail")
    assert helpers.card_caption(plain, ["billing", "theft"]) == "Sorts each e-mail into one of: billing, theft."


def test_prediction_log_setting_and_what_the_app_logs(tmp_path):
    assert helpers.app_settings([], {}).prediction_log == OUTPUTS_DIR / "prediction_log.jsonl"
    settings = helpers.app_settings(["--prediction-log", str(tmp_path / "a.jsonl")], {})
    assert settings.prediction_log == tmp_path / "a.jsonl"
    assert helpers.app_settings([], {"COURSE_PREDICTION_LOG": str(tmp_path / "b.jsonl")}).prediction_log == (
        tmp_path / "b.jsonl"
    )
    from coursekit.inference import Prediction

    predictions = [
        Prediction("crash", "bug_report", "bug_report", 0.95, {"bug_report": 0.95, "praise": 0.05}),
        Prediction("meh", "needs review", "praise", 0.55, {"bug_report": 0.45, "praise": 0.55}),
    ]
    helpers.log_predictions(tmp_path / "log.jsonl", predictions, tmp_path / "my-run", 0.9)
    records = RotatingLog(tmp_path / "log.jsonl").read().records
    assert [(r["source"], r["model_version"], r["label"], r["confidence"], r["threshold"]) for r in records] == [
        ("app", "my-run", "bug_report", 0.95, 0.9),
        ("app", "my-run", "needs review", 0.55, 0.9),
    ]


@pytest.fixture(scope="module")
def feedback_run() -> Path:
    """The project notebook's first feedback run, with its app card."""
    splits = fp.prepare_splits()
    run = find_or_train(fp.feedback_config(splits.pool, fp.PROJECT_DIR / "runs" / "base"))
    write_app_card(run, fp.FEEDBACK_CARD)
    return run


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory, trained_model_dir, feedback_run) -> Path:
    """A models folder with one run of each family (links: the app only reads them)."""
    root = tmp_path_factory.mktemp("families")
    for name, run in (("trail", trained_model_dir), ("email", find_or_train(LAB6_EMAIL)), ("feedback", feedback_run)):
        (root / name).symlink_to(run, target_is_directory=True)
    return root


def start_app(monkeypatch, models_dir: Path, tmp_path: Path) -> AppTest:
    """The app on ``models_dir`` with its feedback file and prediction log in ``tmp_path``, threshold off."""
    monkeypatch.setenv(helpers.MODELS_DIR_ENV, str(models_dir))
    monkeypatch.setenv(helpers.FEEDBACK_FILE_ENV, str(tmp_path / "feedback.jsonl"))
    monkeypatch.setenv("COURSE_PREDICTION_LOG", str(tmp_path / "log.jsonl"))
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    app.sidebar.slider(key="threshold").set_value(0.0).run()
    return app


def choose(app: AppTest, name: str) -> None:
    """Pick a model in the sidebar by its folder name."""
    box = app.sidebar.selectbox(key="model")
    box.set_value(next(option for option in box.options if option.endswith(f" · {name}"))).run()
    assert not app.exception, app.exception


def classify(app: AppTest, text: str | None = None) -> str:
    """Type ``text`` (None: keep what is in the box), press Classify, return the label in the badge."""
    if text is not None:
        app.text_area(key="text").input(text)
    app.button(key="classify").click().run()
    assert not app.exception, app.exception
    badges = [h.value for h in app.html if h.value.startswith('<span class="prediction-badge')]
    return re.search(r">([^<]+)</span>", badges[-1]).group(1)


def first_email_example() -> tuple[str, str]:
    """The app card of an old run (no app_card.json): its first example is the first correctly predicted test text."""
    frame = pd.read_csv(find_or_train(LAB6_EMAIL) / "test_predictions.csv")
    right = frame[frame["true_label"] == frame["predicted_label"]]
    return right["text"].iloc[0], right["true_label"].iloc[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "family, title, box, example, expected",
    [
        ("trail", "Blankets Creek trail status", "Trail post", None, "open"),
        ("email", "Email triage classifier", "Text", 0, None),
        ("feedback", "TrailTrack feedback triage", "Feedback message", 2, "feature_request"),
    ],
)
def test_app_presents_each_model_family(monkeypatch, tmp_path, models_dir, family, title, box, example, expected):
    app = start_app(monkeypatch, models_dir, tmp_path)
    choose(app, family)
    assert app.title[0].value == title
    assert app.text_area(key="text").label == box
    if example is None:
        label = classify(app, OPEN_POST)
    else:
        app.button(key=f"example_{example}").click().run()  # the example fills the box
        text = app.text_area(key="text").value
        if family == "email":
            text_expected, expected = first_email_example()
            assert text == text_expected
        else:
            assert text == fp.FEEDBACK_CARD.examples[example]
        label = classify(app)
    assert label == expected
    logged = RotatingLog(tmp_path / "log.jsonl").read().records
    assert [(r["source"], r["predicted_label"]) for r in logged] == [("app", expected)]
    assert logged[0]["model_version"].startswith(f"{family}@")  # the run folder and its run key

    app.sidebar.text_input(key="user").input("dana").run()
    app.button(key="feedback_correct").click().run()
    saved = read_jsonl([tmp_path / "feedback.jsonl"]).records
    assert [(r["user"], r["true_label"], r["correct"]) for r in saved] == [("dana", expected, True)]


def correct_in_app(app: AppTest, user: str, text: str, label: str) -> None:
    """What a person does: classify ``text``, then press Correct or choose ``label`` and press Wrong."""
    app.sidebar.text_input(key="user").input(user).run()
    predicted = classify(app, text)
    if predicted == label:
        app.button(key="feedback_correct").click().run()
    else:
        app.selectbox(key="true_label").set_value(label)
        app.button(key="feedback_wrong").click().run()
    assert not app.exception, app.exception


@pytest.mark.slow
def test_feedback_loop_from_the_app_to_a_new_registry_version(monkeypatch, tmp_path, feedback_run):
    registry = tmp_path / "registry"
    version, _ = fp.publish_once(feedback_run, fp.REGISTRY_NAME, registry)
    fp.record_promotion(fp.REGISTRY_NAME, registry, version, "the first version")
    v1 = registry / fp.REGISTRY_NAME / "v1"
    traffic = fp.simulated_traffic(fp.PROJECT_DIR / "traffic")
    test = fp.read_split(fp.PROJECT_DIR / "data" / "test.jsonl")
    predicted = [p.predicted_label for p in load_classifier(v1).predict(list(traffic["text"]))]
    actions = fp.simulated_corrections(traffic, predicted, test)  # the notebook's corrections: the same retrained run

    app = start_app(monkeypatch, registry, tmp_path)
    assert app.title[0].value == "TrailTrack feedback triage"  # the app card was published with the version
    for user, text, label in actions:
        correct_in_app(app, user, text, label)
    corrections = read_jsonl([tmp_path / "feedback.jsonl"]).records
    assert [(r["user"], r["true_label"], r["model_version"]) for r in corrections] == [
        (user, label, "product-feedback/v1") for user, _, label in actions
    ]

    assert retrain.main(["--corrections", str(tmp_path / "feedback.jsonl"), "--registry", str(registry)]) == 0
    versions = json.loads((registry / fp.REGISTRY_NAME / "versions.json").read_text(encoding="utf-8"))["versions"]
    assert [v["version"] for v in versions] == ["v1", "v2"]
    assert (v1 / "model.safetensors").stat().st_mtime_ns < (registry / fp.REGISTRY_NAME / "v2").stat().st_mtime_ns
    report = (registry / fp.REGISTRY_NAME / "v2-retrain.md").read_text(encoding="utf-8")
    assert "| new, corrected texts |" in report
    production = fp.production_version(fp.REGISTRY_NAME, registry)
    assert (production == "v2") == ("\npromoted:" in report)

    # Running retrain again with the same corrections publishes nothing new: a version is never made twice.
    assert retrain.main(["--corrections", str(tmp_path / "feedback.jsonl"), "--registry", str(registry)]) == 0
    assert len(fp.registry_versions(fp.REGISTRY_NAME, registry)) == 2

    app = start_app(monkeypatch, registry, tmp_path)
    options = app.sidebar.selectbox(key="model").options
    assert [o.split(" · ")[1] for o in options] == ["product-feedback/v1", "product-feedback/v2"]
    choose(app, "product-feedback/v2")
    decided = [(text, label) for user, text, label in actions if user == "cy"]  # 2 votes to 1: learned by v2
    assert classify(app, decided[0][0]) == decided[0][1]


# ------------------------------------------------------------------------------------------------
# Two models in a real browser: the screenshots of the lab
# ------------------------------------------------------------------------------------------------


def screenshot_app(browser, model_dir: Path, tmp_path: Path, example: str, picture: str) -> str:
    """Serve the app on one model, click its first example, classify it, save a screenshot; return title: badge."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = free_port()
    env = {
        helpers.MODELS_DIR_ENV: str(model_dir),
        helpers.FEEDBACK_FILE_ENV: str(tmp_path / "feedback.jsonl"),
        "COURSE_PREDICTION_LOG": str(tmp_path / "log.jsonl"),
    }
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    with running_server(command, port, "/_stcore/health", tmp_path, START_DEADLINE, env) as url:
        browser.get(url)
        wait = WebDriverWait(browser, PAGE_TIMEOUT)
        button = "//div[contains(@class, 'st-key-example_0')]//button"
        wait.until(ec.element_to_be_clickable((By.XPATH, button))).click()
        # The example is in the box only after the rerun that the click started: wait for it, not for a spinner.
        wait.until(ec.text_to_be_present_in_element_value((By.CSS_SELECTOR, ".st-key-text textarea"), example))
        wait.until(ec.element_to_be_clickable((By.XPATH, "//button[.//p[text()='Classify']]"))).click()
        badge = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".prediction-badge"))).text
        wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stStatusWidget']")))
        title = browser.find_element(By.TAG_NAME, "h1").text
        path = tmp_path / picture
        assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
    keep_screenshot(path)
    return f"{title}: {badge}"


@pytest.mark.slow
def test_app_on_two_models_in_a_real_browser(browser, tmp_path, feedback_run):
    example = fp.FEEDBACK_CARD.examples[0]
    feedback = screenshot_app(browser, feedback_run, tmp_path, example, "project-feedback-app-feedback.png")
    assert feedback == "TrailTrack feedback triage: bug_report"
    email_text, _ = first_email_example()
    email = screenshot_app(browser, find_or_train(LAB6_EMAIL), tmp_path, email_text, "project-feedback-app-email.png")
    # The page's threshold is the course default: the badge is the label, or "needs review" below it.
    prediction = load_classifier(find_or_train(LAB6_EMAIL)).predict(email_text, threshold=DEFAULT_THRESHOLD)[0]
    assert email == f"Email triage classifier: {prediction.label}"
