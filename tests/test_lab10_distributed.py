"""Lab 10: the cluster files in examples/distributed/ are valid for accelerate, DeepSpeed and SLURM, and the memory
lessons (coursekit.lessons.scaling) compute what the lab's tables say."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.commands.launch import _validate_launch_command, launch_command_parser
from accelerate.utils.launch import prepare_multi_gpu_env
from helpers import run_main, run_script
from transformers import BertConfig, BertForSequenceClassification

from coursekit.errors import CourseError
from coursekit.lessons.scaling import (
    GB,
    checkpointing_comparison,
    encoder_layers,
    memory_table,
    peak_rss_growth,
    set_checkpointing,
    training_memory,
)
from coursekit.paths import PROJECT_ROOT

DISTRIBUTED = PROJECT_ROOT / "examples" / "distributed"
SCRIPT = "examples/training/classifier.py"


def launch_args(config: str, *extra: str):
    """What `accelerate launch --config_file CONFIG [extra] classifier.py` would run with, without starting it."""
    args = launch_command_parser().parse_args(["--config_file", str(DISTRIBUTED / config), *extra, SCRIPT])
    return _validate_launch_command(args)[0]


@pytest.mark.parametrize(
    "config, kind, processes, machines",
    [
        ("multi_gpu_ddp.yaml", "multi_gpu", 4, 1),
        ("multi_node.yaml", "multi_gpu", 8, 2),
        ("fsdp_full_shard.yaml", "use_fsdp", 4, 1),
        ("deepspeed_zero2.yaml", "use_deepspeed", 4, 1),
    ],
)
def test_accelerate_configs_load_and_launch(config, kind, processes, machines):
    """Each config loads without unknown keys and gives the launcher the intended strategy and process count."""
    load_config_from_file(str(DISTRIBUTED / config))  # raises on keys this accelerate does not know
    args = launch_args(config)
    assert getattr(args, kind) is True
    assert (args.num_processes, args.num_machines) == (processes, machines)


def test_fsdp_config_shards_everything_and_wraps_each_bert_layer():
    env = prepare_multi_gpu_env(launch_args("fsdp_full_shard.yaml"))
    assert env["ACCELERATE_USE_FSDP"] == "true"
    assert env["FSDP_SHARDING_STRATEGY"] == "FULL_SHARD"
    assert env["FSDP_AUTO_WRAP_POLICY"] == "TRANSFORMER_BASED_WRAP"
    assert env["FSDP_TRANSFORMER_CLS_TO_WRAP"] == "BertLayer"
    assert type(BertForSequenceClassification(BertConfig()).bert.encoder.layer[0]).__name__ == "BertLayer"


def test_multi_node_rank_and_address_come_from_the_command_line():
    """The SLURM script passes each node's rank and the main node's address; they override the file."""
    args = launch_args("multi_node.yaml", "--machine_rank", "1", "--main_process_ip", "node-a")
    assert (args.machine_rank, args.main_process_ip, args.main_process_port) == (1, "node-a", 29500)
    assert args.num_processes // args.num_machines == 4  # processes per node: one per GPU


def auto_keys(tree: dict, prefix: str = "") -> list[str]:
    """Dotted names of every value "auto" (left for the Trainer to fill from TrainingArguments)."""
    keys = []
    for key, value in tree.items():
        if isinstance(value, dict):
            keys += auto_keys(value, f"{prefix}{key}.")
        elif value == "auto":
            keys.append(f"{prefix}{key}")
    return keys


@pytest.mark.parametrize("name, stage", [("ds_zero2.json", 2), ("ds_zero3.json", 3)])
def test_deepspeed_json_has_its_stage_and_only_keys_the_trainer_fills(name, stage):
    config = json.loads((DISTRIBUTED / name).read_text())
    assert config["zero_optimization"]["stage"] == stage
    assert config["optimizer"]["type"] == "AdamW"
    # Every "auto" must be a key transformers' DeepSpeed integration fills (a typo would stay "auto" and fail late).
    integration = Path(importlib.util.find_spec("transformers.integrations.deepspeed").origin).read_text()
    keys = auto_keys(config)
    assert "train_micro_batch_size_per_gpu" in keys and "optimizer.params.lr" in keys
    missing = [key for key in keys if f'"{key}"' not in integration]
    assert not missing, f"keys the Trainer does not fill: {missing}"


def test_deepspeed_accelerate_config_points_at_the_zero2_json():
    args = launch_args("deepspeed_zero2.yaml")
    assert Path(args.deepspeed_config_file) == Path("examples/distributed/ds_zero2.json")
    assert (PROJECT_ROOT / args.deepspeed_config_file).is_file()


def test_slurm_script_is_valid_bash_and_launches_the_multi_node_config():
    script = DISTRIBUTED / "slurm_multi_node.sbatch"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    assert "#SBATCH --nodes=2" in text and "#SBATCH --ntasks-per-node=1" in text and "#SBATCH --gres=gpu:4" in text
    assert "--config_file examples/distributed/multi_node.yaml" in text
    for flag in ("--num_machines", "--num_processes", "--machine_rank", "--main_process_ip", "--main_process_port"):
        assert flag in text
        assert flag.removeprefix("--") in vars(launch_command_parser().parse_args([SCRIPT]))  # a real launch flag


def test_memory_estimate_for_a_350m_model_on_4_devices():
    """16 bytes per parameter with AdamW in mixed precision; ZeRO/FSDP divide the sharded parts by 4."""
    assert training_memory(350e6, "ddp", 4).total == pytest.approx(5.6 * GB)
    assert training_memory(350e6, "zero1", 4).total == pytest.approx((2 + 2 + 12 / 4) * 350e6)
    assert training_memory(350e6, "zero2", 4).total == pytest.approx((2 + 14 / 4) * 350e6)
    assert training_memory(350e6, "zero3", 4).total == pytest.approx(1.4 * GB)
    fsdp, zero3 = training_memory(350e6, "fsdp", 4), training_memory(350e6, "zero3", 4)
    assert (fsdp.weights, fsdp.gradients, fsdp.optimizer) == (zero3.weights, zero3.gradients, zero3.optimizer)
    fp32 = training_memory(350e6, "ddp", 1, mixed_precision=False)
    assert (fp32.weights, fp32.gradients, fp32.optimizer) == (1.4e9, 1.4e9, 2.8e9)
    table = memory_table(350e6, 4)
    assert table["total GB"].to_dict() == {"ddp": 5.6, "zero1": 2.45, "zero2": 1.93, "zero3": 1.4, "fsdp": 1.4}


@pytest.mark.parametrize("strategy, world", [("zero4", 2), ("ddp", 0)])
def test_memory_estimate_rejects_unknown_settings(strategy, world):
    with pytest.raises(CourseError):
        training_memory(1e6, strategy, world)


def test_gradient_checkpointing_keeps_fewer_activations():
    """On a tiny 4-layer BERT: checkpointing saves only each layer's input, so far fewer bytes wait for backward."""
    torch.manual_seed(0)
    model = BertForSequenceClassification(
        BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64)
    )
    batch = {"input_ids": torch.randint(0, 100, (4, 24)), "labels": torch.tensor([0, 1, 0, 1])}
    table = checkpointing_comparison(model, batch, steps=1)
    without, with_ = table.loc[False, "activations MB"], table.loc[True, "activations MB"]
    assert with_ < without / 3
    assert not model.is_activation_checkpointing  # left as it was found


class AllocatingModel(torch.nn.Module):
    """Stands in for a model: its forward pass keeps a 100 MB tensor for the backward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, **batch):
        big = torch.ones(25_000_000)  # 100 MB of float32, written, so the pages are resident
        return SimpleNamespace(loss=(big * self.weight).sum())


def test_peak_rss_growth_sees_the_memory_a_step_holds():
    assert peak_rss_growth(AllocatingModel(), {}) > 80e6


CHECKPOINTING = "examples/training/checkpointing.py"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-length", "4"], "--max-length must be between 8 and 512"),
        (["--steps", "0"], "--batch-size and --steps must be at least 1"),
        (["--model", "no/such/dir"], "no/such/dir"),
    ],
)
def test_checkpointing_script_refuses_bad_settings(tmp_path, args, message):
    done = run_main(CHECKPOINTING, *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error:") and message in done.stderr


@pytest.mark.slow
def test_checkpointing_script_prints_both_settings(tmp_path):
    done = run_script(CHECKPOINTING, "--batch-size", "2", "--max-length", "16", "--steps", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "minilm-l6: 22.7M parameters, 6 layers; batch 2 x 16 tokens" in done.stdout
    header, off, on = done.stdout.splitlines()[1], done.stdout.splitlines()[3], done.stdout.splitlines()[4]
    assert header.split() == ["activations", "MB", "peak", "RSS", "growth", "MB", "seconds", "per", "step"]
    assert off.split()[0] == "False" and on.split()[0] == "True"
    assert float(on.split()[1]) < float(off.split()[1]) / 3  # activations kept for backward


@pytest.mark.slow
@pytest.mark.large
def test_checkpointing_on_mpnet_keeps_a_fraction_of_the_activations(tmp_path):
    done = run_main(CHECKPOINTING, "--model", "mpnet", "--max-length", "128", "--steps", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    off, on = (line.split() for line in done.stdout.splitlines()[3:5])
    assert float(on[1]) < float(off[1]) / 5 and float(on[2]) < float(off[2])  # saved bytes and RSS both fall


def test_checkpointing_falls_back_to_wrapping_each_layer_where_transformers_has_no_switch():
    """MPNet has no gradient-checkpointing switch in transformers 5: each layer is wrapped in torch's checkpoint."""
    from transformers import MPNetConfig, MPNetForSequenceClassification

    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64
    )
    model = MPNetForSequenceClassification(config)
    assert not model.supports_gradient_checkpointing
    batch = {"input_ids": torch.randint(3, 100, (4, 24)), "labels": torch.tensor([0, 1, 0, 1])}
    table = checkpointing_comparison(model, batch, steps=1)
    assert table.loc[True, "activations MB"] < table.loc[False, "activations MB"] / 3
    assert not any("forward" in vars(layer) for layer in encoder_layers(model))  # unwrapped again
    set_checkpointing(model, True)
    assert all("forward" in vars(layer) for layer in encoder_layers(model))
    with pytest.raises(CourseError, match="no encoder.layer"):
        encoder_layers(torch.nn.Linear(2, 2))
