"""What one prediction holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prediction:
    """The label predicted for one prompt.

    Attributes:
        label: always one of the label set.
        score: label scoring: the label's probability among the candidates (softmax of summed log-likelihoods);
            generation: the probability of the generated text under greedy decoding.
        generated_text: the generated text (generation only).
        exact: False when the parser had to guess the label from text that contains none (generation only).
    """

    label: str
    score: float
    generated_text: str | None = None
    exact: bool = True
