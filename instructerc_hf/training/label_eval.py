"""What label-scoring evaluation during training scores, and the metrics it reports."""

from __future__ import annotations

from dataclasses import dataclass

from ..inference.defaults import DEFAULT_PACK_TOKENS

#: The scalar label-scoring metrics reported by evaluation (``eval_`` + name).
LABEL_METRICS: tuple[str, ...] = (
    "weighted_f1", "accuracy", "macro_f1", "demonstration_copy_rate", "demonstration_label_accuracy",
)


@dataclass
class LabelEvalSet:
    """Validation prompts and gold labels that :meth:`InstructERCTrainer.evaluate` scores.

    Attributes:
        prompts: the prompts exactly as trained (a completion is `` <label>`` + EOS).
        references: the gold label of each prompt.
        labels: the label set scored after every prompt, in prompt order.
        demonstration_labels: the label of each prompt's retrieved demonstration, if any (adds copy-rate metrics).
        pack_tokens: tokens per label-scoring forward pass.
    """

    prompts: list[str]
    references: list[str]
    labels: tuple[str, ...]
    demonstration_labels: list[str] | None = None
    pack_tokens: int = DEFAULT_PACK_TOKENS
