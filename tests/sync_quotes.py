"""Copy committed outputs into the lab texts that quote them: ``make quotes`` (after ``make notebooks`` or
``make transcripts``).

``tests/test_docs.py`` fails when a ```text block marked ``<!-- output: SOURCE -->`` no longer quotes SOURCE (a
notebook cell or a transcript). This rewrites each such block from its source: each piece of the block (the lines
between ``...`` elisions, or the whole block) is replaced by the stretch of the output, of the same length and in
the same order, that resembles it most, so a quote stays the part of the output the author chose. Blocks that
already match are left alone; ``--check`` only lists the blocks it would change (exit 1 if any).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from test_docs import (
    CELL_SPEC,
    ELISION,
    LABS,
    PROJECT_ROOT,
    TextBlock,
    cell_indices,
    fenced_blocks,
    notebook_outputs,
    pieces,
    quotes,
    sanitize,
    source_of,
)

from coursekit.fileio import atomic_write_text


def raw_source(spec: str) -> list[str]:
    """The source's lines as printed (unsanitized: a lab shows real seconds, not ``TIME``), trailing blanks dropped."""
    cell = CELL_SPEC.match(spec)
    if cell:
        outputs = notebook_outputs(cell["path"])
        text = "".join(outputs[i] for i in cell_indices(cell["cells"]))
    else:
        text = (PROJECT_ROOT / spec).read_text(encoding="utf-8")
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def best_window(piece: list[str], source: list[str], start: int) -> int:
    """The index (>= ``start``) of the stretch of ``source`` of ``len(piece)`` lines most similar to ``piece``."""
    last = max(start, len(source) - len(piece))
    text = "\n".join(piece)
    return max(
        range(start, last + 1),
        key=lambda i: difflib.SequenceMatcher(None, text, "\n".join(source[i : i + len(piece)])).ratio(),
    )


def synced_lines(block: TextBlock, source: list[str]) -> list[str]:
    """The source stretches that replace each piece of the block (a block without ``...`` is one piece)."""
    result: list[str] = []
    start = 0
    for line_group in split_keep_elisions(list(block.lines)):
        if line_group == [ELISION]:
            result.append(ELISION)
            continue
        at = best_window(line_group, source, start)
        result.extend(source[at : at + len(line_group)])
        start = at + len(line_group)
    return result


def split_keep_elisions(lines: list[str]) -> list[list[str]]:
    """Pieces of the block with each ``...`` line kept as its own group, in order."""
    groups: list[list[str]] = []
    for line in lines:
        if line.strip() in (ELISION, "…"):
            groups.append([ELISION])
        elif groups and groups[-1] != [ELISION]:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def sync(doc: Path, check_only: bool) -> list[str]:
    """Rewrite the drifted blocks of one lab text; return ``path:line`` of each block that drifted."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    drifted = []
    for block in reversed(fenced_blocks(doc)):  # bottom-up, so earlier line numbers stay valid
        if block.info != "text" or not block.marker or block.marker == "illustrative":
            continue
        _, source = source_of(block.marker)
        if quotes(sanitize("\n".join(block.lines)), source) and pieces(list(block.lines)):
            continue
        drifted.append(block.where)
        lines[block.line : block.line + len(block.lines)] = synced_lines(block, raw_source(block.marker))
    if drifted and not check_only:
        atomic_write_text(doc, "\n".join(lines) + "\n")
    return drifted


def main(argv: list[str]) -> int:
    """Sync every lab text (or, with ``--check``, only report)."""
    check_only = "--check" in argv
    drifted = [where for doc in LABS for where in sync(doc, check_only)]
    for where in drifted:
        print(f"{'drifted' if check_only else 'synced'}: {where}")
    return 1 if (drifted and check_only) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
