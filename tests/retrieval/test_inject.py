"""Adding demonstrations to real MELD rows: pairing at training and inference (Table 10), other tasks, seeds."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
from helpers import make_retriever

from instructerc_hf.metrics import compute_erc_metrics
from instructerc_hf.prompts import PromptConfig, demonstration_text
from instructerc_hf.records import DialogueCorpus
from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.inject import DEMONSTRATION_COLUMNS, add_demonstrations, demonstrate_splits
from instructerc_hf.retrieval.retriever import DemonstrationRetriever
from instructerc_hf.tasks import corpus_rows


def test_training_rows_carry_the_target_label(train_demo: datasets.Dataset, prompt_config: PromptConfig) -> None:
    assert train_demo["demonstration_label"] == train_demo["label"]
    for row in train_demo:
        worded = demonstration_text(row["demonstration_text"], row["demonstration_label"], prompt_config)
        assert row["prompt"].endswith(worded)
        assert -1.0 <= row["demonstration_score"] <= 1.0


def test_inference_never_reads_the_gold_label(
    valid_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> None:
    blind = add_demonstrations(valid_rows.remove_columns("label"), retriever, prompt_config, "inference")
    scrambled_labels = np.random.default_rng(0).permutation(valid_rows["label"]).tolist()
    scrambled = valid_rows.remove_columns("label").add_column("label", scrambled_labels)
    seen = add_demonstrations(scrambled, retriever, prompt_config, "inference")
    for column in ("prompt", *DEMONSTRATION_COLUMNS):
        assert blind[column] == seen[column]


def test_inference_same_label_needs_explicit_labels(
    train_rows: datasets.Dataset, valid_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    oracle = make_retriever(train_rows, cache_dir, inference_pairing="same_label")
    with pytest.raises(ValueError, match="passed explicitly"):
        add_demonstrations(valid_rows, oracle, prompt_config, "inference")
    gold = list(valid_rows["label"])
    out = add_demonstrations(valid_rows, oracle, prompt_config, "inference", labels=gold)
    assert out["demonstration_label"] == gold
    plain = make_retriever(train_rows, cache_dir)
    with pytest.raises(ValueError, match="never uses labels"):
        add_demonstrations(valid_rows, plain, prompt_config, "inference", labels=gold)


@pytest.mark.parametrize("train_pairing", ["same_label", "all_labels"])
@pytest.mark.parametrize("inference_pairing", ["same_label", "all_labels"])
def test_table10_combinations(
    train_rows: datasets.Dataset,
    valid_rows: datasets.Dataset,
    cache_dir: str,
    prompt_config: PromptConfig,
    train_pairing: str,
    inference_pairing: str,
) -> None:
    r = make_retriever(train_rows, cache_dir, train_pairing=train_pairing, inference_pairing=inference_pairing)
    train = add_demonstrations(train_rows, r, prompt_config, "train")
    labels = list(valid_rows["label"]) if inference_pairing == "same_label" else None
    valid = add_demonstrations(valid_rows, r, prompt_config, "inference", labels=labels)
    train_agreement = np.mean(np.array(train["demonstration_label"]) == np.array(train["label"]))
    valid_agreement = np.mean(np.array(valid["demonstration_label"]) == np.array(valid["label"]))
    assert (train_agreement == 1.0) == (train_pairing == "same_label")
    assert (valid_agreement == 1.0) == (inference_pairing == "same_label")


def test_all_labels_fraction_is_seeded(
    train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    def run(seed: int) -> list[str]:
        r = make_retriever(train_rows, cache_dir, all_labels_fraction=0.5, seed=seed)
        return list(add_demonstrations(train_rows, r, prompt_config, "train")["demonstration_label"])

    first = run(0)
    agreement = np.mean(np.array(first) == np.array(train_rows["label"]))
    assert 0.5 < agreement < 1.0
    assert run(0) == first


def test_deterministic_and_copy_rate_is_measurable(
    train_rows: datasets.Dataset, valid_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    config = RetrievalConfig(cache_dir=cache_dir, progress=False)
    splits = {"train": train_rows, "validation": valid_rows}
    first, second = demonstrate_splits(splits, prompt_config, config), demonstrate_splits(splits, prompt_config, config)
    assert all(first[s].to_dict() == second[s].to_dict() for s in splits)
    valid = first["validation"]
    copier = compute_erc_metrics(
        valid["demonstration_label"],
        valid["label"],
        prompt_config.labels,
        demonstration_labels=valid["demonstration_label"],
    )
    assert copier["demonstration_copy_rate"] == 1.0
    assert copier["demonstration_label_accuracy"] == copier["accuracy"] / 100


def test_other_tasks_pass_through(
    corpus: DialogueCorpus, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> None:
    mixed = [*corpus_rows(corpus.splits["train"][:3], "main", prompt_config)]
    mixed += corpus_rows(corpus.splits["train"][:3], "speaker", prompt_config)
    dataset = datasets.Dataset.from_list(mixed)
    out = add_demonstrations(dataset, retriever, prompt_config, "train")
    assert out.column_names == [*dataset.column_names, *DEMONSTRATION_COLUMNS]
    for before, after in zip(dataset, out, strict=True):
        if before["task"] == "main":
            assert after["prompt"] != before["prompt"] and after["demonstration_label"] == before["label"]
        else:
            assert after["prompt"] == before["prompt"]
            assert all(after[c] is None for c in DEMONSTRATION_COLUMNS)


def test_classlabel_rows(train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig) -> None:
    encoded = train_rows.cast_column("label", datasets.ClassLabel(names=list(prompt_config.labels)))
    r = make_retriever(encoded, cache_dir)
    out = add_demonstrations(encoded, r, prompt_config, "train")
    assert out["demonstration_label"] == train_rows["label"]
