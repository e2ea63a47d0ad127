"""Builders shared by the grading tests: valid hand-ins made in tmp_path that tests then break on purpose.

Lab 4 (``make_perfect``, hidden ``answers``), Lab 9 (``lab9_handin`` from a fake run, no weights), and small
readers of the results. Imported as ``from grading_builders import ...`` (pytest puts ``tests/`` on the path).
"""

from __future__ import annotations

import json
import random
import struct
import zipfile
import zlib
from pathlib import Path

import coursekit.grading.grade as grade
from coursekit.grading.challenge import write_csv
from coursekit.grading.checks import load_answers, load_spec
from coursekit.lessons.publish_checks import build_manifest, folder_files
from coursekit.lessons.publishing import prepare_model_dir, write_json
from coursekit.metrics import classification_metrics
from coursekit.paths import DATA_DIR

LABELS = ["closed", "open"]
N_POSTS = 40


def png_bytes(width: int = 320, height: int = 200) -> bytes:
    """A valid RGB PNG with noisy pixels (so it has a chart-like size), built with the stdlib."""
    rng = random.Random(0)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_answers(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A hidden answers file with 40 ids, half open, half closed (the ``answers`` fixture)."""
    labels = {f"p{i:03d}": LABELS[i % 2] for i in range(1, N_POSTS + 1)}
    path = tmp_path / "secret" / "answers.csv"
    write_csv(path, ["id", "label"], [[i, label] for i, label in labels.items()])
    return path, labels


def held_out_rows() -> list[list]:
    """60 held-out rows, 51 right (accuracy 0.85)."""
    rows = []
    for i in range(60):
        true = LABELS[i % 2]
        predicted = true if i < 51 else LABELS[1 - i % 2]
        rows.append([f"post number {i} about the trails", true, predicted, 0.9])
    return rows


def make_perfect(folder: Path, answer_labels: dict[str, str]) -> Path:
    """The reference hand-in: predictions equal the answers and every claim is consistent."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "predictions.csv",
        ["id", "label", "confidence"],
        [[i, label, 0.93] for i, label in answer_labels.items()],
    )
    rows = held_out_rows()
    write_csv(folder / "test_predictions.csv", ["text", "true_label", "predicted_label", "confidence"], rows)
    index = {label: n for n, label in enumerate(LABELS)}
    scores = classification_metrics([index[r[1]] for r in rows], [index[r[2]] for r in rows], LABELS)
    metrics = {
        "model": "minilm-l6",
        "label_column": "Blankets_Creek",
        "accuracy": round(scores["accuracy"], 4),
        "f1_macro": round(scores["f1_macro"], 4),
        "test_size": len(rows),
        "best_model": "minilm-l6",
    }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    write_csv(
        folder / "comparison.csv",
        ["model", "parameters", "train_seconds", "accuracy", "f1_macro"],
        [["minilm-l3", 17400000, 41.5, 0.80, 0.79], ["minilm-l6", 22700000, 88.0, 0.85, 0.85]],
    )
    (folder / "comparison.png").write_bytes(png_bytes())
    (folder / "notes.md").write_text(
        "# Which model to deploy\n\n" + "I would deploy minilm-l6 because its macro F1 "
        "is higher and it still runs fast on a CPU. " * 5,
        encoding="utf-8",
    )
    return folder


def zip_folder(folder: Path, zip_path: Path, top: str | None = "lab-4") -> Path:
    """Zip a folder's files, inside a top folder or at the zip root."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{top}/{path.name}" if top else path.name)
    return zip_path


def grade_one(entry: Path, answers_path: Path):
    """Grade a single student entry in-process with the Lab 4 spec."""
    spec = load_spec(4)
    return grade.grade_entry(entry, spec, load_answers(answers_path, spec))


def check(result, check_id: str):
    return next(c for c in result.checks if c.check_id == check_id)


def lost(result) -> dict[str, float]:
    """Points lost per check."""
    return {c.check_id: round(c.max_points - c.points, 1) for c in result.checks if c.points < c.max_points}


NOTES = (
    "The model is wrong most often on posts that talk about both trails in one sentence, for example "
    "when Rope Mill is closed for a race but Blankets Creek is open. It also trusts the word closed when "
    "it refers to an earlier day, and it reads sarcasm literally. Posts like these need a person."
)


def fake_run_dir(folder: Path, id2label: dict | None = None, with_metrics: bool = True) -> Path:
    """A run folder as examples/training/classifier.py writes it, with tiny stand-ins for weights and tokenizer."""
    folder.mkdir(parents=True)
    id2label = id2label or {"0": "closed", "1": "open"}
    write_json(
        folder / "config.json",
        {
            "architectures": ["BertForSequenceClassification"],
            "model_type": "bert",
            "id2label": id2label,
            "label2id": {v: int(k) for k, v in id2label.items()},
        },
    )
    if with_metrics:
        write_json(
            folder / "metrics.json",
            {
                "model": "minilm-l6",
                "label_column": "Blankets_Creek",
                "label_names": ["closed", "open"],
                "parameters": 22713986,
                "train_seconds": 81.5,
                "train_size": 630,
                "validation_size": 135,
                "test_size": 135,
                "validation_history": [{"loss": 0.6, "accuracy": 0.68, "f1_macro": 0.67, "epoch": 1.0, "step": 40}],
                "test": {
                    "accuracy": 0.9333,
                    "precision_weighted": 0.9334,
                    "recall_weighted": 0.9333,
                    "f1_weighted": 0.9333,
                    "precision_macro": 0.9335,
                    "recall_macro": 0.9333,
                    "f1_macro": 0.9333,
                    "recall_closed": 0.9412,
                    "recall_open": 0.9254,
                },
                "output_dir": str(folder),
            },
        )
    write_json(
        folder / "training_config.json",
        {
            "data": str(DATA_DIR / "trail_status.csv"),
            "text_column": "status",
            "label_column": "Blankets_Creek",
            "model": "minilm-l6",
            "epochs": 4,
            "batch_size": 16,
            "learning_rate": 0.0003,
            "max_length": 96,
            "seed": 42,
            "test_size": 0.15,
            "validation_size": 0.15,
            "output": str(folder),
            "model_path": "/somewhere/else/model",
        },
    )
    (folder / "model.safetensors").write_bytes(b"not really weights " * 500)
    write_json(folder / "tokenizer.json", {"version": "1.0", "model": {"type": "WordPiece"}})
    write_json(folder / "tokenizer_config.json", {"tokenizer_class": "BertTokenizer"})
    (folder / "training_args.bin").write_bytes(b"pickle")
    (folder / "test_predictions.csv").write_text("text,true_label,predicted_label,confidence\n", encoding="utf-8")
    return folder


def lab9_handin(tmp_path: Path, notes: str | None = NOTES) -> Path:
    """What the solution hands in: prepare_model.py --without-weights --card-notes notes.md."""
    run = fake_run_dir(tmp_path / "run")
    return prepare_model_dir(
        run, tmp_path / "lab-9", name="trail-status", include_weights=False, failure_notes=notes
    ).folder


def rehash(folder: Path) -> None:
    """Rewrite the manifest for the files now present, keeping its entries for the absent weights."""
    manifest = json.loads((folder / "manifest.json").read_text())
    weights = [e for e in manifest["files"] if e["path"].endswith(".safetensors")]
    fresh = build_manifest(folder_files(folder), manifest["name"], manifest["version"])
    fresh["files"] = sorted(fresh["files"] + weights, key=lambda e: e["path"])
    write_json(folder / "manifest.json", fresh)


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    write_json(path, data)
