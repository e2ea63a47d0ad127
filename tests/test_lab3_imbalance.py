"""Lab 3: augmentation, the imbalanced trail file, leak-free oversampling, class weights, the training script."""

from __future__ import annotations

import csv
import json
import random

import pytest
from helpers import run_main, run_script

from coursekit.errors import CourseError
from coursekit.lessons.augment import (
    PROTECTED,
    augment,
    augment_split,
    paraphrase,
    random_deletion,
    random_swap,
    synonym_swap,
)
from coursekit.lessons.imbalance import (
    balanced_class_weights,
    class_counts,
    imbalance_summary,
    leaked_texts,
    majority_baseline,
    oversample_indices,
    oversample_then_split,
    split_then_oversample,
    stratified_split,
)
from coursekit.paths import DATA_DIR

POST = "UPDATE: Rope Mill is not closed due to rain, but Blankets is closed until further notice. Thanks, riders!"
IMBALANCED = DATA_DIR / "trail_status_imbalanced.csv"
NAMES = ["closed", "open"]


def read_rows(path) -> list[list[str]]:
    """Data rows (without header) of a CSV file."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


# --- augmentation -----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", [synonym_swap, random_deletion, random_swap, paraphrase])
def test_operations_are_deterministic_with_a_seed(operation):
    assert operation(POST, random.Random(7)) == operation(POST, random.Random(7))
    assert operation(POST, 7) == operation(POST, random.Random(7))  # an int seed is the same as Random(seed)


def test_augment_is_deterministic_and_returns_distinct_new_variants():
    first = augment(POST, 6, random.Random(1))
    assert first == augment(POST, 6, random.Random(1))
    assert len(first) == 6 and len(set(first)) == 6 and POST not in first
    assert first != augment(POST, 6, random.Random(2))


def test_synonym_swap_uses_the_list_and_keeps_case_and_punctuation():
    assert synonym_swap("Thanks!", 0, synonyms={"thanks": ["cheers"]}) == "Cheers!"
    assert synonym_swap("no synonyms here", 0) == "no synonyms here"


def test_deletion_and_swap_never_touch_protected_words():
    text = "Blankets is not closed today but Rope Mill is closed"
    protected = [w for w in text.split() if w.lower() in PROTECTED]
    for seed in range(50):
        deleted = random_deletion(text, seed, p=0.9)
        assert [w for w in deleted.split() if w.lower() in PROTECTED] == protected
        swapped = random_swap(text, seed, n=3)
        assert [w for w in swapped.split() if w.lower() in PROTECTED] == protected


def test_never_returns_empty_text():
    for seed in range(50):
        assert random_deletion("wet muddy soggy", seed, p=0.99).strip()
        assert all(v.strip() for v in augment("tacky", 3, seed))


def test_paraphrase_rewrites_or_wraps():
    assert paraphrase("Blankets isn't closed.", random.Random(0)) in {
        "Blankets is not closed.",
        "Update: Blankets isn't closed.",
        "Trail report: Blankets isn't closed.",
        "Blankets isn't closed. Please share.",
        "Heads up: Blankets isn't closed.",
        "Blankets isn't closed. Thanks for reading.",
    }
    assert paraphrase("open", 3).endswith(("open.", "Please share.", "Thanks for reading."))


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "cannot augment an empty text"),
        ("   \n", "cannot augment an empty text"),
        (None, "needs a string, got NoneType"),
    ],
)
def test_bad_text_raises_course_error(bad, message):
    for operation in (synonym_swap, random_deletion, random_swap, paraphrase):
        with pytest.raises(CourseError, match=message):
            operation(bad, 0)
    with pytest.raises(CourseError, match=message):
        augment(bad, 2, 0)


def test_bad_parameters_raise_course_error():
    with pytest.raises(CourseError, match=r"p must be in \[0, 1\), got 1.5"):
        random_deletion(POST, 0, p=1.5)
    with pytest.raises(CourseError, match="n must be a positive integer, got 0"):
        augment(POST, 0, 0)
    with pytest.raises(CourseError, match=r"unknown augmentation operation\(s\) \['bogus'\]"):
        augment(POST, 2, 0, operations=["bogus"])
    with pytest.raises(CourseError, match="rng must be a random.Random or an integer seed, got str"):
        synonym_swap(POST, "seed")


def test_augment_split_adds_variants_with_the_same_label_only_where_asked():
    texts, labels = (
        ["Blankets is open, dirt is tacky", "Rope Mill is closed due to rain", "Both trails open, enjoy!"],
        [1, 0, 1],
    )
    out_texts, out_labels = augment_split(texts, labels, n_per_text=2, rng=5, only_labels={0})
    assert out_texts[:3] == texts and out_labels[:3] == labels
    assert len(out_texts) == 5 and out_labels[3:] == [0, 0]
    assert all("closed" in t for t in out_texts[3:])


def test_augment_text_script_prints_seeded_variants(tmp_path):
    args = ("Rope Mill is not closed, enjoy the tacky dirt!", "--n", "4", "--seed", "1")
    first = run_script("examples/augmentation/augment_text.py", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "original: Rope Mill is not closed, enjoy the tacky dirt!"
    assert [line[:3] for line in lines[1:]] == ["1: ", "2: ", "3: ", "4: "]
    assert first.stdout == run_script("examples/augmentation/augment_text.py", *args, cwd=tmp_path).stdout


def test_augment_text_script_rejects_empty_text(tmp_path):
    result = run_script("examples/augmentation/augment_text.py", "  ", cwd=tmp_path)
    assert result.returncode == 2
    assert "error: cannot augment an empty text" in result.stderr and "Traceback" not in result.stderr


# --- the imbalanced trail file ------------------------------------------------------------------


def test_generator_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "imbalanced.csv"
    result = run_script("data/make_imbalanced_trail.py", "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 513 rows" in result.stdout and "445 open, 68 closed (13.3% closed)" in result.stdout
    assert out.read_bytes() == IMBALANCED.read_bytes()


def test_imbalanced_file_is_an_ordered_subset_with_a_small_closed_share():
    real, imbalanced = read_rows(DATA_DIR / "trail_status.csv"), read_rows(IMBALANCED)
    real_open = [r for r in real if r[1] == "1"]
    real_closed = [r for r in real if r[1] == "0"]
    kept_closed = [r for r in imbalanced if r[1] == "0"]
    assert [r for r in imbalanced if r[1] == "1"] == real_open  # every open row, unchanged, in order
    assert len(kept_closed) == round(0.15 * len(real_closed)) == 68
    assert 0.10 <= len(kept_closed) / len(imbalanced) <= 0.15
    positions = [real.index(r) for r in imbalanced]
    assert positions == sorted(positions)  # rows keep the original order
    assert len({r[0] for r in imbalanced}) == len(imbalanced)  # no duplicated posts


def test_generator_rejects_a_bad_fraction_and_a_missing_file(tmp_path):
    bad = run_script("data/make_imbalanced_trail.py", "--keep-fraction", "0", "--output", str(tmp_path / "x.csv"))
    assert bad.returncode == 2 and "--keep-fraction must be in (0, 1]" in bad.stderr
    missing = run_script(
        "data/make_imbalanced_trail.py", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "x.csv")
    )
    assert missing.returncode == 2 and "nope.csv not found" in missing.stderr


# --- measuring imbalance, splitting and oversampling ---------------------------------------------


@pytest.fixture(scope="module")
def trail():
    """Texts and Blankets_Creek labels (0 closed, 1 open) of the imbalanced file."""
    rows = read_rows(IMBALANCED)
    return [r[0] for r in rows], [int(r[1]) for r in rows]


def test_imbalance_summary_and_majority_baseline(trail):
    texts, labels = trail
    summary = imbalance_summary(labels, NAMES)
    assert summary["counts"] == {"closed": 68, "open": 445}
    assert summary["minority_label"] == "closed" and summary["ratio"] == 6.54
    split = stratified_split(texts, labels, test_size=0.3, seed=42)
    baseline = majority_baseline(split.train_labels, split.test_labels, NAMES)
    assert baseline["accuracy"] == pytest.approx(134 / 154)  # looks good ...
    assert baseline["recall_closed"] == 0.0 and baseline["f1_macro"] < 0.5  # ... and finds no closure


def test_stratified_split_keeps_the_class_shares(trail):
    split = stratified_split(*trail, test_size=0.3, seed=42)
    assert class_counts(split.train_labels, NAMES) == {"closed": 48, "open": 311}
    assert class_counts(split.test_labels, NAMES) == {"closed": 20, "open": 134}


def test_oversampling_after_the_split_does_not_leak_but_before_does(trail):
    right = split_then_oversample(*trail, test_size=0.3, seed=42)
    assert class_counts(right.train_labels, NAMES) == {"closed": 311, "open": 311}
    assert class_counts(right.test_labels, NAMES) == {"closed": 20, "open": 134}
    assert leaked_texts(right.train_texts, right.test_texts) == set()
    wrong = oversample_then_split(*trail, test_size=0.3, seed=42)
    leaked = leaked_texts(wrong.train_texts, wrong.test_texts)
    assert len(leaked) == 62
    assert all(wrong.test_labels[wrong.test_texts.index(t)] == 0 for t in leaked)  # every leaked post is a closed one
    assert sum(t in leaked for t in wrong.test_texts) == 127  # test rows whose text the model trained on


def test_oversample_indices_keeps_every_original_and_balances():
    labels = [0, 1, 1, 1, 1, 1, 0, 1]
    indices = oversample_indices(labels, seed=3)
    assert set(indices) >= set(range(len(labels)))
    assert sorted(labels[i] for i in indices) == [0] * 6 + [1] * 6
    assert indices == oversample_indices(labels, seed=3)
    with pytest.raises(CourseError, match="cannot oversample an empty label list"):
        oversample_indices([])


def test_balanced_class_weights():
    weights = balanced_class_weights([1] * 311 + [0] * 48, 2)
    assert weights == pytest.approx([359 / (2 * 48), 359 / (2 * 311)])
    assert round(weights[0], 3) == 3.74 and round(weights[1], 3) == 0.577
    assert weights[0] * 48 == pytest.approx(weights[1] * 311)  # each class contributes equally
    with pytest.raises(CourseError, match=r"class id\(s\) \[2\] never occur"):
        balanced_class_weights([0, 1, 1], 3)


def test_stratified_split_needs_two_of_each_class():
    with pytest.raises(CourseError, match="at least 2 examples of every class"):
        stratified_split(["a", "b", "c", "d"], [0, 1, 1, 1])


# --- the training script -------------------------------------------------------------------------

METRIC_KEYS = {
    "remedy",
    "model",
    "data",
    "label_column",
    "label_names",
    "minority_label",
    "train_size",
    "test_size",
    "test_counts",
    "epochs",
    "seed",
    "accuracy",
    "f1_macro",
    "recall",
    "minority_recall",
    "baseline",
}


def check_common_metrics(metrics: dict) -> None:
    """Keys, split counts and the majority baseline every run shares."""
    assert set(metrics) == METRIC_KEYS
    assert metrics["data"] == "trail_status_imbalanced.csv" and metrics["label_names"] == NAMES
    assert metrics["minority_label"] == "closed" and metrics["test_size"] == 154
    assert metrics["test_counts"] == {"closed": 20, "open": 134}
    assert metrics["baseline"] == {"accuracy": 0.8701, "f1_macro": 0.4653, "minority_recall": 0.0}
    for key in ("accuracy", "f1_macro", "minority_recall"):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["minority_recall"] == metrics["recall"]["closed"]


@pytest.mark.slow
def test_train_with_class_weights_finds_some_closures(tmp_path):
    out = tmp_path / "weights"
    result = run_script(
        "examples/imbalance/train_imbalanced.py",
        "--remedy",
        "class-weights",
        "--output",
        str(out),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "class weights: {'closed': 3.74, 'open': 0.577}" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    check_common_metrics(metrics)
    assert metrics["remedy"] == "class-weights" and metrics["model"] == "minilm-l6" and metrics["train_size"] == 359
    assert metrics["minority_recall"] > 0  # the baseline finds no closure; the weighted model finds some
    assert metrics["f1_macro"] > metrics["baseline"]["f1_macro"]


@pytest.mark.slow
def test_train_with_oversampling_balances_only_the_training_split(tmp_path):
    out = tmp_path / "oversample"
    result = run_script(
        "examples/imbalance/train_imbalanced.py",
        "--remedy",
        "oversample",
        "--epochs",
        "0.05",
        "--output",
        str(out),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "oversampled train {'closed': 311, 'open': 311}" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    check_common_metrics(metrics)  # the test split and the baseline are those of the un-resampled split
    assert metrics["remedy"] == "oversample" and metrics["train_size"] == 622


def test_train_script_rejects_an_unknown_remedy(tmp_path):
    result = run_main("examples/imbalance/train_imbalanced.py", "--remedy", "bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --remedy: invalid choice: 'bogus'" in result.stderr


def test_train_script_names_a_missing_column(tmp_path):
    result = run_main(
        "examples/imbalance/train_imbalanced.py",
        "--label-column",
        "Blankets",
        "--output",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "error: " in result.stderr and "no column 'Blankets'" in result.stderr
    assert "'status', 'Blankets_Creek', 'Rope_Mill'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cached_scores_compute_once_and_never_keep_an_unfinished_run(tmp_path, monkeypatch):
    from coursekit import run_cache

    monkeypatch.setattr(run_cache, "OUTPUTS_DIR", tmp_path)
    data = tmp_path / "data.csv"
    data.write_text("text,label\na,0\n", encoding="utf-8")
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"accuracy": 0.75}

    def fail() -> dict:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_cache.cached_scores("lab3", {"epochs": 2}, [data], fail)
    assert not list(tmp_path.glob("cache/lab3/*.json"))  # nothing stored for a run that did not finish
    assert run_cache.cached_scores("lab3", {"epochs": 2}, [data], compute) == ({"accuracy": 0.75}, False)
    assert run_cache.cached_scores("lab3", {"epochs": 2}, [data], compute) == ({"accuracy": 0.75}, True)
    assert len(calls) == 1
    assert run_cache.cached_scores("lab3", {"epochs": 2.0}, [data], compute)[1]  # 2.0 from the command line == 2
    run_cache.cached_scores("lab3", {"epochs": 3}, [data], compute)  # other settings: another run
    data.write_text("text,label\nb,1\n", encoding="utf-8")
    run_cache.cached_scores("lab3", {"epochs": 2}, [data], compute)  # same name, other bytes: another run
    assert len(calls) == 3


@pytest.mark.slow
def test_a_second_identical_run_reuses_the_scores(tmp_path, monkeypatch):
    from coursekit import run_cache

    monkeypatch.setattr(run_cache, "OUTPUTS_DIR", tmp_path / "outputs")
    runs = []
    for name in ("first", "second"):
        done = run_main("examples/imbalance/train_imbalanced.py", "--epochs", "0.05", "--output", name, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        runs.append((done.stdout, json.loads((tmp_path / name / "metrics.json").read_text(encoding="utf-8"))))
    assert "reused the scores" not in runs[0][0] and "reused the scores" in runs[1][0]
    assert runs[0][1] == runs[1][1]  # the same metrics.json, without training again
