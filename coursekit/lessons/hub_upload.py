"""Lesson layer (Lab 9): pushing a published folder to the Hugging Face Hub.

A dry-run plan that works offline (every file with its size and sha256, and the huggingface_hub calls a
push makes), the token a push would use, and a real push only when asked.

    from coursekit.lessons.hub_upload import upload_plan
    upload_plan("outputs/registry/trail-status/v1", "your-name/trail-status").api_calls()
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from coursekit.errors import CourseError
from coursekit.lessons.publish_checks import MANIFEST, manifest_entry, read_json


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
