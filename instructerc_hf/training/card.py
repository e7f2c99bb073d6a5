"""The model card of a training run: its data, the schedule that ran and its validation split."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from trl import SFTConfig

from ..cards.model_card import DatasetSplit, ModelCardData, is_hub_id
from ..configuration import ERCModelConfig
from ..data.export import repo_config_name
from ..registry import CARD_NAME, TITLES, UNIFIED
from .arguments import ERCDataArguments, ERCTaskArguments
from .data import TaskSplits
from .summary import StageResult

#: The usage line of a dataset card written by ``instructerc-hf build --push_to_hub ID``.
PUSHED_REPO = re.compile(r'load_dataset\("([\w.-]+/[\w.-]+)"')


def pushed_repo_id(folder: Path) -> str | None:
    """The Hub id a local export folder was pushed to, read from its dataset card; ``None`` if it never was."""
    card = folder / CARD_NAME
    match = PUSHED_REPO.search(card.read_text(encoding="utf-8")) if card.is_file() else None
    return match.group(1) if match else None


def data_source(data: ERCDataArguments) -> tuple[str | None, str]:
    """``(Hub dataset id or None, how local data was made)`` for the card."""
    if data.dataset_path is not None and is_hub_id(data.dataset_path):
        return data.dataset_path, ""
    title = TITLES.get(data.dataset, data.dataset)
    if data.dataset_path is not None:
        pushed = pushed_repo_id(Path(data.dataset_path))
        if pushed is not None:
            return pushed, ""
        return None, f"a local folder built by `instructerc-hf build` from the {title} files"
    return None, f"the raw {title} files ({data.source or 'default'} source), built on the fly"


def card_data(config: ERCModelConfig, data: ERCDataArguments, training: SFTConfig, parts: dict[str, TaskSplits],
              tasks: ERCTaskArguments) -> tuple[ModelCardData, DatasetSplit]:
    """The model card of the run and the validation split its metrics belong to."""
    repo_id, source = data_source(data)

    def split(task: str, name: str, rows: int) -> DatasetSplit:
        return DatasetSplit(data.dataset, repo_id, repo_config_name(data.dataset, task, data.space), name, rows, source)

    train = [split(task, "train", len(part.train)) for task, part in parts.items()]
    evaluated = tasks.evaluated_task
    validation = split(evaluated, "validation", len(parts[evaluated].validation))
    model_id = training.hub_model_id or Path(str(training.output_dir)).name
    return ModelCardData(erc_config=config, model_id=model_id, train_data=train), validation


def schedule_hyperparameters(stages: list[StageResult], tasks: ERCTaskArguments,
                             data: ERCDataArguments) -> dict[str, Any]:
    """The multi-task schedule that ran (steps and epochs per stage) and the data sampling, for the model card."""
    ran = [s for s in stages if not s.skipped]
    out: dict[str, Any] = {
        "stages": " -> ".join(f"{'+'.join(s.tasks)} ({s.global_step} steps, {s.epochs:g} epochs)" for s in ran)
    }
    if "impact" in tasks.stage2_tasks:
        out["impact_alpha"] = tasks.impact_alpha
    out.update(window=data.window, fraction=data.fraction)
    if data.dataset == UNIFIED:
        out["mix"] = data.mix
    return out
