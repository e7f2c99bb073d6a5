"""Evaluating an adapter on a built folder: predictions, the demonstration copy rate, the saved demonstrations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CONVERSATION, MELD_LABELS, built_folder


def test_evaluate_reports_the_demonstration_copy_rate(adapter: Path, tmp_path: Path) -> None:
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "demonstrated"
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(6)], "label": ["sad", "angry"] * 3,
            "demonstration_label": ["sad"] * 6}
    built_folder(folder, rows)
    metrics = evaluate_adapter(EvaluateArguments(model=str(adapter), dataset=str(folder), output_dir=str(tmp_path)))
    written = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [w["gold"] for w in written] == rows["label"] and all(w["label"] in MELD_LABELS for w in written)
    assert metrics["demonstration_label_accuracy"] == 0.5
    assert 0 <= metrics["demonstration_copy_rate"] <= 1


def test_evaluate_adds_the_saved_demonstrations(retrieval_adapter: Path, tmp_path: Path) -> None:
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "plain"
    texts = [t["text"] for t in CONVERSATION]
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(4)], "text": texts, "task": ["main"] * 4,
            "label": ["sad", "angry"] * 2}
    built_folder(folder, rows)
    metrics = evaluate_adapter(EvaluateArguments(model=str(retrieval_adapter), dataset=str(folder),
                                                 output_dir=str(tmp_path / "eval")))
    assert metrics["num_examples"] == 4 and 0 <= metrics["demonstration_copy_rate"] <= 1


def test_the_plot_title_counts_the_scored_utterances(adapter: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from instructerc_hf.inference import evaluation
    from instructerc_hf.inference.arguments import EvaluateArguments

    titles: list[str] = []
    monkeypatch.setattr(evaluation, "plot_confusion_matrix", lambda *a, title: titles.append(title))
    folder = built_folder(tmp_path / "meld", {"prompt": [f"Utterance {i}" for i in range(6)], "label": ["sad"] * 6})
    for limit in (4, None):
        metrics = evaluation.evaluate_adapter(EvaluateArguments(model=str(adapter), dataset=str(folder), limit=limit,
                                                                output_dir=str(tmp_path / "eval")))
        assert metrics["split_size"] == 6 and metrics["num_examples"] == (limit or 6)
    assert titles == ["adapter on meld test: first 4 of 6 utterances", "adapter on meld test: 6 utterances"]
    assert evaluation.plot_title("out/a", "data/meld", "validation", 9, 9) == "a on meld validation: 9 utterances"


def test_evaluate_refuses_raw_files_before_loading_the_model(tmp_path: Path) -> None:
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter
    from instructerc_hf.raw_files import NotBuiltError

    (tmp_path / "train_sent_emo.csv").write_text("Sr No.,Utterance\n")
    with pytest.raises(NotBuiltError, match="instructerc-hf build meld --raw-dir"):
        evaluate_adapter(EvaluateArguments(model=str(tmp_path / "no-adapter"), dataset=str(tmp_path)))


def test_the_config_defaults_to_the_adapters_task(tmp_path: Path) -> None:
    from helpers import build_tiny_adapter

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    plain = build_tiny_adapter(tmp_path / "plain", tasks=[["plain"]])
    folder = built_folder(tmp_path / "data", {"prompt": ["Oh no!", "Yay!"], "label": ["sad", "joyful"]}, "plain")
    args = EvaluateArguments(model=str(plain), dataset=str(folder), output_dir=str(tmp_path / "eval"))
    assert args.dataset_config() == "plain"
    assert evaluate_adapter(args)["config"] == "plain"
    assert EvaluateArguments(model=str(plain), dataset=str(folder), config="main").dataset_config() == "main"
