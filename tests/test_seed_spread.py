"""Lab 4, exercise 4: the seed-spread table (issue 13 §3) reports per-seed intervals and an honest mean ± sd."""

from __future__ import annotations

import json

import pytest
from helpers import import_script, run_main, run_script

SCRIPT = "examples/models/seed_spread.py"


def fake_results():
    """Three runs on 135 + 135 posts; validation 110, 120, 100 correct; test 126, 118, 122 correct."""
    seed_result = import_script("models/seed_spread.py").SeedResult
    return [
        seed_result(42, 110, 135, 126, 135),
        seed_result(1, 120, 135, 118, 135),
        seed_result(2, 100, 135, 122, 135),
    ]


def test_table_shows_each_seed_with_wilson_intervals_and_counts():
    table = import_script("models/seed_spread.py").spread_table(fake_results())
    lines = table.splitlines()
    assert lines[1] == "  42  0.815 (95% CI 0.741-0.871, 110/135)  0.933 (95% CI 0.878-0.965, 126/135)"
    assert lines[2].startswith("   1  0.889 (95% CI")
    assert "118/135" in lines[2] and "100/135" in lines[3]


def test_summary_is_mean_and_sample_sd_across_seeds():
    table = import_script("models/seed_spread.py").spread_table(fake_results())
    # validation 110/120/100 of 135: mean 0.815, sample sd 10/135 = 0.074; test 126/118/122: mean 0.904, sd 0.030
    assert "validation accuracy       0.815 ± 0.074" in table
    assert "test accuracy             0.904 ± 0.030" in table
    # gaps -16, +2, -22 posts of 135: mean -12 posts (-0.089), sample sd sqrt(156) = 12.5 posts (0.093)
    assert "validation minus test     -0.089 ± 0.093" in table
    assert "across 3 seeds (mean ± sd):" in table


def test_read_result_turns_rounded_accuracies_back_into_counts(tmp_path):
    metrics = {
        "validation_size": 135,
        "test_size": 135,
        "label_names": ["closed", "open"],
        "validation_history": [
            {"epoch": 1.0, "accuracy": 0.6815, "loss": 0.6018},
            {"epoch": 4.0, "accuracy": 0.8148, "loss": 0.6342},
        ],
        "test": {"accuracy": 0.9333},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    result = import_script("models/seed_spread.py").read_result(7, tmp_path)
    assert (result.seed, result.validation_correct, result.test_correct, result.learned) == (7, 110, 126, True)


def test_a_collapsed_run_is_named_and_summarised_apart():
    """Lab 4's seed 3 ended at validation loss 0.6931 = ln 2 (a constant guess); the table must say so."""
    spread = import_script("models/seed_spread.py")
    assert not spread.learned(0.6931, 2) and spread.learned(0.6342, 2) and spread.learned(1.0, 3)
    table = spread.spread_table([*fake_results(), spread.SeedResult(3, 67, 135, 67, 135, learned=False)])
    assert table.splitlines()[4].endswith("67/135)  did not learn")
    assert "across 4 seeds (mean ± sd):" in table and "1 run(s) did not learn" in table
    # the runs that learned: the same summary as without the collapsed run
    assert table.split("across the 3 seeds that learned (mean ± sd):")[1] == spread_tail(spread)


def spread_tail(spread) -> str:
    return spread.spread_table(fake_results()).split("across 3 seeds (mean ± sd):")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "42"], "--seeds needs at least two different seeds"),
        (["--seeds", "1", "1"], "--seeds needs at least two different seeds"),
        (["--seeds", "1", "2", "1"], "lists a seed twice"),
        (["--seeds", "1", "2", "--epochs", "0"], "--epochs must be positive"),
        (["--seeds", "1", "2", "--max-length", "4"], "--max-length at least 8"),
    ],
)
def test_bad_settings_are_refused_before_any_training(tmp_path, args, message):
    result = run_main(SCRIPT, *args, "--output", "spread", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "spread").exists()


@pytest.mark.slow
def test_script_trains_one_run_per_seed_and_prints_the_table(tmp_path):
    result = run_script(
        SCRIPT,
        "--seeds",
        "1",
        "2",
        "--epochs",
        "0.1",
        "--output",
        "spread",
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "spread").iterdir() if p.is_dir()) == ["seed-1", "seed-2"]
    assert "across 2 seeds (mean ± sd):" in result.stdout
    assert result.stdout.count("/135") == 4
