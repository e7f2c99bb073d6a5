"""Mixing and fraction helpers."""

from __future__ import annotations

import pytest

from instructerc_hf.mixing import fraction_indices, mix_sizes, parse_fraction, subsample


def test_mixing_helpers() -> None:
    assert parse_fraction("1/64") == pytest.approx(1 / 64) and parse_fraction(1) == 1.0
    for bad in ("0", "2", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_fraction(bad)
    assert fraction_indices(100, 0.5, 1) == sorted(fraction_indices(100, 0.5, 1))
    assert len(subsample(list(range(10)), 1 / 64, 0)) == 1
    assert mix_sizes({"a": 10, "b": 4}, "ratio", {"a": 2.0}) == {"a": 8, "b": 4}
    with pytest.raises(ValueError, match="unknown mix strategy"):
        mix_sizes({"a": 1}, "half")  # type: ignore[arg-type]
