"""Lab 6: the with/without-cleaning measurement Lab 2 promises (issue 13 §3) pairs the two runs post by post."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import import_script, run_main, run_script

SCRIPT = "examples/evaluation/cleaning_effect.py"


def module():
    return import_script("evaluation/cleaning_effect.py")


def write_predictions(path, texts, truth, predicted):
    pd.DataFrame({"text": texts, "true_label": truth, "predicted_label": predicted, "confidence": 0.9}).to_csv(
        path, index=False
    )
    return path


RAW_TEXTS = ["Open ✅ @bob", "closed #RopeMill", "NaN", "open"]
TRUTH = ["open", "closed", "closed", "open"]


def test_paired_counts_show_which_posts_only_one_run_gets_right(tmp_path):
    clean = [module().clean_social_text(t) for t in RAW_TEXTS]
    raw = write_predictions(tmp_path / "raw.csv", RAW_TEXTS, TRUTH, ["closed", "closed", "open", "open"])
    cleaned = write_predictions(tmp_path / "clean.csv", clean, TRUTH, ["open", "closed", "closed", "closed"])
    result = module().paired_result(raw, cleaned)
    assert result.raw_right == [False, True, False, True] and result.clean_right == [True, True, True, False]
    table = module().comparison_table(result)
    assert "raw posts      0.500 (95% CI 0.150-0.850, 2/4)" in table
    assert "cleaned posts  0.750 (95% CI 0.301-0.954, 3/4)" in table
    assert "difference     +0.250 (+1 posts): right only when raw 1, right only when cleaned 2" in table
    assert "on the 3 discordant posts: p = 1.000" in table
    # the discordant posts are 0, 2 and 3; cleaning rewrites post 0 ("Open ✅ @bob") but leaves "NaN" and "open"
    assert result.unchanged == [False, False, True, True]
    assert "discordant posts that cleaning left unchanged (flipped by training noise alone): 2" in table


def test_sign_test_is_exact_and_two_sided():
    # 13 vs 3 of 16: 2 * (1 + 16 + 120 + 560) / 2**16
    assert module().sign_test_p(13, 3) == pytest.approx(2 * 697 / 65536)
    assert module().sign_test_p(0, 0) == 1.0


def test_runs_on_different_test_posts_are_refused(tmp_path):
    raw = write_predictions(tmp_path / "raw.csv", RAW_TEXTS, TRUTH, TRUTH)
    other = write_predictions(tmp_path / "clean.csv", ["another post", *RAW_TEXTS[1:]], TRUTH, TRUTH)
    with pytest.raises(module().CourseError, match="hold different test posts"):
        module().paired_result(raw, other)


def test_cleaned_copy_changes_only_the_text_column(tmp_path):
    source = tmp_path / "posts.csv"
    pd.DataFrame({"status": ["Open ✅ see https://x.co", "NaN", "plain"], "Blankets_Creek": [1, 0, 1]}).to_csv(
        source, index=False
    )
    changed = module().write_cleaned_copy(source, "status", tmp_path / "clean.csv")
    written = pd.read_csv(tmp_path / "clean.csv", keep_default_na=False)
    assert changed == 1
    assert written["status"].tolist() == ["Open check mark button see", "NaN", "plain"]
    assert written["Blankets_Creek"].tolist() == [1, 0, 1]


def test_bad_epochs_are_refused_before_anything_is_written(tmp_path):
    result = run_main(SCRIPT, "--epochs", "0", "--output", "effect", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --epochs must be positive") and "Traceback" not in result.stderr
    assert not (tmp_path / "effect").exists()


@pytest.mark.slow
def test_script_trains_both_runs_on_the_same_test_posts(tmp_path):
    result = run_script(SCRIPT, "--epochs", "0.1", "--output", "effect", cwd=tmp_path, env={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "clean_social_text changed 665 posts" in result.stdout
    assert "test posts: 135 (the same posts for both runs)" in result.stdout
    assert result.stdout.count("/135)") == 2 and "discordant posts" in result.stdout
    assert (tmp_path / "effect" / "cleaned" / "test_predictions.csv").is_file()
