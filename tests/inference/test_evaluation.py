"""Evaluating an adapter on a built folder: predictions, the demonstration copy rate, the saved demonstrations."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import CONVERSATION, MELD_LABELS


def test_evaluate_reports_the_demonstration_copy_rate(adapter: Path, tmp_path: Path) -> None:
    from datasets import Dataset

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "demonstrated"
    (folder / "main").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test-*.parquet\n---\n"
    )
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(6)], "label": ["sad", "angry"] * 3,
            "demonstration_label": ["sad"] * 6}
    Dataset.from_dict(rows).to_parquet(str(folder / "main" / "test-00000-of-00001.parquet"))
    metrics = evaluate_adapter(EvaluateArguments(model=str(adapter), dataset=str(folder), output_dir=str(tmp_path)))
    written = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [w["gold"] for w in written] == rows["label"] and all(w["label"] in MELD_LABELS for w in written)
    assert metrics["demonstration_label_accuracy"] == 0.5
    assert 0 <= metrics["demonstration_copy_rate"] <= 1


def test_evaluate_adds_the_saved_demonstrations(retrieval_adapter: Path, tmp_path: Path) -> None:
    from datasets import Dataset

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "plain"
    (folder / "main").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test-*.parquet\n---\n"
    )
    texts = [t["text"] for t in CONVERSATION]
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(4)], "text": texts, "task": ["main"] * 4,
            "label": ["sad", "angry"] * 2}
    Dataset.from_dict(rows).to_parquet(str(folder / "main" / "test-00000-of-00001.parquet"))
    metrics = evaluate_adapter(EvaluateArguments(model=str(retrieval_adapter), dataset=str(folder),
                                                 output_dir=str(tmp_path / "eval")))
    assert metrics["num_examples"] == 4 and 0 <= metrics["demonstration_copy_rate"] <= 1
