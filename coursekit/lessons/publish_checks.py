"""Lesson layer (Lab 9): what a published folder holds, its manifest of checksums, and verifying it.

The published folder holds the weights (``*.safetensors``), ``config.json`` with ``id2label``, the tokenizer
files, ``training_config.json`` and ``metrics.json`` (no absolute paths), the card ``README.md`` and
``manifest.json`` with the sha256 and size of every other file. :func:`verify_model_dir` checks all of it;
``verify_model.py`` and the Lab 9 grader (``coursekit.grading.checks.cards``) use these checks. Writing the
folder is :mod:`coursekit.lessons.publishing`.

    from coursekit.lessons.publish_checks import verify_model_dir
    verify_model_dir("outputs/registry/trail-status/v1")   # [] while every file matches manifest.json
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from coursekit.errors import CourseError
from coursekit.lessons.card_checks import card_problems

CARD, MANIFEST, METRICS, TRAINING_CONFIG, CONFIG = (
    "README.md",
    "manifest.json",
    "metrics.json",
    "training_config.json",
    "config.json",
)
MANIFEST_FORMAT = "coursekit-manifest/1"
WEIGHT_PATTERNS = ["*.safetensors", "model.safetensors.index.json"]
# Files a published folder must list in its manifest (patterns); the weights may be absent from a hand-in.
REQUIRED_ENTRIES = [CARD, CONFIG, METRICS, TRAINING_CONFIG, "tokenizer_config.json", "*.safetensors"]
HEX64 = re.compile(r"^[0-9a-f]{64}$")
WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
HASH_CHUNK = 1 << 20


def read_json(path: Path, what: str) -> Any:
    """A JSON file, or CourseError naming the file and what to do."""
    if not path.is_file():
        raise CourseError(
            f"{path.parent} has no {path.name} ({what}). Use the folder of a finished training run "
            "(python examples/training/classifier.py writes it)."
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path} is not valid JSON ({exc}).") from None


def label_problems(config: Any, label_names: Any, name: str = CONFIG) -> list[str]:
    """``config.json``'s id2label (and label2id) must name the labels of metrics.json, in id order."""
    id2label = config.get("id2label") if isinstance(config, dict) else None
    if not isinstance(id2label, dict) or not id2label:
        return [f"{name} has no id2label: save the model after loading it with id2label={{0: 'closed', ...}}."]
    try:
        ordered = [id2label[key] for key in sorted(id2label, key=int)]
    except ValueError:
        return [f"{name}: id2label keys must be the ids 0, 1, ... as text, found {sorted(id2label)}."]
    problems = []
    if sorted(int(k) for k in id2label) != list(range(len(id2label))):
        problems.append(f"{name}: id2label keys must be 0..{len(id2label) - 1}, found {sorted(id2label, key=int)}.")
    if all(re.fullmatch(r"LABEL_\d+", str(v)) for v in ordered):
        problems.append(
            f"{name}: id2label holds only the placeholders {ordered}; train with id2label and "
            "label2id so the labels have names."
        )
    if not isinstance(label_names, list):
        problems.append(f"metrics.json has no label_names list to compare {name}'s id2label with.")
    elif ordered != label_names:
        problems.append(
            f"{name}: id2label gives {ordered} but metrics.json label_names is {label_names} "
            "(same names in the same id order expected)."
        )
    label2id = config.get("label2id")
    if isinstance(label2id, dict) and {v: int(k) for k, v in id2label.items()} != label2id:
        problems.append(f"{name}: label2id {label2id} is not the inverse of id2label {id2label}.")
    return problems


def is_local_path(value: str) -> bool:
    """True for an absolute path of somebody's machine (``/home/...``, ``C:\\...``, ``~/...``)."""
    return value.startswith(("/", "~", "\\\\")) or bool(WINDOWS_PATH.match(value))


def local_path_problems(data: Any, name: str, where: str = "") -> list[str]:
    """Every value of a JSON document that is an absolute local path (it says where and whose machine)."""
    if isinstance(data, dict):
        return [p for key, item in data.items() for p in local_path_problems(item, name, f"{where}.{key}".lstrip("."))]
    if isinstance(data, list):
        return [p for i, item in enumerate(data) for p in local_path_problems(item, name, f"{where}[{i}]")]
    if isinstance(data, str) and is_local_path(data):
        return [
            f"{name}: `{where}` is the absolute path {data!r} of your machine; publish a relative path "
            "(prepare_model.py does this)."
        ]
    return []


# ---------------------------------------------------------------------------------------------------
# Manifest: sha256 and size of every published file
# ---------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------
# Manifest: sha256 and size of every published file
# ---------------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB chunks (weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_entry(path: Path, name: str) -> dict:
    """One manifest line: the file's path inside the folder, its size in bytes and its sha256."""
    return {"path": name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def folder_files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` except the manifest itself, by its relative POSIX path.

    Hidden files and folders (``.ipynb_checkpoints/``, ``.DS_Store``) and ``__pycache__`` are skipped, as the
    grader skips them: editors and operating systems add them, and nobody publishes them.
    """
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (
            path.is_file()
            and relative.as_posix() != MANIFEST
            and not any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
        ):
            files[relative.as_posix()] = path
    return files


def build_manifest(
    files: dict[str, Path], name: str, version: str, hub_model_id: str | None = None, source_run: str | None = None
) -> dict:
    """The manifest of a published folder; ``files`` maps each path to the file to hash (may live elsewhere)."""
    return {
        "format": MANIFEST_FORMAT,
        "name": name,
        "version": version,
        "hub_model_id": hub_model_id,
        "source_run": source_run,
        "files": [manifest_entry(path, rel) for rel, path in sorted(files.items())],
    }


def manifest_format_problems(manifest: Any, name: str = MANIFEST) -> list[str]:
    """The manifest must be an object with a list ``files`` of {path, size, sha256}, each path safe and once."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return [f"{name} must be a JSON object with a list `files` of {{path, size, sha256}}."]
    problems, seen = [], set()
    for index, entry in enumerate(manifest["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"{name}: files[{index}] needs a text `path`.")
            continue
        path = entry["path"]
        if path.startswith("/") or ".." in PurePosixPath(path).parts or "\\" in path:
            problems.append(f"{name}: files[{index}] path {path!r} must be relative, with / and no `..`.")
        if path in seen:
            problems.append(f"{name}: {path} is listed twice.")
        seen.add(path)
        if not isinstance(entry.get("sha256"), str) or not HEX64.match(entry["sha256"]):
            problems.append(f"{name}: {path}: sha256 must be 64 lower-case hex digits, found {entry.get('sha256')!r}.")
        size = entry.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            problems.append(f"{name}: {path}: size must be a whole number of bytes, found {size!r}.")
    return problems


def manifest_coverage_problems(
    manifest: dict, present: list[str], required: list[str] = REQUIRED_ENTRIES, name: str = MANIFEST
) -> list[str]:
    """Every present file is listed, and every required pattern (e.g. ``*.safetensors``) has an entry."""
    listed = [e["path"] for e in manifest["files"] if isinstance(e, dict) and isinstance(e.get("path"), str)]
    problems = [
        f"{file} is in the folder but not listed in {name}; write the manifest after the last change."
        for file in present
        if file not in listed
    ]
    problems += [
        f"{name} lists no {pattern}; a published model needs it."
        for pattern in required
        if not any(fnmatch.fnmatch(path, pattern) for path in listed)
    ]
    return problems


def manifest_hash_problems(
    manifest: dict, present: dict[str, Path], allow_absent: Sequence[str] = (), name: str = MANIFEST
) -> list[str]:
    """Every listed file exists (unless it matches ``allow_absent``) with the listed size and sha256."""
    problems = []
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        path = entry["path"]
        if path not in present:
            if not any(fnmatch.fnmatch(path, pattern) for pattern in allow_absent):
                problems.append(f"{name} lists {path} but the folder has no such file.")
            continue
        size = present[path].stat().st_size
        if size != entry.get("size"):
            problems.append(
                f"{path}: {size} bytes but {name} says {entry.get('size')!r}: the file changed after "
                "the manifest was written."
            )
        elif sha256_file(present[path]) != entry.get("sha256"):
            problems.append(f"{path}: sha256 differs from {name}: the file changed after the manifest was written.")
    return problems


# ---------------------------------------------------------------------------------------------------
# Verifying a published folder
# ---------------------------------------------------------------------------------------------------


def verify_model_dir(folder: str | Path, require_weights: bool = True) -> list[str]:
    """Everything wrong with a published folder ([] when it is fine); CourseError only if it is no folder at all.

    Checks: the manifest lists every file with its true size and sha256 (weights may be absent when
    ``require_weights`` is False, as in a hand-in), the card's metadata, sections and both copies of the
    numbers equal metrics.json, config.json's id2label matches metrics.json's label names, and no JSON
    file publishes an absolute path.
    """
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise CourseError(
            f"folder not found: {folder}. Pass a folder written by examples/publishing/prepare_model.py."
        )
    present = folder_files(folder)
    problems = []
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        manifest, problems = None, [f"{MANIFEST} is missing: the folder cannot be checked against its checksums."]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        manifest, problems = None, [f"{MANIFEST} is not valid JSON ({exc})."]
    if manifest is not None:
        format_problems = manifest_format_problems(manifest)
        problems += format_problems
        if not format_problems:
            problems += manifest_coverage_problems(manifest, list(present))
            problems += manifest_hash_problems(manifest, present, [] if require_weights else WEIGHT_PATTERNS)
    documents = {}
    for file in (METRICS, CONFIG, TRAINING_CONFIG):
        try:
            documents[file] = json.loads((folder / file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"{file} is missing.")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{file} is not valid JSON ({exc}).")
    found = documents.get(METRICS)
    metrics: dict = found if isinstance(found, dict) else {}
    if (folder / CARD).is_file():
        problems += card_problems((folder / CARD).read_text(encoding="utf-8"), metrics)
    else:
        problems.append(f"{CARD} (the model card) is missing.")
    if CONFIG in documents:
        problems += label_problems(documents[CONFIG], metrics.get("label_names"))
    for file in (METRICS, TRAINING_CONFIG):
        problems += local_path_problems(documents.get(file), file)
    return problems
