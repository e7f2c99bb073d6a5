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
