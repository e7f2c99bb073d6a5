"""The multi-task LoRA schedule, run as ``examples/sft.py`` on a tiny random Llama and synthetic MELD files (CPU)."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import torch
from helpers import MELD_CSV, RECIPES, ROOT, require
from peft import PeftModel
from safetensors.torch import load_file
from trl import SFTConfig

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.inference.scoring import score_labels
from instructerc_hf.labels import MELD
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.prompts import main_prompt
from instructerc_hf.registry import DOMAIN_BASE_NAME, STAGE1_DIR, SUMMARY_NAME
from instructerc_hf.retrieval.domain_base import DomainBase
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import load_retriever
from instructerc_hf.tasks import UnknownTaskError, prompt_config_for
from instructerc_hf.training.arguments import ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from instructerc_hf.training.data import Demonstrator, load_task_splits, prepare_task
from instructerc_hf.training.fitting import PromptTooLongError, dialogue_turns
from instructerc_hf.training.model import TargetModulesError
from instructerc_hf.training.parser import UnknownArgumentError
from instructerc_hf.training.schedule import apply_global_batch_size

SFT_SCRIPT = ROOT / "examples" / "sft.py"


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def run_sft(*argv: str) -> Any:
    """Run ``examples/sft.py``'s ``main`` in this process."""
    return runpy.run_path(str(SFT_SCRIPT), run_name="sft")["main"](list(argv))


def base_args(meld_raw: str, tiny_dir: str, output_dir: Path, *extra: str) -> list[str]:
    return [
        "--dataset", "meld", "--raw_dir", meld_raw, "--model_name_or_path", tiny_dir, "--output_dir", str(output_dir),
        "--use_cpu", "true", "--bf16", "false", "--per_device_train_batch_size", "8",
        "--gradient_accumulation_steps", "1", "--per_device_eval_batch_size", "16", "--learning_rate", "1e-2",
        "--max_length", "256", "--logging_steps", "1", "--disable_tqdm", "true", "--report_to", "none",
        "--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false", *extra,
    ]


def log_values(folder: Path, key: str) -> list[float]:
    history = json.loads((folder / "trainer_state.json").read_text())["log_history"]
    return [entry[key] for entry in history if key in entry]


def test_two_stages_weighted_impact_loss_falls_adapter_reloads_and_resumes(
    meld_raw: str, tiny_dir: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    schedule = [
        "--stage1_max_steps", "6", "--max_steps", "12", "--impact_alpha", "0.1", "--max_eval_samples", "12",
        "--eval_strategy", "steps", "--eval_steps", "6", "--eval_on_start", "true", "--save_strategy", "steps",
        "--save_steps", "6", "--load_best_model_at_end", "true",
    ]
    summary = run_sft(*base_args(meld_raw, tiny_dir, out, *schedule))

    stage1, stage2 = summary.stages
    assert (stage1.tasks, stage2.tasks) == (["speaker"], ["main", "impact"])
    assert stage2.loss_weights == {"main": 1.0, "impact": 0.1}
    assert stage2.rows["main"] == stage2.rows["impact"] == stage1.rows["speaker"]
    speaker_losses = log_values(out / STAGE1_DIR, "loss")
    assert speaker_losses[-1] < speaker_losses[0]
    eval_losses = log_values(out, "eval_loss")  # the weighted objective on fixed validation rows, from step 0
    assert min(eval_losses[1:]) < eval_losses[0]
    assert {"eval_weighted_f1", "eval_accuracy", "eval_macro_f1"} <= set(summary.eval_metrics)
    assert summary.seeds["seed"] == 42 and summary.seeds["sampling_seed"] == 42

    for name in ("adapter_model.safetensors", "tokenizer.json", "instructerc_config.json", SUMMARY_NAME, "README.md"):
        assert (out / name).is_file(), name
    assert json.loads((out / SUMMARY_NAME).read_text())["seeds"]["seed"] == 42
    assert "Weighted F1" in (out / "README.md").read_text()
    final_weights = load_file(out / "adapter_model.safetensors")
    config = ERCModelConfig.from_pretrained(out)
    assert config.prompt == prompt_config_for(["meld"], "original", 12)
    assert config.tasks == [["speaker"], ["main", "impact"]] and config.base_model == tiny_dir
    model = PeftModel.from_pretrained(load_causal_lm(tiny_dir), str(out))
    reloaded = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k}
    assert all(torch.equal(reloaded[k.replace(".default", "")], v) for k, v in final_weights.items())
    validation = load_task_splits(ERCDataArguments(raw_dir=[meld_raw]), "main")["validation"]
    turns = dialogue_turns(validation)
    rebuilt = [main_prompt(turns[(r["dataset"], r["dialogue_id"])], r["turn"], config.prompt) for r in validation]
    assert rebuilt == validation["prompt"]
    tokenizer = load_tokenizer(str(out))
    predictions = score_labels(cast(Any, model), tokenizer, rebuilt[:3], config.labels, progress=False)
    assert {p.label for p in predictions} <= set(MELD.labels)

    resumed = run_sft(*base_args(meld_raw, tiny_dir, out, *schedule[:2], "--max_steps", "14",
                                 "--resume_from_checkpoint", "last"))
    assert resumed.stages[0].skipped and resumed.stages[1].resumed_from == str(out / "checkpoint-12")
    assert resumed.stages[1].global_step == 14


def test_two_processes_shard_batches_and_only_the_main_one_writes(
    meld_raw: str, tiny_dir: str, tmp_path: Path
) -> None:
    """DDP on CPU (gloo): 2 processes x batch 4 x 2 accumulation = 16 rows per step, one epoch per stage."""
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(SFT_SCRIPT),
        *base_args(meld_raw, tiny_dir, out, "--max_train_samples", "32", "--max_eval_samples", "8",
                   "--per_device_train_batch_size", "4", "--global_batch_size", "16", "--num_train_epochs", "1",
                   "--stage1_epochs", "1", "--eval_strategy", "epoch", "--save_strategy", "epoch",
                   "--load_best_model_at_end", "true"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("saved the adapter") == 1
    summary = json.loads((out / SUMMARY_NAME).read_text())
    assert [s["global_step"] for s in summary["stages"]] == [32 // 16, 64 // 16]  # each process saw half the rows
    assert summary["arguments"]["training"]["gradient_accumulation_steps"] == 2
    assert "eval_weighted_f1" in summary["eval_metrics"]
    assert ERCModelConfig.from_pretrained(out).tasks == [["speaker"], ["main", "impact"]]


@pytest.mark.parametrize("padding_free", ["false", "true"])
def test_stage2_continues_the_stage1_adapter(meld_raw: str, tiny_dir: str, tmp_path: Path, padding_free: str) -> None:
    # one stage-2 step is all warm-up, at learning rate 0: the adapter must come out exactly as stage 1 left it
    run_sft(*base_args(meld_raw, tiny_dir, tmp_path, "--stage1_max_steps", "2", "--max_steps", "1",
                       "--padding_free", padding_free))
    stage1 = load_file(tmp_path / STAGE1_DIR / "adapter_model.safetensors")
    final = load_file(tmp_path / "adapter_model.safetensors")
    assert any(k.endswith("lora_B.weight") and v.abs().sum() > 0 for k, v in stage1.items())  # stage 1 trained
    assert stage1.keys() == final.keys() and all(torch.equal(stage1[k], final[k]) for k in stage1)


def test_early_stopping_sees_weighted_f1(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    # learning rate 0: weighted F1 never improves, so patience 1 stops at the second evaluation
    summary = run_sft(*base_args(
        meld_raw, tiny_dir, tmp_path, "--stage1_epochs", "0", "--max_steps", "10", "--learning_rate", "0",
        "--eval_strategy", "steps", "--eval_steps", "1", "--save_strategy", "steps", "--save_steps", "1",
        "--load_best_model_at_end", "true", "--early_stopping_patience", "1", "--max_eval_samples", "4",
    ))
    assert summary.stages[0].global_step == 2
    assert json.loads((tmp_path / "trainer_state.json").read_text())["best_metric"] == summary.eval_metrics[
        "eval_weighted_f1"
    ]


def test_without_eval_loss_evaluation_is_label_scoring_alone(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    summary = run_sft(*base_args(
        meld_raw, tiny_dir, tmp_path, "--stage1_epochs", "0", "--max_steps", "2", "--eval_strategy", "steps",
        "--eval_steps", "1", "--save_strategy", "steps", "--save_steps", "1", "--load_best_model_at_end", "true",
        "--max_eval_samples", "4", "--eval_loss", "false",
    ))
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    evals = [e for e in state["log_history"] if "eval_runtime" in e]
    assert len(evals) == 2 and all("eval_weighted_f1" in e and "eval_loss" not in e for e in evals)
    assert "eval_loss" not in summary.eval_metrics and "eval_weighted_f1" in summary.eval_metrics
    if state["best_global_step"] == state["global_step"]:  # the saved adapter was the last evaluated: no new pass
        assert summary.eval_metrics == {k: v for k, v in evals[-1].items() if k.startswith("eval_")}
    else:
        assert summary.eval_metrics["eval_weighted_f1"] == state["best_metric"]


def test_retrieved_demonstrations(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    summary = run_sft(*base_args(
        meld_raw, tiny_dir, tmp_path / "run", "--stage1_epochs", "0", "--max_steps", "1", "--eval_strategy", "steps",
        "--eval_steps", "1", "--use_demonstrations", "true", "--retrieval_balance", "none", "--retrieval_progress",
        "false", "--retrieval_cache_dir", str(tmp_path / "embeddings"), "--max_eval_samples", "8",
    ))
    assert 0 <= summary.eval_metrics["eval_demonstration_copy_rate"] <= 1
    config = ERCModelConfig.from_pretrained(tmp_path / "run")
    assert config.retrieval is not None and config.retrieval["train_pairing"] == "same_label"
    saved = json.loads((tmp_path / "run" / SUMMARY_NAME).read_text())["domain_base"]
    base = DomainBase.load(tmp_path / "run")
    assert saved == {"file": DOMAIN_BASE_NAME, "entries": len(base), "label_counts": base.label_counts()}
    data = ERCDataArguments(raw_dir=[meld_raw], max_eval_samples=8)
    assert len(base) == len(load_task_splits(data, "main")["train"])  # balance none: every train utterance
    retrieval = ERCRetrievalArguments(use_demonstrations=True, retrieval_balance="none", retrieval_progress=False,
                                      retrieval_cache_dir=str(tmp_path / "embeddings"))
    trained = prepare_task(data, "main", load_tokenizer(tiny_dir), 256, Demonstrator(retrieval, config.prompt))
    retriever = load_retriever(tmp_path / "run")  # the saved base and config rebuild the run's demonstrations
    assert retriever._model is None  # with the run's cached embeddings
    plain = load_task_splits(data, "main")["validation"].select(range(8))
    rebuilt = add_demonstrations(plain, retriever, config.prompt, "inference")
    assert rebuilt["prompt"] == trained.validation["prompt"] != plain["prompt"]


def test_single_stage_plain_baseline_without_evaluation(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    summary = run_sft(*base_args(meld_raw, tiny_dir, tmp_path, "--stage1_epochs", "0", "--stage2_tasks", "plain",
                                 "--max_steps", "2"))
    assert [s.tasks for s in summary.stages] == [["plain"]] and summary.eval_metrics == {}
    assert ERCModelConfig.from_pretrained(tmp_path).tasks == [["plain"]]
    assert not (tmp_path / STAGE1_DIR).exists()


# --- bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error", "match"),
    [
        (["--dataset", "friends"], ValueError, "unknown dataset 'friends'"),
        (["--stage2_tasks", "main", "gossip"], UnknownTaskError, "unknown task 'gossip'"),
        (["--stage2_tasks", "impact"], ValueError, "must contain one of"),
        (["--max_train_samples", "0"], ValueError, "max_train_samples must be >= 1"),
        (["--impact_alpha", "-1"], ValueError, "impact_alpha must be >= 0"),
        (["--fraction", "3/2"], ValueError, "fraction must be in"),
        (["--learning_rat", "1e-3"], UnknownArgumentError, "did you mean 'learning_rate'"),
        (["--lora_target_modules", "q_proj", "qkv"], TargetModulesError, r"no module named \['qkv'\].*q_proj"),
        (["--lora_target_modules", "query_key_value"], TargetModulesError, "no module named.*query_key_value"),
        (["--max_length", "48"], PromptTooLongError, "raise max_length"),
        (["--use_peft", "false"], ValueError, "use_peft must be true"),
        (["--label_eval", "false", "--eval_strategy", "steps"], ValueError, "needs label_eval"),
        (["--packing", "true"], ValueError, "packing is not supported.*padding_free"),
        (["--eval_loss", "false", "--label_eval", "false", "--eval_strategy", "steps",
          "--metric_for_best_model", "loss"], ValueError, "no metric to evaluate"),
        (["--eval_loss", "false", "--eval_strategy", "steps", "--metric_for_best_model", "loss"], ValueError,
         "no eval_loss to select on"),
    ],
)
def test_bad_input_fails_clearly(
    meld_raw: str, tiny_dir: str, tmp_path: Path, extra: list[str], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        run_sft(*base_args(meld_raw, tiny_dir, tmp_path, "--max_steps", "1", "--stage1_max_steps", "1", *extra))


def test_global_batch_size_sets_accumulation(tmp_path: Path) -> None:
    training = SFTConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, activation_checkpointing=False,
                         per_device_train_batch_size=4)
    apply_global_batch_size(training, ERCTaskArguments(global_batch_size=32))
    assert training.gradient_accumulation_steps == 8
    with pytest.raises(ValueError, match="not a multiple"):
        apply_global_batch_size(training, ERCTaskArguments(global_batch_size=30))


# --- the real model --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cpu_smoke_recipe_with_smollm2(tmp_path: Path) -> None:
    raw = str(require(MELD_CSV))
    summary = run_sft(
        "--config", str(RECIPES / "meld" / "smollm2_cpu_smoke.yaml"), "--raw_dir", raw, "--output_dir", str(tmp_path),
        "--stage1_max_steps", "1", "--max_steps", "2", "--max_train_samples", "8", "--max_eval_samples", "8",
        "--eval_steps", "2", "--save_steps", "2",
    )
    assert [s.global_step for s in summary.stages] == [1, 2]
    assert "eval_weighted_f1" in summary.eval_metrics
    assert ERCModelConfig.from_pretrained(tmp_path).base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"  # portable
    adapter_config = json.loads((tmp_path / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
