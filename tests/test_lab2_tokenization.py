"""Lab 2: social-text cleaning, token-length statistics and padding cost, and the token_lengths script."""

from __future__ import annotations

import json

import emoji
import pytest
from helpers import run_script

from coursekit.data import read_table
from coursekit.errors import CourseError
from coursekit.lessons.dataset_checks import clean_labelled_frame
from coursekit.lessons.text import (
    clean_social_text,
    count_tokens,
    padding_waste,
    percentile_tokens,
    token_length_stats,
)
from coursekit.paths import DATA_DIR, PROJECT_ROOT

FEEDBACK = DATA_DIR / "feedback.jsonl"
LABELS = ["praise", "bug_report", "feature_request", "billing", "other"]


@pytest.fixture(scope="module")
def tokenizer():
    """The course model's tokenizer (from the installed package, offline)."""
    from transformers import AutoTokenizer

    from coursekit.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model("minilm-l6").path)


@pytest.fixture(scope="module")
def feedback_lengths(tokenizer) -> list[int]:
    """Token counts of the 477 cleaned feedback messages, in id order (the Lab 2 challenge's definition)."""
    frame = clean_labelled_frame(read_table(FEEDBACK), allowed_labels=LABELS).frame.sort_values("id")
    return count_tokens(tokenizer, frame["text"].tolist())


# --- clean_social_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("@cityparksdept Rope Mill is OPEN", "@user Rope Mill is OPEN"),
        ("Thanks @trailcrew_lead!", "Thanks @user!"),
        ("mail info@example.org", "mail info@example.org"),  # an e-mail is not a mention
        ("Status: https://example.org/trail-status", "Status:"),
        ("More info: https://example.org/status. Ride on", "More info. Ride on"),  # sentence end survives
        ("Sign up at www.example.org/volunteer, thanks", "Sign up at, thanks"),
        ("Work day sign-up: example.org/events.", "Work day sign-up."),  # bare domain with a path
        ("#RopeMill is open", "Rope Mill is open"),
        ("#MTBLife #mtb #rope_mill", "MTB Life mtb rope mill"),
        ("#blanketscreek 🚵", "blanketscreek person mountain biking"),  # emojis become their names
        ("Rope Mill 🚫!", "Rope Mill prohibited!"),
        ("🌧️⛈️ soggy", "cloud with rain cloud with lightning and rain soggy"),  # with a variation selector too
        ("  Trails\tare \n open  ", "Trails are open"),
        ("1.5 inches of rain, 3/4 of the loop", "1.5 inches of rain, 3/4 of the loop"),  # not URLs
        ("", ""),
    ],
)
def test_clean_social_text(raw, cleaned):
    assert clean_social_text(raw) == cleaned


def test_clean_social_text_is_idempotent_on_trail_posts():
    posts = read_table(DATA_DIR / "trail_status.csv")["status"].tolist()
    once = [clean_social_text(p) for p in posts]
    assert [clean_social_text(p) for p in once] == once
    assert not any("http" in p or "example.org/" in p or "#" in p for p in once)


@pytest.mark.parametrize("bad", [None, 3, float("nan"), ["a"]])
def test_clean_social_text_rejects_non_strings(bad):
    with pytest.raises(CourseError, match="expects a string"):
        clean_social_text(bad)


# --- token statistics -------------------------------------------------------------------------------


def test_padding_waste_by_hand():
    lengths = [10, 20, 30, 100]
    # max_length 64, batch 2: rows become 10, 20 | 30, 64. Fixed: 4 x 64 = 256 positions, 124 real.
    assert padding_waste(lengths, 64, 2, dynamic=False) == pytest.approx(1 - 124 / 256)
    # Dynamic: batch widths 20 and 64 -> 2*20 + 2*64 = 168 positions.
    assert padding_waste(lengths, 64, 2, dynamic=True) == pytest.approx(1 - 124 / 168)


def test_token_length_stats_by_hand():
    stats = token_length_stats([10, 20, 30, 100], max_length=64, batch_size=2)
    assert stats.as_dict() == {
        "n_texts": 4,
        "mean_tokens": 40.0,
        "p50_tokens": 25,
        "p95_tokens": 90,
        "max_tokens": 100,
        "max_length": 64,
        "share_truncated": 0.25,
        "batch_size": 2,
        "padding_waste_max_length": round(1 - 124 / 256, 4),
        "padding_waste_dynamic": round(1 - 124 / 168, 4),
    }
    assert percentile_tokens([1, 2, 3, 4], 50) == 3  # 2.5 rounds up to a whole token


@pytest.mark.parametrize(
    "lengths, max_length, batch, message",
    [
        ([], 64, 16, "no texts"),
        ([5, 6], 1, 16, "max_length must be >= 2"),
        ([5, 6], 64, 0, "batch_size >= 1"),
    ],
)
def test_token_length_stats_bad_input(lengths, max_length, batch, message):
    with pytest.raises(CourseError, match=message):
        token_length_stats(lengths, max_length, batch)


def test_count_tokens_includes_special_tokens(tokenizer):
    assert count_tokens(tokenizer, ["Rope Mill is OPEN!", ""]) == [7, 2]
    assert tokenizer.convert_ids_to_tokens(tokenizer("Rope Mill is OPEN!")["input_ids"]) == [
        "[CLS]",
        "rope",
        "mill",
        "is",
        "open",
        "!",
        "[SEP]",
    ]


def test_feedback_token_lengths(feedback_lengths):
    stats = token_length_stats(feedback_lengths, 72, 16)
    assert (stats.n_texts, stats.p50_tokens, stats.p95_tokens, stats.max_tokens) == (477, 34, 57, 84)
    assert stats.mean_tokens == pytest.approx(34.57)
    assert stats.share_truncated == 0.0084  # 4 of 477
    assert stats.padding_waste_dynamic < stats.padding_waste_max_length


def test_cleaning_shortens_trail_posts(tokenizer):
    posts = read_table(DATA_DIR / "trail_status.csv")["status"].tolist()
    raw = count_tokens(tokenizer, posts)
    cleaned = count_tokens(tokenizer, [clean_social_text(p) for p in posts])
    # An emoji (one [UNK]) becomes a few words; every other change (URLs, hashtags, mentions) only shortens a post.
    without_emoji = [i for i, p in enumerate(posts) if not emoji.emoji_count(p)]
    assert all(cleaned[i] <= raw[i] for i in without_emoji)
    assert sum(cleaned) < 0.97 * sum(raw)


@pytest.mark.parametrize("status_emoji, other_emoji", [("✅", "❌"), ("🟢", "🔴"), ("✅", "🚫")])
def test_emoji_only_status_keeps_its_meaning(tokenizer, status_emoji, other_emoji):
    """Raw, "Blankets Creek ✅" and "... ❌" are the same input ids (both emojis are [UNK]); cleaned, they differ."""
    raw = [tokenizer(f"Blankets Creek {e}")["input_ids"] for e in (status_emoji, other_emoji)]
    assert raw[0] == raw[1] and tokenizer.unk_token_id in raw[0]
    cleaned = [tokenizer(clean_social_text(f"Blankets Creek {e}"))["input_ids"] for e in (status_emoji, other_emoji)]
    assert cleaned[0] != cleaned[1]
    assert tokenizer.unk_token_id not in cleaned[0] + cleaned[1]


def test_cleaning_leaves_no_emoji_unknown_in_trail_posts(tokenizer):
    """After cleaning, no trail post has an [UNK] token left (before, every post with an emoji had one)."""
    posts = read_table(DATA_DIR / "trail_status.csv")["status"].tolist()
    unknown = tokenizer.unk_token_id
    before = sum(unknown in ids for ids in tokenizer(posts)["input_ids"])
    after = sum(unknown in ids for ids in tokenizer([clean_social_text(p) for p in posts])["input_ids"])
    assert before == sum(bool(emoji.emoji_count(p)) for p in posts) > 0
    assert after == 0


# --- the token_lengths script -----------------------------------------------------------------------


def test_script_on_feedback(tmp_path):
    png = tmp_path / "plots" / "lengths.png"
    result = run_script(
        "examples/tokenization/token_lengths.py",
        "--data",
        str(FEEDBACK),
        "--text-column",
        "text",
        "--max-length",
        "64",
        "--plot",
        str(png),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "feedback.jsonl column 'text': 479 texts (1 empty skipped)" in out
    assert "tokens per text: mean 34.6, p50 34, p95 57, max 84" in out
    assert "max_length 64: 2.5% of texts truncated (12 of 479)" in out
    assert "padding='max_length' 46.3%, dynamic padding 39.3%" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_script_defaults_measure_trail_posts(tmp_path):
    result = run_script("examples/tokenization/token_lengths.py", "--clean", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trail_status.csv column 'status' (cleaned): 900 texts (0 empty skipped)" in result.stdout
    assert "tokenizer: minilm-l6" in result.stdout and "max_length 64:" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "missing.csv"], "data file not found"),
        (["--data", str(FEEDBACK), "--text-column", "body"], "no column 'body'"),
        (["--max-length", "1"], "--max-length must be >= 2"),
        (["--model", "no such model"], "is neither a known alias"),
    ],
)
def test_script_bad_input_exits_2(tmp_path, args, message):
    result = run_script("examples/tokenization/token_lengths.py", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_script_malformed_jsonl_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": "broken\n', encoding="utf-8")
    result = run_script(
        "examples/tokenization/token_lengths.py", "--data", str(bad), "--text-column", "text", cwd=tmp_path
    )
    assert result.returncode == 2 and "line 2 is not valid JSON" in result.stderr


def test_lab_text_names_the_handin_files():
    text = (PROJECT_ROOT / "labs" / "lab-2.md").read_text(encoding="utf-8")
    assert "handin/lab-2/max_length.json" in text and "handin/lab-2/token_lengths.png" in text
    example = json.loads(text.split("```json")[1].split("```")[0])
    assert {
        "model",
        "max_length",
        "p95_tokens",
        "share_truncated",
        "padding_waste_max_length",
        "padding_waste_dynamic",
        "justification",
    } <= set(example)
