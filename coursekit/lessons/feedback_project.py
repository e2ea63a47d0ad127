"""Lesson layer (project "product feedback", after Labs 1-9): train, compare, correct and retrain a 5-class
classifier of TrailTrack's user feedback (``data/feedback.jsonl``, cleaned with Lab 1's rules).

    from coursekit.lessons.feedback_project import prepare_splits, feedback_config
    splits = prepare_splits()                          # outputs/project-product-feedback/data/{pool,test}.jsonl
    run_dir = find_or_train(feedback_config(splits.pool, PROJECT_DIR / "runs" / "v1"))

The **frozen test split** is written once and checked on every later call: every model version (the first one,
each retrained one, the baselines) is scored on exactly these rows, so their numbers can be compared. Everything
else (the *pool*) is what a model may learn from; the training run splits it again into train/validation (and
its own small test split, used only for the run's ``metrics.json``).

Corrections that people made in the app are merged into the pool by :func:`merge_corrections` (one vote per person
per text, the majority wins, a tie is left for a person to decide, texts of the frozen test split are never used),
and :func:`promotion_decision` promotes a retrained version only when it is not worse than the old one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coursekit.app_card import AppCard
from coursekit.data import read_table
from coursekit.errors import CourseError
from coursekit.feedback_log import now
from coursekit.fileio import atomic_write_text
from coursekit.lessons.dataset_checks import clean_labelled_frame, stratified_split
from coursekit.lessons.publishing import publish_version, registry_versions
from coursekit.metrics import wilson_interval
from coursekit.paths import DATA_DIR, OUTPUTS_DIR, shown_path
from coursekit.training import TrainConfig

FEEDBACK_JSONL = DATA_DIR / "feedback.jsonl"
FEEDBACK_LABELS = ["bug_report", "praise", "feature_request", "billing", "other"]
PROJECT_DIR = OUTPUTS_DIR / "project-product-feedback"
REGISTRY_NAME = "product-feedback"
TEST_SHARE = 0.2  # ~96 frozen test rows: one row is ~1 point, the 95 % interval about +-0.07 wide
SEED = 42
FEEDBACK_CARD = AppCard(
    title="TrailTrack feedback triage",
    item="feedback message",
    input_hint="Paste an app review, support e-mail or in-app message",
    examples=[
        "The app crashes every time I open the GPX export on my Pixel 8.",
        "Love the new offline maps, they saved my ride on Sunday!",
        "Please add a dark mode for night rides.",
        "I was charged twice for my annual subscription, can I get a refund?",
        "Do you offer a partnership program for local bike shops?",
    ],
    description="Sorts TrailTrack user feedback into bug_report, praise, feature_request, billing or other.",
)


# ---------------------------------------------------------------------------------------------------
# Data: Lab 1's cleaning and a frozen test split
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSplits:
    """The two files every version uses: the pool to learn from and the frozen test split."""

    pool: Path
    test: Path
    removed: dict[str, int]


def jsonl_text(frame: pd.DataFrame) -> str:
    """Rows as JSON Lines (``id``, ``text``, ``label``); the same rows always give the same bytes."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in frame.to_dict(orient="records"))


def clean_feedback(source: Path = FEEDBACK_JSONL) -> tuple[pd.DataFrame, dict[str, int]]:
    """``feedback.jsonl`` cleaned with Lab 1's rules (477 rows) and how many rows each rule removed."""
    result = clean_labelled_frame(read_table(source, text_columns=["text"]), allowed_labels=FEEDBACK_LABELS)
    return result.frame[["id", "text", "label"]], result.removed


def prepare_splits(
    out_dir: Path = PROJECT_DIR / "data",
    source: Path = FEEDBACK_JSONL,
    test_size: float = TEST_SHARE,
    seed: int = SEED,
) -> FeedbackSplits:
    """Write ``pool.jsonl`` and ``test.jsonl`` (stratified); an existing test split that differs is an error."""
    frame, removed = clean_feedback(source)
    pool, test = stratified_split(frame, "label", test_size=test_size, seed=seed)
    paths = {"pool": out_dir / "pool.jsonl", "test": out_dir / "test.jsonl"}
    texts = {"pool": jsonl_text(pool), "test": jsonl_text(test)}
    frozen = paths["test"]
    if frozen.is_file() and frozen.read_text(encoding="utf-8") != texts["test"]:
        raise CourseError(
            f"{shown_path(frozen)} holds another test split than the one made now (did data/feedback.jsonl or the "
            "seed change?). The test split is frozen so that model versions stay comparable: move that folder "
            "away to start a new series of versions."
        )
    for name, path in paths.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != texts[name]:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, texts[name])  # unchanged files keep their bytes: the run cache key stays
    return FeedbackSplits(pool=paths["pool"], test=paths["test"], removed=removed)


def read_split(path: Path) -> pd.DataFrame:
    """A split written by :func:`prepare_splits` (or a merged pool) as a frame of ``id``, ``text``, ``label``."""
    return read_table(path, text_columns=["text"])[["id", "text", "label"]]


def feedback_config(data: Path, output: Path, **overrides: Any) -> TrainConfig:
    """The project's fine-tuning run: Lab 4's recipe on the pool, 3 epochs (~300 training rows, ~1 min on 1 core).

    The run's own test split is small (10 %): the numbers that matter come from the frozen test split.
    """
    settings: dict[str, Any] = dict(
        data=data,
        text_column="text",
        label_column="label",
        label_names=FEEDBACK_LABELS,
        epochs=3,
        test_size=0.1,
        validation_size=0.1,
        output=output,
        no_progress=True,
    )
    return TrainConfig(**(settings | overrides))


# ---------------------------------------------------------------------------------------------------
# Scores and baselines
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """A model's accuracy on a set of texts, with its count and 95 % Wilson interval, and macro F1."""

    name: str
    correct: int
    total: int
    f1_macro: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.total)

    def row(self) -> dict[str, Any]:
        """A table row with two decimals (what the sample size supports)."""
        low, high = self.interval
        return {
            "model": self.name,
            "accuracy": round(self.accuracy, 3),
            "95% CI": f"{low:.2f}-{high:.2f}",
            "correct": f"{self.correct}/{self.total}",
            "macro F1": round(self.f1_macro, 3),
        }


def score(name: str, true: Sequence[str], predicted: Sequence[str]) -> Score:
    """Score predicted label names against the true ones."""
    from sklearn.metrics import f1_score

    if len(true) != len(predicted) or not true:
        raise CourseError(f"{name}: {len(predicted)} predictions for {len(true)} texts.")
    correct = sum(t == p for t, p in zip(true, predicted))
    f1 = f1_score(list(true), list(predicted), labels=sorted(set(true)), average="macro", zero_division=0)
    return Score(name, int(correct), len(true), float(f1))


def tfidf_predict(train_texts: list[str], train_labels: list[str], texts: list[str]) -> list[str]:
    """Baseline 1: TF-IDF of words and word pairs + logistic regression (a second on a laptop)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(C=10, max_iter=2000)
    )
    model.fit(train_texts, train_labels)
    return [str(label) for label in model.predict(texts)]


def embed(texts: list[str]) -> Any:
    """Frozen sentence embeddings of the default model (mean-pooled MiniLM, what it was pre-trained to produce)."""
    from sentence_transformers import SentenceTransformer

    from coursekit.models import minilm_dir

    encoder = SentenceTransformer(str(minilm_dir()), device="cpu")
    return encoder.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)


def embedding_predict(
    train_texts: list[str], train_labels: list[str], texts: list[str], encode: Callable[[list[str]], Any] = embed
) -> list[str]:
    """Baseline 2: the encoder stays frozen; only a logistic regression on its embeddings is trained."""
    from sklearn.linear_model import LogisticRegression

    vectors = encode(train_texts + texts)
    model = LogisticRegression(C=10, max_iter=2000).fit(vectors[: len(train_texts)], train_labels)
    return [str(label) for label in model.predict(vectors[len(train_texts) :])]


# ---------------------------------------------------------------------------------------------------
# Corrections -> training data
# ---------------------------------------------------------------------------------------------------


def text_key(text: str) -> str:
    """Texts that differ only in case or spacing are the same text (for deduplication)."""
    return " ".join(str(text).split()).casefold()


@dataclass
class MergeResult:
    """The merged pool and what happened to the corrections (counts, and the texts left for a person)."""

    pool: pd.DataFrame
    counts: dict[str, int]
    ties: list[str] = field(default_factory=list)
    corrected: pd.DataFrame = field(default_factory=pd.DataFrame)  # text, label: the decided corrections


def valid_correction(record: dict, labels: Sequence[str]) -> bool:
    """A usable correction: a non-empty text and a right label that the model knows (``needs review`` is not)."""
    return (
        isinstance(record.get("text"), str)
        and bool(record["text"].strip())
        and record.get("true_label") in labels
        and isinstance(record.get("user", "anonymous"), str)
    )


def decide_labels(records: list[dict]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The label of each corrected text: each person's last answer is one vote, the majority wins.

    Returns ``{text_key: (text, label)}`` and the texts whose votes tie (left out, for a person to settle).
    """
    last_vote: dict[str, dict[str, str]] = {}
    first_text: dict[str, str] = {}
    for record in sorted(records, key=lambda r: str(r.get("time", ""))):
        key = text_key(record["text"])
        first_text.setdefault(key, record["text"].strip())
        last_vote.setdefault(key, {})[str(record.get("user") or "anonymous")] = record["true_label"]
    decided, ties = {}, []
    for key, votes in last_vote.items():
        ranked = Counter(votes.values()).most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            ties.append(first_text[key])
        else:
            decided[key] = (first_text[key], ranked[0][0])
    return decided, ties


def merge_corrections(
    pool: pd.DataFrame, test: pd.DataFrame, records: list[dict], labels: Sequence[str] = FEEDBACK_LABELS
) -> MergeResult:
    """The pool with people's corrections applied: new texts added, a pool text's label replaced by the verdict.

    Texts of the frozen test split are never added or changed (scores would stop being comparable).
    """
    valid = [r for r in records if valid_correction(r, labels)]
    decided, ties = decide_labels(valid)
    test_keys = {text_key(t) for t in test["text"]}
    in_test = {k for k in decided if k in test_keys}
    decided = {k: v for k, v in decided.items() if k not in in_test}
    merged = pool.copy()
    keys = merged["text"].map(text_key)
    counts = Counter(
        records=len(records),
        invalid=len(records) - len(valid),
        texts=len(decided) + len(in_test) + len(ties),
        tied=len(ties),
        in_test_split=len(in_test),
    )
    new_rows = []
    for key, (text, label) in decided.items():
        match = keys == key
        if match.any():
            counts["relabelled" if (merged.loc[match, "label"] != label).any() else "confirmed"] += 1
            merged.loc[match, "label"] = label
        else:
            counts["added"] += 1
            new_rows.append({"id": f"corr-{counts['added']:04d}", "text": text, "label": label})
    merged = pd.concat([merged, pd.DataFrame(new_rows, columns=merged.columns)], ignore_index=True)
    corrected = pd.DataFrame([{"text": t, "label": lab} for t, lab in decided.values()], columns=["text", "label"])
    for name in ("relabelled", "confirmed", "added"):
        counts.setdefault(name, 0)
    return MergeResult(merged, dict(counts), ties, corrected)


# ---------------------------------------------------------------------------------------------------
# Old vs new: promote only if not worse
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedComparison:
    """Two models on the same texts: how often only the old one, or only the new one, was right."""

    only_old: int
    only_new: int

    @property
    def new_wins_interval(self) -> tuple[float, float] | None:
        """95 % interval of the share of disagreements the new model wins (None when they never disagree)."""
        total = self.only_old + self.only_new
        return wilson_interval(self.only_new, total) if total else None

    @property
    def new_is_worse(self) -> bool:
        """True when the new model loses clearly more disagreements than it wins (the interval is below 0.5)."""
        interval = self.new_wins_interval
        return interval is not None and interval[1] < 0.5


def paired_comparison(true: Sequence[str], old: Sequence[str], new: Sequence[str]) -> PairedComparison:
    """Count the texts only one of the two models got right (the others say nothing about which is better)."""
    only_old = sum(o == t != n for t, o, n in zip(true, old, new))
    only_new = sum(n == t != o for t, o, n in zip(true, old, new))
    return PairedComparison(only_old, only_new)


def promotion_decision(test: PairedComparison, corrected_old: Score, corrected_new: Score) -> tuple[bool, str]:
    """Promote when the new version is not worse on the frozen test split and not worse on the corrected texts."""
    if test.new_is_worse:
        low, high = test.new_wins_interval or (0.0, 0.0)
        return False, (
            f"not promoted: on the frozen test split the new version wins only {test.only_new} of "
            f"{test.only_old + test.only_new} disagreements (95% CI {low:.2f}-{high:.2f}, below 0.5)"
        )
    if corrected_new.correct < corrected_old.correct:
        return False, (
            f"not promoted: it gets fewer corrected texts right ({corrected_new.correct} vs {corrected_old.correct})"
        )
    return True, (
        f"promoted: not worse on the frozen test split ({test.only_new} won vs {test.only_old} lost "
        f"disagreements) and {corrected_new.correct}/{corrected_new.total} corrected texts right "
        f"(old: {corrected_old.correct})"
    )


# ---------------------------------------------------------------------------------------------------
# The registry: which version is in production
# ---------------------------------------------------------------------------------------------------

PRODUCTION_FILE = "production.json"


def production_version(name: str, registry: Path) -> str | None:
    """The promoted version (``production.json``), else the first published one, else None."""
    path = Path(registry) / name / PRODUCTION_FILE
    if path.is_file():
        return str(json.loads(path.read_text(encoding="utf-8"))["version"])
    known = registry_versions(name, Path(registry))
    return str(known[0]["version"]) if known else None


def record_promotion(name: str, registry: Path, version: str, reason: str) -> None:
    """Make ``version`` the production version; earlier decisions stay in the file's history."""
    path = Path(registry) / name / PRODUCTION_FILE
    history = json.loads(path.read_text(encoding="utf-8"))["history"] if path.is_file() else []
    history.append({"version": version, "time": now(), "reason": reason})
    atomic_write_text(path, json.dumps({"version": version, "history": history}, indent=2) + "\n")


def published_from(name: str, registry: Path, run_dir: Path) -> str | None:
    """The version already published from the run folder ``run_dir`` (publishing the same run twice is a no-op)."""
    for entry in registry_versions(name, Path(registry)):
        if entry.get("source_run") == Path(run_dir).name:
            return str(entry["version"])
    return None


def publish_once(run_dir: Path, name: str, registry: Path) -> tuple[str, bool]:
    """Publish ``run_dir`` as the next version unless it already is one; returns ``(version, newly_published)``."""
    known = published_from(name, registry, run_dir)
    if known is not None:
        return known, False
    return publish_version(run_dir, name, registry=registry).version, True


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of equal keys as a Markdown table (for reports and the lab; no extra dependency)."""
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# A small, reproducible stand-in for real traffic and real people (the notebook and the tests share it)
# ---------------------------------------------------------------------------------------------------

# A feature shipped after the training data was collected: words the model has never seen.
NEW_TOPIC = [
    ("The new e-bike mode shows my motor battery at 0% the whole ride.", "bug_report"),
    ("E-bike mode keeps resetting the assist level to eco after every stop.", "bug_report"),
    ("Could e-bike mode warn me before the motor battery runs out?", "feature_request"),
    ("Please let me export e-bike assist data to Strava.", "feature_request"),
    ("Why was I billed extra for e-bike mode? I thought it came with Pro.", "billing"),
    ("The e-bike range estimate was spot on today, brilliant work!", "praise"),
    ("Is e-bike mode allowed on the Rope Mill trails, or are e-bikes banned there?", "other"),
    ("Does e-bike mode share my motor data with the bike maker?", "other"),
]


def simulated_traffic(work_dir: Path, rows: int = 40, seed: int = 7) -> pd.DataFrame:
    """Messages a deployed model meets, with the label a person would give: new messages from the data generator
    (another seed, cleaned: a few repeat texts of the training data, as real traffic does) and :data:`NEW_TOPIC`."""
    import subprocess
    import sys

    raw = work_dir / f"generated-seed-{seed}.jsonl"
    if not raw.is_file():
        work_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(DATA_DIR / "generate_feedback.py"), "--seed", str(seed), "--output", str(raw)]
        subprocess.run(command, check=True, capture_output=True)
    frame, _ = clean_feedback(raw)
    new_topic = pd.DataFrame([{"id": f"new-{i + 1}", "text": t, "label": lab} for i, (t, lab) in enumerate(NEW_TOPIC)])
    return pd.concat([frame.head(rows), new_topic], ignore_index=True)


def simulated_corrections(
    traffic: pd.DataFrame, predicted: Sequence[str], test: pd.DataFrame
) -> list[tuple[str, str, str]]:
    """What people do in the app, as ``(user, text, right label)`` in order: ana corrects every wrong prediction;
    ben disagrees with her on the first one (a tie: left for a person) and cy sides with her on the second (2 to 1);
    ben also "corrects" a text of the frozen test split (never used)."""
    wrong = [(t, lab) for t, lab, p in zip(traffic["text"], traffic["label"], predicted) if p != lab]
    actions = [("ana", text, label) for text, label in wrong]
    others = list(FEEDBACK_LABELS)
    if wrong:
        text, label = wrong[0]
        actions.append(("ben", text, next(o for o in others if o != label)))
    if len(wrong) > 1:
        actions.append(("cy", wrong[1][0], wrong[1][1]))
    first_test = test.iloc[0]
    actions.append(("ben", str(first_test["text"]), next(o for o in others if o != first_test["label"])))
    return actions
