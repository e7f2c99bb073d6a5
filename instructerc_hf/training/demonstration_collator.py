"""Demonstrations drawn anew for every batch: a data collator for ``SFTTrainer`` (``demonstration_injection: collator``).

Set-up, once (:class:`CollatorRows`): every main-task training row's candidates are ranked
(:class:`~instructerc_hf.retrieval.strategies.DemonstrationDraws`), and its history is fitted to ``max_length`` for its
longest possible draw (the prompt holds that draw while :func:`~instructerc_hf.training.fitting.fit_prompts` runs;
:meth:`CollatorRows.finish` takes it out again). The row keeps its plain prompt and its index in a
``demonstration_row`` column.

Per batch (:class:`DemonstrationCollator`): each row with a ``demonstration_row`` gets draw ``epoch`` of its
demonstrations, placed by the same :func:`~instructerc_hf.retrieval.inject.demonstrated_prompt` as map-time
injection; then ``prompt + completion + EOS`` is tokenized exactly as TRL prepares a prompt-completion row, with
labels ``-100`` outside the completion. Rows without one (other tasks, validation rows) are tokenized as they are.

The epoch: :class:`DemonstrationEpochCallback` sets ``collator.epoch = floor(state.epoch)`` at every epoch begin.
Trainer's ``state.epoch`` is ``epoch + steps done / steps in the epoch`` (an integer at each epoch's end), and a resume
restores it from the checkpoint's ``trainer_state.json`` before the first ``on_epoch_begin``, so the resumed epoch
draws what the interrupted one drew. Trainer creates the epoch's dataloader iterator (and its worker processes)
after ``on_epoch_begin``, so workers copy the new epoch; persistent workers would keep the first one, and are refused.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from datasets import Dataset, Value
from transformers import PreTrainedTokenizerBase, TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from trl.data_utils import common_prefix_length
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from ..chat import render
from ..prompts import PromptConfig, demonstration_text, with_demonstration, without_demonstration
from ..retrieval.domain_base import columns
from ..retrieval.inject import demonstrated_prompt, worded
from ..retrieval.retriever import DemonstrationRetriever
from ..retrieval.strategies import DemonstrationDraws
from .data import DEMONSTRATION_ROW, LOSS_WEIGHT
from .trainer import LossWeightCollator

logger = logging.getLogger(__name__)

TRUNCATION_MODES: tuple[str, ...] = ("keep_start", "keep_end")


def tokenize_prompt_completion(
    tokenizer: PreTrainedTokenizerBase,
    prompt: str,
    completion: str,
    max_length: int | None = None,
    truncation_mode: str = "keep_start",
) -> dict[str, list[int]]:
    """``input_ids`` and ``labels`` of a prompt-completion row as ``SFTTrainer`` prepares it.

    EOS is appended to the completion unless it ends with it; the completion starts where the tokenized prompt and
    prompt + completion diverge; labels are ``-100`` before it; ``max_length`` truncates like ``truncation_mode``.
    """
    eos = tokenizer.eos_token or ""
    if not completion.endswith(eos):
        completion += eos
    prompt_ids = tokenizer(text=prompt)["input_ids"]
    ids = tokenizer(text=prompt + completion)["input_ids"]
    start = common_prefix_length(prompt_ids, ids)
    labels = [-100] * start + ids[start:]
    if max_length is not None and len(ids) > max_length:
        logger.warning("a %d-token row was truncated to max_length=%d (%s)", len(ids), max_length, truncation_mode)
        cut = slice(None, max_length) if truncation_mode == "keep_start" else slice(-max_length, None)
        ids, labels = ids[cut], labels[cut]
    return {"input_ids": ids, "labels": labels}


@dataclass
class DemonstrationCollator:
    """Draw each training row's demonstrations for the current epoch, tokenize, mask the loss to the completion, pad.

    Examples need ``prompt`` and ``completion``; ``demonstration_row`` (>= 0) is the row of ``draws`` whose
    demonstrations to insert; a ``loss_weight`` becomes a ``(batch,)`` tensor. Give it to
    :class:`~instructerc_hf.training.InstructERCTrainer` as ``data_collator``: the trainer keeps
    :attr:`input_columns`, skips TRL's tokenization and registers :meth:`epoch_callback`.
    """

    tokenizer: PreTrainedTokenizerBase
    draws: DemonstrationDraws
    prompt_config: PromptConfig
    max_length: int | None = None
    truncation_mode: str = "keep_start"
    pad_to_multiple_of: int | None = None
    epoch: int = 0
    #: Render the drawn prompts through the tokenizer's chat template (rows without a draw come rendered).
    chat_template: bool = False

    #: The dataset columns the collator reads (``SFTTrainer`` must not remove them).
    input_columns: ClassVar[tuple[str, ...]] = ("prompt", "completion", DEMONSTRATION_ROW, LOSS_WEIGHT)

    def __post_init__(self) -> None:
        if self.truncation_mode not in TRUNCATION_MODES:
            raise ValueError(f"truncation_mode must be one of {list(TRUNCATION_MODES)}, got {self.truncation_mode!r}")
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        self._pad = DataCollatorForLanguageModeling(pad_token_id=int(pad), pad_to_multiple_of=self.pad_to_multiple_of)

    def prompt(self, example: dict[str, Any]) -> str:
        """The example's prompt with the demonstrations of draw :attr:`epoch` (unchanged without a row)."""
        row = example.get(DEMONSTRATION_ROW)
        if row is None or row < 0:
            return str(example["prompt"])
        prompt = demonstrated_prompt(example["prompt"], self.draws.demonstrations(int(row), self.epoch),
                                     self.prompt_config)
        return render(prompt, self.tokenizer) if self.chat_template else prompt

    def features(self, example: dict[str, Any]) -> dict[str, list[int]]:
        """``input_ids`` and ``labels`` of one example."""
        return tokenize_prompt_completion(self.tokenizer, self.prompt(example), str(example["completion"]),
                                          self.max_length, self.truncation_mode)

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        return LossWeightCollator(self.collate)(examples)

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        """The padded batch of ``input_ids``, ``attention_mask`` and ``labels`` (loss weights left to the caller)."""
        return dict(self._pad([self.features(example) for example in examples]))

    def epoch_callback(self) -> DemonstrationEpochCallback:
        """The callback that keeps :attr:`epoch` at the trainer's epoch."""
        return DemonstrationEpochCallback(self)


def trainer_epoch(state: TrainerState) -> int:
    """The epoch the Trainer is in or about to begin: ``floor(state.epoch)`` (0 before training)."""
    return math.floor(state.epoch or 0.0)


class DemonstrationEpochCallback(TrainerCallback):
    """Set ``collator.epoch`` from the trainer state at train and epoch begin (see the module docstring)."""

    def __init__(self, collator: DemonstrationCollator) -> None:
        self.collator = collator

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if args.dataloader_persistent_workers and args.dataloader_num_workers > 0:
            raise ValueError("demonstrations drawn per epoch need fresh dataloader workers each epoch: set "
                             "dataloader_persistent_workers false (or dataloader_num_workers 0)")
        self.collator.epoch = trainer_epoch(state)

    def on_epoch_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.collator.epoch = trainer_epoch(state)


class CollatorRows:
    """Set up collator injection for main-task training rows (see the module docstring).

    :meth:`prepare` before fitting, :meth:`finish` after it, then :meth:`collator`.
    """

    def __init__(
        self, retriever: DemonstrationRetriever, prompt_config: PromptConfig, tokenizer: PreTrainedTokenizerBase
    ) -> None:
        self.retriever, self.prompt_config, self.tokenizer = retriever, prompt_config, tokenizer
        self.draws: DemonstrationDraws | None = None
        self._longest: list[str] = []

    def prepare(self, train: Dataset) -> Dataset:
        """Rank the candidates of ``train``'s main rows; their prompts hold their longest draw, to be fitted."""
        cols = columns(train, ("prompt", "text", "label", "dataset", "dialogue_id", "task"))
        main = [i for i, task in enumerate(cols["task"]) if task == "main"]
        queries = [cols["text"][i] for i in main]
        config = self.retriever.config
        pairing = [cols["label"][i] for i in main] if config.train_pairing == "same_label" else None
        exclude = [(cols["dataset"][i], str(cols["dialogue_id"][i])) for i in main]
        self.draws = draws = DemonstrationDraws.fit(self.retriever, queries, exclude, pairing, release=True,
                                                    embeddings=self.retriever.embed(queries) if queries else None)
        lengths = self.demonstration_lengths()
        self._longest = [worded(draws.longest(row, lengths), self.prompt_config) for row in range(len(main))]
        prompts, rows = list(cols["prompt"]), [-1] * len(train)
        for row, i in enumerate(main):
            prompts[i], rows[i] = with_demonstration(prompts[i], self._longest[row], self.prompt_config), row
        return _with(train, prompts, rows)

    def demonstration_lengths(self) -> list[int]:
        """Tokens of each base utterance worded as a demonstration."""
        texts = [demonstration_text(u.text, u.label, self.prompt_config) for u in self.retriever.base.utterances]
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def finish(self, train: Dataset) -> Dataset:
        """``train`` (prepared, then fitted) with each main row's plain, fitted prompt."""
        prompts, rows = list(train["prompt"]), list(train[DEMONSTRATION_ROW])
        for i, row in enumerate(rows):
            if row >= 0:
                prompts[i] = without_demonstration(prompts[i], self._longest[row], self.prompt_config)
        return _with(train, prompts, rows)

    def collator(self, max_length: int | None) -> DemonstrationCollator:
        if self.draws is None:
            raise RuntimeError("call prepare(train) first")
        return DemonstrationCollator(self.tokenizer, self.draws, self.prompt_config, max_length)


def _with(train: Dataset, prompts: Sequence[str], rows: Sequence[int]) -> Dataset:
    """``train`` with ``prompts`` and the ``demonstration_row`` column, in its column order (plus the new one)."""
    order = [c for c in train.column_names if c != DEMONSTRATION_ROW] + [DEMONSTRATION_ROW]
    out = train.remove_columns([c for c in ("prompt", DEMONSTRATION_ROW) if c in train.column_names])
    out = out.add_column("prompt", list(prompts), feature=Value("string"))
    return out.add_column(DEMONSTRATION_ROW, list(rows), feature=Value("int64")).select_columns(order)
