"""Lab 9: push a published model folder to the Hugging Face Hub, or (the default) show exactly what would be pushed.

    python examples/publishing/push_model.py outputs/registry/trail-status/v1 --hub-model-id your-name/trail-status
    python examples/publishing/push_model.py outputs/registry/trail-status/v1 \\
        --hub-model-id your-name/trail-status --push

The default is a dry run that works offline: it verifies the folder, lists every file that would be
uploaded with its size and sha256, and writes that plan to ``<folder>.upload-plan.json``. Only ``--push``
uploads (``HfApi.create_repo``, ``upload_folder``, then ``create_tag`` with the version); it needs a token
(``HF_TOKEN`` or ``hf auth login``) and refuses clearly without one, or when the Hub cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.errors import CourseError, friendly_errors
from coursekit.lessons.hub_upload import find_token, push_to_hub, upload_plan
from coursekit.lessons.publish_checks import MANIFEST, read_json, verify_model_dir
from coursekit.lessons.publishing import write_json


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder written by prepare_model.py (with its weights)")
    parser.add_argument(
        "--hub-model-id",
        default=None,
        help="your-name/model-name (default: the hub_model_id recorded in manifest.json)",
    )
    parser.add_argument(
        "--plan", type=Path, default=None, help="where to write the plan (default: <folder>.upload-plan.json)"
    )
    parser.add_argument("--private", action="store_true", help="create the Hub repo as private")
    parser.add_argument(
        "--push", action="store_true", help="really upload (default: dry run, nothing leaves the machine)"
    )
    return parser


def repo_id_for(folder: Path, given: str | None) -> str:
    """--hub-model-id, else the one prepare_model.py recorded in the manifest."""
    repo_id = given or read_json(folder / MANIFEST, "the checksums of the published files").get("hub_model_id")
    if not repo_id:
        raise CourseError(
            "no --hub-model-id given and none recorded in manifest.json; pass --hub-model-id your-name/model-name."
        )
    return repo_id


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Verify, write the plan, and push only when asked and possible."""
    args = build_parser().parse_args(argv)
    folder = args.folder.expanduser().resolve()
    problems = verify_model_dir(folder)
    if problems:
        print(f"refusing to push {args.folder}: verification failed with {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    plan = upload_plan(folder, repo_id_for(folder, args.hub_model_id), args.private)
    plan_path = (args.plan or folder.with_name(folder.name + ".upload-plan.json")).expanduser().resolve()
    write_json(plan_path, plan.to_dict(dry_run=not args.push))
    print(
        f"{'push' if args.push else 'dry run'}: {len(plan.files)} files, {plan.total_bytes / 2**20:.1f} MB "
        f"to https://huggingface.co/{plan.repo_id}" + (f" (tag {plan.version})" if plan.version else "")
    )
    for entry in plan.files:
        print(f"  {entry['size']:>11,}  {entry['sha256'][:12]}  {entry['path']}")
    print(f"plan written to {plan_path}")
    token = find_token()
    if not args.push:
        state = "found" if token else "none found (set HF_TOKEN or run `hf auth login`): --push would be refused"
        print(f"token: {state}\nnothing was uploaded; add --push to upload. The calls would be:")
        for call in plan.api_calls():
            print(f"  {call}")
        return 0
    if not token:
        raise CourseError(
            "no Hugging Face token: set HF_TOKEN (a token with write access from "
            "https://huggingface.co/settings/tokens) or run `hf auth login`. Nothing was uploaded."
        )
    url = push_to_hub(plan, token)
    print(f"pushed: {url}" + (f" (tag {plan.version})" if plan.version else ""))
    print(
        f'load it with: pipeline("text-classification", model="{plan.repo_id}", revision="{plan.version or "main"}")'
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
