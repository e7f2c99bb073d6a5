"""Training data of the multi-task schedule: task splits, sampling, length fitting and loss weights.

For each task the pipeline is: load the full train and validation splits (a folder or Hub id made by
``instructerc-hf build``, or raw files built on the fly), apply Total/Ratio Mix, the low-resource fraction and
``max_train_samples`` to the train split (exactly what the builder does, so a folder built with the defaults gives the
same rows), add retrieved demonstrations to main-task rows, then fit every prompt to ``max_length``.

Fitting: TRL truncates an over-long ``prompt + completion + EOS`` and silently drops a row left without completion
tokens. So an over-long main or impact prompt is rebuilt with a shorter history window (one turn less at a time, down
to the current utterance alone for main, one previous utterance for impact); the utterance, the label statement and
the completion are never cut. A row that does not fit even then, or an over-long speaker / plain row (no history to
drop), is an error naming the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from datasets import Dataset, DatasetDict, Value, concatenate_datasets, load_dataset
from transformers import PreTrainedTokenizerBase

from ..chat import check_chat_template, render, template_tokens
from ..data.builder import InstructERCBuilder, config_name, label_strings
from ..data.export import repo_config_name
from ..data.options import OWN_CORPUS_OPTIONS
from ..mixing import sample_training_rows
from ..prompts import PromptConfig
from ..retrieval.domain_base import DomainBase
from .arguments import ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from .fitting import FitReport, fit_prompts, split_turns
from .label_eval import LabelEvalSet

if TYPE_CHECKING:
    from .demonstration_collator import CollatorRows, DemonstrationCollator

#: The column of per-example loss weights (``impact_alpha`` on impact rows).
LOSS_WEIGHT = "loss_weight"
#: The column of a main-task training row's index among the rows whose demonstrations a collator draws (-1: none).
DEMONSTRATION_ROW = "demonstration_row"
#: Columns of the datasets given to the trainer.
TRAINER_COLUMNS: tuple[str, ...] = ("prompt", "completion", "task", LOSS_WEIGHT)


@dataclass
class TaskSplits:
    """One task's training and validation rows, ready for the trainer (all columns kept)."""

    task: str
    train: Dataset
    validation: Dataset
    fit: dict[str, FitReport] = field(default_factory=dict)
    #: The collator that draws the train rows' demonstrations per batch (``demonstration_injection: collator``).
    collator: DemonstrationCollator | None = None


def stage_collator(parts: Sequence[TaskSplits]) -> DemonstrationCollator | None:
    """The data collator of a stage: its parts' :class:`DemonstrationCollator`, or ``None`` (TRL's default)."""
    found = [p.collator for p in parts if p.collator is not None]
    if len(found) > 1:
        raise ValueError("a stage can draw demonstrations for one task only")
    return found[0] if found else None


def load_task_splits(data: ERCDataArguments, task: str) -> DatasetDict:
    """The full ``train`` and ``validation`` splits of ``task``, from ``dataset_path`` or built from ``raw_dir``."""
    if data.dataset_path is not None:
        name = repo_config_name(data.dataset, task, data.space)
        splits = load_dataset(data.dataset_path, name)
        missing = [s for s in ("train", "validation") if s not in splits]
        if missing:
            raise ValueError(f"{data.dataset_path} (config {name!r}) has no {missing} split(s); it has {list(splits)}")
        return DatasetDict(train=splits["train"], validation=splits["validation"])
    builder = InstructERCBuilder(  # the full splits: mixing and fractions are applied by training_indices
        config_name=config_name(data.dataset, task, data.space),
        raw_dir=data.raw_dir,
        source=data.source,
        official=data.official,
        window=data.window,
        dedup=data.dedup,
        **{name: getattr(data, name) for name in OWN_CORPUS_OPTIONS},
    )
    features = builder.info.features
    return DatasetDict(
        {split: Dataset.from_list(builder.split_rows(split), features=features) for split in ("train", "validation")}
    )


def training_indices(dataset: Dataset, data: ERCDataArguments) -> list[int]:
    """Rows of a full train split kept by the mix and the low-resource fraction, in order.

    The same seeded steps as :meth:`InstructERCBuilder.split_rows`, so the selection equals a build with those options.
    """
    parts: dict[str, list[int]] = {}
    for index, name in enumerate(dataset["dataset"]):
        parts.setdefault(name, []).append(index)
    return sample_training_rows(parts, data.mix_strategy, data.fraction_value, data.sampling_seed, data.ratio_map())


def _first(dataset: Dataset, count: int | None) -> Dataset:
    return dataset if count is None else dataset.select(range(min(count, len(dataset))))


def prepare_task(
    data: ERCDataArguments,
    task: str,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None,
    demonstrate: Demonstrator | None = None,
    chat_template: bool = False,
) -> TaskSplits:
    """Load, sample, demonstrate (main task only) and fit one task's train and validation rows; with
    ``chat_template``, render them (:mod:`instructerc_hf.chat`) within ``max_length``."""
    splits = load_task_splits(data, task)
    sampled = splits["train"].select(training_indices(splits["train"], data))
    train = _first(sampled, data.max_train_samples)
    validation = _first(splits["validation"], data.max_eval_samples)
    demonstrate = demonstrate if task == "main" else None
    if demonstrate is not None:
        train, validation = demonstrate(sampled, train, validation, tokenizer)
    budget = None if max_length is None else max_length - template_tokens(tokenizer, chat_template)
    train, train_fit = fit_prompts(train, tokenizer, budget, split_turns(splits["train"], task), data.window)
    validation, validation_fit = fit_prompts(
        validation, tokenizer, budget, split_turns(splits["validation"], task), data.window
    )
    part = TaskSplits(task, train, validation, {"train": train_fit, "validation": validation_fit})
    part = demonstrate.finish(part, max_length) if demonstrate is not None else part
    return rendered(part, tokenizer) if chat_template else part


def rendered(part: TaskSplits, tokenizer: PreTrainedTokenizerBase) -> TaskSplits:
    """``part`` with every prompt rendered through the chat template; rows the collator draws demonstrations for
    are rendered by it, after the draw."""

    def render_rows(dataset: Dataset) -> Dataset:
        rows = dataset[DEMONSTRATION_ROW] if DEMONSTRATION_ROW in dataset.column_names else [-1] * len(dataset)
        prompts = [p if row >= 0 else render(p, tokenizer) for p, row in zip(dataset["prompt"], rows, strict=True)]
        order = dataset.column_names
        return dataset.remove_columns("prompt").add_column("prompt", prompts, feature=Value("string")) \
            .select_columns(order)

    check_chat_template(tokenizer)
    part.train, part.validation = render_rows(part.train), render_rows(part.validation)
    if part.collator is not None:
        part.collator.chat_template = True
    return part


class Demonstrator:
    """Add retrieved demonstrations to main-task train rows (train mode) and validation rows (inference mode).

    Called as ``demonstrate(domain base rows, train, validation)``. The domain base is the sampled training split (mix
    and fraction, before ``max_train_samples``): a low-resource run retrieves from its own data only. After a call,
    :attr:`base` is the fitted :class:`~instructerc_hf.retrieval.DomainBase`, saved beside the adapter for inference.

    With ``injection="collator"`` the train rows get no fixed demonstration: the call (which then needs the
    tokenizer) ranks their candidates and lets fitting see their longest draw; :meth:`finish`, after fitting, gives
    the part its :class:`~instructerc_hf.training.DemonstrationCollator`. Validation rows get one draw either way.
    """

    def __init__(self, retrieval: ERCRetrievalArguments, prompt_config: PromptConfig) -> None:
        self.config = retrieval.retrieval_config()
        self.prompt_config = prompt_config
        self.base: DomainBase | None = None
        self.rows: CollatorRows | None = None

    def __call__(
        self, base: Dataset, train: Dataset, validation: Dataset, tokenizer: PreTrainedTokenizerBase | None = None
    ) -> tuple[Dataset, Dataset]:
        from ..retrieval.domain_base import DomainBase
        from ..retrieval.inject import add_demonstrations, demonstrate_splits
        from ..retrieval.retriever import DemonstrationRetriever
        from .demonstration_collator import CollatorRows

        self.base = DomainBase.from_rows(base, self.config)
        if self.config.injection == "map":
            out = demonstrate_splits({"train": train, "validation": validation}, self.prompt_config, self.config,
                                     base=self.base)
            return out["train"], out["validation"]
        if tokenizer is None:
            raise ValueError("demonstration_injection collator needs the tokenizer: demonstrate(..., tokenizer)")
        retriever = DemonstrationRetriever(self.config).fit(self.base)
        self.rows = CollatorRows(retriever, self.prompt_config, tokenizer)
        return self.rows.prepare(train), add_demonstrations(validation, retriever, self.prompt_config, "inference")

    def finish(self, part: TaskSplits, max_length: int | None) -> TaskSplits:
        """The fitted main-task part, with its collator under collator injection (unchanged under map)."""
        if self.rows is None:
            return part
        part.train = self.rows.finish(part.train)
        part.collator = self.rows.collator(max_length)
        return part


def with_loss_weight(dataset: Dataset, weight: float, demonstration_rows: bool = False) -> Dataset:
    """``dataset`` reduced to :data:`TRAINER_COLUMNS` (and :data:`DEMONSTRATION_ROW` when it has it, or -1 on every
    row with ``demonstration_rows``), every row weighing ``weight``."""
    columns = [c for c in TRAINER_COLUMNS if c != LOSS_WEIGHT]
    has_rows = DEMONSTRATION_ROW in dataset.column_names
    out = dataset.select_columns(columns + ([DEMONSTRATION_ROW] if has_rows else []))
    if demonstration_rows and not has_rows:
        out = out.add_column(DEMONSTRATION_ROW, [-1] * len(out), feature=Value("int64"))
    return out.add_column(LOSS_WEIGHT, [float(weight)] * len(out), feature=Value("float32"))


def stage_dataset(parts: Sequence[TaskSplits], split: str, tasks: ERCTaskArguments) -> Dataset:
    """The rows of every task of a stage for ``split``, each weighted by ``tasks.task_weight`` (impact: alpha)."""
    rows = any(DEMONSTRATION_ROW in getattr(p, split).column_names for p in parts)
    return concatenate_datasets(
        [with_loss_weight(getattr(p, split), tasks.task_weight(p.task), rows) for p in parts]
    )


def label_eval_set(part: TaskSplits, prompt_config: PromptConfig, pack_tokens: int) -> LabelEvalSet:
    """The validation prompts and gold labels of an emotion task, for label-scoring evaluation."""
    from ..retrieval.inject import demonstration_labels

    validation = part.validation
    return LabelEvalSet(
        prompts=list(validation["prompt"]),
        references=label_strings(validation),
        labels=prompt_config.labels,
        demonstration_labels=demonstration_labels(validation),
        pack_tokens=pack_tokens,
    )
