"""What a run records: ``instructerc_training.json`` and the adapter's ``instructerc_config.json``."""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trl import ModelConfig, SFTConfig

from ..configuration import ERCModelConfig
from ..modeling import EMBEDDED_WEIGHTS, base_model_id, is_embedded
from ..prompts import PromptConfig
from ..registry import SUMMARY_NAME
from .arguments import ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from .data import TaskSplits

VERSIONED: tuple[str, ...] = ("instructerc-hf", "transformers", "trl", "peft", "accelerate", "datasets", "torch")


@dataclass
class StageResult:
    """What one stage did."""

    tasks: list[str]
    output_dir: str
    rows: dict[str, int]
    loss_weights: dict[str, float]
    global_step: int = 0
    epochs: float = 0.0
    train_loss: float | None = None
    resumed_from: str | None = None
    skipped: bool = False


@dataclass
class TrainingSummary:
    """Written as ``instructerc_training.json``: everything needed to tell how an adapter was trained.

    ``domain_base``: with demonstrations, the saved base's file name, size and label counts.
    """

    base_model: str
    resolved_base_model: str
    seeds: dict[str, int | None]
    stages: list[StageResult] = field(default_factory=list)
    fitted_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    eval_metrics: dict[str, float] = field(default_factory=dict)
    domain_base: dict[str, Any] | None = None
    card: dict[str, Any] | None = None
    distributed: dict[str, Any] = field(default_factory=dict)
    arguments: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SUMMARY_NAME
        path.write_text(json.dumps(asdict(self), indent=2, default=str) + "\n", encoding="utf-8")
        return path


def new_summary(
    data: ERCDataArguments, tasks: ERCTaskArguments, retrieval: ERCRetrievalArguments, training: SFTConfig,
    model_args: ModelConfig, base: str, parts: dict[str, TaskSplits],
) -> TrainingSummary:
    """The summary before training: arguments, seeds, versions and how many prompts were shortened."""
    return TrainingSummary(
        base_model=base_model_id(model_args.model_name_or_path),
        resolved_base_model=base,
        seeds={"seed": training.seed, "data_seed": training.data_seed, "sampling_seed": data.sampling_seed,
               "retrieval_seed": retrieval.retrieval_seed if retrieval.use_demonstrations else None},
        fitted_rows={task: {s: asdict(r) for s, r in part.fit.items()} for task, part in parts.items()},
        arguments={"data": asdict(data), "tasks": asdict(tasks), "retrieval": asdict(retrieval),
                   "model": asdict(model_args), "training": training.to_dict()},
        versions={name: importlib.metadata.version(name) for name in VERSIONED},
    )


def erc_model_config(
    data: ERCDataArguments, tasks: ERCTaskArguments, retrieval: ERCRetrievalArguments, model: ModelConfig,
    prompts: PromptConfig, resolved_base: str,
) -> ERCModelConfig:
    """What inference needs to rebuild the training prompts and reload the base weights trained on."""
    return ERCModelConfig(
        base_model=base_model_id(model.model_name_or_path),
        datasets=list(data.datasets),
        label_space=data.space,
        prompt=prompts,
        retrieval=retrieval.retrieval_config().to_dict() if retrieval.use_demonstrations else None,
        tasks=tasks.stages(),
        base_weights=EMBEDDED_WEIGHTS if is_embedded(resolved_base) else None,
        chat_template=tasks.chat_template,
    )
