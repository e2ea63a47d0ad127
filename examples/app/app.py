"""Lab 8 Part B: a Streamlit app that classifies texts with any model you trained (trail posts, e-mails, feedback...).

    streamlit run examples/app/app.py                      # models from outputs/, then open http://localhost:8501
    streamlit run examples/app/app.py -- --models-dir outputs/lab-6 --feedback-file outputs/my_feedback.jsonl
    COURSE_MODELS_DIR=/path/to/runs streamlit run examples/app/app.py

Pick a model in the sidebar (every folder under the models folder with config.json and metrics.json), type
a post and press Classify, or upload a CSV to score every row and download the results (at most 10 MB: the
limit is ``server.maxUploadSize`` in examples/app/.streamlit/config.toml, which Streamlit reads). Mark a
prediction correct or wrong: each answer is appended to the feedback file (default outputs/app_feedback.jsonl),
with your name and the model version, for examples/feedback/retrain.py. Every prediction is also written to the
prediction log (default outputs/prediction_log.jsonl, rotated; COURSE_PREDICTION_LOG or --prediction-log) that
examples/feedback/monitor.py reads. The title, the hint and the example texts come from the model's own
app_card.json (coursekit.app_card), so one app presents every model.

How Streamlit works: every click reruns this whole file from the top. What must survive a rerun lives in
``st.session_state`` (the history, the last batch result); the model is loaded once per server process by
``st.cache_resource`` and shared by every rerun and every browser tab.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import streamlit as st

# app_helpers.py sits next to this file; `streamlit run` puts this folder on sys.path.
from app_helpers import (
    MAX_UPLOAD_ROWS,
    UPLOAD_TYPES,
    AppSettings,
    ModelEntry,
    append_feedback,
    card_caption,
    check_upload_size,
    default_model_index,
    example_label,
    feedback_record,
    find_models,
    history_entry,
    history_stats,
    log_predictions,
    predict_with_progress,
    read_upload,
    results_frame,
    settings_from_process,
    shown_labels,
    shown_path,
    upload_texts,
)

from coursekit.app_card import AppCard, read_app_card
from coursekit.errors import CourseError
from coursekit.inference import DEFAULT_BATCH_SIZE, DEFAULT_THRESHOLD, NEEDS_REVIEW, Classifier, load_classifier
from coursekit.logs import quiet_libraries

STYLE_FILE = Path(__file__).with_name("style.css")


# max_entries: each loaded model holds ~100 MB; keep the last two a student switched between.
@st.cache_resource(max_entries=2, show_spinner="Loading the model (a few seconds, once per server)...")
def get_classifier(model_dir: str) -> Classifier:
    """Load the model once; later reruns (every click!) and other users get the same object back."""
    quiet_libraries()  # no "Loading weights" progress bars in the terminal running the server
    return load_classifier(model_dir)


def badge(label: str, labels: list[str]) -> str:
    """The predicted label as a coloured pill (colours in style.css)."""
    css_class = (
        "needs-review" if label == NEEDS_REVIEW else f"label-{labels.index(label) % 5}" if label in labels else ""
    )
    return f'<span class="prediction-badge {css_class}">{html.escape(label)}</span>'


def sidebar(models: list[ModelEntry], feedback_file: Path) -> tuple[ModelEntry, float]:
    """Model picker and threshold; returns the chosen model and the review threshold."""
    st.sidebar.header("Model")
    by_name = {entry.name: entry for entry in models}
    name = st.sidebar.selectbox(
        "Trained model (test accuracy · folder)",
        list(by_name),
        index=default_model_index(models),
        format_func=lambda name: by_name[name].title(),
        key="model",
    )
    model = by_name[name]
    accuracy = "n/a" if model.test_accuracy is None else f"{model.test_accuracy:.1%}"
    st.sidebar.metric("Test accuracy (metrics.json)", accuracy)
    st.sidebar.caption(
        f"Labels: {', '.join(model.labels)}  \nBase model: {model.base_model or 'unknown'}  \n"
        f"Folder: `{shown_path(model.path)}`"
    )
    threshold = st.sidebar.slider(
        "Needs review below confidence",
        0.0,
        1.0,
        DEFAULT_THRESHOLD,
        0.01,
        key="threshold",
        help="Predictions less confident than this are "
        f"labelled '{NEEDS_REVIEW}' for a person to check. 0 turns this off.",
    )
    st.sidebar.text_input("Your name (saved with your feedback)", value="anonymous", key="user")
    st.sidebar.caption(f"Feedback is appended to `{shown_path(feedback_file)}`")
    return model, threshold


def show_result(entry: dict) -> None:
    """Label, confidence bar and every class score of one analysis."""
    shown = shown_labels(entry)  # a multi-label model (Lab 5b) may give several labels, or none
    st.html(" ".join(badge(label, list(entry["scores"])) for label in shown) if shown else badge("no label", []))
    if entry["label"] == NEEDS_REVIEW:
        st.caption(f"The model leans to '{entry['predicted_label']}', but not confidently enough to act on it.")
    st.progress(entry["confidence"], text=f"confidence {entry['confidence']:.1%}")
    st.dataframe(
        {"label": list(entry["scores"]), "score": list(entry["scores"].values())},
        hide_index=True,
        column_config={"score": st.column_config.ProgressColumn("score", min_value=0.0, max_value=1.0, format="%.3f")},
    )


def feedback_buttons(entry: dict, feedback_file: Path) -> None:
    """'Correct' / 'Wrong' buttons that append the verdict to the feedback file (once per analysis)."""
    if entry["feedback"]:
        st.success(f"Feedback saved ({entry['feedback']}). Thank you!")
        return
    st.write("Was this right?")
    row = st.container(horizontal=True, vertical_alignment="center")  # widgets side by side
    correct = row.button("Correct", key="feedback_correct", icon=":material/thumb_up:")
    wrong = row.button("Wrong, it is:", key="feedback_wrong", icon=":material/thumb_down:")
    others = [label for label in entry["scores"] if label != entry["predicted_label"]]
    true_label = row.selectbox("The right label", others, key="true_label", label_visibility="collapsed", width=200)
    if correct:
        verdict = (True, entry["predicted_label"])
    elif wrong:
        verdict = (False, true_label)
    else:
        return
    append_feedback(feedback_file, feedback_record(entry, *verdict, user=st.session_state.get("user", "")))
    entry["feedback"] = "correct" if verdict[0] else f"wrong, is {verdict[1]}"
    st.rerun()  # draw the page again, now with the thank-you note instead of the buttons


def use_example(text: str) -> None:
    """Button callback: put an example into the text box (callbacks run before the page is drawn again)."""
    st.session_state.text = text


def example_buttons(card: AppCard) -> None:
    """One button per example text of the model's card."""
    if not card.examples:
        return
    row = st.container(horizontal=True)
    row.caption("Try an example:")
    for number, example in enumerate(card.examples):
        row.button(
            example_label(example), key=f"example_{number}", on_click=use_example, args=(example,), help=example
        )


def single_text_tab(
    classifier: Classifier, model: ModelEntry, card: AppCard, threshold: float, settings: AppSettings
) -> None:
    """One text: examples, text box, Classify button, the result and the feedback buttons."""
    example_buttons(card)
    text = st.text_area(card.item.capitalize(), key="text", height=120, placeholder=card.hint(model.labels))
    if st.button("Classify", key="classify", type="primary"):
        if not text.strip():
            st.warning(f"Type or paste a {card.item} first.")
        else:
            prediction = classifier.predict(text, threshold=threshold)[0]
            log_predictions(settings.prediction_log, [prediction], model.path, threshold)
            st.session_state.history.append(history_entry(prediction, model))
    if st.session_state.history:
        last = st.session_state.history[-1]
        st.caption(f"Result for the last text you classified (model {last['model']}):")
        show_result(last)
        feedback_buttons(last, settings.feedback_file)


def batch_tab(classifier: Classifier, threshold: float, prediction_log: Path) -> None:
    """A whole file: upload, score with a progress bar, show and download the results."""
    limit_mb = st.get_option("server.maxUploadSize")  # examples/app/.streamlit/config.toml
    upload = st.file_uploader(
        "A file with one text per row",
        type=UPLOAD_TYPES,
        key="upload",
        help=f"At most {limit_mb} MB and {MAX_UPLOAD_ROWS:,} rows; score bigger files with batch_predict.py (Lab 7)",
    )
    column = st.text_input("Text column", value="text", key="text_column")
    if st.button("Score the file", key="score", disabled=upload is None):
        try:
            check_upload_size(upload.name, upload.size, limit_mb)
            frame = read_upload(upload.name, upload.getvalue(), column)
            texts = upload_texts(frame, column, upload.name)
        except CourseError as exc:
            st.error(str(exc))
            return
        bar = st.progress(0.0, text="scoring...")

        def show_progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done}/{total} texts")

        predictions = predict_with_progress(classifier, texts, threshold, DEFAULT_BATCH_SIZE, show_progress)
        log_predictions(prediction_log, predictions, classifier.model_dir, threshold)
        ids = frame["id"].tolist() if "id" in frame.columns else None
        st.session_state.batch = {"name": upload.name, "results": results_frame(predictions, classifier.labels, ids)}
    if st.session_state.batch:
        name, results = st.session_state.batch["name"], st.session_state.batch["results"]
        counts = results["label"].value_counts()
        st.write(f"**{name}**: {len(results)} texts, " + ", ".join(f"{n} {label}" for label, n in counts.items()))
        st.dataframe(results, hide_index=True)
        st.download_button(
            "Download results (CSV)",
            results.to_csv(index=False).encode("utf-8"),
            file_name=f"{Path(name).stem}_predictions.csv",
            mime="text/csv",
            on_click="ignore",
        )


def history_tab() -> None:
    """Everything analysed in this browser session, with a few statistics."""
    history = st.session_state.history
    if not history:
        st.info("Nothing analysed yet in this session.")
        return
    stats = history_stats(history)
    first, second, third = st.columns(3)
    first.metric("Analyses", stats["analyses"])
    second.metric("Mean confidence", f"{stats['mean_confidence']:.1%}")
    third.metric("With feedback", stats["with_feedback"])
    counts = pd.DataFrame({"label": list(stats["labels"]), "analyses": list(stats["labels"].values())})
    st.bar_chart(counts, x="label", y="analyses", horizontal=True, height=60 + 40 * len(counts))
    shown = ["time", "model", "text", "label", "confidence", "feedback"]
    st.dataframe([{k: entry[k] for k in shown} for entry in reversed(history)], hide_index=True)
    if st.button("Clear history", key="clear_history"):
        st.session_state.history = []
        st.rerun()


def main() -> None:
    """Build the page; Streamlit calls this on every rerun."""
    st.set_page_config(page_title="Text classifier", page_icon=":material/forest:", layout="wide")
    st.html(STYLE_FILE)  # a .css Path is wrapped in <style> and takes no space on the page
    st.session_state.setdefault("history", [])
    st.session_state.setdefault("batch", None)
    settings = settings_from_process()
    try:
        models = find_models(settings.models_dir)
        model, threshold = sidebar(models, settings.feedback_file)
        card = read_app_card(model.path)
        st.title(card.title)
        st.caption(card_caption(card, model.labels))
        classifier = get_classifier(str(model.path))
    except CourseError as exc:
        st.title("Text classifier")
        st.error(str(exc))
        st.stop()
    one, batch, history = st.tabs([f"One {card.item}", "Batch file", "History"])
    with one:
        single_text_tab(classifier, model, card, threshold, settings)
    with batch:
        batch_tab(classifier, threshold, settings.prediction_log)
    with history:
        history_tab()
    st.html(f'<div class="app-footer">Model {html.escape(shown_path(model.path))} on {classifier.device}</div>')


main()
