"""The paired bootstrap of a weighted-F1 difference between two methods scored on the same test utterances.

Each resample draws the test utterances with replacement; both methods are scored on that same draw, each as the mean
weighted F1 of its seeds, and the difference is kept. The 95% interval is the 2.5th and 97.5th percentile of the
differences (percentile bootstrap, Efron & Tibshirani 1993; its use for NLP: Berg-Kirkpatrick et al. 2012). Written
with numpy rather than sklearn: one ``bincount`` scores every resample of every seed at once, exactly as sklearn's
``f1_score(average="weighted")`` over the gold labels would (:func:`weighted_f1s`, tested against it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Resamples of a comparison, and the seed of their draws (fixed: a rendered document is reproducible).
RESAMPLES = 2000
SEED = 0


@dataclass(frozen=True)
class PairedDifference:
    """Method A minus method B in weighted F1 points: on the test split itself and its 95% bootstrap interval."""

    difference: float
    low: float
    high: float
    resamples: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def weighted_f1s(gold: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Weighted F1 (x100) of each row of ``predicted`` (rows, n) against the same row of ``gold`` (rows, n); labels
    are indices below ``classes``, a prediction of ``classes`` is no label (always wrong)."""
    rows = gold.shape[0]
    width = classes * (classes + 1)
    codes = gold * (classes + 1) + predicted + width * np.arange(rows)[:, None]
    confusion = np.bincount(codes.ravel(), minlength=rows * width).reshape(rows, classes, classes + 1)
    hits = confusion[:, np.arange(classes), np.arange(classes)]
    support, chosen = confusion.sum(axis=2), confusion[:, :, :classes].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(support + chosen > 0, 2 * hits / (support + chosen), 0.0)
    return 100 * (f1 * support).sum(axis=1) / support.sum(axis=1)


def encode(labels: Sequence[str], values: Sequence[str]) -> np.ndarray:
    """Label indices of ``values``; anything outside ``labels`` (an unparseable answer) is ``len(labels)``."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index.get(v, len(labels)) for v in values])


def paired_bootstrap(gold: Sequence[str], a: Sequence[Sequence[str]], b: Sequence[Sequence[str]],
                     labels: Sequence[str], resamples: int = RESAMPLES, seed: int = SEED) -> PairedDifference:
    """Mean weighted F1 over ``a``'s seeds minus that over ``b``'s, each a list of predictions of ``gold``'s
    utterances in the same order."""
    if not a or not b or any(len(p) != len(gold) for p in (*a, *b)):
        raise ValueError("paired_bootstrap needs predictions of every utterance of gold, for one seed or more each")
    classes, truth = len(labels), encode(labels, gold)
    methods = [np.stack([encode(labels, p) for p in runs]) for runs in (a, b)]

    def mean_f1(draw: np.ndarray, runs: np.ndarray) -> np.ndarray:
        seeds = runs.shape[0]
        scores = weighted_f1s(np.repeat(truth[draw], seeds, axis=0),
                              runs[:, draw].transpose(1, 0, 2).reshape(-1, draw.shape[1]), classes)
        return scores.reshape(-1, seeds).mean(axis=1)

    whole = np.arange(len(gold))[None, :]
    point = float(mean_f1(whole, methods[0])[0] - mean_f1(whole, methods[1])[0])
    draws = np.random.default_rng(seed).integers(0, len(gold), size=(resamples, len(gold)))
    differences = np.concatenate([mean_f1(chunk, methods[0]) - mean_f1(chunk, methods[1])
                                  for chunk in np.array_split(draws, max(1, resamples // 250))])
    low, high = np.percentile(differences, [2.5, 97.5])
    return PairedDifference(point, float(low), float(high), resamples)
