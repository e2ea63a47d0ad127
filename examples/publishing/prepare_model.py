"""Lab 9: turn a training run into a folder you can share: weights, config, tokenizer, card and checksums.

    python examples/publishing/prepare_model.py outputs/blankets_creek-minilm-l6 --name trail-status
    python examples/publishing/prepare_model.py RUN_DIR --out published/trail-status \\
        --hub-model-id your-name/trail-status
    python examples/publishing/prepare_model.py RUN_DIR --out handin/lab-9 --without-weights --card-notes notes.md

Without ``--out`` the folder is a new version in the registry: ``outputs/registry/<name>/v1/`` (then v2, ...)
recorded in ``outputs/registry/<name>/versions.json``. The model card ``README.md`` is written from the
run's own ``metrics.json`` (never type a number into a card), and ``manifest.json`` lists the sha256 and
size of every file; ``verify_model.py`` checks both. An existing folder or version is never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.lessons.publishing import (
    REGISTRY_DIR,
    VERSIONS_FILE,
    PreparedModel,
    is_weight_file,
    prepare_model_dir,
    publish_version,
)
from coursekit.paths import PROJECT_ROOT


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("run_dir", type=Path, help="folder of a finished run (examples/training/classifier.py)")
    parser.add_argument("--out", type=Path, default=None, help="write exactly this folder, not a registry version")
    parser.add_argument("--registry", type=Path, default=REGISTRY_DIR, help="where versions are kept (without --out)")
    parser.add_argument("--name", default=None, help="model name (default: the run folder's name)")
    parser.add_argument("--version", default=None, help="v1, v2, ... (default: v1 with --out, else the next free one)")
    parser.add_argument(
        "--hub-model-id", default=None, help="the Hub repo id the card names, e.g. your-name/trail-status"
    )
    parser.add_argument("--license", default=None, help="licence of the weights (default: the base model's)")
    parser.add_argument(
        "--dataset-id", default=None, help="dataset id in the card metadata (default: the data file's stem)"
    )
    parser.add_argument(
        "--card-notes",
        type=Path,
        default=None,
        help="a Markdown file with your own findings, added to the card as 'Known failure cases'",
    )
    parser.add_argument(
        "--without-weights",
        action="store_true",
        help="leave the weights out (the manifest still lists them): the Lab 9 hand-in",
    )
    return parser


def read_notes(path: Path | None) -> str | None:
    """The text of --card-notes, or None."""
    if path is None:
        return None
    if not path.is_file():
        raise CourseError(f"--card-notes file not found: {path}")
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise CourseError(f"--card-notes file {path} is empty; write what you found out about the model's mistakes.")
    return text


def shown(path: Path) -> str:
    """A path relative to the project when it is inside it (shorter, and the same on every machine)."""
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def print_summary(prepared: PreparedModel, registry: Path | None) -> None:
    """What was written, what was left out and why, and the next step."""
    print(f"published {prepared.name} {prepared.version} to {shown(prepared.folder)}")
    for name in prepared.files:
        skipped = not prepared.weights_included and is_weight_file(name)
        print(f"  {name}" + ("  (listed in manifest.json, not copied)" if skipped else ""))
    print("  manifest.json")
    for name, reason in prepared.left_out.items():
        print(f"left out: {name}: {reason}")
    if registry is not None:
        print(f"recorded in {shown(registry / prepared.name / VERSIONS_FILE)}")
    flag = " --without-weights" if not prepared.weights_included else ""
    print(f"check it: python examples/publishing/verify_model.py {shown(prepared.folder)}{flag}")


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Prepare the folder (or registry version) and report."""
    args = build_parser().parse_args(argv)
    options = dict(
        hub_model_id=args.hub_model_id,
        license=args.license,
        dataset_id=args.dataset_id,
        failure_notes=read_notes(args.card_notes),
        include_weights=not args.without_weights,
    )
    if args.out is not None:
        prepared = prepare_model_dir(args.run_dir, args.out, name=args.name, version=args.version or "v1", **options)
        print_summary(prepared, None)
    else:
        name = args.name or args.run_dir.expanduser().resolve().name
        prepared = publish_version(args.run_dir, name, args.version, args.registry, **options)
        print_summary(prepared, args.registry.expanduser().resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
