"""The ERC training arguments: a data source is required, retrieval settings."""

from __future__ import annotations

import pytest

from instructerc_hf.training.arguments import ERCDataArguments, ERCRetrievalArguments


def test_no_data_source_is_an_error() -> None:
    with pytest.raises(ValueError, match="exactly one of dataset_path"):
        ERCDataArguments()


def test_retrieval_arguments_cover_retrieval_config() -> None:
    config = ERCRetrievalArguments(use_demonstrations=True, retrieval_top_k=2, retrieval_seed=3).retrieval_config()
    assert (config.top_k, config.seed, config.train_pairing) == (2, 3, "same_label")


def test_demonstration_options_are_retrieval_config_fields() -> None:
    arguments = ERCRetrievalArguments(use_demonstrations=True, demonstration_injection="collator",
                                      demonstration_strategy="per_label", demonstration_k=5)
    config = arguments.retrieval_config()
    assert (config.injection, config.strategy, config.candidate_k) == ("collator", "per_label", 5)
    assert config.to_dict()["strategy"] == "per_label"  # saved in the adapter's retrieval dict
    assert ERCRetrievalArguments().retrieval_config().strategy == "top1"  # the paper by default
    with pytest.raises(ValueError, match="strategy must be one of"):
        ERCRetrievalArguments(use_demonstrations=True, demonstration_strategy="nearest")
