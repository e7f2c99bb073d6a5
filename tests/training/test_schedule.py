"""``examples/sft.py``: the multi-task LoRA schedule on a tiny random Llama and synthetic MELD files (CPU)."""

from __future__ import annotations

import csv
import json
import os
import random
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import datasets
import pytest
import torch
from accelerate.commands.config.config_args import ClusterConfig
from accelerate.commands.launch import launch_command_parser
from conftest import MELD_CSV, require
from peft import PeftModel
from safetensors.torch import load_file
from trl import SFTConfig

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.data.builder import InstructERCBuilder
from instructerc_hf.data.export import BuildArguments, export_dataset
from instructerc_hf.inference.scoring import score_labels
from instructerc_hf.labels import MELD
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.prompts import main_prompt
from instructerc_hf.registry import DOMAIN_BASE_NAME, STAGE1_DIR, SUMMARY_NAME
from instructerc_hf.retrieval.domain_base import DomainBase
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import load_retriever
from instructerc_hf.tasks import UnknownTaskError, prompt_config_for
from instructerc_hf.testing import build_tiny_llama
from instructerc_hf.training.arguments import PAPER_DEFAULTS, ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from instructerc_hf.training.data import (
    LOSS_WEIGHT,
    Demonstrator,
    load_task_splits,
    prepare_task,
    stage_dataset,
    training_indices,
)
from instructerc_hf.training.fitting import (
    HistoryMismatchError,
    PromptTooLongError,
    dialogue_turns,
    fit_prompts,
    sequence_lengths,
)
from instructerc_hf.training.model import TargetModulesError
from instructerc_hf.training.parser import UnknownArgumentError, make_parser, parse_args
from instructerc_hf.training.schedule import apply_global_batch_size
from instructerc_hf.training.trainer import InstructERCTrainer

ROOT = Path(__file__).resolve().parents[1]
SFT_SCRIPT = ROOT / "examples" / "sft.py"
RECIPES = ROOT / "recipes"
RAW_EMOTIONS = ("neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust")
WORDS = ("great", "awful", "okay", "wow", "scary", "gross", "hate")
NAMES = ("Ross", "Rachel", "Joey", "Monica")


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def write_meld_csvs(folder: Path, dialogues: dict[str, int], turns: tuple[int, int] = (3, 9), seed: int = 0) -> Path:
    """Synthetic MELD CSVs: ``dialogues[split]`` dialogues of random length; an utterance's word gives its emotion."""
    rng = random.Random(seed)
    files = {"train": "train_sent_emo.csv", "validation": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in dialogues.items():
        with (folder / files[split]).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID"])
            for dialogue in range(count):
                for utterance in range(rng.randint(*turns)):
                    emotion = rng.randrange(len(RAW_EMOTIONS))
                    text = f"Oh {WORDS[emotion]}, that is {WORDS[emotion]} {rng.randint(0, 99)}!"
                    writer.writerow([0, text, rng.choice(NAMES), RAW_EMOTIONS[emotion], "neutral", dialogue, utterance])
    return folder


@pytest.fixture(scope="module")
def meld_raw(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_meld_csvs(tmp_path_factory.mktemp("meld"), {"train": 12, "validation": 4, "test": 2}))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"), vocab_words=[*WORDS, *NAMES])


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


# --- the script end to end -------------------------------------------------------------------------------------------


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


def test_stage2_continues_the_stage1_adapter(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    # one stage-2 step is all warm-up, at learning rate 0: the adapter must come out exactly as stage 1 left it
    run_sft(*base_args(meld_raw, tiny_dir, tmp_path, "--stage1_max_steps", "2", "--max_steps", "1"))
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


# --- the weighted loss at the data level -----------------------------------------------------------------------------


def stage2(meld_raw: str, tokenizer: Any, alpha: float, tasks: tuple[str, ...] = ("main", "impact")) -> Any:
    data = ERCDataArguments(raw_dir=[meld_raw], max_train_samples=6)
    schedule = ERCTaskArguments(stage2_tasks=list(tasks), impact_alpha=alpha)
    parts = [prepare_task(data, task, tokenizer, 256) for task in tasks]
    return stage_dataset(parts, "train", schedule)


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_impact_rows_weigh_alpha(meld_raw: str, tiny_dir: str, alpha: float) -> None:
    rows = stage2(meld_raw, load_tokenizer(tiny_dir), alpha)
    assert rows.column_names == ["prompt", "completion", "task", LOSS_WEIGHT]
    weights = {(task, round(weight, 6)) for task, weight in zip(rows["task"], rows[LOSS_WEIGHT], strict=True)}
    assert weights == {("main", 1.0), ("impact", alpha)}


def batch_gradient(tiny_dir: str, rows: datasets.Dataset, tmp_path: Path) -> tuple[torch.Tensor, int]:
    """Gradient of one batch holding every row, and the batch's completion-token count."""
    args = SFTConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, activation_checkpointing=False,
                     max_length=256, report_to=[], save_strategy="no", per_device_train_batch_size=len(rows))
    model = load_causal_lm(tiny_dir)
    trainer = InstructERCTrainer(model=model, args=args, train_dataset=rows, processing_class=load_tokenizer(tiny_dir))
    prepared = cast(datasets.Dataset, trainer.train_dataset)
    inputs = trainer._prepare_inputs(trainer.data_collator([prepared[i] for i in range(len(prepared))]))
    cast(torch.Tensor, trainer.compute_loss(model, inputs)).backward()
    grads = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    return grads, int((inputs["labels"][:, 1:] != -100).sum())


def test_alpha_zero_impact_rows_add_no_gradient(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    mixed, n_mixed = batch_gradient(tiny_dir, stage2(meld_raw, tokenizer, 0.0), tmp_path)
    main_only, n_main = batch_gradient(tiny_dir, stage2(meld_raw, tokenizer, 0.0, ("main",)), tmp_path)
    assert n_mixed > n_main  # impact tokens count in the denominator, so the gradient is only rescaled
    torch.testing.assert_close(mixed * n_mixed, main_only * n_main, rtol=1e-4, atol=1e-6)


# --- data: sampling and fitting to max_length -------------------------------------------------------------------------


def test_training_selection_equals_the_builder(meld_raw: str) -> None:
    data = ERCDataArguments(raw_dir=[meld_raw], fraction="1/4", sampling_seed=7)
    full = load_task_splits(data, "main")["train"]
    builder = InstructERCBuilder(config_name="meld-main", raw_dir=meld_raw, fraction="1/4", sampling_seed=7)
    expected = [row["prompt"] for row in builder.split_rows("train")]
    assert full.select(training_indices(full, data))["prompt"] == expected
    assert len(expected) == round(len(full) / 4)


def test_built_folder_gives_the_rows_of_raw_files(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    folder = tmp_path / "meld"
    export_dataset(BuildArguments(dataset="meld", raw_dir=[meld_raw], out=str(folder), tasks=["main", "impact"],
                                          label_spaces=["original"]))
    tokenizer = load_tokenizer(tiny_dir)
    for task in ("main", "impact"):
        from_folder = prepare_task(ERCDataArguments(dataset_path=str(folder), fraction="1/2"), task, tokenizer, 256)
        from_raw = prepare_task(ERCDataArguments(raw_dir=[meld_raw], fraction="1/2"), task, tokenizer, 256)
        assert from_folder.train["prompt"] == from_raw.train["prompt"]
        assert from_folder.validation["completion"] == from_raw.validation["completion"]
    with pytest.raises(HistoryMismatchError, match="another window"):
        prepare_task(ERCDataArguments(dataset_path=str(folder), window=2), "main", tokenizer, 256)


def test_fit_shortens_history_never_the_utterance_or_statement(meld_raw: str, tiny_dir: str) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    full = load_task_splits(ERCDataArguments(raw_dir=[meld_raw]), "main")["train"]
    turns = dialogue_turns(full)
    lengths = sequence_lengths(tokenizer, full["prompt"], full["completion"])
    budget = sorted(lengths)[len(lengths) // 2]  # half the rows are too long
    fitted, report = fit_prompts(full, tokenizer, budget, turns, 12)
    assert report.num_shortened == sum(n > budget for n in lengths) > 0
    assert max(sequence_lengths(tokenizer, fitted["prompt"], fitted["completion"])) <= budget
    for row, before in zip(fitted, full, strict=True):
        dialogue = turns[(row["dataset"], row["dialogue_id"])]
        candidates = [main_prompt(dialogue, row["turn"], prompt_config_for(["meld"], "original", w)) for w in range(13)]
        assert row["prompt"] in candidates and row["completion"] == before["completion"]
        assert row["prompt"].endswith(before["prompt"][before["prompt"].index(" ### Please select"):])


def test_fit_checks_the_window_of_prebuilt_prompts(meld_raw: str, tiny_dir: str) -> None:
    full = load_task_splits(ERCDataArguments(raw_dir=[meld_raw]), "impact")["train"]
    with pytest.raises(HistoryMismatchError, match="another window"):
        fit_prompts(full, load_tokenizer(tiny_dir), None, dialogue_turns(full), 1)


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
    ],
)
def test_bad_input_fails_clearly(
    meld_raw: str, tiny_dir: str, tmp_path: Path, extra: list[str], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        run_sft(*base_args(meld_raw, tiny_dir, tmp_path, "--max_steps", "1", "--stage1_max_steps", "1", *extra))


def test_unknown_recipe_key_names_key_and_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("dataset: meld\nraw_dir: [x]\nlora_rank: 8\noutput_dir: out\n")
    with pytest.raises(UnknownArgumentError, match=r"recipe .*recipe.yaml has unknown key\(s\): 'lora_rank' "
                                                   r"\(did you mean .*'lora_r'"):
        parse_args(["--config", str(recipe)])


def test_no_data_source_is_an_error() -> None:
    with pytest.raises(ValueError, match="exactly one of dataset_path"):
        ERCDataArguments()


# --- recipes, defaults and accelerate configs ------------------------------------------------------------------------


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


@pytest.mark.parametrize("recipe", sorted(p.relative_to(RECIPES).as_posix() for p in RECIPES.glob("[!a]*/*.yaml")))
def test_recipes_parse(recipe: str) -> None:
    data, tasks, _, training, model = parse_args(["--config", str(RECIPES / recipe), "--bf16", "false"])
    assert (model.lora_r, model.lora_alpha, training.learning_rate, training.seed) == (16, 16, 2e-4, 42)
    assert training.metric_for_best_model == "weighted_f1" and data.dataset in recipe
    if "smoke" in recipe:
        assert training.use_cpu and model.model_name_or_path is None and training.max_steps > 0
    else:
        assert model.model_name_or_path == "meta-llama/Llama-2-7b-hf" and tasks.global_batch_size == 32


def test_command_line_overrides_recipe() -> None:
    recipe = str(RECIPES / "meld" / "smollm2_cpu_smoke.yaml")
    _, tasks, _, training, _ = parse_args(["--config", recipe, "--max_steps", "3", "--impact_alpha", "1"])
    assert (training.max_steps, tasks.impact_alpha) == (3, 1.0)


def test_global_batch_size_sets_accumulation(tmp_path: Path) -> None:
    training = SFTConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, activation_checkpointing=False,
                         per_device_train_batch_size=4)
    apply_global_batch_size(training, ERCTaskArguments(global_batch_size=32))
    assert training.gradient_accumulation_steps == 8
    with pytest.raises(ValueError, match="not a multiple"):
        apply_global_batch_size(training, ERCTaskArguments(global_batch_size=30))


def test_retrieval_arguments_cover_retrieval_config() -> None:
    config = ERCRetrievalArguments(use_demonstrations=True, retrieval_top_k=2, retrieval_seed=3).retrieval_config()
    assert (config.top_k, config.seed, config.train_pairing) == (2, 3, "same_label")


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


# --- the real model ----------------------------------------------------------------------------------------------------


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
    assert ERCModelConfig.from_pretrained(tmp_path).base_model == "smollm2-135m-instruct-offline"
