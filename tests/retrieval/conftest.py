"""Demonstration retrieval on real MELD with the real all-MiniLM-L6-v2 encoder.

Most tests use the first 60 train and 15 validation dialogues (``train_rows``, ``valid_rows`` in tests/conftest.py);
the split-leak tests read the real full splits (``corpus``).
"""

from __future__ import annotations

import datasets
import pytest
from helpers import make_retriever

from instructerc_hf.prompts import PromptConfig
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import DemonstrationRetriever


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="session")
def retriever(train_rows: datasets.Dataset, cache_dir: str) -> DemonstrationRetriever:
    return make_retriever(train_rows, cache_dir)


@pytest.fixture(scope="session")
def train_demo(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> datasets.Dataset:
    return add_demonstrations(train_rows, retriever, prompt_config, "train")
