"""Lab 9: check a published model folder before anyone downloads it.

    python examples/publishing/verify_model.py outputs/registry/blankets_creek-minilm-l6/v1
    python examples/publishing/verify_model.py handin/lab-9 --without-weights

Checks that every file has the size and sha256 that ``manifest.json`` lists (a changed file is caught),
that no unlisted file crept in, that the model card's numbers, in its metadata and in its evaluation table,
equal ``metrics.json``, that ``config.json``'s id2label names the same labels, and that no JSON file
publishes an absolute path of your machine. Exit status 0 when all is well, 1 with the list of problems
(2 when the folder does not exist).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import friendly_errors
from coursekit.lessons.publish_checks import verify_model_dir


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder written by prepare_model.py")
    parser.add_argument(
        "--without-weights",
        action="store_true",
        help="the weights may be missing (a hand-in); they must still be listed in the manifest",
    )
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Verify the folder and print the verdict."""
    args = build_parser().parse_args(argv)
    problems = verify_model_dir(args.folder, require_weights=not args.without_weights)
    if problems:
        print(f"verification failed: {len(problems)} problem(s) in {args.folder}", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print(f"ok: {args.folder} matches its manifest, and its card matches metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
