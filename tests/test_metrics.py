"""Accuracy intervals: the Wilson interval against published values, and its edge cases."""

from __future__ import annotations

import pytest

from coursekit.metrics import format_accuracy, wilson_interval


@pytest.mark.parametrize(
    "correct, total, low, high",
    [
        (126, 135, 0.8782, 0.9645),  # the Lab 4 test split at 0.933
        (0, 10, 0.0, 0.2775),  # Wilson's interval is not empty at 0 (the textbook one is [0, 0])
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_interval_matches_reference_values(correct, total, low, high):
    assert wilson_interval(correct, total) == pytest.approx((low, high), abs=1e-4)


def test_interval_narrows_with_more_examples():
    small, large = wilson_interval(9, 10), wilson_interval(900, 1000)
    assert large[1] - large[0] < (small[1] - small[0]) / 5


@pytest.mark.parametrize("correct, total", [(1, 0), (-1, 5), (6, 5)])
def test_impossible_counts_are_rejected(correct, total):
    with pytest.raises(ValueError):
        wilson_interval(correct, total)


def test_format_accuracy_carries_interval_and_count():
    assert format_accuracy(126, 135) == "0.933 (95% CI 0.878-0.965, 126/135)"
