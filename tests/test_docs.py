"""Guards against drift in the course texts (issue 12 §4, issue 13 §5).

* Every ```text block in ``labs/*.md`` carries a marker on the line before it that names where its text comes from:

      <!-- output: notebooks/lab-4-training-with-trainer.ipynb cell 12 -->   (0-based cell index; or cells 3-5, 3, 7)
      <!-- output: labs/transcripts/lab-4-make-train.txt -->                 (a terminal run, `make transcripts`)
      <!-- output: illustrative -->                                            (only for blocks without numbers)

  and the block must equal that output after nbval's sanitizers (``tests/nbval_sanitize.cfg``). A block may skip
  parts of the output with a line holding only ``...``: each piece between such lines must appear, whole lines in
  order, in the source. When a notebook is re-executed, the failure shows the block, the source cell and a diff, and
  names the cell that holds the text now if the cell index moved.
* Committed notebook outputs hold no absolute machine paths.
* Relative links and ``#anchors`` in ``README.md`` and ``labs/*.md`` resolve; each lab keeps the template sections
  and stays under the word limit; the Lab 2 challenge snippet runs on a fresh clone.
"""

from __future__ import annotations

import configparser
import difflib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from coursekit.paths import PROJECT_ROOT

# Numbered labs and the project labs after them (labs/project-*.md) keep the same template and length limit.
LABS = sorted((PROJECT_ROOT / "labs").glob("lab-*.md")) + sorted((PROJECT_ROOT / "labs").glob("project-*.md"))
MARKER = re.compile(r"^<!--\s*output:\s*(?P<spec>.+?)\s*-->$")
CELL_SPEC = re.compile(r"^(?P<path>\S+\.ipynb)\s+cells?\s+(?P<cells>\d+(?:\s*[-,]\s*\d+)*)$")
ELISION = "..."


@dataclass(frozen=True)
class TextBlock:
    """One fenced block of a lab text: where it is, its fence info string, its lines and the marker above it."""

    doc: Path
    line: int  # 1-based line of the opening fence
    info: str
    lines: tuple[str, ...]
    marker: str | None

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(PROJECT_ROOT)}:{self.line}"


def fenced_blocks(doc: Path) -> list[TextBlock]:
    """Every fenced code block of a Markdown file, with the ``<!-- output: ... -->`` marker on the line before it."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = re.match(r"^(```+)(.*)$", lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(opening.group(1)))
        previous = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = MARKER.match(previous.strip())
        blocks.append(
            TextBlock(doc, i + 1, opening.group(2).strip(), tuple(lines[i + 1 : end]), marker and marker["spec"])
        )
        i = end + 1
    return blocks


@cache
def sanitizers() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The regex/replacement pairs nbval applies (``tests/nbval_sanitize.cfg``), in file order."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(PROJECT_ROOT / "tests" / "nbval_sanitize.cfg", encoding="utf-8")
    return tuple((re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections())


def sanitize(text: str) -> list[str]:
    """Apply nbval's sanitizers, then split into lines without trailing spaces or trailing empty lines."""
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def cell_output_text(cell: dict) -> str:
    """What a student sees under a code cell: streams, then the plain-text form of results and displays."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append("".join(output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(output.get("data", {}).get("text/plain", "")) + "\n")
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}\n")
    return "".join(parts)


@cache
def notebook_outputs(path: str) -> tuple[str, ...]:
    """The output text of every cell of a committed notebook (empty for markdown cells), by 0-based index."""
    notebook = json.loads((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    return tuple(cell_output_text(cell) if cell["cell_type"] == "code" else "" for cell in notebook["cells"])


def pieces(lines: list[str]) -> list[list[str]]:
    """Split a block at its ``...`` lines into pieces that must each appear in the source."""
    result: list[list[str]] = [[]]
    for line in lines:
        if line.strip() in (ELISION, "…"):
            result.append([])
        else:
            result[-1].append(line)
    return [piece for piece in result if piece]


def quotes(block_lines: list[str], source_lines: list[str]) -> bool:
    """True when every piece of the block appears as consecutive whole lines of the source, in order."""
    start = 0
    for piece in pieces(block_lines):
        found = next(
            (i for i in range(start, len(source_lines) - len(piece) + 1) if source_lines[i : i + len(piece)] == piece),
            None,
        )
        if found is None:
            return False
        start = found + len(piece)
    return True


def cells_quoted(block_lines: list[str], notebook: str) -> list[int]:
    """The indices of the notebook's cells whose output the block quotes (to point at a moved cell)."""
    return [i for i, text in enumerate(notebook_outputs(notebook)) if text and quotes(block_lines, sanitize(text))]


def cell_indices(cells: str) -> list[int]:
    """``"12"`` -> [12]; ``"3-5"`` -> [3, 4, 5]; ``"3, 7"`` -> [3, 7] (a block may quote consecutive outputs)."""
    indices: list[int] = []
    for part in cells.split(","):
        first, _, last = part.strip().partition("-")
        indices.extend(range(int(first), int(last or first) + 1))
    return indices


def source_of(spec: str) -> tuple[str, list[str]]:
    """Resolve a marker spec to a description and the sanitized lines of the output it names."""
    cell = CELL_SPEC.match(spec)
    if cell:
        outputs = notebook_outputs(cell["path"])
        indices = cell_indices(cell["cells"])
        assert max(indices) < len(outputs), f"{cell['path']} has {len(outputs)} cells; the marker names {indices}"
        return f"{cell['path']} cells {indices}", sanitize("".join(outputs[i] for i in indices))
    path = PROJECT_ROOT / spec
    assert path.is_file(), f"the marker names {spec}, which does not exist"
    return spec, sanitize(path.read_text(encoding="utf-8"))


def drift_message(block: TextBlock, spec: str, described: str, source: list[str]) -> str:
    """A failure message that shows the block, the source output and a diff, and where the text is now."""
    block_lines = sanitize("\n".join(block.lines))
    diff = "\n".join(difflib.unified_diff(source, block_lines, described, block.where, lineterm=""))
    hint = ""
    cell = CELL_SPEC.match(spec)
    if cell:
        moved = cells_quoted(block_lines, cell["path"])
        hint = f"\nThe block matches cell(s) {moved} of that notebook now: fix the marker." if moved else ""
    elif spec.startswith("labs/transcripts/"):
        hint = f"\nIf the script changed, re-record it first: make transcripts T={Path(spec).stem}"
    return (
        f"{block.where}: the text block no longer matches {described}.\n"
        "Copy the committed output into the lab (or re-point the marker).\n"
        f"--- block ---\n"
        + "\n".join(block.lines)
        + "\n--- source output (sanitized) ---\n"
        + "\n".join(source)
        + f"\n--- diff (source -> block) ---\n{diff}{hint}"
    )


def text_blocks() -> list[TextBlock]:
    return [block for doc in LABS for block in fenced_blocks(doc) if block.info == "text"]


@pytest.mark.parametrize("block", text_blocks(), ids=lambda b: b.where)
def test_text_block_matches_its_source(block: TextBlock) -> None:
    """Each ```text block is a quote of a committed notebook output or transcript, or illustrative without numbers."""
    assert block.marker, (
        f"{block.where}: a ```text block needs a marker on the line before it, e.g. "
        "<!-- output: notebooks/lab-N-....ipynb cell K --> or <!-- output: illustrative -->"
    )
    if block.marker == "illustrative":
        measured = [line for line in block.lines if re.search(r"\d", line)]
        assert not measured, f"{block.where}: an illustrative block must not hold numbers; quote a run: {measured}"
        return
    described, source = source_of(block.marker)
    if not quotes(sanitize("\n".join(block.lines)), source):
        pytest.fail(drift_message(block, block.marker, described, source), pytrace=False)


def test_quotes_follow_order_and_elisions() -> None:
    source = ["a", "b", "c", "d"]
    assert quotes(["b", "c"], source) and quotes(["a", "...", "d"], source) and quotes(["a", "…", "c", "d"], source)
    assert not quotes(["a", "c"], source)  # not consecutive without an elision
    assert not quotes(["d", "...", "a"], source)  # pieces keep their order
    assert not quotes(["b", "c", "x"], source)


def test_drift_message_shows_block_source_diff_and_the_moved_cell() -> None:
    """A block that points at the wrong cell fails with what a maintainer needs to fix it in one step."""
    notebook = "notebooks/lab-2-tokenization.ipynb"
    right = next(b for b in text_blocks() if b.marker == f"{notebook} cell 9")
    moved = TextBlock(right.doc, right.line, "text", right.lines, f"{notebook} cell 8")
    described, source = source_of(moved.marker)
    assert not quotes(sanitize("\n".join(moved.lines)), source)
    message = drift_message(moved, moved.marker, described, source)
    assert "--- block ---" in message and right.lines[0] in message
    assert "--- diff (source -> block) ---" in message and "The block matches cell(s) [9]" in message


def test_output_blocks_are_text_blocks() -> None:
    """A bare ``` fence escapes the drift guard: every block names its language (``text`` for output)."""
    bare = [block.where for doc in LABS for block in fenced_blocks(doc) if not block.info]
    assert not bare, f"fenced blocks without a language (use ```text for output, ```bash for commands): {bare}"


# --- No machine paths in committed notebook outputs -----------------------------------------------------------------

NOTEBOOKS = sorted(
    p.relative_to(PROJECT_ROOT).as_posix()
    for p in [*PROJECT_ROOT.glob("notebooks/*.ipynb"), *PROJECT_ROOT.glob("solutions/*/*.ipynb")]
)
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\\\Users\\\\)")
# Notebooks owned by other parts of the course that still print an absolute path (issue 13 §5). Each entry is an
# expected failure: when the notebook is fixed the test passes unexpectedly (XPASS, strict) -- then delete the entry.
KNOWN_MACHINE_PATHS: dict[str, str] = {}


def machine_paths(notebook: str) -> list[str]:
    """``cell N: line`` for each output line (text of every kind, not images) holding an absolute machine path."""
    cells = json.loads((PROJECT_ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    root = str(PROJECT_ROOT)
    found = []
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            texts = [output.get("text", ""), output.get("evalue", ""), output.get("traceback", [])]
            texts += [value for mime, value in output.get("data", {}).items() if not mime.startswith("image/")]
            for text in texts:
                joined = "".join(text) if isinstance(text, list) else str(text)
                for line in "\n".join(sanitize(joined)).splitlines():
                    if MACHINE_PATH.search(line) or root in line:
                        found.append(f"cell {index}: {line.strip()[:200]}")
    return found


@pytest.mark.parametrize(
    "notebook",
    [
        pytest.param(nb, marks=pytest.mark.xfail(reason=KNOWN_MACHINE_PATHS[nb], strict=True))
        if nb in KNOWN_MACHINE_PATHS
        else nb
        for nb in NOTEBOOKS
    ],
)
def test_notebook_outputs_hold_no_machine_paths(notebook: str) -> None:
    """Outputs print paths relative to the project root: an absolute path means nothing on a student's machine."""
    found = machine_paths(notebook)
    assert not found, f"{notebook}: absolute machine paths in committed outputs (print them relative):\n" + "\n".join(
        found
    )


# --- Links, anchors, the lab template, length -----------------------------------------------------------------------

DOCS = [PROJECT_ROOT / "README.md", *LABS, PROJECT_ROOT / "labs" / "instructors.md"]
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def without_fences(doc: Path) -> str:
    """The text of a Markdown file without its fenced blocks (a ``#`` line there is not a heading)."""
    return re.sub(r"^(```+).*?^\1\s*$", "", doc.read_text(encoding="utf-8"), flags=re.S | re.M)


def prose(doc: Path) -> str:
    """The text of a Markdown file without fenced blocks and inline code (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", without_fences(doc))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: markup dropped, lower case, punctuation removed, spaces become hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"[`*]|<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(doc: Path) -> frozenset[str]:
    """Every heading anchor of a Markdown file, with GitHub's ``-1``, ``-2`` suffixes for repeated headings."""
    seen: dict[str, int] = {}
    result = set()
    for line in without_fences(doc).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            anchor = github_anchor(heading.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            result.add(anchor if count == 0 else f"{anchor}-{count}")
    return frozenset(result)


def broken_links(doc: Path) -> list[str]:
    """Relative links whose file does not exist, and ``#anchors`` that no heading of the target file has."""
    problems = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ... are not checked offline
            continue
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.exists():
            problems.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            problems.append(f"{target}: no heading with anchor #{anchor} in {path.name}")
    return problems


# Broken links in files owned by other parts of the course (expected failures, strict: delete the entry once fixed).
KNOWN_BROKEN_LINKS: dict[str, str] = {}


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(doc, marks=pytest.mark.xfail(reason=KNOWN_BROKEN_LINKS[name], strict=True))
        if (name := doc.relative_to(PROJECT_ROOT).as_posix()) in KNOWN_BROKEN_LINKS
        else doc
        for doc in DOCS
    ],
    ids=lambda d: d.relative_to(PROJECT_ROOT).as_posix(),
)
def test_relative_links_and_anchors_resolve(doc: Path) -> None:
    problems = broken_links(doc)
    assert not problems, f"{doc.relative_to(PROJECT_ROOT)}: broken links:\n" + "\n".join(problems)


def test_link_checker_catches_a_broken_anchor_and_file(tmp_path: Path) -> None:
    """The checker itself: GitHub's anchors (code, em dash, repeats) pass; a wrong anchor and a missing file fail."""
    (tmp_path / "other.md").write_text("# Exercise 1 — `map`, `filter` (notebook §1)\n## Summary\n## Summary\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](other.md#exercise-1--map-filter-notebook-1) [ok](other.md#summary-1) [self](#top)\n# Top\n"
        "[bad](other.md#summary-2) [missing](gone.md) [web](https://example.org/x#y) `[code](nowhere.md)`\n"
    )
    assert broken_links(doc) == [
        "other.md#summary-2: no heading with anchor #summary-2 in other.md",
        "gone.md: no such file",
    ]


# The template every lab keeps (issue 13 §5), as patterns over its headings, in this order.
TEMPLATE = {
    "objectives": r"^objectives",
    "prerequisites": r"^prerequisites",
    "concepts": r"concepts",
    "exercises": r"^(exercises|part [a-z]\b|exercise \d)",
    "challenge": r"^challenge",
    "hand-in": r"^hand-in",
    "summary": r"^summary",
    "next steps": r"^next steps",
}
WORD_LIMIT = 3000
# Labs allowed over the limit, each with its reason. Remove an entry when the lab is split.
LONG_LABS: dict[str, str] = {}


def missing_sections(doc: Path) -> list[str]:
    """Template sections that have no heading in the lab, or that come out of order."""
    headings = [m.group(1).strip().lower() for m in re.finditer(r"^#{2,3}\s+(.*)$", prose(doc), flags=re.M)]
    problems, position = [], -1
    for name, pattern in TEMPLATE.items():
        found = [i for i, heading in enumerate(headings) if re.search(pattern, heading)]
        if not found:
            problems.append(f"no '{name}' section")
        elif max(found) < position:
            problems.append(f"'{name}' comes before the section it should follow")
        else:
            position = min(i for i in found if i >= position)
    return problems


@pytest.mark.parametrize("lab", LABS, ids=lambda d: d.name)
def test_lab_keeps_the_template(lab: Path) -> None:
    problems = missing_sections(lab)
    assert not problems, f"{lab.name}: " + "; ".join(problems)


@pytest.mark.parametrize("lab", LABS, ids=lambda d: d.name)
def test_lab_text_length(lab: Path) -> None:
    """No lab over ~3,000 words (``wc -w``); the allow-listed long labs still may not grow."""
    words = len(lab.read_text(encoding="utf-8").split())
    if lab.name in LONG_LABS:
        assert words <= 4300, f"{lab.name}: {words} words; allowed over {WORD_LIMIT} only as it is now"
        pytest.xfail(f"{lab.name}: {words} words, over {WORD_LIMIT}: {LONG_LABS[lab.name]}")
    assert words <= WORD_LIMIT, f"{lab.name}: {words} words, over {WORD_LIMIT}: split it or cut it"


# --- The Lab 2 challenge snippet runs on a fresh clone ---------------------------------------------------------------


def test_lab2_challenge_snippet_runs_on_a_fresh_clone(tmp_path: Path) -> None:
    """The snippet that gathers the Lab 1 hand-in rows works where ``outputs/`` does not exist yet, sorted by id."""
    lab2 = PROJECT_ROOT / "labs" / "lab-2.md"
    snippets = [b for b in fenced_blocks(lab2) if b.info == "python" and "feedback_clean.jsonl" in "\n".join(b.lines)]
    assert len(snippets) == 1, "the Lab 2 challenge has one Python snippet that writes outputs/feedback_clean.jsonl"
    handin = tmp_path / "handin" / "lab-1"
    handin.mkdir(parents=True)
    (handin / "train.jsonl").write_text(
        '{"id": "fb-0003", "text": "c", "label": "other"}\n{"id": "fb-0001", "text": "a", "label": "praise"}\n',
        encoding="utf-8",
    )
    (handin / "test.jsonl").write_text('{"id": "fb-0002", "text": "b ✅", "label": "billing"}\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "\n".join(snippets[0].lines)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "outputs" / "feedback_clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in written] == ["fb-0001", "fb-0002", "fb-0003"]
    assert "✅" in written[1]  # force_ascii=False keeps the text as written


def test_transcripts_keep_output_and_drop_progress_bars() -> None:
    """What ``make transcripts`` writes: commands and their output, without tqdm bars and their cursor codes."""
    from transcripts import without_progress_bars

    raw = (
        "$ python x.py\nmodel: minilm\n\n  4%|▍         | 2/54 [00:16<06:57,  8.02s/it]\n"
        "\x1b[A{'loss': '1.5'}\n100%|██████████| 3/3 [00:07<00:00,  2.34s/it]\x1b[A\n\n\n"
        "test: accuracy 0.933\n\n$ python y.py\nok\n"
    )
    assert (
        without_progress_bars(raw)
        == "$ python x.py\nmodel: minilm\n{'loss': '1.5'}\ntest: accuracy 0.933\n$ python y.py\nok\n"
    )
