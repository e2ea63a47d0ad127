"""Lesson layer (Lab 9): reading a model card back and checking that it still tells the truth.

``verify_model.py`` and the Lab 9 grader (``coursekit.grading.checks.cards``) read cards with these functions;
none of them raises for a broken card, they return what is wrong. A hand-in is hostile data, so the YAML
metadata is refused before it is built when it is too long, uses anchors/aliases or nests too deep
(:func:`yaml_shape_problem`).

    from coursekit.lessons.card_checks import card_problems, split_front_matter
    front = split_front_matter(text)  # FrontMatter(metadata, body, problem)
    card_problems(text, metrics)      # [] while the card's numbers equal metrics.json's

Metric names follow one rule in both directions: a ``model-index`` metric with ``type: f1`` and
``config: macro`` is ``f1_macro`` in ``metrics.json``; ``type: accuracy`` without a config is ``accuracy``;
``type: recall, config: closed`` is ``recall_closed``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from coursekit.errors import brief

# Keys a card's metadata must have for the Hub to file the model correctly (Lab 9 and verify_model.py).
REQUIRED_METADATA = ["license", "base_model", "datasets", "language", "library_name", "pipeline_tag", "model-index"]
# Sections a reader needs before trusting the model, with the fewest words that can say something useful.
REQUIRED_SECTIONS = {"intended use": 20, "limitations": 30, "training data": 15, "evaluation": 10}
# Metrics every card must report (the others in metrics.json are reported when present).
REQUIRED_METRICS = ["accuracy", "f1_macro"]
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
TABLE_ROW = re.compile(r"^\|\s*`([\w.-]+)`\s*\|\s*([^|]*?)\s*\|\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = "```"
# Bounds on a card's YAML metadata: a hand-in is hostile data (a 6 KB alias bomb expands to gigabytes, YAML
# nested 20,000 deep overflows the parser's recursion). A real card has ~60 lines, 6 levels, no anchors.
MAX_METADATA_CHARS = 64 * 1024
MAX_METADATA_DEPTH = 32
MAX_METADATA_NODES = 20_000


def metric_key(metric_type: str, config: str | None) -> str:
    """``f1`` + ``macro`` -> ``f1_macro``; ``accuracy`` + no config -> ``accuracy`` (the metrics.json key)."""
    return f"{metric_type}_{config}" if config else metric_type


def metric_type_config(key: str) -> tuple[str, str | None]:
    """The inverse of :func:`metric_key`: ``recall_closed`` -> (``recall``, ``closed``)."""
    metric_type, _, config = key.partition("_")
    return metric_type, config or None


@dataclass
class FrontMatter:
    """A card split into its metadata (``None`` when it does not parse), its Markdown body and the problem."""

    metadata: dict | None
    body: str
    problem: str | None


def yaml_shape_problem(block: str) -> str | None:
    """Why a YAML block is refused before it is built (None if it is fine): too long, anchors or aliases,
    nesting deeper than MAX_METADATA_DEPTH or more than MAX_METADATA_NODES values. The event stream is read
    without recursion and without expanding anything, so the check itself is bounded."""
    if len(block) > MAX_METADATA_CHARS:
        return f"is {len(block):,} characters long (limit {MAX_METADATA_CHARS:,})"
    depth = nodes = 0
    for event in yaml.parse(block, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return "uses YAML anchors or aliases (`&name` / `*name`); write every value out"
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_METADATA_DEPTH:
                return f"nests lists/mappings more than {MAX_METADATA_DEPTH} levels deep"
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_METADATA_NODES:
                return f"holds more than {MAX_METADATA_NODES:,} values"
    return None


def split_front_matter(text: str, name: str = "README.md") -> FrontMatter:
    """Separate the YAML block between the first two ``---`` lines from the Markdown that follows."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return FrontMatter(
            None, text, f"{name} does not start with a YAML metadata block (a line `---`, the YAML, another `---`)."
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return FrontMatter(None, text, f"{name}: the metadata block opened on line 1 is never closed with `---`.")
    body = "\n".join(lines[end + 1 :])
    block = "\n".join(lines[1:end])
    try:
        shape = yaml_shape_problem(block)
        if shape:
            return FrontMatter(None, body, f"{name}: the metadata block {shape}; it was not read.")
        metadata = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return FrontMatter(
            None,
            body,
            f"{name}: the metadata block is not valid YAML{where} ({getattr(exc, 'problem', None) or exc}).",
        )
    if not isinstance(metadata, dict):
        return FrontMatter(
            None,
            body,
            f"{name}: the metadata block must be YAML keys (`license: ...`), found {type(metadata).__name__}.",
        )
    return FrontMatter(metadata, body, None)


def model_index_values(metadata: dict, name: str = "README.md") -> tuple[dict[str, Any], list[str]]:
    """The metrics of ``model-index`` as metrics.json keys (``f1`` + ``macro`` -> ``f1_macro``), and problems."""
    index = metadata.get("model-index")
    if not isinstance(index, list) or not index or not isinstance(index[0], dict):
        return {}, [f"{name}: no `model-index` list in the metadata (it holds the evaluation results)."]
    values: dict[str, Any] = {}
    problems = []
    for entry in index:
        for result in (entry.get("results") or []) if isinstance(entry, dict) else []:
            for metric in (result.get("metrics") or []) if isinstance(result, dict) else []:
                if not isinstance(metric, dict) or "type" not in metric or "value" not in metric:
                    problems.append(f"{name}: a model-index metric without `type` and `value`: {brief(metric)}.")
                    continue
                config = metric.get("config")
                values[metric_key(str(metric["type"]), str(config) if config else None)] = metric["value"]
    return values, problems


def table_values(body: str) -> dict[str, str]:
    """Rows ``| `metric` | value |`` of the card's Markdown (outside code blocks): metric -> value text."""
    values, in_code = {}, False
    for line in body.splitlines():
        if line.strip().startswith(FENCE):
            in_code = not in_code
            continue
        match = None if in_code else TABLE_ROW.match(line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


def sections(body: str) -> dict[str, str]:
    """Heading (lower case) -> the text up to the next heading, outside code blocks."""
    found: dict[str, list[str]] = {}
    current, in_code = None, False
    for line in body.splitlines():
        if line.strip().startswith(FENCE):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line.strip())
        if heading:
            current = heading.group(2).strip().lower()
            found.setdefault(current, [])
        elif current is not None:
            found[current].append(line)
    return {title: "\n".join(lines) for title, lines in found.items()}


def as_number(value: Any) -> float | None:
    """A finite float from a YAML value or table text, else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def metric_mismatches(
    claimed: dict[str, Any], test: dict, where: str, required: list[str] = REQUIRED_METRICS, tolerance: float = 1e-4
) -> list[str]:
    """Every claimed metric that differs from metrics.json's test value, and every required one that is absent."""
    problems = [
        f"{where}: no `{key}` (metrics.json test.{key} = {brief(test.get(key))}); the card must report it."
        for key in required
        if key not in claimed
    ]
    for key, value in claimed.items():
        if key not in test:
            if key in required or key.startswith(("accuracy", "f1", "precision", "recall")):
                problems.append(f"{where}: `{key}` is {brief(value)} but metrics.json has no test.{key}.")
            continue
        number, actual = as_number(value), as_number(test[key])
        if number is None or actual is None or abs(number - actual) > tolerance:
            problems.append(
                f"{where}: `{key}` is {brief(value)} but metrics.json says test.{key} = {brief(test[key])}."
            )
    return problems


def metadata_problems(
    metadata: dict, required: list[str] = REQUIRED_METADATA, equals: dict | None = None, name: str = "README.md"
) -> list[str]:
    """Required metadata keys that are missing or empty, and keys that must have a given value."""
    problems = [
        f"{name}: metadata key `{key}` is missing or empty."
        for key in required
        if metadata.get(key) in (None, "", [], {})
    ]
    for key, expected in (equals or {}).items():
        if key in metadata and metadata[key] != expected:
            problems.append(f"{name}: metadata `{key}` is {brief(metadata[key])}, expected {expected!r}.")
    return problems


def section_problems(
    body: str, wanted: dict[str, int], name: str = "README.md", max_words: dict[str, int] | None = None
) -> list[str]:
    """Each wanted section (heading text, any level, any case) exists with at least its number of words."""
    found = sections(body)
    problems = []
    for title, minimum in wanted.items():
        if title.lower() not in found:
            problems.append(f"{name}: no section headed `{title}`.")
            continue
        words = len(WORD.findall(found[title.lower()]))
        limit = (max_words or {}).get(title)
        if words < minimum:
            problems.append(f"{name}: section `{title}` has {words} words; write at least {minimum}.")
        elif limit is not None and words > limit:
            problems.append(f"{name}: section `{title}` has {words} words; keep it to {limit}.")
    return problems


def card_problems(text: str, metrics: dict, name: str = "README.md") -> list[str]:
    """Everything wrong with a card for a run's metrics.json: metadata, sections, and both copies of the numbers."""
    front = split_front_matter(text, name)
    test: dict = metrics["test"] if isinstance(metrics.get("test"), dict) else {}
    problems = [front.problem] if front.problem else []
    if front.metadata is not None:
        problems += metadata_problems(front.metadata, name=name)
        claimed, index_problems = model_index_values(front.metadata, name)
        problems += index_problems or metric_mismatches(claimed, test, f"{name} model-index")
    problems += section_problems(front.body, REQUIRED_SECTIONS, name)
    problems += metric_mismatches(table_values(front.body), test, f"{name} evaluation table")
    return problems
