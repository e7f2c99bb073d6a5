"""The paired bootstrap: its weighted F1 is sklearn's, and its interval behaves."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.bootstrap import encode, paired_bootstrap, weighted_f1s
from instructerc_hf.metrics import compute_erc_metrics

LABELS = ["neutral", "joy", "anger", "sadness"]


def f1(predicted: list[str], gold: list[str]) -> float:
    """The records' metric; a record writes no label as ``""``."""
    return compute_erc_metrics([p or None for p in predicted], gold, LABELS,
                               fallback_count=predicted.count(""))["weighted_f1"]


def predictions(rng: np.random.Generator, gold: list[str], right: float) -> list[str]:
    """``gold`` kept with probability ``right``, else a random label or (1 in 20) no label."""
    wrong = rng.choice([*LABELS, ""], size=len(gold), p=[0.95 / len(LABELS)] * len(LABELS) + [0.05])
    return [g if keep else str(w) for g, keep, w in zip(gold, rng.random(len(gold)) < right, wrong, strict=True)]


def test_weighted_f1s_is_the_metric_of_the_records() -> None:
    rng = np.random.default_rng(1)
    gold = [str(label) for label in rng.choice(LABELS, size=300, p=[0.5, 0.2, 0.2, 0.1])]
    runs = [predictions(rng, gold, right) for right in (0.2, 0.5, 0.9)]
    ours = weighted_f1s(np.stack([encode(LABELS, gold)] * 3), np.stack([encode(LABELS, p) for p in runs]),
                        len(LABELS))
    assert ours == pytest.approx([f1(p, gold) for p in runs])


def test_the_interval_holds_the_difference_and_separates_only_real_gaps() -> None:
    rng = np.random.default_rng(2)
    gold = [str(label) for label in rng.choice(LABELS, size=800)]
    strong = [predictions(rng, gold, 0.7) for _ in range(3)]
    weak = [predictions(rng, gold, 0.5) for _ in range(2)]
    gap = paired_bootstrap(gold, strong, weak, LABELS)
    expected = np.mean([f1(p, gold) for p in strong]) - np.mean([f1(p, gold) for p in weak])
    assert gap.difference == pytest.approx(expected) and gap.low < gap.difference < gap.high
    assert gap.excludes_zero and 10 < gap.difference < 30
    same = paired_bootstrap(gold, weak, list(reversed(weak)), LABELS)
    assert same.difference == pytest.approx(0) and same.low == pytest.approx(0) and same.high == pytest.approx(0)
    close = paired_bootstrap(gold, [predictions(rng, gold, 0.5)], [predictions(rng, gold, 0.5)], LABELS)
    assert not close.excludes_zero and close.low < 0 < close.high
    assert paired_bootstrap(gold, strong, weak, LABELS) == gap  # seeded: a rendered document is reproducible
    with pytest.raises(ValueError, match="every utterance"):
        paired_bootstrap(gold, [gold[:-1]], weak, LABELS)
