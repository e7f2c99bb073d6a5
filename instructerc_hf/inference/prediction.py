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
        label_scores: label scoring: every label's probability among the candidates, in label-set order.
    """

    label: str
    score: float
    generated_text: str | None = None
    exact: bool = True
    label_scores: dict[str, float] | None = None

    def top(self, k: int) -> list[tuple[str, float]]:
        """The ``k`` most likely labels with their probabilities (label scoring), most likely first; ties keep label
        order."""
        if self.label_scores is None:
            raise ValueError("top-k labels need label scoring (mode='score'); generation yields one label")
        return sorted(self.label_scores.items(), key=lambda item: -item[1])[:k]
