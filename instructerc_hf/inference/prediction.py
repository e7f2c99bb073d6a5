"""What one prediction holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prediction:
    """The label predicted for one prompt.

    Attributes:
        label: one of the label set; None only for an empty generation (no label: unparseable, scored as wrong).
        score: label scoring: the label's probability among the candidates (softmax of summed log-likelihoods);
            generation: the probability of the generated text under greedy decoding.
        generated_text: the generated text (generation only).
        exact: generation: True when the generated text held a label, False when the parser guessed it by edit
            distance or the text was empty. Label scoring: True by construction (the label is chosen among the
            candidates, never parsed).
        label_scores: label scoring: every label's probability among the candidates, in label-set order.
        draw_labels: an ensemble over demonstration draws (:func:`~instructerc_hf.inference.ensemble.score_draws`):
            each draw's own most likely label, in draw order.
    """

    label: str | None
    score: float
    generated_text: str | None = None
    exact: bool = True
    label_scores: dict[str, float] | None = None
    draw_labels: tuple[str, ...] | None = None

    def top(self, k: int) -> list[tuple[str, float]]:
        """The ``k`` most likely labels with their probabilities (label scoring), most likely first; ties keep label
        order."""
        if self.label_scores is None:
            raise ValueError("top-k labels need label scoring (mode='score'); generation yields one label")
        return sorted(self.label_scores.items(), key=lambda item: -item[1])[:k]
