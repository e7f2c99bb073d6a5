"""Multi-dataset mixing (the paper's Total Mix and Ratio Mix) and low-resource fractions.

- Total Mix concatenates the training rows of every dataset.
- Ratio Mix samples each dataset to ``ratio * n_min`` rows, where ``n_min`` is the size of the
  smallest dataset's training set, so that no dataset dominates (ratios default to 1 each).
- A low-resource fraction keeps ``round(fraction * n)`` rows (at least one) of a training set,
  chosen uniformly at random (utterance level: every prompt keeps its full history window).

All sampling is seeded and keeps the original row order, so a build is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal, TypeVar

MixStrategy = Literal["total", "ratio"]
MIX_STRATEGIES: tuple[MixStrategy, ...] = ("total", "ratio")
LOW_RESOURCE_FRACTIONS: tuple[str, ...] = ("1", "1/2", "1/4", "1/8", "1/16", "1/32", "1/64")

T = TypeVar("T")


def parse_fraction(value: str | float) -> float:
    """Parse ``"1/8"``, ``"0.125"`` or ``0.125``; the result must lie in (0, 1]."""
    try:
        number = float(Fraction(str(value).strip()))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"fraction {value!r} is not a number like 1/8 or 0.125") from None
    if not 0 < number <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {value!r}")
    return number


def sample_indices(n: int, size: int, seed: int) -> list[int]:
    """``size`` distinct indices of ``range(n)``, seeded, in increasing order."""
    if size >= n:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), size))


def fraction_indices(n: int, fraction: float, seed: int) -> list[int]:
    """Indices of a seeded low-resource subset of ``n`` rows."""
    fraction = parse_fraction(fraction)
    return sample_indices(n, max(1, round(n * fraction)), seed)


def mix_sizes(
    sizes: Mapping[str, int], strategy: MixStrategy, ratios: Mapping[str, float] | None = None
) -> dict[str, int]:
    """How many rows each dataset contributes under ``strategy``."""
    if strategy not in MIX_STRATEGIES:
        raise ValueError(f"unknown mix strategy {strategy!r}; expected one of {list(MIX_STRATEGIES)}")
    if strategy == "total":
        return dict(sizes)
    unknown = set(ratios or {}) - set(sizes)
    if unknown:
        raise ValueError(f"ratios given for datasets not in the mix: {sorted(unknown)}")
    smallest = min(sizes.values())
    return {name: min(n, round(smallest * (ratios or {}).get(name, 1.0))) for name, n in sizes.items()}


def mix_rows(
    parts: Mapping[str, Sequence[T]], strategy: MixStrategy, seed: int, ratios: Mapping[str, float] | None = None
) -> list[T]:
    """Mix the row lists of several datasets (dataset order kept, each part subsampled by seed)."""
    sizes = mix_sizes({name: len(rows) for name, rows in parts.items()}, strategy, ratios)
    mixed: list[T] = []
    for offset, (name, rows) in enumerate(parts.items()):
        mixed.extend(rows[i] for i in sample_indices(len(rows), sizes[name], seed + offset))
    return mixed


def subsample(rows: Sequence[T], fraction: float, seed: int) -> list[T]:
    """A seeded low-resource subset of ``rows``."""
    return [rows[i] for i in fraction_indices(len(rows), fraction, seed)]


def sample_training_rows(
    parts: Mapping[str, Sequence[T]],
    strategy: MixStrategy,
    fraction: float,
    seed: int,
    ratios: Mapping[str, float] | None = None,
) -> list[T]:
    """A training split's rows as a build keeps them: mixed by ``strategy``, then the low-resource ``fraction``."""
    return subsample(mix_rows(parts, strategy, seed, ratios), fraction, seed)
