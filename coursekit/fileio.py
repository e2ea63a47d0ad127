"""Core layer: write files so that nothing a user wrote is ever lost (every lab and tool that writes files).

Three rules, one place:

* :func:`atomic_write_text` / :func:`atomic_write_bytes` / :func:`atomic_writer` write to a temporary name in
  the target's folder and rename it over the target only when the content is complete, so a kill mid-write
  leaves the old file (or nothing), never half a file.
* :func:`refuse_to_replace` stops a command from silently replacing a file or folder the user may have edited:
  the caller passes ``overwrite`` from its ``--overwrite`` flag.
* :func:`swap_in_dir` replaces a finished folder (a training run, a published model) by a new one that is
  already complete, so the old one exists until the new one is ready.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from coursekit.errors import CourseError


def refuse_to_replace(path: Path, overwrite: bool, what: str = "file") -> None:
    """Raise :class:`CourseError` when ``path`` exists and ``overwrite`` is false."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise CourseError(f"{path} already exists; pass --overwrite to replace this {what}, or choose another path.")


@contextlib.contextmanager
def atomic_writer(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on a clean exit rename it to ``path``, on an error delete it.

    Usage: ``with atomic_writer(out / "gradebook.csv", newline="") as handle: csv.writer(handle)...``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():  # mkstemp creates 0600; keep the mode the file had
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def staging_dir(final: Path) -> Path:
    """A new empty folder next to ``final`` (same file system, so :func:`swap_in_dir` is a rename)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private (0700); the swapped-in folder is an ordinary one
    return staging


def swap_in_dir(new: Path, final: Path) -> None:
    """Put the finished folder ``new`` at ``final``; an existing ``final`` is removed only after the swap.

    The old folder is first renamed aside, the new one renamed into place, and only then the old one deleted:
    at every moment either the old or the new complete folder sits at ``final``.
    """
    new, final = Path(new), Path(final)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    try:
        os.replace(new, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
