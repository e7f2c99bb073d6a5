"""Parsing recipes and the command line: the paper's defaults, unknown keys, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import RECIPES

from instructerc_hf.training.arguments import PAPER_DEFAULTS
from instructerc_hf.training.parser import UnknownArgumentError, make_parser, parse_args


def test_paper_defaults_without_recipe() -> None:
    data, tasks, retrieval, training, model = parse_args(["--raw_dir", "x", "--output_dir", "out", "--bf16", "false"])
    assert (model.lora_r, model.lora_alpha, model.lora_dropout) == (16, 16, 0.05)
    assert model.lora_target_modules == ["q_proj", "k_proj", "v_proj"] and model.use_peft
    assert (training.learning_rate, training.adam_beta1, training.adam_beta2) == (2e-4, 0.9, 0.95)
    assert (training.weight_decay, training.warmup_steps, training.max_grad_norm, training.seed) == (0, 0.1, 1.0, 42)
    assert training.lr_scheduler_type == "linear" and training.metric_for_best_model == "weighted_f1"
    assert training.per_device_train_batch_size * training.gradient_accumulation_steps == 32
    assert (tasks.stages(), tasks.impact_alpha) == ([["speaker"], ["main", "impact"]], 0.1)
    assert data.dataset == "meld" and data.window == 12 and not retrieval.use_demonstrations
    assert set(PAPER_DEFAULTS) <= {action.dest for action in make_parser()._actions}


def test_unknown_recipe_key_names_key_and_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("dataset: meld\nraw_dir: [x]\nlora_rank: 8\noutput_dir: out\n")
    with pytest.raises(UnknownArgumentError, match=r"recipe .*recipe.yaml has unknown key\(s\): 'lora_rank' "
                                                   r"\(did you mean .*'lora_r'"):
        parse_args(["--config", str(recipe)])


def test_command_line_overrides_recipe() -> None:
    recipe = str(RECIPES / "meld" / "smollm2_cpu_smoke.yaml")
    _, tasks, _, training, _ = parse_args(["--config", recipe, "--max_steps", "3", "--impact_alpha", "1"])
    assert (training.max_steps, tasks.impact_alpha) == (3, 1.0)


def test_bf16_defaults_on_with_use_cpu_where_the_cpu_has_bf16_units(monkeypatch: pytest.MonkeyPatch) -> None:
    from instructerc_hf.training import parser as parser_module

    recipe = str(RECIPES / "meld" / "smollm2_cpu_smoke.yaml")  # use_cpu: true, bf16 not set
    monkeypatch.setattr(parser_module, "cpu_supports_bf16", lambda: True)
    assert parse_args(["--config", recipe])[3].bf16 is True
    assert parse_args(["--config", recipe, "--bf16", "false"])[3].bf16 is False  # what is asked wins
    monkeypatch.setattr(parser_module, "cpu_supports_bf16", lambda: False)
    assert parse_args(["--config", recipe])[3].bf16 is False
