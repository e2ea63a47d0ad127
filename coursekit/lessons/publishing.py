"""Publishing a trained classifier (Lab 8): a shareable folder with a card and checksums, versions, the Hub.

    from coursekit.lessons.publishing import prepare_model_dir, verify_model_dir
    prepared = prepare_model_dir("outputs/blankets_creek-minilm-l6", "outputs/published/trail-status")
    verify_model_dir(prepared.folder)   # [] while every file matches manifest.json and the card matches metrics.json

A training run's folder holds things that should not be shared (a pickled ``training_args.bin``, the test
posts with their predictions, absolute paths of your machine) and lacks what a reader needs (a model card).
The published folder holds exactly: the weights (``*.safetensors``), ``config.json`` with ``id2label``,
the tokenizer files, ``training_config.json`` and ``metrics.json`` (absolute paths made relative, numbers
unchanged), the card ``README.md`` written from ``metrics.json``, and ``manifest.json`` with the sha256
and size of every other file.

Versions are folders that never change once written: ``outputs/registry/<name>/v1/``, ``v2/``, ... with
``outputs/registry/<name>/versions.json`` recording each one (the Hub does the same with git tags).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from coursekit.errors import CourseError
from coursekit.lessons.model_card import CardInputs, card_problems, render_model_card
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT

CARD, MANIFEST, METRICS, TRAINING_CONFIG, CONFIG = (
    "README.md",
    "manifest.json",
    "metrics.json",
    "training_config.json",
    "config.json",
)
MANIFEST_FORMAT = "coursekit-manifest/1"
WEIGHT_PATTERNS = ["*.safetensors", "model.safetensors.index.json"]
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
# Files a published folder must list in its manifest (patterns); the weights may be absent from a hand-in.
REQUIRED_ENTRIES = [CARD, CONFIG, METRICS, TRAINING_CONFIG, "tokenizer_config.json", "*.safetensors"]
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
HEX64 = re.compile(r"^[0-9a-f]{64}$")
WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
HASH_CHUNK = 1 << 20


# ---------------------------------------------------------------------------------------------------
# Reading a run
# ---------------------------------------------------------------------------------------------------


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
        if path.is_file() and (is_weight_file(path.name) or path.name in TOKENIZER_FILES or path.name == CONFIG):
            copied.append(path.name)
        elif path.name not in (METRICS, TRAINING_CONFIG, CARD, MANIFEST):
            left_out[path.name + ("/" if path.is_dir() else "")] = LEFT_OUT_REASONS.get(
                path.name, "not needed to load or describe the model"
            )
    return copied, left_out


def is_local_path(value: str) -> bool:
    """True for an absolute path of somebody's machine (``/home/...``, ``C:\\...``, ``~/...``)."""
    return value.startswith(("/", "~", "\\\\")) or bool(WINDOWS_PATH.match(value))


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


def write_json(path: Path, data: Any) -> None:
    """Pretty JSON with a final newline (diffs stay readable)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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
# Preparing and verifying a published folder
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
    from the run): the Lab 8 hand-in. The folder is built under ``<out>.partial`` and renamed at the end,
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
        write_json(staging / TRAINING_CONFIG, portable(run.training_config))
        write_json(staging / METRICS, portable(run.metrics))
        card = render_model_card(
            CardInputs(
                name=name,
                metrics=run.metrics,
                training_config=portable(run.training_config),
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


# ---------------------------------------------------------------------------------------------------
# The Hub: a dry-run plan that works offline, and a real push only when asked
# ---------------------------------------------------------------------------------------------------


def check_repo_id(repo_id: str) -> str:
    """A Hub model id ``namespace/name`` under the Hub's own rules (huggingface_hub's validator)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise CourseError(f"--hub-model-id {repo_id!r} is not a valid Hub repo id: {exc}") from None
    if repo_id.count("/") != 1:
        raise CourseError(f"--hub-model-id {repo_id!r} needs your user or organisation name: 'your-name/{repo_id}'.")
    return repo_id


@dataclass
class UploadPlan:
    """Exactly what a push would send: the repo id, the tag, and every file with its size and sha256."""

    repo_id: str
    folder: str
    version: str | None
    files: list[dict]
    total_bytes: int
    private: bool = False

    def api_calls(self) -> list[str]:
        """The huggingface_hub calls a real push makes, in order."""
        patterns = [f["path"] for f in self.files]
        calls = [
            f"HfApi().create_repo({self.repo_id!r}, exist_ok=True, private={self.private})",
            f"HfApi().upload_folder(repo_id={self.repo_id!r}, folder_path={self.folder!r}, "
            f"allow_patterns={patterns!r}, commit_message={self.commit_message()!r})",
        ]
        if self.version:
            calls.append(f"HfApi().create_tag({self.repo_id!r}, tag={self.version!r})")
        return calls

    def commit_message(self) -> str:
        return f"Publish {self.version}" if self.version else "Publish model"

    def to_dict(self, dry_run: bool = True) -> dict:
        """The plan as written to the plan file (JSON)."""
        return {**asdict(self), "repo_type": "model", "dry_run": dry_run, "api_calls": self.api_calls()}


def upload_plan(folder: str | Path, repo_id: str, private: bool = False) -> UploadPlan:
    """The plan for pushing a published folder: the files of its manifest plus the manifest itself."""
    folder = Path(folder).expanduser().resolve()
    check_repo_id(repo_id)
    manifest = read_json(folder / MANIFEST, "the checksums of the published files; write it with prepare_model.py")
    files = [dict(path=e["path"], size=e["size"], sha256=e["sha256"]) for e in manifest["files"]]
    files.append(manifest_entry(folder / MANIFEST, MANIFEST))
    return UploadPlan(repo_id, str(folder), manifest.get("version"), files, sum(f["size"] for f in files), private)


def find_token() -> str | None:
    """The Hugging Face token a push would use: ``HF_TOKEN``, else the one saved by ``hf auth login``."""
    from huggingface_hub import get_token

    return get_token()


def is_network_error(exc: BaseException) -> bool:
    """True for connection failures of the HTTP client under huggingface_hub (DNS, refused, timeout)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return isinstance(exc, OSError) or bool(
        names & {"TransportError", "NetworkError", "ConnectError", "TimeoutException", "ConnectionError"}
    )


def push_to_hub(plan: UploadPlan, token: str) -> str:
    """Create the repo, upload the planned files and tag the version; clear CourseErrors when it cannot."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from coursekit.models import hub_host, hub_reachable

    unreachable = (
        f"Hub unreachable: {hub_host()} cannot be reached from this machine, so nothing was uploaded. "
        "Check the connection (or HF_HUB_OFFLINE / HF_ENDPOINT); the dry run (without --push) shows "
        "what would be uploaded."
    )
    if not hub_reachable():
        raise CourseError(unreachable)
    api = HfApi(token=token)
    try:
        url = api.create_repo(plan.repo_id, exist_ok=True, private=plan.private)
        api.upload_folder(
            repo_id=plan.repo_id,
            folder_path=plan.folder,
            commit_message=plan.commit_message(),
            allow_patterns=[f["path"] for f in plan.files],
        )
        if plan.version:
            api.create_tag(plan.repo_id, tag=plan.version)
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        hint = " The token is invalid or cannot write to this namespace." if status in (401, 403) else ""
        raise CourseError(f"the Hub refused the push (HTTP {status}): {str(exc).splitlines()[0]}.{hint}") from None
    except Exception as exc:
        if is_network_error(exc):
            raise CourseError(unreachable) from None
        raise
    return str(url)
