"""``instructerc-hf evaluate`` on a tiny adapter and real MELD."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import MELD_CSV, MELD_LABELS, require

from instructerc_hf.cli import main as cli


def test_cli_evaluate_writes_metrics_and_confusion_matrix(adapter: Path, tmp_path: Path) -> None:
    from instructerc_hf.data.arguments import BuildArguments
    from instructerc_hf.data.export import export_dataset

    data = tmp_path / "data"
    export_dataset(BuildArguments(dataset="meld", raw_dir=[str(require(MELD_CSV).parents[1])], out=str(data),
                                  tasks=["main"], label_spaces=["original"]), command="test")
    out = tmp_path / "eval"
    assert cli(["evaluate", "--model", str(adapter), "--dataset", str(data), "--split", "test", "--limit", "24",
                "--output_dir", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_examples"] == 24 and metrics["labels"] == list(MELD_LABELS)
    assert 0 <= metrics["weighted_f1"] <= 100 and metrics["unparseable_rate"] == 0
    assert "demonstration_copy_rate" not in metrics
    assert sum(map(sum, metrics["confusion_matrix"])) == 24
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 24
