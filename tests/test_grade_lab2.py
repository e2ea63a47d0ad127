"""The Lab 2 grader: the reference hand-in scores 100; each defect loses exactly its rubric points."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from grading_builders import (
    check,
    lost,
    png_bytes,
)

import coursekit.grading.grade as grade
from coursekit.grading.checks import load_spec
from coursekit.paths import PROJECT_ROOT

# ------------------------------------------------------------------------------------------------
# Lab 2 (max_length.json + token_lengths.png: keys, choice rules, fixed statistics, consistency)
# ------------------------------------------------------------------------------------------------

LAB2_REFERENCE = {  # the reference solution's max_length.json (labs/lab-2.md), copied so handin/ is not needed
    "model": "minilm-l6",
    "n_texts": 477,
    "mean_tokens": 34.57,
    "p50_tokens": 34,
    "p95_tokens": 57,
    "max_tokens": 84,
    "max_length": 72,
    "share_truncated": 0.0084,
    "batch_size": 16,
    "padding_waste_max_length": 0.5204,
    "padding_waste_dynamic": 0.4093,
    "justification": "p95 is 57 tokens and the longest message 84; max_length 72 is the smallest multiple of 8 that "
    "truncates at most 1% of messages (0.8%).",
}


def make_lab2(folder: Path, **changes) -> Path:
    """The reference Lab 2 hand-in with some keys changed (value None deletes the key)."""
    folder.mkdir(parents=True)
    data = {key: value for key, value in {**LAB2_REFERENCE, **changes}.items() if value is not None}
    (folder / "max_length.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    (folder / "token_lengths.png").write_bytes(png_bytes(700, 350))
    return folder


def test_lab2_reference_handin_scores_full_marks(tmp_path):
    result = grade.grade_entry(make_lab2(tmp_path / "subs" / "sam"), load_spec(2), None)
    assert (result.status, result.points) == ("graded", 100), [(c.check_id, c.message) for c in result.checks]
    assert check(result, "numbers_consistent").message == "max_length.json: all 3 relations between the numbers hold."


@pytest.mark.parametrize(
    "changes, expected_loss, check_id, text",
    [
        (
            {"p95_tokens": None},
            {"exact_keys": 5, "value_types": 15, "token_statistics": 15},
            "exact_keys",
            "max_length.json: the top-level object has missing p95_tokens; use exactly the keys model, n_texts, "
            "mean_tokens, "
            "p50_tokens, p95_tokens, max_tokens, max_length, share_truncated, batch_size, padding_waste_max_length, "
            "padding_waste_dynamic, justification.",
        ),
        (
            {"notes": "extra"},
            {"exact_keys": 5},
            "exact_keys",
            "max_length.json: the top-level object has unexpected notes;",
        ),
        (
            {"batch_size": "16"},
            {"value_types": 15, "fixed_settings": 10},
            "value_types",
            "max_length.json: key 'batch_size' is '16' (text, not a number; write the number without quotes); "
            "expected a whole number ≥ 1.",
        ),
        (
            {"justification": ""},
            {"value_types": 15},
            "value_types",
            "max_length.json: key 'justification' is '' (empty); expected non-empty text.",
        ),
        (
            {"max_length": 600, "share_truncated": 0.0},
            {"max_length_range": 10},
            "max_length_range",
            "max_length.json: key 'max_length' is 600 (above 512); expected a whole number in [16, 512].",
        ),
        (
            {"max_length": 48, "share_truncated": 0.1006},
            {"share_truncated_limit": 10},
            "share_truncated_limit",
            "max_length.json: key 'share_truncated' is 0.1006 (above 0.05); expected a number in [0, 0.05].",
        ),
        (
            {"n_texts": 500},
            {"fixed_settings": 10, "share_truncated_count": 10},
            "fixed_settings",
            "max_length.json: key 'n_texts' is 500 (must be 477); expected exactly 477.",
        ),
        (
            {"p95_tokens": 58},
            {"token_statistics": 15},
            "token_statistics",
            "max_length.json: key 'p95_tokens' is 58 (must be 57); expected exactly 57.",
        ),
        (
            {"mean_tokens": 34.6},
            {"token_statistics": 15},
            "token_statistics",
            "max_length.json: key 'mean_tokens' is 34.6 (above 34.58); expected a number in [34.56, 34.58].",
        ),
        (
            {"share_truncated": 0.0085},
            {"share_truncated_count": 10},
            "share_truncated_count",
            "max_length.json: share_truncated 0.0085 × n_texts (477) = 4.054, not a whole number of texts "
            "(tolerance ±0.025)",
        ),
        (
            {"padding_waste_max_length": 0.4093, "padding_waste_dynamic": 0.5204},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected padding_waste_dynamic (0.5204) <= padding_waste_max_length "
            "(0.4093): a batch padded to its longest (truncated) text never holds more padding than one padded to "
            "max_length.",
        ),
        (
            {"max_length": 96},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected share_truncated (0.0084) == 0 when max_length (96) >= max_tokens (84): no "
            "text is "
            "longer than max_length, so none is truncated.",
        ),
        (
            {"max_length": 80, "share_truncated": 0.0},
            {"numbers_consistent": 10},
            "numbers_consistent",
            "max_length.json: expected share_truncated (0) > 0 when max_length (80) < max_tokens (84)",
        ),
    ],
)
def test_lab2_broken_handin_loses_its_points(tmp_path, changes, expected_loss, check_id, text):
    result = grade.grade_entry(make_lab2(tmp_path / "subs" / "lee", **changes), load_spec(2), None)
    assert result.status == "graded"
    assert lost(result) == expected_loss, [(c.check_id, c.points, c.message) for c in result.checks]
    assert result.points == 100 - sum(expected_loss.values())
    assert text in check(result, check_id).message


def test_lab2_histogram_must_be_a_real_png(tmp_path):
    folder = make_lab2(tmp_path / "subs" / "kim")
    (folder / "token_lengths.png").write_text("<svg>a histogram saved as SVG</svg>" * 30)
    result = grade.grade_entry(folder, load_spec(2), None)
    assert lost(result) == {"histogram_png": 15}
    assert check(result, "histogram_png").message.startswith(
        "token_lengths.png: not a PNG image (wrong file signature); save the figure with "
        "plt.savefig('token_lengths.png')"
    )


def test_lab2_text_does_not_publish_the_graded_statistics():
    """The statistics the grader compares with its own measurement are not given away in the challenge text."""
    text = (PROJECT_ROOT / "labs" / "lab-2.md").read_text(encoding="utf-8")
    challenge = text[text.index("## Challenge") : text.index("## Summary")]
    statistics = next(c for c in load_spec(2)["checks"] if c["id"] == "token_statistics")["keys"]
    for key, rule in statistics.items():
        for value in [rule.get("equals"), rule.get("min"), rule.get("max")]:
            if value is not None:
                shown = f"{value:g}" if isinstance(value, float) else str(value)
                assert not re.search(rf"\b{re.escape(shown)}\b", challenge), (key, shown)
    assert not re.search(r"\b34\.57\b", challenge)  # the mean (the spec holds its ±0.01 bounds)
