"""Fitting the pipeline's prompts to the model's positions: shorter histories, as in training, never a cut utterance.

A prompt fits when ``prompt + " " + label + EOS`` (the training target, for the label with the most tokens) takes at
most :func:`position_limit` tokens. An over-long main prompt gets the longest shorter history that fits, through the
training's own :func:`instructerc_hf.training.fitting.shorten_histories`; a prompt that does not fit even without
history is an error naming the turn and the token counts. Generation's tokens past the label (``max_new_tokens``) are
not budgeted: a trained adapter stops after the label's EOS.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..records import Turn
from ..training.fitting import FitReport, FitRows, PromptTooLongError, sequence_lengths, shorten_histories

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

#: A tokenizer's ``model_max_length`` at or above this is transformers' "unset" sentinel, not a limit.
SANE_MAX_LENGTH = 10**8


def position_limit(model: object, tokenizer: object) -> int | None:
    """How many tokens the model takes: ``config.max_position_embeddings``, or the tokenizer's ``model_max_length``
    when that is smaller and sane; None when neither is known."""
    config = getattr(model, "config", None)
    limits = [getattr(config, "max_position_embeddings", None), getattr(tokenizer, "model_max_length", None)]
    sane = [n for n in limits if isinstance(n, int) and 0 < n < SANE_MAX_LENGTH]
    return min(sane) if sane else None


def longest_completion(tokenizer: PreTrainedTokenizerBase, labels: Sequence[str]) -> str:
    """The training completion (``" " + label``) with the most tokens: the one a prompt must leave room for."""
    return max((" " + label for label in labels), key=lambda c: len(tokenizer(c)["input_ids"]))


@dataclass
class ShortenedCount:
    """How many prompts of one pipeline call got a shorter history to fit ``limit`` positions (warned about once)."""

    limit: int | None
    prompts: int = 0

    def warn(self) -> None:
        """One warning with the count, if any prompt was shortened."""
        if self.prompts:
            logger.warning("%d prompt(s) exceeded the model's %s positions and got a shorter history, as in training",
                           self.prompts, self.limit)


def fit_to_positions(
    prompts: list[str],
    turns: Sequence[Turn],
    task: str,
    window: int,
    tokenizer: PreTrainedTokenizerBase,
    limit: int,
    completion: str,
) -> tuple[list[str], FitReport]:
    """``prompts`` (one per turn, built with ``window``) with shorter histories where they exceed ``limit`` tokens.

    Raises:
        PromptTooLongError: a turn's prompt does not fit even with no history (the utterance is never cut).
    """
    report = FitReport(rows=len(prompts))
    rows = FitRows(prompts, [completion] * len(prompts), [task] * len(prompts), list(range(len(prompts))),
                   [turns] * len(prompts), window)
    fitted, over = shorten_histories(rows, tokenizer, limit, report)
    if over:
        first = over[0]
        needed = sequence_lengths(tokenizer, [fitted[first]], [completion])[0]
        alone = len(tokenizer(fitted[first])["input_ids"])
        raise PromptTooLongError(
            f"turn {first}: its prompt takes {alone} tokens even with no history ({needed} with the label "
            f"{completion.strip()!r} and EOS), more than the model's {limit} positions ({len(over)} such turn(s)). "
            "The utterance is never cut: shorten it, or use a model with more positions."
        )
    return fitted, report
