"""Model cards of trained adapters: a card-data dataclass, a trainer callback that fills it, and a Jinja template.

As in SetFit, :class:`ModelCardCallback` fills a :class:`ModelCardData` while training runs (hyperparameters and the
LoRA configuration at train begin, validation metrics at every evaluation) and writes ``README.md`` into each
checkpoint and into ``output_dir`` at the end. ``trainer.save_model()`` lets PEFT rewrite ``README.md`` afterwards,
so call :func:`write_model_card` (or ``callback.write(folder)``) once the final adapter is saved. Test metrics come in
through :meth:`ModelCardData.add_evaluation` (e.g. from ``instructerc-hf evaluate``'s ``metrics.json``).
"""

from __future__ import annotations

import importlib.metadata
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ..configuration import ERCModelConfig
from ..modeling import EMBEDDED_WEIGHTS
from ..registry import BASE_MODEL_LICENSES, CARD_NAME, INSTRUCTERC_CITATION, LICENSES, PIPELINE_TASK, TITLES
from .render import render_template

#: The Hub's task for what the adapter does (one label per utterance); the custom pipeline task is in the usage.
PIPELINE_TAG = "text-classification"
TASK_TYPE = "text-classification"
TASK_NAME = "Emotion Recognition in Conversation"
#: Metrics shown in ``model-index``: our metric key -> (Hub metric type, display name, metric args).
CARD_METRICS: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "weighted_f1": ("f1", "Weighted F1", {"average": "weighted"}),
    "accuracy": ("accuracy", "Accuracy", None),
    "macro_f1": ("f1", "Macro F1", {"average": "macro"}),
}
#: The licence of the composed adapter when its parts disagree (``license: other``), described on the card.
MIXED_LICENSE_NAME = "base-model-and-training-data-licenses"
#: TrainingArguments fields listed as hyperparameters (when set).
TRAINING_FIELDS: tuple[str, ...] = (
    "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "per_device_eval_batch_size",
    "gradient_accumulation_steps", "optim", "lr_scheduler_type", "warmup_steps", "weight_decay", "max_grad_norm",
    "seed", "bf16", "fp16", "max_length", "packing", "completion_only_loss",
)
LORA_FIELDS: tuple[str, ...] = ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "use_rslora", "use_dora")
FRAMEWORKS: tuple[str, ...] = ("instructerc-hf", "transformers", "peft", "trl", "datasets", "torch")


def framework_versions() -> dict[str, str]:
    """Installed versions of the libraries the card lists."""
    versions = {}
    for name in FRAMEWORKS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class DatasetSplit:
    """One split of one dataset config: what was trained or evaluated on, stated explicitly on the card.

    Attributes:
        dataset: ``meld``, ``iemocap``, ``emorynlp`` or ``unified`` (the display name comes from it).
        repo_id: the Hub dataset id the rows came from, or ``None`` for local data (described by ``source``).
        config: the dataset config (``main``, ``speaker`` ...).
        split: ``train``, ``validation`` or ``test``.
        num_rows: rows used, when known.
        source: how local data was made (e.g. "the raw MELD files, built on the fly"), shown where there is no id.
    """

    dataset: str
    repo_id: str | None
    config: str
    split: str
    num_rows: int | None = None
    source: str = ""

    @property
    def title(self) -> str:
        return TITLES.get(self.dataset, self.dataset)


@dataclass
class Evaluation:
    """Metrics (percentages, :func:`instructerc_hf.metrics.compute_erc_metrics` keys) of one split."""

    data: DatasetSplit
    metrics: dict[str, float]
    mode: str = "score"


@dataclass
class ModelCardData:
    """Everything the adapter card shows; :class:`ModelCardCallback` fills most of it during training.

    Attributes:
        erc_config: the adapter's :class:`ERCModelConfig` (base model, datasets, labels, prompt, retrieval, tasks).
        model_id: the Hub id the adapter is (or will be) pushed to; used in the usage snippet.
        train_data: the splits trained on.
        evaluations: metrics per evaluated split (validation during training, test from ``evaluate``).
        hyperparameters: training and LoRA hyperparameters.
        training_log: one row per evaluation during training (epoch, step, losses, metrics).
        framework_versions: library versions; defaults to the installed ones.
    """

    erc_config: ERCModelConfig
    model_id: str = "your-name/instructerc-adapter"
    train_data: list[DatasetSplit] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    training_log: list[dict[str, Any]] = field(default_factory=list)
    language: str = "en"
    framework_versions: dict[str, str] = field(default_factory=framework_versions)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (saved in the training summary, so that a push can re-render the card)."""
        data = asdict(self)
        data["erc_config"] = self.erc_config.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCardData:
        data = dict(data)
        data["erc_config"] = ERCModelConfig.from_dict(data["erc_config"])
        data["train_data"] = [DatasetSplit(**d) for d in data.get("train_data", [])]
        data["evaluations"] = [Evaluation(DatasetSplit(**e["data"]), e["metrics"], e.get("mode", "score"))
                               for e in data.get("evaluations", [])]
        return cls(**data)

    def license_parts(self) -> list[tuple[str, str | None]]:
        """``(part, licence)`` for the base model and every training dataset; ``None`` when unknown."""
        base = self.erc_config.base_model
        parts: list[tuple[str, str | None]] = [(base, BASE_MODEL_LICENSES.get(base))]
        return parts + [(TITLES[d], LICENSES.get(d)) for d in self.erc_config.datasets if d in TITLES]

    @property
    def license(self) -> str:
        """The licence of the parts when they agree, ``unknown`` when one is unknown, else ``other``."""
        licenses = {license for _, license in self.license_parts()}
        if None in licenses:
            return "unknown"
        return licenses.pop() if len(licenses) == 1 else "other"  # type: ignore[return-value]

    def add_evaluation(self, metrics: dict[str, Any], data: DatasetSplit, mode: str = "score") -> None:
        """Record the card metrics of ``data`` (replacing an earlier evaluation of the same split)."""
        kept = {k: float(v) for k, v in metrics.items() if k in CARD_METRICS and isinstance(v, int | float)}
        if not kept:
            return
        key = (data.repo_id, data.config, data.split)
        self.evaluations = [e for e in self.evaluations if (e.data.repo_id, e.data.config, e.data.split) != key]
        self.evaluations.append(Evaluation(data, kept, mode))

    def hub_metadata(self) -> str:
        """The YAML front matter (``model-index`` included), through ``huggingface_hub.ModelCardData``."""
        from huggingface_hub import EvalResult
        from huggingface_hub import ModelCardData as HubCardData

        results = [
            EvalResult(
                task_type=TASK_TYPE, task_name=TASK_NAME, dataset_type=e.data.repo_id or e.data.dataset,
                dataset_name=e.data.title, dataset_config=e.data.config, dataset_split=e.data.split,
                metric_type=CARD_METRICS[name][0], metric_name=CARD_METRICS[name][1],
                metric_args=CARD_METRICS[name][2], metric_value=round(value, 2),
            )
            for e in self.evaluations
            for name, value in e.metrics.items()
        ]
        splits = [*self.train_data, *(e.data for e in self.evaluations)]
        datasets = list(dict.fromkeys(d.repo_id for d in splits if d.repo_id is not None))
        license = self.license
        data = HubCardData(
            base_model=hub_base_model(self.erc_config.base_model), library_name="peft", pipeline_tag=PIPELINE_TAG,
            datasets=datasets or None, language=self.language, license=license,
            license_name=MIXED_LICENSE_NAME if license == "other" else None,
            tags=["instructerc", PIPELINE_TASK, "emotion-recognition", "lora", "peft"],
            model_name=self.model_id, eval_results=results or None,
        )
        return data.to_yaml()

    def context(self) -> dict[str, Any]:
        config = self.erc_config
        return {
            "metadata": self.hub_metadata(),
            "card": self,
            "config": config,
            "labels": list(config.labels),
            "base_model_link": _model_link(config.base_model),
            "embedded_base": config.base_weights == EMBEDDED_WEIGHTS,
            "license": self.license,
            "license_parts": self.license_parts(),
            "dataset_titles": [TITLES.get(d, d) for d in config.datasets],
            "task": PIPELINE_TASK,
            "metric_names": list(CARD_METRICS),
            "metric_titles": {k: v[1] for k, v in CARD_METRICS.items()},
            "citation": INSTRUCTERC_CITATION,
        }


def is_hub_id(name: str) -> bool:
    """``namespace/name`` that is no local path."""
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not name.startswith((".", "~")) and not Path(name).exists()


def hub_base_model(model: str) -> str | None:
    """The card's ``base_model``: a Hub id as is, a local path left out."""
    return model if is_hub_id(model) else None


def _model_link(model: str) -> str:
    """A Markdown link for a Hub id (the offline default links to what it copies), else a code span."""
    hub_id = hub_base_model(model)
    return f"[{hub_id}](https://huggingface.co/{hub_id})" if hub_id else f"`{model}`"


def render_model_card(data: ModelCardData) -> str:
    """Render ``templates/model_card.md.j2`` with ``data``."""
    return render_template("model_card.md.j2", data.context())


def write_model_card(data: ModelCardData, folder: str | Path) -> Path:
    """Write the card as ``README.md`` into ``folder``."""
    path = Path(folder) / CARD_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_model_card(data), encoding="utf-8")
    return path


def training_hyperparameters(args: TrainingArguments, model: Any = None) -> dict[str, Any]:
    """The card's hyperparameters: set :data:`TRAINING_FIELDS`, the total batch size and the LoRA configuration."""
    out: dict[str, Any] = {}
    for name in TRAINING_FIELDS:
        value = getattr(args, name, None)
        if value is None or (name == "max_steps" and value <= 0) or (name in ("bf16", "fp16") and not value):
            continue
        out[name] = getattr(value, "value", value)
    out["total_train_batch_size"] = (
        args.per_device_train_batch_size * args.gradient_accumulation_steps * max(1, args.world_size)
    )
    peft_config = getattr(model, "peft_config", {}).get("default") if model is not None else None
    for name in LORA_FIELDS if peft_config is not None else ():
        value = getattr(peft_config, name, None)
        if value is not None:
            out[f"lora_{name}" if not name.startswith("lora_") else name] = (
                sorted(value) if isinstance(value, set | frozenset) else value
            )
    return out


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None


class ModelCardCallback(TrainerCallback):
    """Fill :class:`ModelCardData` during training and write the card (SetFit style).

    Args:
        card_data: the card to fill; its ``train_data`` and ``erc_config`` are set by the caller.
        eval_data: the split the trainer's ``eval_dataset`` holds (validation metrics go to the card under it).
        write: write ``README.md`` into every checkpoint and into ``output_dir`` at train end.
    """

    def __init__(self, card_data: ModelCardData, eval_data: DatasetSplit | None = None, write: bool = True) -> None:
        self.card_data = card_data
        self.eval_data = eval_data
        self.write_cards = write
        self._last_loss: float | None = None

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.card_data.hyperparameters = training_hyperparameters(args, kwargs.get("model"))
        loader = kwargs.get("train_dataloader")
        dataset = getattr(loader, "dataset", None)
        train = self.card_data.train_data
        if dataset is not None and len(train) == 1 and train[0].num_rows is None:
            train[0].num_rows = len(dataset)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
        logs: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        if logs and _number(logs.get("loss")) is not None:
            self._last_loss = float(logs["loss"])

    def on_evaluate(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
        metrics: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        values = {k.removeprefix("eval_"): v for k, v in (metrics or {}).items() if _number(v) is not None}
        row: dict[str, Any] = {"epoch": round(state.epoch or 0.0, 2), "step": state.global_step,
                               "training_loss": self._last_loss}
        row.update({k: v for k, v in values.items() if k == "loss" or k in CARD_METRICS})
        self.card_data.training_log.append(row)
        if self.eval_data is not None:
            self.card_data.add_evaluation(values, self.eval_data)

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        checkpoint = Path(args.output_dir or ".") / f"checkpoint-{state.global_step}"
        if self.write_cards and state.is_world_process_zero and checkpoint.is_dir():
            self.write(checkpoint)

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.write_cards and state.is_world_process_zero:
            self.write(args.output_dir or ".")

    def write(self, folder: str | Path) -> Path:
        """Write the card as it stands into ``folder``."""
        return write_model_card(self.card_data, folder)
