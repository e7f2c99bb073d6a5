"""The ablation experiment: settings, the training and evaluation commands, the figures of its trainer states."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from experiments import ablation
from experiments.records import Record
from experiments.run import parse_args
from experiments.variants import VARIANTS, variant


def test_settings_match_the_real_records(real: dict[str, Record]) -> None:
    args = parse_args([])
    recorded_variants = [v for v in VARIANTS if f"ablation-{v.name}-seed42" in real]
    assert len(recorded_variants) >= 5  # the demonstration strategies' records are in experiments/results-whole
    for v in recorded_variants:
        for seed in (42, 43):
            recorded = real[f"ablation-{v.name}-seed{seed}"].settings
            planned = ablation.ablation_settings(args, v.name, seed)
            assert planned == {**recorded, "recipe": "experiments/recipes/meld_smollm2_cpu.yaml"}


def test_the_all_labels_variant_is_the_full_schedule_with_any_label_training_demonstrations(tmp_path: Path) -> None:
    args = parse_args(["ablation", "--max-steps", "3"])
    full, all_labels = (ablation.sft_command(args, v, 42, tmp_path / "data", tmp_path / "out")
                        for v in ("window_demos_aux", "window_demos_aux_all_labels"))
    cut = len(variant("window_demos_aux").sft_options()) + 4  # python, sft.py, --config, recipe
    assert full[:2] == [sys.executable, "examples/sft.py"]
    assert all_labels == [*full[:cut], "--retrieval_train_pairing", "all_labels", *full[cut:]]
    assert full[-4:] == ["--stage1_epochs", "1.0", "--stage1_max_steps", "3"]
    per_label = ablation.sft_command(args, "window_per_label", 42, tmp_path / "data", tmp_path / "out")
    assert per_label[per_label.index("--demonstration_strategy") + 1] == "per_label"
    assert per_label[per_label.index("--demonstration_injection") + 1] == "collator"
    one_stage = ablation.sft_command(args, "window", 42, tmp_path / "data", tmp_path / "out")
    assert "--stage1_max_steps" not in one_stage and one_stage[-2:] == ["--max_steps", "3"]


def test_the_evaluation_scores_the_variant_prompt(tmp_path: Path) -> None:
    args = parse_args([])
    plain = ablation.evaluate_command(args, "plain", tmp_path / "d", tmp_path / "o")
    assert plain[plain.index("--config") + 1] == "plain" and plain[-2:] == ["--limit", "600"]
    args = parse_args(["--test-limit", "0"])
    window = ablation.evaluate_command(args, "window", tmp_path / "d", tmp_path / "o")
    assert window[window.index("--config") + 1] == "main" and "--limit" not in window


def test_the_record_command_of_a_run_matches_the_real_one(real: dict[str, Record]) -> None:
    planned = ablation.ablation_experiment(parse_args([]), "window_demos", 43)
    assert planned.command.removeprefix("python -m experiments.run ") == \
        real["ablation-window_demos-seed43"].command.removeprefix("python benchmarks/run_experiments.py ")


def state(steps: int, evals: list[tuple[int, float]], runtime: float, tokens: int) -> dict:
    history = [{"step": s, "eval_runtime": 10.0, "eval_weighted_f1": f1} for s, f1 in evals]
    return {"global_step": steps, "best_global_step": evals[-1][0] if evals else None,
            "log_history": [{"step": 1, "num_tokens": tokens // 2}, *history, {"step": steps, "num_tokens": tokens},
                            {"train_runtime": runtime}]}


def test_training_figures_sum_the_stages(tmp_path: Path) -> None:
    (tmp_path / "stage1").mkdir()
    (tmp_path / "stage1" / "trainer_state.json").write_text(json.dumps(state(10, [], 50.0, 4000)))
    (tmp_path / "trainer_state.json").write_text(json.dumps(state(20, [(10, 30.0), (20, 35.0)], 120.0, 8000)))
    save_file({"a.lora_A.weight": np.zeros((4, 16), np.float32), "a.lora_B.weight": np.zeros((16, 4), np.float32),
               "score.weight": np.zeros((7, 16), np.float32)}, str(tmp_path / "adapter_model.safetensors"))
    summary = {"arguments": {"training": {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 1}},
               "stages": [{"rows": {"speaker": 40}}, {"rows": {"main": 40, "impact": 40}}]}
    figures = ablation.training_figures(tmp_path, summary)
    assert figures["rows"] == [{"speaker": 40}, {"main": 40, "impact": 40}]
    assert (figures["train_seconds"], figures["eval_seconds"], figures["evaluations"]) == (150.0, 20.0, 2)
    assert (figures["rows_seen"], figures["tokens"], figures["steps"]) == (120, 12000, 30)
    assert figures["tokens_per_second"] == 80.0 and figures["best_step"] == 20
    assert figures["validation_history"] == [{"step": 10, "weighted_f1": 30.0}, {"step": 20, "weighted_f1": 35.0}]
    assert figures["trainable_parameters"] == 64 + 64 + 112


def test_a_search_run_passes_its_recipe_and_options_last(tmp_path: Path) -> None:
    recipe = tmp_path / "tuned.yaml"
    recipe.write_text("per_device_train_batch_size: 8\n")
    extra = "--learning_rate 1e-3 --lora_target_modules all-linear"
    args = parse_args(["ablation", "--recipe", str(recipe), "--sft-args", extra, "--fraction", "1"])
    command = ablation.sft_command(args, "plain", 42, tmp_path / "data", tmp_path / "out")
    assert command[command.index("--config") + 1] == str(recipe) and command[-4:] == extra.split()
    settings = ablation.ablation_settings(args, "plain", 42)
    assert settings["sft_args"] == extra and settings["recipe"] == str(recipe)
    assert "sft_args" not in ablation.ablation_settings(parse_args([]), "plain", 42)
    planned = ablation.ablation_experiment(args, "plain", 42)
    assert f"--recipe {recipe} --sft-args '{extra}' --force" in planned.command
    assert planned.settings != ablation.ablation_experiment(parse_args(["--fraction", "1"]), "plain", 42).settings
