"""One entry point for both inference modes: label scoring or greedy generation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .defaults import MODES, Mode

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..errors import InputError
from .ensemble import score_draws
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


def predict_draws(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    members: Sequence[Sequence[str]],
    labels: Sequence[str],
    mode: Mode = "score",
    **kwargs: object,
) -> list[Prediction]:
    """:func:`predict` on one draw's prompts, or :func:`score_draws` on several (``members[d][i]``: utterance
    ``i`` under draw ``d``).

    Raises:
        InputError: several draws with ``mode="generate"`` (the ensemble averages label log-likelihoods).
    """
    if len(members) == 1:
        return predict(model, tokenizer, members[0], labels, mode, **kwargs)
    if mode != "score":
        raise InputError(f"an ensemble of {len(members)} demonstration draws averages label log-likelihoods: it needs "
                         "mode score, not generate")
    return score_draws(model, tokenizer, members, labels, **kwargs)  # type: ignore[arg-type]
