"""Core layer: how an app presents a saved run (title, what the input is, example texts) (Lab 8 app, the projects).

    from coursekit.app_card import AppCard, read_app_card, write_app_card
    write_app_card(run_dir, AppCard(title="Product feedback triage", item="feedback message",
                                    examples=["The app crashes when I export GPX.", "Please add dark mode."]))
    card = read_app_card(run_dir)    # from app_card.json, or worked out from the run's own files

A run that says what it is makes one app serve every model: the trail, e-mail and feedback models each bring their
own title and examples. Runs made before ``app_card.json`` existed (or published without it) still get a sensible
card: the title from ``training_config.json`` (label column or data file), examples from ``test_predictions.csv``
(one correctly classified text per label), and a generic hint naming the labels.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from coursekit.fileio import atomic_write_text

APP_CARD_FILE = "app_card.json"
MAX_EXAMPLES = 5
TRAIL_COLUMNS = ("Blankets_Creek", "Rope_Mill")


@dataclass(frozen=True)
class AppCard:
    """What the app shows about a model: a title, what one input is called, a hint, and a few example texts."""

    title: str
    item: str = "text"  # "trail post", "e-mail", "feedback message": the app says "Classify a <item>"
    input_hint: str = ""
    examples: list[str] = field(default_factory=list)
    description: str = ""

    def hint(self, labels: list[str]) -> str:
        """The placeholder of the text box: the card's hint, else its first example, else the labels."""
        if self.input_hint:
            return self.input_hint
        if self.examples:
            return self.examples[0]
        return f"Type a {self.item} to sort into {', '.join(labels)}"


def write_app_card(run_dir: str | Path, card: AppCard) -> Path:
    """Store ``card`` in the run folder (atomically: an app reading it meanwhile sees the old or the new card)."""
    path = Path(run_dir) / APP_CARD_FILE
    atomic_write_text(path, json.dumps(asdict(card), indent=2, ensure_ascii=False) + "\n")
    return path


def read_json_object(path: Path) -> dict:
    """The JSON object in ``path``, or ``{}`` when it is missing or unreadable (a card is never worth a crash)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_app_card(run_dir: str | Path) -> AppCard:
    """The run's ``app_card.json``; missing fields (or the whole file) are worked out from the run itself."""
    folder = Path(run_dir)
    stored = read_json_object(folder / APP_CARD_FILE)
    fallback = fallback_card(folder)
    examples = stored.get("examples")
    return AppCard(
        title=str(stored.get("title") or fallback.title),
        item=str(stored.get("item") or fallback.item),
        input_hint=str(stored.get("input_hint") or ""),
        examples=[str(e) for e in examples][:MAX_EXAMPLES] if isinstance(examples, list) else fallback.examples,
        description=str(stored.get("description") or ""),
    )


def fallback_card(folder: Path) -> AppCard:
    """A card for a run without ``app_card.json``: named after its label column or data file."""
    settings = read_json_object(folder / "training_config.json")
    label_column = str(settings.get("label_column") or "")
    data_name = Path(str(settings.get("data") or "")).stem
    if label_column in TRAIL_COLUMNS:
        title, item = f"{label_column.replace('_', ' ')} trail status", "trail post"
    elif data_name:
        title, item = f"{data_name.replace('_', ' ').replace('-', ' ').capitalize()} classifier", "text"
    else:
        title, item = "Text classifier", "text"
    return AppCard(title=title, item=item, examples=examples_from_predictions(folder / "test_predictions.csv"))


def examples_from_predictions(path: Path, limit: int = MAX_EXAMPLES) -> list[str]:
    """One correctly predicted test text per label (labels in order of appearance), at most ``limit``."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    chosen: dict[str, str] = {}
    for row in rows:
        label = row.get("true_label")
        if label and label not in chosen and row.get("predicted_label") == label and row.get("text"):
            chosen[label] = row["text"]
    return list(chosen.values())[:limit]
