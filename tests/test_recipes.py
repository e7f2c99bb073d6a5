"""The shipped recipes and accelerate configs load (recipes/)."""

from __future__ import annotations

import pytest
from accelerate.commands.config.config_args import ClusterConfig
from accelerate.commands.launch import launch_command_parser
from helpers import RECIPES

from instructerc_hf.training.parser import parse_args


@pytest.mark.parametrize("recipe", sorted(p.relative_to(RECIPES).as_posix() for p in RECIPES.glob("[!a]*/*.yaml")))
def test_recipes_parse(recipe: str) -> None:
    data, tasks, _, training, model = parse_args(["--config", str(RECIPES / recipe), "--bf16", "false"])
    assert (model.lora_r, model.lora_alpha, training.learning_rate, training.seed) == (16, 16, 2e-4, 42)
    assert training.metric_for_best_model == "weighted_f1" and data.dataset in recipe
    if "smoke" in recipe:
        assert training.use_cpu and model.model_name_or_path is None and training.max_steps > 0
    else:
        assert model.model_name_or_path == "meta-llama/Llama-2-7b-hf" and tasks.global_batch_size == 32


@pytest.mark.parametrize("name", ["single_gpu", "multi_gpu_ddp", "deepspeed_zero2", "deepspeed_zero3", "fsdp"])
def test_accelerate_configs_load(name: str) -> None:
    config = ClusterConfig.from_yaml_file(str(RECIPES / "accelerate_configs" / f"{name}.yaml"))
    expected = {"single_gpu": "NO", "multi_gpu_ddp": "MULTI_GPU", "deepspeed_zero2": "DEEPSPEED",
                "deepspeed_zero3": "DEEPSPEED", "fsdp": "FSDP"}[name]
    assert config.distributed_type == expected and config.mixed_precision == "bf16"
    launch_options = {action.dest for action in launch_command_parser()._actions}
    assert set(config.deepspeed_config) | set(config.fsdp_config) <= launch_options
    if name.startswith("deepspeed"):
        assert config.deepspeed_config["zero_stage"] == int(name[-1])
