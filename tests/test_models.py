"""The model helper: aliases resolve offline, directories are checked, Hub ids fail clearly offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.errors import CourseError
from coursekit.lessons.model_card import BASE_MODELS
from coursekit.models import DEFAULT_MODEL, MODELS, model_help, models_table_markdown, resolve_model
from coursekit.paths import PROJECT_ROOT
from coursekit.training import TrainConfig, load_tokenizer_and_model


def test_default_alias_points_at_packaged_minilm():
    choice = resolve_model()
    assert choice.name == DEFAULT_MODEL == "minilm-l6"
    model_dir = Path(choice.path)
    assert (model_dir / "config.json").is_file() and (model_dir / "model.safetensors").is_file()
    assert "site-packages" in choice.path  # shipped by the pip package, not downloaded


def test_default_model_loads_with_only_a_new_head():
    choice = resolve_model("minilm-l6")
    tokenizer, model = load_tokenizer_and_model(choice, {0: "closed", 1: "open"})
    assert model.config.model_type == "bert"
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384
    assert model.config.id2label == {0: "closed", 1: "open"}
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(22.7e6, rel=0.01)
    assert tokenizer.is_fast and tokenizer.vocab_size == 30522
    assert tokenizer.tokenize("Trails are open") == ["trails", "are", "open"]


def test_three_layer_variant_and_random_baseline():
    l3 = resolve_model("minilm-l3")
    _, model = load_tokenizer_and_model(l3, {0: "a", 1: "b"})
    assert model.config.num_hidden_layers == 3
    pretrained = load_tokenizer_and_model(resolve_model("minilm-l6"), {0: "a", 1: "b"})[1]
    random_init = load_tokenizer_and_model(resolve_model("minilm-l6-random"), {0: "a", 1: "b"})[1]
    name = "bert.embeddings.word_embeddings.weight"
    assert not (pretrained.state_dict()[name] == random_init.state_dict()[name]).all()


def test_local_directory(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)).path == str(tmp_path.resolve())


def test_missing_and_non_model_directories(tmp_path):
    with pytest.raises(CourseError, match="model directory not found"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(CourseError, match="not a model directory"):
        resolve_model(str(tmp_path))


def test_unreachable_hub_id_names_the_offline_alias(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for hub_id in ("distilbert-base-uncased", "microsoft/deberta-v3-large"):
        with pytest.raises(CourseError) as error:
            resolve_model(hub_id)
        message = str(error.value)
        assert hub_id in message and "cannot be reached" in message and "--model minilm-l6" in message


def test_hub_check_can_be_skipped():
    assert resolve_model("roberta-large", check_hub=False).path == "roberta-large"


@pytest.mark.parametrize("value", ["not a model", "trailing-slash/", "-leading-dash"])
def test_nonsense_value_is_rejected(value):
    with pytest.raises(CourseError, match="neither a known alias"):
        resolve_model(value)


@pytest.mark.large
def test_mpnet_assembles_from_the_five_packages():
    choice = resolve_model("mpnet")
    tokenizer, model = load_tokenizer_and_model(choice, {0: "closed", 1: "open"})
    assert model.config.model_type == "mpnet" and model.config.num_hidden_layers == 12
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(109.5e6, rel=0.01)
    assert tokenizer("Trails are open")["input_ids"][0] == tokenizer.cls_token_id


def test_every_alias_has_a_description_licence_and_learning_rate():
    assert set(MODELS) == {"minilm-l6", "minilm-l3", "minilm-l6-random", "mpnet"}
    for alias, spec in MODELS.items():
        assert spec.alias == alias and spec.description and spec.licence and spec.learning_rate > 0
        assert spec.hub_id.startswith("sentence-transformers/")


def test_readme_models_table_is_the_registry():
    """Change the registry (coursekit/models.py) and paste models_table_markdown() into README.md, or this fails."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert models_table_markdown() in readme


def test_model_card_facts_and_model_help_come_from_the_registry():
    for alias, spec in MODELS.items():
        info = BASE_MODELS[alias]
        assert (info.hub_id, info.license, info.description) == (spec.hub_id, spec.licence, spec.card_description)
        assert f"{alias} (lr {spec.learning_rate:g})" in model_help()
    help_text = TrainConfig.__dataclass_fields__["model"].metadata["help"]
    assert help_text == model_help()


def test_an_alias_resolves_to_its_registry_entry():
    for alias in ("minilm-l6", "minilm-l3", "minilm-l6-random"):
        choice = resolve_model(alias)
        spec = MODELS[alias]
        assert (choice.learning_rate, choice.pretrained, choice.config_overrides) == (
            spec.learning_rate,
            spec.pretrained,
            spec.config_overrides,
        )
