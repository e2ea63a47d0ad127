"""Lesson layer, Lab 2 (used again in Lab 6): clean social-media posts, and measure token lengths and padding cost.

:func:`clean_social_text` (defined in the core :mod:`coursekit.cleaning`, taught here) is the one place the course
normalises posts (mentions, URLs, hashtags, emojis, whitespace), so the notebook, the scripts, the tests and every
saved run (its cleaner is named in its settings) agree on what "cleaned" means.
:func:`token_length_stats` turns a list of token counts into the numbers used to pick ``max_length``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

# The cleaning rules are core (coursekit.cleaning): a saved run names its cleaner and inference applies it.
from coursekit.cleaning import CAMEL_BOUNDARY, HASHTAG, MENTION, URL, clean_social_text  # noqa: F401 (re-exported)
from coursekit.errors import CourseError


@dataclass(frozen=True)
class TokenLengthStats:
    """Token-length statistics of a text collection for one ``max_length`` and batch size."""

    n_texts: int
    mean_tokens: float
    p50_tokens: int
    p95_tokens: int
    max_tokens: int
    max_length: int
    share_truncated: float
    batch_size: int
    padding_waste_max_length: float
    padding_waste_dynamic: float

    def as_dict(self) -> dict:
        """Plain dict (for JSON)."""
        return asdict(self)


def padding_waste(lengths: list[int], max_length: int, batch_size: int, dynamic: bool) -> float:
    """Share of the token positions in all batches that are padding.

    Texts are truncated to ``max_length`` and batched in the given order. ``dynamic=False`` pads every
    text to ``max_length`` (``padding="max_length"``); ``dynamic=True`` pads each batch to its longest
    text (what ``DataCollatorWithPadding`` does).
    """
    if not lengths:
        raise CourseError("no texts to measure")
    real = padded = 0
    for start in range(0, len(lengths), batch_size):
        batch = [min(n, max_length) for n in lengths[start : start + batch_size]]
        width = max(batch) if dynamic else max_length
        real += sum(batch)
        padded += width * len(batch)
    return 1 - real / padded


def percentile_tokens(lengths: list[int], q: float) -> int:
    """The q-th percentile of the lengths (numpy's linear interpolation), rounded up to a whole token."""
    return int(math.ceil(float(np.percentile(lengths, q))))


def token_length_stats(lengths: list[int], max_length: int, batch_size: int = 16) -> TokenLengthStats:
    """Mean, p50, p95 and max token count, share truncated at ``max_length`` and padding waste.

    ``lengths`` are token counts *including* the special tokens ([CLS] ... [SEP]) and without
    truncation, in the order the texts would be batched.
    """
    if not lengths:
        raise CourseError("no texts to measure: the text column is empty")
    if max_length < 2 or batch_size < 1:
        raise CourseError(f"max_length must be >= 2 and batch_size >= 1 (got {max_length}, {batch_size})")
    return TokenLengthStats(
        n_texts=len(lengths),
        mean_tokens=round(float(np.mean(lengths)), 2),
        p50_tokens=percentile_tokens(lengths, 50),
        p95_tokens=percentile_tokens(lengths, 95),
        max_tokens=int(max(lengths)),
        max_length=max_length,
        share_truncated=round(sum(n > max_length for n in lengths) / len(lengths), 4),
        batch_size=batch_size,
        padding_waste_max_length=round(padding_waste(lengths, max_length, batch_size, dynamic=False), 4),
        padding_waste_dynamic=round(padding_waste(lengths, max_length, batch_size, dynamic=True), 4),
    )


def count_tokens(tokenizer, texts: list[str]) -> list[int]:
    """Token count of each text with [CLS]/[SEP] and without truncation (what ``max_length`` would cut)."""
    return [len(ids) for ids in tokenizer(list(texts), truncation=False)["input_ids"]]


def plot_token_lengths(lengths: list[int], max_length: int, title: str, path=None):
    """Histogram of token counts with ``max_length`` marked; saved as PNG when ``path`` is given.

    Returns the matplotlib figure (a notebook displays it; a script only saves it).
    """
    import matplotlib.pyplot as plt

    share = sum(n > max_length for n in lengths) / len(lengths)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(lengths, bins=range(0, max(lengths) + 5, 2), color="#4C72B0")
    ax.axvline(max_length, color="#C44E52", linestyle="--", label=f"max_length={max_length} (truncates {share:.1%})")
    ax.set(title=title, xlabel="tokens per text (incl. [CLS] and [SEP])", ylabel="number of texts")
    ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
