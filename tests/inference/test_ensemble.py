"""Inference under the demonstration strategies: an ensemble of draws that averages label log-likelihoods, the same
draws in ``evaluate``, ``predict`` and the pipeline, and the copy rate of every evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import CONVERSATION, DOMAIN_BASE, MELD_LABELS, PROMPTS, built_folder

from instructerc_hf.errors import InputError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    from instructerc_hf.modeling import load_causal_lm, load_tokenizer
    from instructerc_hf.testing import build_tiny_llama

    folder = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "llama")
    return load_causal_lm(folder).eval(), load_tokenizer(folder)


def test_score_draws_averages_each_draws_label_log_likelihoods(tiny: tuple[object, object]) -> None:
    from instructerc_hf.inference.ensemble import score_draws
    from instructerc_hf.inference.scoring import label_log_likelihoods, score_labels

    model, tokenizer = tiny
    members = [PROMPTS, PROMPTS[1:] + PROMPTS[:1], PROMPTS[::-1]]
    each = [label_log_likelihoods(model, tokenizer, m, MELD_LABELS, progress=False) for m in members]  # type: ignore[arg-type]
    mean = torch.stack(each).mean(dim=0)
    out = score_draws(model, tokenizer, members, MELD_LABELS, progress=False)  # type: ignore[arg-type]
    assert [p.label for p in out] == [MELD_LABELS[int(i)] for i in mean.argmax(dim=-1)]
    for i, prediction in enumerate(out):
        expected = torch.softmax(mean[i], dim=-1)
        assert prediction.label_scores is not None
        assert list(prediction.label_scores.values()) == pytest.approx(expected.tolist(), abs=1e-5)
        assert prediction.draw_labels == tuple(MELD_LABELS[int(e[i].argmax())] for e in each)
    # one draw repeated is plain label scoring
    alone = score_labels(model, tokenizer, PROMPTS, MELD_LABELS, progress=False)  # type: ignore[arg-type]
    repeated = score_draws(model, tokenizer, [PROMPTS, PROMPTS], MELD_LABELS, progress=False)  # type: ignore[arg-type]
    assert [p.label for p in repeated] == [p.label for p in alone]
    assert [p.score for p in repeated] == pytest.approx([p.score for p in alone], abs=1e-5)
    with pytest.raises(ValueError, match="one prompt per utterance"):
        score_draws(model, tokenizer, [PROMPTS, PROMPTS[:2]], MELD_LABELS)  # type: ignore[arg-type]


def test_an_ensemble_needs_label_scoring(tiny: tuple[object, object]) -> None:
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.modes import predict_draws

    model, tokenizer = tiny
    with pytest.raises(InputError, match="needs mode score"):
        predict_draws(model, tokenizer, [PROMPTS, PROMPTS], MELD_LABELS, "generate")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="--mode score"):
        EvaluateArguments(model="m", dataset="d", mode="generate", demonstration_draws=2)
    with pytest.raises(InputError, match=">= 1"):
        EvaluateArguments(model="m", dataset="d", demonstration_draws=0)


def conversation_rows(adapter: Path) -> dict[str, list[object]]:
    """The main-task rows of :data:`CONVERSATION` as a build writes them for ``adapter``'s prompt."""
    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.pipeline.conversations import conversation_turns
    from instructerc_hf.prompts import main_prompt

    config = ERCModelConfig.from_pretrained(adapter).prompt
    turns = conversation_turns(CONVERSATION)
    return {"prompt": [main_prompt(turns, i, config) for i in range(len(turns))], "text": [t.text for t in turns],
            "task": ["main"] * len(turns), "label": ["sad", "angry", "surprise", "neutral"],
            "dataset": ["talk"] * len(turns), "dialogue_id": ["0"] * len(turns), "turn": list(range(len(turns)))}


def test_evaluate_pipeline_and_predict_score_the_same_ensemble(per_label_adapter: Path, tmp_path: Path) -> None:
    from transformers import pipeline

    from instructerc_hf.cli.main import main
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter
    from instructerc_hf.registry import PIPELINE_TASK

    folder = built_folder(tmp_path / "talk", conversation_rows(per_label_adapter))
    metrics = evaluate_adapter(EvaluateArguments(model=str(per_label_adapter), dataset=str(folder),
                                                 output_dir=str(tmp_path / "eval")))
    assert metrics["demonstration_draws"] == 3  # the adapter's saved inference_draws
    assert len(metrics["per_draw"]) == 3
    assert all(0 <= d["demonstration_copy_rate"] <= 1 and "weighted_f1" in d for d in metrics["per_draw"])
    assert 0 <= metrics["demonstration_copy_rate"] <= 1
    written = [json.loads(line) for line in (tmp_path / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert all(len(w["draw_labels"]) == 3 and set(w["draw_labels"]) <= set(MELD_LABELS) for w in written)

    erc = pipeline(PIPELINE_TASK, model=str(per_label_adapter))
    assert erc.default_draws == 3
    draws = [erc.prompts_for(CONVERSATION, draw=d) for d in range(3)]
    assert len({tuple(d) for d in draws}) == 3  # per_label shuffles the order anew each draw
    for prompts in draws:  # every draw shows one demonstration of every label of the base
        assert all(sum(f'is {label}.' in p for label in {lab for _, lab in DOMAIN_BASE}) == 7 for p in prompts)
    outputs = erc(CONVERSATION)
    assert [o["label"] for o in outputs] == [w["label"] for w in written]
    assert [o["score"] for o in outputs] == pytest.approx([w["score"] for w in written], abs=1e-5)
    one = erc(CONVERSATION, demonstration_draws=1)
    assert [o["score"] for o in one] != pytest.approx([o["score"] for o in outputs], abs=1e-6)

    conversation = tmp_path / "talk.json"
    conversation.write_text(json.dumps(CONVERSATION), encoding="utf-8")
    out = tmp_path / "predicted.json"
    assert main(["predict", "--model", str(per_label_adapter), str(conversation), "--output", str(out)]) == 0
    assert [o["label"] for o in json.loads(out.read_text())] == [o["label"] for o in outputs]


def test_evaluate_draws_match_map_time_draws(per_label_adapter: Path, tmp_path: Path) -> None:
    """Draw ``n`` of an ensemble is ``add_demonstrations(..., draw=n)``; one draw is the default's evaluation."""
    from datasets import Dataset

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.retrieval.inject import add_demonstration_draws, add_demonstrations
    from instructerc_hf.retrieval.retriever import load_retriever

    config = ERCModelConfig.from_pretrained(per_label_adapter).prompt
    rows = Dataset.from_dict(conversation_rows(per_label_adapter))
    retriever = load_retriever(per_label_adapter)
    members = add_demonstration_draws(rows, retriever, config, 3)
    for draw, member in enumerate(members):
        assert member["prompt"] == add_demonstrations(rows, retriever, config, "inference", draw=draw)["prompt"]
        # the copy rate reads the most similar demonstration shown
        for prompt, label in zip(member["prompt"], member["demonstration_label"], strict=True):
            assert f"is {label}." in prompt
    # keyed by text: the same utterance gets the same draw wherever it sits
    moved = add_demonstrations(rows.select([3, 2, 1, 0]), retriever, config, "inference", draw=1)
    assert moved["demonstration_text"] == members[1]["demonstration_text"][::-1]


def test_an_ensemble_needs_a_drawing_strategy(retrieval_adapter: Path, adapter: Path, tmp_path: Path) -> None:
    from transformers import pipeline

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter
    from instructerc_hf.registry import PIPELINE_TASK

    folder = built_folder(tmp_path / "talk", conversation_rows(retrieval_adapter))
    with pytest.raises(InputError, match="needs strategy sample_topk or per_label"):
        evaluate_adapter(EvaluateArguments(model=str(retrieval_adapter), dataset=str(folder), demonstration_draws=2,
                                           output_dir=str(tmp_path / "eval")))
    with pytest.raises(InputError, match="draws no demonstrations"):
        evaluate_adapter(EvaluateArguments(model=str(adapter), dataset=str(folder), demonstration_draws=2,
                                           output_dir=str(tmp_path / "eval")))
    erc = pipeline(PIPELINE_TASK, model=str(retrieval_adapter))
    with pytest.raises(InputError, match="needs strategy"):
        erc(CONVERSATION, demonstration_draws=2)
    with pytest.raises(ValueError, match="trained with demonstrations"):
        pipeline(PIPELINE_TASK, model=str(adapter), demonstration_draws=2)
