"""Label scoring over an ensemble of demonstration draws (LM-BFF's demonstration ensemble, Gao et al. 2021).

Under the ``sample_topk`` and ``per_label`` strategies an utterance can be shown several draws of demonstrations;
its label log-likelihoods are averaged over the draws, so no single draw's demonstrations decide the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .defaults import DEFAULT_PACK_TOKENS
from .prediction import Prediction
from .scoring import label_log_likelihoods, predictions_from_scores

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def score_draws(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    members: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    append_eos: bool = True,
    pack_tokens: int = DEFAULT_PACK_TOKENS,
    progress: bool = True,
) -> list[Prediction]:
    """The label of each utterance from its mean label log-likelihoods over the draws; each prediction's
    ``draw_labels`` holds every draw's own label.

    Args:
        members: ``members[d][i]``, the prompt of utterance ``i`` under draw ``d`` (every draw the same length).
        labels, append_eos, pack_tokens, progress: as :func:`~instructerc_hf.inference.scoring.label_log_likelihoods`.
    """
    draws, count = len(members), len(members[0]) if members else 0
    if not draws or any(len(prompts) != count for prompts in members):
        raise ValueError(f"every draw needs one prompt per utterance, got {[len(m) for m in members]}")
    # one utterance's draws side by side: they share the prompt up to the demonstrations, which the packer reuses
    interleaved = [members[d][i] for i in range(count) for d in range(draws)]
    scores = label_log_likelihoods(model, tokenizer, interleaved, labels, append_eos=append_eos,
                                   pack_tokens=pack_tokens, progress=progress).view(count, draws, len(labels))
    each = scores.argmax(dim=-1).tolist()
    return [replace(p, draw_labels=tuple(labels[b] for b in each[i]))
            for i, p in enumerate(predictions_from_scores(scores.mean(dim=1), labels))]
