"""The model card of a training run: its data, its schedule and its validation split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trl import SFTConfig

from ..cards.model_card import DatasetSplit, ModelCardData
from ..configuration import ERCModelConfig
from ..data.export import repo_config_name
from .arguments import ERCDataArguments, ERCTaskArguments
from .data import TaskSplits


def card_data(config: ERCModelConfig, data: ERCDataArguments, training: SFTConfig, parts: dict[str, TaskSplits],
              tasks: ERCTaskArguments) -> tuple[ModelCardData, DatasetSplit]:
    """The model card of the run and the validation split its metrics belong to."""
    repo = data.dataset_path or " ".join(data.raw_dir or [])
    train = [
        DatasetSplit(data.dataset, repo, repo_config_name(data.dataset, task, data.space), "train", len(part.train))
        for task, part in parts.items()
    ]
    evaluated = tasks.evaluated_task
    validation = DatasetSplit(data.dataset, repo, repo_config_name(data.dataset, evaluated, data.space), "validation",
                              len(parts[evaluated].validation))
    model_id = training.hub_model_id or Path(str(training.output_dir)).name
    return ModelCardData(erc_config=config, model_id=model_id, train_data=train), validation


def schedule_hyperparameters(tasks: ERCTaskArguments, data: ERCDataArguments) -> dict[str, Any]:
    """The multi-task schedule and data sampling, for the model card."""
    out: dict[str, Any] = {"stages": " -> ".join("+".join(stage) for stage in tasks.stages())}
    if tasks.has_stage1:
        out["stage1_epochs"] = tasks.stage1_epochs
    if "impact" in tasks.stage2_tasks:
        out["impact_alpha"] = tasks.impact_alpha
    out.update(window=data.window, fraction=data.fraction)
    if data.dataset == "unified":
        out["mix"] = data.mix
    return out
