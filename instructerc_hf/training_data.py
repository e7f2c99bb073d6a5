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

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from datasets import Dataset, DatasetDict, Value, concatenate_datasets, load_dataset
from transformers import PreTrainedTokenizerBase

from .builders import InstructERCBuilder, config_name, label_strings
from .config import ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from .dataset_export import parse_raw_dirs, repo_config_name
from .mixing import MixStrategy, sample_training_rows
from .prompts import PromptConfig, history, history_window
from .records import Turn
from .trainer import LOSS_WEIGHT, LabelEvalSet

if TYPE_CHECKING:
    from .retrieval import DomainBase

logger = logging.getLogger(__name__)

#: Columns of the datasets given to the trainer.
TRAINER_COLUMNS: tuple[str, ...] = ("prompt", "completion", "task", LOSS_WEIGHT)
#: Tasks whose history can be shortened, and the fewest history turns each keeps.
MIN_WINDOW: dict[str, int] = {"main": 0, "impact": 1}

DialogueKey = tuple[str, str]
#: ``demonstrate(domain base rows, train, validation) -> (train, validation)`` with demonstrations in main prompts.
Demonstrate = Callable[[Dataset, Dataset, Dataset], tuple[Dataset, Dataset]]


class PromptTooLongError(ValueError):
    """A row that does not fit ``max_length`` even with its shortest allowed history."""


class HistoryMismatchError(ValueError):
    """A prompt whose history is not the one its window predicts (data built with another window)."""


@dataclass
class FitReport:
    """How many rows of a dataset were shortened, by the window they got."""

    rows: int = 0
    shortened: dict[int, int] = field(default_factory=dict)

    @property
    def num_shortened(self) -> int:
        return sum(self.shortened.values())


@dataclass
class TaskSplits:
    """One task's training and validation rows, ready for the trainer (all columns kept)."""

    task: str
    train: Dataset
    validation: Dataset
    fit: dict[str, FitReport] = field(default_factory=dict)


# --- loading and sampling --------------------------------------------------------------------------------------------


def load_task_splits(data: ERCDataArguments, task: str) -> DatasetDict:
    """The full ``train`` and ``validation`` splits of ``task``, from ``dataset_path`` or built from ``raw_dir``."""
    if data.dataset_path is not None:
        name = repo_config_name(data.dataset, task, data.space)
        splits = load_dataset(data.dataset_path, name)
        missing = [s for s in ("train", "validation") if s not in splits]
        if missing:
            raise ValueError(f"{data.dataset_path} (config {name!r}) has no {missing} split(s); it has {list(splits)}")
        return DatasetDict(train=splits["train"], validation=splits["validation"])
    raw_dir, raw_dirs = parse_raw_dirs(data.dataset, list(data.raw_dir or []))
    builder = InstructERCBuilder(
        config_name=config_name(data.dataset, task, data.space),
        raw_dir=raw_dir,
        raw_dirs=raw_dirs,
        source=data.source,
        official=data.official,
        window=data.window,
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
    return sample_training_rows(parts, cast(MixStrategy, data.mix), data.fraction_value, data.sampling_seed,
                                data.ratios())


def _first(dataset: Dataset, count: int | None) -> Dataset:
    return dataset if count is None else dataset.select(range(min(count, len(dataset))))


def dialogue_turns(dataset: Dataset) -> dict[DialogueKey, list[Turn]]:
    """Every dialogue of a full split, rebuilt from its rows (one row per turn), for re-windowing prompts."""
    columns = dataset.select_columns(["dataset", "dialogue_id", "turn", "speaker", "speaker_id", "text"]).to_dict()
    turns: dict[DialogueKey, dict[int, Turn]] = {}
    for name, dialogue, turn, speaker, speaker_id, text in zip(*columns.values(), strict=True):
        turns.setdefault((name, str(dialogue)), {})[int(turn)] = Turn(speaker, int(speaker_id), text, "", "", "")
    out = {}
    for key, by_index in turns.items():
        if sorted(by_index) != list(range(len(by_index))):
            raise ValueError(f"dialogue {key} has non-contiguous turns {sorted(by_index)}: not a full split")
        out[key] = [by_index[i] for i in range(len(by_index))]
    return out


def split_turns(dataset: Dataset, task: str) -> dict[DialogueKey, list[Turn]]:
    """The dialogues :func:`fit_prompts` re-windows ``task``'s prompts from: none for tasks without history."""
    return dialogue_turns(dataset) if task in MIN_WINDOW else {}


# --- fitting prompts to max_length -----------------------------------------------------------------------------------


def sequence_lengths(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], completions: Sequence[str]
) -> list[int]:
    """Token count of ``prompt + completion + EOS`` exactly as TRL tokenizes a prompt-completion row."""
    eos = tokenizer.eos_token or ""
    texts = [p + c + ("" if c.endswith(eos) else eos) for p, c in zip(prompts, completions, strict=True)]
    return [len(ids) for ids in tokenizer(texts)["input_ids"]]


def history_block(turns: Sequence[Turn], index: int, task: str, window: int) -> str:
    """The history block of ``task``'s prompt for turn ``index`` with ``window`` previous turns."""
    return history(history_window(turns, index, window, include_current=task == "main" or index == 0))


def _history_start(prompt: str, block: str) -> int:
    """Where ``block`` starts in ``prompt`` as the whole history (right after a space, not inside a longer history)."""
    start = prompt.find(block)
    while start > 0 and prompt[start - 1] != " ":
        start = prompt.find(block, start + 1)
    return start


def rewindow(prompt: str, turns: Sequence[Turn], index: int, task: str, window: int, new_window: int) -> str:
    """``prompt`` (built with ``window``) with the history of ``new_window`` turns instead."""
    old = history_block(turns, index, task, window)
    start = _history_start(prompt, old)
    if start < 0:
        raise HistoryMismatchError(
            f"a {task} prompt (turn {index}) does not hold the history of window {window}: was the data built with "
            "another window? Pass the window it was built with."
        )
    return prompt[:start] + history_block(turns, index, task, new_window) + prompt[start + len(old) :]


@dataclass
class _FitRows:
    """The columns of a dataset that fitting reads, and the dialogues to rebuild histories from."""

    prompts: list[str]
    completions: list[str]
    tasks: list[str]
    turn_indices: list[int]
    dialogues: list[list[Turn]]
    window: int

    def rewindowed(self, i: int, new_window: int) -> str:
        return rewindow(self.prompts[i], self.dialogues[i], self.turn_indices[i], self.tasks[i], self.window, new_window)

    def describe(self, i: int, keys: list[DialogueKey]) -> str:
        return f"the {self.tasks[i]} row of {keys[i][0]} dialogue {keys[i][1]} turn {self.turn_indices[i]}"


def fit_prompts(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None,
    turns: dict[DialogueKey, list[Turn]],
    window: int,
) -> tuple[Dataset, FitReport]:
    """Shorten the history of over-long main / impact prompts until ``prompt + completion + EOS <= max_length``.

    ``turns`` are the dialogues of the full split (:func:`dialogue_turns`; only main / impact rows read them);
    ``window`` is the one the prompts were built with. Every main / impact prompt is checked to hold that window's
    history, even with ``max_length=None``.

    Raises:
        HistoryMismatchError: a main / impact prompt does not hold the history its window predicts.
        PromptTooLongError: a row does not fit even with its shortest history, or is a speaker / plain row.
    """
    report = FitReport(rows=len(dataset))
    columns = dataset.select_columns(["prompt", "completion", "task", "dataset", "dialogue_id", "turn"]).to_dict()
    keys = [(d, str(i)) for d, i in zip(columns["dataset"], columns["dialogue_id"], strict=True)]
    dialogues = [turns[key] if task in MIN_WINDOW else [] for key, task in zip(keys, columns["task"], strict=True)]
    rows = _FitRows(columns["prompt"], columns["completion"], columns["task"], columns["turn"], dialogues, window)
    for i, task in enumerate(rows.tasks):
        if task in MIN_WINDOW:
            rows.rewindowed(i, window)  # raises HistoryMismatchError
    if max_length is None or len(dataset) == 0:
        return dataset, report
    fitted = list(rows.prompts)
    over = [i for i, n in enumerate(sequence_lengths(tokenizer, fitted, rows.completions)) if n > max_length]
    for new_window in range(window - 1, -1, -1):
        if not over:
            break
        over = _try_window(rows, over, new_window, fitted, tokenizer, max_length, report)
    if over:
        length = sequence_lengths(tokenizer, [fitted[over[0]]], [rows.completions[over[0]]])[0]
        raise PromptTooLongError(
            f"{len(over)} row(s) exceed max_length={max_length} tokens even with the shortest history, e.g. "
            f"{rows.describe(over[0], keys)} ({length} tokens). The utterance and the label statement are never cut: "
            "raise max_length."
        )
    if report.num_shortened:
        logger.info("fitted to max_length=%d: %d of %d rows got a shorter history (rows by window: %s)", max_length,
                    report.num_shortened, len(dataset), report.shortened)
        order = dataset.column_names
        dataset = dataset.remove_columns("prompt").add_column("prompt", fitted, feature=Value("string"))
        dataset = dataset.select_columns(order)
    return dataset, report


def _try_window(
    rows: _FitRows,
    over: list[int],
    new_window: int,
    fitted: list[str],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    report: FitReport,
) -> list[int]:
    """Rebuild the over-long rows that may still shrink with ``new_window``; return those still too long."""
    candidates = [i for i in over if rows.tasks[i] in MIN_WINDOW and new_window >= MIN_WINDOW[rows.tasks[i]]]
    shorter = [rows.rewindowed(i, new_window) for i in candidates]
    changed = [(i, p) for i, p in zip(candidates, shorter, strict=True) if p != fitted[i]]
    if not changed:
        return over
    lengths = sequence_lengths(tokenizer, [p for _, p in changed], [rows.completions[i] for i, _ in changed])
    fits = set()
    for (i, prompt), n in zip(changed, lengths, strict=True):
        fitted[i] = prompt
        if n <= max_length:
            fits.add(i)
            report.shortened[new_window] = report.shortened.get(new_window, 0) + 1
    return [i for i in over if i not in fits]


# --- per-task data and stage datasets ----------------------------------------------------------------------------------


def prepare_task(
    data: ERCDataArguments,
    task: str,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None,
    demonstrate: Demonstrate | None = None,
) -> TaskSplits:
    """Load, sample, demonstrate (main task only) and fit one task's train and validation rows."""
    splits = load_task_splits(data, task)
    sampled = splits["train"].select(training_indices(splits["train"], data))
    train = _first(sampled, data.max_train_samples)
    validation = _first(splits["validation"], data.max_eval_samples)
    if demonstrate is not None and task == "main":
        train, validation = demonstrate(sampled, train, validation)
    train, train_fit = fit_prompts(train, tokenizer, max_length, split_turns(splits["train"], task), data.window)
    validation, validation_fit = fit_prompts(
        validation, tokenizer, max_length, split_turns(splits["validation"], task), data.window
    )
    return TaskSplits(task, train, validation, {"train": train_fit, "validation": validation_fit})


class Demonstrator:
    """Add retrieved demonstrations to main-task train rows (train mode) and validation rows (inference mode).

    Called as ``demonstrate(domain base rows, train, validation)``. The domain base is the sampled training split (mix
    and fraction, before ``max_train_samples``): a low-resource run retrieves from its own data only. After a call,
    :attr:`base` is the fitted :class:`~instructerc_hf.retrieval.DomainBase`, saved beside the adapter for inference.
    """

    def __init__(self, retrieval: ERCRetrievalArguments, prompt_config: PromptConfig) -> None:
        self.config = retrieval.retrieval_config()
        self.prompt_config = prompt_config
        self.base: DomainBase | None = None

    def __call__(self, base: Dataset, train: Dataset, validation: Dataset) -> tuple[Dataset, Dataset]:
        from .retrieval import DomainBase, demonstrate_splits

        self.base = DomainBase.from_rows(base, self.config)
        out = demonstrate_splits({"train": train, "validation": validation}, self.prompt_config, self.config,
                                 base=self.base)
        return out["train"], out["validation"]


def with_loss_weight(dataset: Dataset, weight: float) -> Dataset:
    """``dataset`` reduced to :data:`TRAINER_COLUMNS`, every row weighing ``weight``."""
    columns = [c for c in TRAINER_COLUMNS if c != LOSS_WEIGHT]
    out = dataset.select_columns(columns)
    return out.add_column(LOSS_WEIGHT, [float(weight)] * len(out), feature=Value("float32"))


def stage_dataset(parts: Sequence[TaskSplits], split: str, tasks: ERCTaskArguments) -> Dataset:
    """The rows of every task of a stage for ``split``, each weighted by ``tasks.task_weight`` (impact: alpha)."""
    return concatenate_datasets([with_loss_weight(getattr(p, split), tasks.task_weight(p.task)) for p in parts])


def label_eval_set(part: TaskSplits, prompt_config: PromptConfig, pack_tokens: int) -> LabelEvalSet:
    """The validation prompts and gold labels of an emotion task, for label-scoring evaluation."""
    from .retrieval import demonstration_labels

    validation = part.validation
    return LabelEvalSet(
        prompts=list(validation["prompt"]),
        references=label_strings(validation),
        labels=prompt_config.labels,
        demonstration_labels=demonstration_labels(validation),
        pack_tokens=pack_tokens,
    )
