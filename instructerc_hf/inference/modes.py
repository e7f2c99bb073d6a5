"""One entry point for both inference modes: label scoring or greedy generation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .defaults import MODES, Mode

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .generation import generate_labels
from .prediction import Prediction
from .scoring import score_labels


def predict(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    labels: Sequence[str],
    mode: Mode = "score",
    **kwargs: object,
) -> list[Prediction]:
    """:func:`score_labels` (``mode="score"``) or :func:`generate_labels` (``mode="generate"``)."""
    if mode == "score":
        return score_labels(model, tokenizer, prompts, labels, **kwargs)  # type: ignore[arg-type]
    if mode == "generate":
        return generate_labels(model, tokenizer, prompts, labels, **kwargs)  # type: ignore[arg-type]
    raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
