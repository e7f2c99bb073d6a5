"""Multi-task LoRA training with TRL: the logic behind ``examples/sft.py``.

The paper's schedule (arXiv 2309.11911): stage 1 trains a LoRA adapter on speaker identification; stage
2 continues **the same adapter** on the main task plus emotion impact prediction, whose loss is weighted by
``impact_alpha`` (per-example ``loss_weight`` in :class:`~instructerc_hf.training.trainer.InstructERCTrainer`; the official code
never applied its weight, which ``impact_alpha=1`` reproduces).

Layout of ``output_dir``: stage 1 trains in ``output_dir/stage1`` (checkpoints, then its final adapter); stage 2
loads a fresh base model with that adapter (so each stage gets its own, cleanly prepared model, also under DeepSpeed
or FSDP) and trains in ``output_dir``. At the end ``output_dir`` holds the adapter (the best on the validation split
when ``load_best_model_at_end``), the tokenizer, ``instructerc_config.json`` (labels and prompt configuration, from
which inference rebuilds the same prompts), ``instructerc_training.json`` (arguments, seeds, row counts, metrics)
and the model card ``README.md``; with demonstrations also ``domain_base.jsonl``, the domain base that inference
retrieves them from (:func:`instructerc_hf.retrieval.load_retriever`), listed in the summary's ``domain_base``. Only
the main process writes files; every process trains on its shard of each batch (Trainer's distributed sampler).

Resuming: ``resume_from_checkpoint: last`` (or ``true``) continues from the newest checkpoint of the stage that was
running (a finished stage 1 is not rerun); a checkpoint path resumes stage 2 from it.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch
from accelerate import PartialState
from peft import PeftConfig, PeftModel
from transformers import EarlyStoppingCallback, PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
from trl import ModelConfig, SFTConfig, get_peft_config

from ..cards.model_card import ModelCardCallback, write_model_card
from ..inference.scoring import EXACT_ATTENTION
from ..modeling import load_tokenizer, resolve_base_model
from ..prompts import PromptConfig
from ..quiet import peft_wrapping
from ..registry import STAGE1_DIR, SUMMARY_NAME
from ..retrieval.domain_base import DomainBase
from .arguments import ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments, prompt_config
from .card import card_data, schedule_hyperparameters
from .data import (
    Demonstrator,
    TaskSplits,
    label_eval_set,
    prepare_task,
    stage_collator,
    stage_dataset,
    with_loss_weight,
)
from .label_eval import LABEL_METRICS, LabelEvalSet
from .launch import check_engine, check_world
from .model import load_base_model
from .parser import ScriptArguments, parse_args
from .resume import resume_points, stage_finished
from .summary import StageResult, TrainingSummary, erc_model_config, new_summary
from .trainer import InstructERCTrainer

logger = logging.getLogger(__name__)




def check_arguments(training: SFTConfig, model: ModelConfig, tasks: ERCTaskArguments) -> None:
    """Refuse settings that contradict the method (full fine-tuning, loss on the prompt, packing) or each other."""
    if not model.use_peft:
        raise ValueError("examples/sft.py trains LoRA adapters: use_peft must be true")
    if training.completion_only_loss is False:
        raise ValueError("InstructERC trains on the completion (label and EOS) only: completion_only_loss cannot be false")
    if training.packing:
        raise ValueError("packing is not supported: every row is one prompt-completion pair (padding_free: true "
                         "drops the padding instead)")
    attention = model.attn_implementation
    if tasks.label_eval and training.eval_strategy != "no" and attention not in (None, *EXACT_ATTENTION):
        raise ValueError(f"label_eval scores labels with a 4D attention mask, which attn_implementation={attention!r} "
                         f"ignores: use one of {list(EXACT_ATTENTION)} or label_eval: false")
    metric = (training.metric_for_best_model or "").removeprefix("eval_")
    if training.eval_strategy != "no" and metric in LABEL_METRICS and not tasks.label_eval:
        raise ValueError(f"metric_for_best_model={metric} needs label_eval: true (or select on eval_loss)")
    if training.eval_strategy != "no" and not tasks.eval_loss and (not tasks.label_eval or metric == "loss"):
        raise ValueError("eval_loss: false leaves " + ("no metric to evaluate: turn label_eval on" if not
                         tasks.label_eval else "no eval_loss to select on: metric_for_best_model: weighted_f1"))


def apply_global_batch_size(training: SFTConfig, tasks: ERCTaskArguments) -> None:
    """Set ``gradient_accumulation_steps`` so that a step sees ``global_batch_size`` sequences over all processes."""
    if tasks.global_batch_size is None:
        return
    per_step = training.per_device_train_batch_size * max(1, training.world_size)
    if tasks.global_batch_size % per_step:
        raise ValueError(
            f"global_batch_size={tasks.global_batch_size} is not a multiple of per_device_train_batch_size x "
            f"processes = {training.per_device_train_batch_size} x {max(1, training.world_size)}"
        )
    training.gradient_accumulation_steps = tasks.global_batch_size // per_step


def stage_arguments(training: SFTConfig, tasks: ERCTaskArguments, output_dir: Path) -> SFTConfig:
    """Stage 1's arguments: its own folder, epochs and steps; no evaluation or best-model selection."""
    return replace(
        training,
        output_dir=str(output_dir),
        num_train_epochs=tasks.stage1_epochs,
        max_steps=tasks.stage1_max_steps,
        eval_strategy="no",
        eval_on_start=False,
        load_best_model_at_end=False,
        metric_for_best_model=None,
        run_name=f"{training.run_name}-stage1" if training.run_name else None,
        resume_from_checkpoint=None,
    )


def end_stage() -> None:
    """Release a finished stage's model and optimizer, and reset accelerate's engine state, before the next stage.

    Each stage is a Trainer with its own Accelerator; accelerate keeps one ``AcceleratorState`` per process, and a
    second Accelerator with a DeepSpeed or FSDP plugin is refused while the first one's state lives. The process
    group (``PartialState``) is kept: every rank resets at the same point, after the stage's final barrier.
    """
    from accelerate.state import AcceleratorState, GradientState

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()


def run_stage(
    model: PreTrainedModel | PeftModel,
    args: SFTConfig,
    tokenizer: PreTrainedTokenizerBase,
    parts: Sequence[TaskSplits],
    tasks: ERCTaskArguments,
    peft_config: PeftConfig | None,
    resume: str | None,
    evaluated: TaskSplits | None = None,
    label_eval: LabelEvalSet | None = None,
    callbacks: list[TrainerCallback] | None = None,
) -> tuple[InstructERCTrainer, StageResult]:
    """Train one stage on the rows of ``parts`` (each task weighted by ``tasks.task_weight``), then save it.

    ``evaluated``: the emotion task whose validation rows give ``eval_loss`` (and, through ``label_eval``, the label
    metrics); ``None`` trains without evaluation.
    """
    logger.info("training %s in %s: %s rows", " + ".join(p.task for p in parts), args.output_dir,
                {p.task: len(p.train) for p in parts})
    with peft_wrapping():  # SFTTrainer wraps the model with PEFT when given peft_config
        trainer = InstructERCTrainer(
            model=model,
            args=args,
            data_collator=stage_collator(parts),  # demonstrations drawn per batch, or None
            train_dataset=stage_dataset(parts, "train", tasks),
            eval_dataset=with_loss_weight(evaluated.validation, 1.0) if evaluated is not None else None,
            processing_class=tokenizer,
            peft_config=peft_config,
            label_eval=label_eval,
            eval_loss=tasks.eval_loss,
            callbacks=callbacks,
        )
    check_engine(trainer.accelerator.distributed_type)
    result = trainer.train(resume_from_checkpoint=resume)
    trainer.save_model(args.output_dir)
    trainer.save_state()
    trainer.accelerator.wait_for_everyone()
    stage = StageResult(
        tasks=[p.task for p in parts],
        output_dir=str(args.output_dir),
        rows={p.task: len(p.train) for p in parts},
        loss_weights={p.task: tasks.task_weight(p.task) for p in parts},
        global_step=trainer.state.global_step,
        epochs=round(trainer.state.epoch or 0.0, 4),
        train_loss=result.training_loss,
        resumed_from=resume,
    )
    return trainer, stage


def final_eval_metrics(trainer: InstructERCTrainer) -> dict[str, float]:
    """Validation metrics of the saved adapter: the last evaluation's when it evaluated that adapter, else new ones."""
    state = trainer.state
    # eval_runtime: in every evaluation's log entry, also without eval_loss (--eval_loss false)
    last = next((entry for entry in reversed(state.log_history) if "eval_runtime" in entry), None)
    saved_is_last = not trainer.args.load_best_model_at_end or state.best_global_step in (None, state.global_step)
    if last is not None and last.get("step") == state.global_step and saved_is_last:
        return {k: v for k, v in last.items() if k.startswith("eval_")}
    trainer.remove_callback(ModelCardCallback)  # a re-evaluation is no new row of the training log
    return trainer.evaluate()


def prepare_parts(
    data: ERCDataArguments,
    tasks: ERCTaskArguments,
    retrieval: ERCRetrievalArguments,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None,
    prompts: PromptConfig,
) -> tuple[dict[str, TaskSplits], DomainBase | None]:
    """Every task's rows, loaded once, and the domain base their demonstrations come from (``None`` without)."""
    names = dict.fromkeys(task for stage in tasks.stages() for task in stage)
    demonstrate = Demonstrator(retrieval, prompts) if retrieval.use_demonstrations else None
    parts = {task: prepare_task(data, task, tokenizer, max_length, demonstrate, tasks.chat_template) for task in names}
    return parts, demonstrate.base if demonstrate is not None else None


def train(
    data: ERCDataArguments,
    tasks: ERCTaskArguments,
    retrieval: ERCRetrievalArguments,
    training: SFTConfig,
    model_args: ModelConfig,
) -> TrainingSummary:
    """Run the schedule and save the adapter, tokenizer, ERC config, summary and model card in ``output_dir``."""
    check_arguments(training, model_args, tasks)
    check_world(training.world_size)
    apply_global_batch_size(training, tasks)
    base = resolve_base_model(model_args.model_name_or_path)
    tokenizer = load_tokenizer(base)
    prompts = prompt_config(data, retrieval)
    with PartialState().main_process_first():
        parts, domain_base = prepare_parts(data, tasks, retrieval, tokenizer, training.max_length, prompts)
    summary = new_summary(data, tasks, retrieval, training, model_args, base, parts)
    peft_config = get_peft_config(model_args)
    output = Path(str(training.output_dir))
    stage1_resume, stage2_resume, run_stage1 = resume_points(training, tasks.has_stage1)
    adapter = output / STAGE1_DIR
    if run_stage1:
        base_model = load_base_model(base, model_args, training, peft_config)
        stage1, result = run_stage(base_model, stage_arguments(training, tasks, adapter), tokenizer,
                                   [parts[t] for t in tasks.stage1_tasks], tasks, peft_config, stage1_resume)
        summary.stages.append(result)
        del stage1, base_model
        end_stage()
    elif tasks.has_stage1:
        summary.stages.append(StageResult(list(tasks.stage1_tasks), str(adapter), {}, {}, skipped=True))

    config = erc_model_config(data, tasks, retrieval, model_args, prompts, base)
    card, validation = card_data(config, data, training, parts, tasks)
    base_model = load_base_model(base, model_args, training, peft_config)
    model: PreTrainedModel | PeftModel = base_model
    if tasks.has_stage1 and stage_finished(adapter):  # stage 2 continues the stage-1 adapter
        with peft_wrapping():
            model = PeftModel.from_pretrained(base_model, str(adapter), is_trainable=True)
        peft_config = None
    evaluated = parts[tasks.evaluated_task] if training.eval_strategy != "no" else None
    callbacks: list[TrainerCallback] = [ModelCardCallback(card, validation)]
    if tasks.early_stopping_patience is not None:
        callbacks.append(EarlyStoppingCallback(tasks.early_stopping_patience))
    label_eval = label_eval_set(evaluated, prompts, tasks.eval_pack_tokens) if evaluated and tasks.label_eval else None
    trainer, result = run_stage(model, training, tokenizer, [parts[t] for t in tasks.stage2_tasks], tasks,
                                peft_config, stage2_resume, evaluated, label_eval, callbacks)
    summary.stages.append(result)
    accelerator = trainer.accelerator
    summary.distributed = {"type": str(accelerator.distributed_type.value), "num_processes": accelerator.num_processes,
                           "deepspeed": trainer.is_deepspeed_enabled, "fsdp": trainer.is_fsdp_enabled}
    if evaluated is not None:
        summary.eval_metrics = final_eval_metrics(trainer)
        trainer.save_metrics("eval", summary.eval_metrics)
        card.add_evaluation({k.removeprefix("eval_"): v for k, v in summary.eval_metrics.items()}, validation)
    if trainer.is_world_process_zero():
        config.save_pretrained(output)
        if domain_base is not None:
            path = domain_base.save(output)
            summary.domain_base = {"file": path.name, "entries": len(domain_base),
                                   "label_counts": domain_base.label_counts()}
        for requested in ("num_train_epochs", "max_steps"):  # the schedule that ran replaces what was asked
            card.hyperparameters.pop(requested, None)
        card.hyperparameters.update(schedule_hyperparameters(summary.stages, tasks, data))
        write_model_card(card, output)  # after save_model, which lets PEFT write its own README.md
        summary.card = card.to_dict()
        summary.save(output)
    trainer.accelerator.wait_for_everyone()
    return summary


def main(argv: Sequence[str] | None = None) -> TrainingSummary:
    """``examples/sft.py``: parse ``--config recipe.yaml`` and the command line, then :func:`train`."""
    args: ScriptArguments = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    logging.getLogger("instructerc_hf").setLevel(logging.INFO if args[3].should_log else logging.WARNING)
    summary = train(*args)
    if PartialState().is_main_process:
        print(f"saved the adapter, tokenizer, {SUMMARY_NAME} and model card in {args[3].output_dir}")
    return summary
