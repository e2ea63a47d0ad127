"""Grading layer (instructors): open one student's hand-in (a folder or a .zip) safely, trusting nothing in it.

Rules (documented for instructors in labs/instructors.md):

* Symbolic links are skipped entirely (in folders and in zips), so nothing outside the submission is read.
* A file over the per-file limit is refused from its size (``lstat`` or the zip's central directory): it is
  never opened.
* A zip is judged from its central directory before anything is extracted: empty zips, absolute or ``..``
  member paths, too many members, a total uncompressed size over the limit or a suspicious compression
  ratio (zip bombs) reject the whole zip. Members are then extracted one by one into a temporary
  directory, each copy capped at the size its header declares.
* A zip inside the submission is never extracted (the student is asked for a folder or one zip).
* The hand-in may sit at the top of the folder/zip or inside one top folder (``lab-4/``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MB = 2**20
COPY_CHUNK = 64 * 1024
# Files that operating systems add to folders and zips; never part of a hand-in, never worth a remark.
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini", "__pycache__"}


@dataclass(frozen=True)
class Limits:
    """Size limits for one submission (the spec's ``limits:`` section overrides the defaults)."""

    max_file_mb: float = 20
    max_total_mb: float = 100
    max_compression_ratio: float = 100
    ratio_min_mb: float = 1  # small text files compress well legitimately; only big members are judged
    max_members: int = 200

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_total_bytes(self) -> int:
        return int(self.max_total_mb * MB)


@dataclass
class Submission:
    """What a student handed in: the files that may be read, and why anything else was left out.

    ``files`` maps the path inside the hand-in (``predictions.csv``, after removing one top folder such
    as ``lab-4/``) to a regular file on disk. ``refused`` maps paths that were left out to the reason.
    ``invalid`` is set when the submission as a whole cannot be graded (empty or unsafe zip, ...).
    """

    student: str
    source: Path
    files: dict[str, Path] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    invalid: str | None = None

    def refuse(self, name: str, reason: str) -> None:
        """Leave ``name`` out and say why in the feedback."""
        self.refused[name] = reason
        self.notes.append(f"`{name}` was not read: {reason}")


def student_id(entry: Path) -> str:
    """The student id is the folder name or the zip's stem (``alice.zip`` -> ``alice``)."""
    return entry.stem if entry.suffix.lower() == ".zip" and not entry.is_dir() else entry.name


def is_junk(parts: tuple[str, ...]) -> bool:
    """Hidden files (``.DS_Store``, ``.ipynb_checkpoints``) and OS clutter are ignored silently."""
    return any(part.startswith(".") or part in JUNK_NAMES for part in parts)


def size_text(size: int) -> str:
    """'500.0 MB' for messages."""
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size / 1024:.1f} KB"


def strip_top_folder(submission: Submission) -> None:
    """Accept the hand-in inside one top folder (``lab-4/predictions.csv``) as well as at the top."""
    names = list(submission.files) + list(submission.refused)
    tops = {PurePosixPath(name).parts[0] for name in names}
    if not names or len(tops) != 1 or any(len(PurePosixPath(name).parts) < 2 for name in names):
        return
    top = tops.pop()
    cut = len(top) + 1
    submission.files = {name[cut:]: path for name, path in submission.files.items()}
    submission.refused = {name[cut:]: reason for name, reason in submission.refused.items()}


def read_folder(folder: Path, limits: Limits) -> Submission:
    """Collect the regular files of a folder submission in place; nothing is copied or followed."""
    submission = Submission(student_id(folder), folder)
    if folder.is_symlink():
        submission.invalid = (
            "the submission folder is a symbolic link; symlinks are never followed. Hand in a real folder."
        )
        return submission
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        rel_base = base.relative_to(folder)
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                submission.refuse(
                    (rel_base / name).as_posix(),
                    "it is a symbolic link (a linked folder); symlinks are "
                    "skipped. Copy the real files into the submission.",
                )
        dirnames[:] = sorted(d for d in dirnames if not is_junk((d,)) and not (base / d).is_symlink())
        for name in sorted(filenames):
            rel = (rel_base / name).as_posix()
            if is_junk(PurePosixPath(rel).parts):
                continue
            info = os.lstat(base / name)
            if stat.S_ISLNK(info.st_mode):
                submission.refuse(
                    rel, "it is a symbolic link; symlinks are skipped. Copy the real file into the submission."
                )
            elif not stat.S_ISREG(info.st_mode):
                submission.refuse(rel, "it is not a regular file.")
            elif info.st_size > limits.max_file_bytes:
                submission.refuse(
                    rel,
                    f"{size_text(info.st_size)} is over the {limits.max_file_mb:g} MB limit per file; "
                    "hand in only the files the challenge asks for (no models or data).",
                )
            elif total + info.st_size > limits.max_total_bytes:
                submission.refuse(rel, f"the submission is over the {limits.max_total_mb:g} MB total limit.")
            elif rel.lower().endswith(".zip"):
                submission.refuse(rel, "a zip inside the submission is not extracted; submit a folder or one zip.")
            else:
                total += info.st_size
                submission.files[rel] = base / name
    strip_top_folder(submission)
    return submission


def unsafe_member_name(name: str) -> bool:
    """True for absolute paths, drive letters and ``..`` components (zip slip)."""
    posix = name.replace("\\", "/")
    return posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in PurePosixPath(posix).parts


def is_symlink_member(info: zipfile.ZipInfo) -> bool:
    """Zips made on Unix store the file mode in the high 16 bits of ``external_attr``."""
    return stat.S_ISLNK(info.external_attr >> 16)


def zip_rejection(infos: list[zipfile.ZipInfo], limits: Limits) -> str | None:
    """Why the whole zip must be rejected, judged from the central directory alone (nothing extracted)."""
    members = [info for info in infos if not info.is_dir()]
    if not members:
        return "the zip is empty. Zip the folder with your files (e.g. `zip -r lab-4.zip lab-4`)."
    unsafe = [info.filename for info in infos if unsafe_member_name(info.filename)]
    if unsafe:
        return (
            f"the zip contains unsafe paths ({', '.join(repr(n) for n in unsafe[:3])}); nothing was extracted. "
            "Zip the folder itself from its parent directory, without absolute or '..' paths."
        )
    if len(infos) > limits.max_members:
        return (
            f"the zip holds {len(infos)} entries, over the limit of {limits.max_members}; "
            "hand in only the challenge files."
        )
    total = sum(info.file_size for info in members)
    if total > limits.max_total_bytes:
        return (
            f"the zip would unpack to {size_text(total)}, over the {limits.max_total_mb:g} MB limit; nothing was "
            "extracted. Hand in only the challenge files."
        )
    compressed = max(1, sum(info.compress_size for info in members))
    if total >= limits.ratio_min_mb * MB and total / compressed > limits.max_compression_ratio:
        return (
            f"the zip's compression ratio is {total / compressed:.0f}:1 (limit {limits.max_compression_ratio:g}:1), "
            "which looks like a zip bomb; nothing was extracted."
        )
    for info in members:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size >= limits.ratio_min_mb * MB and ratio > limits.max_compression_ratio:
            return (
                f"member {info.filename!r} has a compression ratio of {ratio:.0f}:1 (limit "
                f"{limits.max_compression_ratio:g}:1), which looks like a zip bomb; nothing was extracted."
            )
    return None


def copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, cap: int) -> str | None:
    """Extract one member, never writing more than ``cap`` bytes; return an error text or None."""
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(COPY_CHUNK):
                written += len(chunk)
                if written > cap:
                    break
                sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        return f"it could not be extracted ({exc}). Re-create the zip."
    if written > cap:
        target.unlink(missing_ok=True)
        return "it unpacks to more bytes than its zip header says; the zip looks tampered with. Re-create the zip."
    return None


def read_zip(path: Path, workdir: Path, limits: Limits) -> Submission:
    """Check a zip from its central directory, then extract its acceptable members into ``workdir``."""
    submission = Submission(student_id(path), path)
    if path.is_symlink():
        submission.invalid = "the zip is a symbolic link; symlinks are never followed. Hand in the real file."
        return submission
    if path.stat().st_size > limits.max_total_bytes:
        submission.invalid = (
            f"the zip is {size_text(path.stat().st_size)}, over the {limits.max_total_mb:g} MB "
            "limit; hand in only the challenge files."
        )
        return submission
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        submission.invalid = f"not a readable zip file ({exc}). Re-create it with `zip -r` or hand in a folder."
        return submission
    with archive:
        infos = archive.infolist()
        submission.invalid = zip_rejection(infos, limits)
        if submission.invalid:
            return submission
        seen: set[str] = set()
        file_names = {info.filename.replace("\\", "/").strip("/") for info in infos if not info.is_dir()}
        for info in infos:
            name = info.filename.replace("\\", "/").strip("/")
            parts = PurePosixPath(name).parts
            if info.is_dir() or is_junk(parts) or name in seen:
                continue
            seen.add(name)
            below_a_file = [str(p) for p in PurePosixPath(name).parents if str(p) in file_names]
            if below_a_file:
                submission.refuse(
                    name, f"the zip also holds a file named {below_a_file[0]!r}; a name is a file or a folder."
                )
            elif is_symlink_member(info):
                submission.refuse(name, "it is a symbolic link; symlinks are skipped. Zip the real file.")
            elif info.flag_bits & 0x1:
                submission.refuse(name, "it is encrypted; hand in a zip without a password.")
            elif name.lower().endswith(".zip"):
                submission.refuse(name, "a zip inside the zip is not extracted; submit a folder or one zip.")
            elif info.file_size > limits.max_file_bytes:
                submission.refuse(
                    name,
                    f"{size_text(info.file_size)} is over the {limits.max_file_mb:g} MB limit per "
                    "file; hand in only the files the challenge asks for (no models or data).",
                )
            else:
                target = workdir.joinpath(*parts)
                error = copy_member(archive, info, target, min(info.file_size, limits.max_file_bytes))
                if error:
                    submission.refuse(name, error)
                else:
                    submission.files[name] = target
    strip_top_folder(submission)
    return submission


def find_submissions(folder: Path) -> tuple[list[Path], list[str]]:
    """The student entries of SUBMISSIONS_DIR (sub-folders and .zip files) and remarks on anything else."""
    entries, remarks = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in JUNK_NAMES:
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            entries.append(entry)
        else:
            remarks.append(f"ignored {entry.name}: not a folder or a .zip")
    return entries, remarks
