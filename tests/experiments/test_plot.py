"""The plot of the ablation."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.plot import plot, reference_lines
from experiments.records import Record
from experiments.render import Report


def test_reference_lines_of_the_real_records(real: dict[str, Record]) -> None:
    report = Report(real)
    lines = reference_lines(report.ordered, report.baselines, report.zero_shot)
    assert [(label, round(value, 2)) for label, value, _, _ in lines] == [
        ("TF-IDF + LR (same utterances)", 47.09), ("majority (same utterances)", 30.23),
        ("zero-shot (first 200)", pytest.approx(5.24, abs=0.005))]
    label, value, _, _ = reference_lines([], report.baselines, {})[0]  # no runs: the whole test split
    assert label == "TF-IDF + LR (whole test)" and round(value, 2) == 46.15


def test_plot_writes_a_png(real: dict[str, Record], tmp_path: Path) -> None:
    report = Report(real)
    plot(tmp_path / "a" / "results.png", report.ordered, report.baselines, report.zero_shot)
    plot(tmp_path / "empty.png", [], {}, {})
    for path in (tmp_path / "a" / "results.png", tmp_path / "empty.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
