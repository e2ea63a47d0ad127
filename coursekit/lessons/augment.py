"""Lesson layer (Lab 3): offline text augmentation, small seedable edits that should keep a post's label.

Four operations, all driven by a ``random.Random`` so the same seed gives the same variants:

* :func:`synonym_swap` replaces words with synonyms from :data:`SYNONYMS`, a short list written for
  the trail-status posts (no WordNet, no download);
* :func:`random_deletion` drops each word with probability ``p``;
* :func:`random_swap` swaps neighbouring words;
* :func:`paraphrase` applies one rewrite rule from :data:`REWRITES` ("is not" -> "isn't") or wraps
  the post in a neutral template from :data:`TEMPLATES` ("Update: {text}").

Words that decide a trail-status label ("open", "closed", "not", "until", the trail names, ...)
are in :data:`PROTECTED`: deletion and swapping never touch them, because deleting "not" from
"Rope Mill is not closed" turns an open post into a closed one and the copy keeps the old label.
These are still cheap, surface-level edits; read a sample of what they produce before training on it.
Back-translation and paraphrase models (T5, Pegasus, MarianMT) write more varied text but need
models from the Hugging Face Hub, so this course does not use them offline.

Augment the *training split only*: variants of a test post in the training data leak the test set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from coursekit.errors import CourseError

# Synonyms for words that carry no label, written for the trail posts. Keys are lower case.
SYNONYMS: dict[str, list[str]] = {
    "trail": ["track", "singletrack"],
    "trails": ["tracks", "paths"],
    "riders": ["bikers", "cyclists", "folks"],
    "folks": ["friends", "everyone", "riders"],
    "friends": ["folks", "everyone"],
    "ride": ["bike", "roll"],
    "riding": ["biking", "rolling"],
    "wet": ["soggy", "muddy", "damp"],
    "rain": ["rainfall", "showers"],
    "storm": ["thunderstorm", "bad weather"],
    "storms": ["thunderstorms", "bad weather"],
    "saturated": ["soaked", "waterlogged"],
    "flooded": ["under water", "submerged"],
    "update": ["news", "notice"],
    "thanks": ["thank you", "cheers", "many thanks"],
    "please": ["kindly"],
    "great": ["excellent", "awesome"],
    "good": ["great", "nice"],
    "fast": ["quick", "speedy"],
    "dry": ["dried out", "firm"],
    "tacky": ["grippy"],
    "conditions": ["trail conditions", "the conditions"],
    "crew": ["team", "volunteers"],
    "volunteers": ["helpers", "crew"],
    "enjoy": ["have fun", "savor it"],
    "check": ["look", "inspection"],
    "patience": ["understanding"],
    "morning": ["a.m."],
    "trees": ["limbs", "trunks"],
    "repairs": ["fixes", "maintenance"],
    "parking": ["car park"],
    "safe": ["carefully", "smart"],
}

# Words that decide the label of a trail post. Deletion and swapping leave them alone.
PROTECTED: frozenset[str] = frozenset(
    [
        "open",
        "opens",
        "opened",
        "opening",
        "reopen",
        "reopened",
        "reopens",
        "close",
        "closes",
        "closed",
        "closing",
        "closure",
        "closures",
        "not",
        "no",
        "isn't",
        "aren't",
        "won't",
        "didn't",
        "don't",
        "never",
        "nope",
        "except",
        "but",
        "only",
        "until",
        "till",
        "still",
        "again",
        "today",
        "tonight",
        "tomorrow",
        "later",
        "earlier",
        "now",
        "then",
        "after",
        "before",
        "both",
        "either",
        "neither",
        "all",
        "rest",
        "every",
        "blankets",
        "blanket's",
        "creek",
        "ck",
        "bc",
        "rope",
        "mill",
        "rm",
        "park",
        "pk",
        "olde",
        "ropemill",
        "blanketscreek",
    ]
)

# Label-preserving rewrites: (pattern, replacements). Each applies at the first match, case-insensitively.
REWRITES: list[tuple[str, list[str]]] = [
    (r"\bis not\b", ["isn't"]),
    (r"\bisn't\b", ["is not"]),
    (r"\bdue to\b", ["because of"]),
    (r"\bbecause of\b", ["due to"]),
    (r"\bthank you\b", ["thanks"]),
    (r"\buntil further notice\b", ["for now, until further notice"]),
    (r"\bis open\b", ["is open for riding", "is open to riders"]),
    (r"\bis closed\b", ["is closed to riders", "is closed for riding"]),
    (r"\bwe've\b", ["we have"]),
    (r"\bit's\b", ["it is"]),
]

# Neutral wrappers: they add words that say nothing about either trail.
TEMPLATES: list[str] = [
    "Update: {text}",
    "Trail report: {text}",
    "{text} Please share.",
    "Heads up: {text}",
    "{text} Thanks for reading.",
]

_TOKEN = re.compile(r"^(\W*)(.*?)(\W*)$", re.UNICODE)


def as_rng(rng: random.Random | int | None) -> random.Random:
    """Accept a ``random.Random`` (used as is) or a seed; ``None`` means seed 0, never unseeded."""
    if isinstance(rng, random.Random):
        return rng
    if rng is None:
        return random.Random(0)
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise CourseError(f"rng must be a random.Random or an integer seed, got {type(rng).__name__}.")


def check_text(text) -> str:
    """Return ``text`` if it is a non-empty string; otherwise raise a :class:`CourseError` saying why."""
    if not isinstance(text, str):
        raise CourseError(f"augmentation needs a string, got {type(text).__name__} ({text!r}).")
    if not text.strip():
        raise CourseError("cannot augment an empty text: remove empty rows before augmenting (Lab 1 shows how).")
    return text


def _check_count(n, name: str) -> None:
    """Counts must be positive integers."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CourseError(f"{name} must be a positive integer, got {n!r}.")


def _split_token(token: str) -> tuple[str, str, str]:
    """Split 'Thanks!' into ('', 'Thanks', '!'): synonyms and protection look at the core word."""
    match = _TOKEN.match(token)
    assert match is not None, token  # the pattern's three groups may all be empty, so it matches any string
    lead, core, trail = match.groups()
    return lead, core, trail


def _core(token: str) -> str:
    """The lower-case word inside a token, without surrounding punctuation."""
    return _split_token(token)[1].lower()


def _match_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the capitalisation of ``original`` (UPDATE -> NEWS, Update -> News)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def synonym_swap(
    text: str, rng: random.Random | int | None = None, n: int = 1, synonyms: dict[str, list[str]] | None = None
) -> str:
    """Replace up to ``n`` words that have an entry in ``synonyms`` (default :data:`SYNONYMS`).

    Returns the text unchanged when no word has a synonym.
    """
    check_text(text)
    _check_count(n, "n")
    rng, synonyms = as_rng(rng), SYNONYMS if synonyms is None else synonyms
    tokens = text.split()
    candidates = [i for i, tok in enumerate(tokens) if _core(tok) in synonyms]
    for i in rng.sample(candidates, min(n, len(candidates))):
        lead, core, trail = _split_token(tokens[i])
        tokens[i] = lead + _match_case(core, rng.choice(synonyms[core.lower()])) + trail
    return " ".join(tokens)


def random_deletion(
    text: str, rng: random.Random | int | None = None, p: float = 0.1, protected: frozenset[str] = PROTECTED
) -> str:
    """Delete each unprotected word with probability ``p``; at least one word always survives."""
    check_text(text)
    if not 0.0 <= p < 1.0:
        raise CourseError(f"deletion probability p must be in [0, 1), got {p}.")
    rng = as_rng(rng)
    tokens = text.split()
    kept = [tok for tok in tokens if _core(tok) in protected or rng.random() >= p]
    return " ".join(kept) if kept else rng.choice(tokens)


def random_swap(
    text: str, rng: random.Random | int | None = None, n: int = 1, protected: frozenset[str] = PROTECTED
) -> str:
    """Swap ``n`` pairs of neighbouring words, neither of them protected.

    Neighbours only: swapping words across the post could move "open" from one trail to the other.
    """
    check_text(text)
    _check_count(n, "n")
    rng = as_rng(rng)
    tokens = text.split()
    for _ in range(n):
        pairs = [
            i
            for i in range(len(tokens) - 1)
            if _core(tokens[i]) not in protected and _core(tokens[i + 1]) not in protected
        ]
        if not pairs:
            break
        i = rng.choice(pairs)
        tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    return " ".join(tokens)


def paraphrase(text: str, rng: random.Random | int | None = None) -> str:
    """Apply one applicable rule from :data:`REWRITES`, or else wrap the text in a :data:`TEMPLATES` entry."""
    check_text(text)
    rng = as_rng(rng)
    rules = [(pattern, options) for pattern, options in REWRITES if re.search(pattern, text, re.IGNORECASE)]
    if rules and rng.random() < 0.7:
        pattern, options = rng.choice(rules)
        choice = rng.choice(options)
        return re.sub(pattern, lambda m: _match_case(m.group(0), choice), text, count=1, flags=re.IGNORECASE)
    body = text.strip()
    # "open" + " Please share." reads as one sentence; end the post first.
    if body[-1].isalnum():
        body += "."
    return rng.choice(TEMPLATES).format(text=body)


OPERATIONS: dict[str, Callable[..., str]] = {
    "synonym": synonym_swap,
    "delete": random_deletion,
    "swap": random_swap,
    "paraphrase": paraphrase,
}


def augment(
    text: str,
    n: int = 4,
    rng: random.Random | int | None = None,
    operations: list[str] | None = None,
    max_tries: int = 20,
) -> list[str]:
    """Return up to ``n`` distinct variants of ``text``, each different from it.

    Each variant applies one operation picked at random from ``operations`` (default: all of
    :data:`OPERATIONS`). Short texts may have fewer than ``n`` possible variants; then fewer come back.
    """
    check_text(text)
    _check_count(n, "n")
    rng = as_rng(rng)
    names = list(OPERATIONS) if operations is None else operations
    unknown = [name for name in names if name not in OPERATIONS]
    if unknown or not names:
        raise CourseError(f"unknown augmentation operation(s) {unknown}; choose from {list(OPERATIONS)}.")
    variants: list[str] = []
    for _ in range(n * max_tries):
        if len(variants) == n:
            break
        variant = OPERATIONS[rng.choice(names)](text, rng)
        if variant != text and variant not in variants:
            variants.append(variant)
    return variants


def augment_split(
    texts: list[str],
    labels: list[int],
    n_per_text: int = 1,
    rng: random.Random | int | None = None,
    only_labels: set[int] | None = None,
    operations: list[str] | None = None,
) -> tuple[list[str], list[int]]:
    """Return the training texts and labels plus ``n_per_text`` variants of each (same label).

    ``only_labels`` restricts augmentation to some classes (e.g. the minority). Pass the *training
    split* only. Variants are appended after the originals; shuffle before training if order matters
    (the ``Trainer`` shuffles every epoch).
    """
    if len(texts) != len(labels):
        raise CourseError(f"texts and labels differ in length ({len(texts)} vs {len(labels)}).")
    rng = as_rng(rng)
    out_texts, out_labels = list(texts), list(labels)
    for text, label in zip(texts, labels):
        if only_labels is not None and label not in only_labels:
            continue
        for variant in augment(text, n_per_text, rng, operations):
            out_texts.append(variant)
            out_labels.append(label)
    return out_texts, out_labels
