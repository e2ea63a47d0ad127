"""Prove that the test command leaves ``handin/`` (the students' hand-in folder) exactly as it was.

``make test`` runs ``python tests/handin_guard.py snapshot`` first and ``python tests/handin_guard.py verify``
last; ``verify`` exits 1 and names every file that appeared, vanished or changed. ``.ci/run`` plants files in
``handin/`` before, so the check has something to protect on a fresh clone too.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from coursekit.fileio import atomic_write_text
from coursekit.paths import OUTPUTS_DIR, PROJECT_ROOT

HANDIN = PROJECT_ROOT / "handin"
SNAPSHOT = OUTPUTS_DIR / ".handin-snapshot.json"


def fingerprint(folder: Path = HANDIN) -> dict[str, str]:
    """``{relative path: sha256}`` of every file below ``folder`` (folders as ``"dir"``, links as their target)."""
    result: dict[str, str] = {}
    if not folder.exists():
        return result
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            result[key] = "link:" + str(path.readlink())
        elif path.is_dir():
            result[key] = "dir"
        else:
            result[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable lines for each path that was added, removed or changed."""
    lines = [f"removed: {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"added: {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"changed: {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


def main(argv: list[str]) -> int:
    """``snapshot`` records handin/; ``verify`` compares it with the record."""
    if argv == ["snapshot"]:
        atomic_write_text(SNAPSHOT, json.dumps(fingerprint(), indent=1))
        return 0
    if argv == ["verify"]:
        lines = differences(json.loads(SNAPSHOT.read_text(encoding="utf-8")), fingerprint())
        for line in lines:
            print(f"handin/ was modified by the test command: {line}", file=sys.stderr)
        if not lines:
            print(f"handin/ untouched ({len(fingerprint())} entries)")
        return 1 if lines else 0
    print("usage: python tests/handin_guard.py snapshot|verify", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
