"""The fine-tuned MiniLM baseline: its inputs on real MELD, and a tiny random encoder trained end to end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from experiments.baselines import train_subset
from experiments.classifier import ClassifierRecipe, encode, split_examples, train_classifier


def test_context_inputs_hold_the_previous_turns_and_the_utterance_whole(corpus) -> None:
    from transformers import AutoTokenizer

    from instructerc_hf.retrieval.config import default_encoder

    dialogue = max(corpus.splits["train"][:50], key=len)
    alone, context = split_examples([dialogue], 0), split_examples([dialogue], 2)
    assert alone.contexts == [None] * len(dialogue) and alone.utterances[3] == dialogue.turns[3].text
    first, second, third = (f"{t.speaker}: {t.text}" for t in dialogue.turns[1:4])
    assert context.contexts[0] is None and context.contexts[3] == f"{first} {second}"
    assert context.utterances[3] == third and context.ids[3] == f"{dialogue.dialogue_id}/3"
    tokenizer = AutoTokenizer.from_pretrained(default_encoder())
    tokenizer.truncation_side = "left"
    long = replace(split_examples([dialogue], 12), contexts=["word " * 300] * len(dialogue))
    row = encode(tokenizer, long, {label: 0 for label in long.labels}, max_length=32)[3]
    assert len(row["input_ids"]) == 32
    assert tokenizer.decode(row["input_ids"]).endswith(tokenizer.decode(tokenizer(third)["input_ids"][1:]))


def test_train_subset_is_the_lora_runs_training_rows(corpus, prompt_config) -> None:
    from datasets import Dataset

    from instructerc_hf.tasks import corpus_rows
    from instructerc_hf.training.arguments import ERCDataArguments
    from instructerc_hf.training.data import training_indices

    rows = list(corpus_rows(corpus.splits["train"], "main", prompt_config))
    dataset = Dataset.from_dict({"dataset": [r["dataset"] for r in rows]})
    lora = training_indices(dataset, ERCDataArguments(dataset="meld", dataset_path="unused", fraction="1/8"))
    assert train_subset(len(rows), "meld", "1/8") == lora and len(lora) == round(len(rows) / 8)
    assert train_subset(len(rows), "meld", "1") == list(range(len(rows)))


def test_a_tiny_random_encoder_trains_and_scores_the_test_split(corpus, tmp_path: Path, quiet_single_thread) -> None:
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel

    from instructerc_hf.records import DialogueCorpus
    from instructerc_hf.retrieval.config import default_encoder

    tiny = tmp_path / "tiny"
    AutoTokenizer.from_pretrained(default_encoder()).save_pretrained(tiny)
    BertModel(BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(tiny)  # no head, as all-MiniLM-L6-v2
    small = DialogueCorpus("meld", {s: corpus.splits[s][:n] for s, n in (("train", 24), ("validation", 4),
                                                                           ("test", 5))}, corpus.report)
    labels = sorted({t.label for ds in small.splits.values() for d in ds for t in d.turns})
    recipe = ClassifierRecipe(context_turns=3, max_length=48, epochs=2, batch_size=16)
    metrics, test, predicted = train_classifier(small, labels, recipe, "1/2", 42, tmp_path / "out", str(tiny))
    assert len(predicted) == len(test.ids) == small.num_utterances("test") and set(predicted) <= set(labels)
    assert metrics["test"]["num_examples"] == len(predicted) and metrics["test"]["utterances_per_second"] > 0
    training = metrics["training"]
    assert training["train_utterances"] == round(small.num_utterances("train") / 2)
    assert training["trainable_parameters"] == sum(p.numel() for p in BertForSequenceClassification.from_pretrained(
        tiny, num_labels=len(labels)).parameters())
    assert [e["epoch"] for e in training["validation_history"]] == pytest.approx([1.0, 2.0])
    assert training["best_epoch"] in (1.0, 2.0) and 0 <= metrics["validation"]["weighted_f1"] <= 100
