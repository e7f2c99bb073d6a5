"""Shared fixtures: the real raw data in ../shared/data (tests skip with a reason where it is absent), tiny adapters,
a local Hub. Plain helpers and paths are in ``helpers.py``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from helpers import (  # noqa: F401 - the paths stay importable from conftest for older tests
    DATA,
    DOMAIN_BASE,
    EMORYNLP_RAW,
    IEMOCAP_RAW,
    IEMOCAP_TSV,
    MELD_CSV,
    MELD_LEGACY_CSV,
    MELD_RAW,
    REFERENCE,
    SHARED,
    build_tiny_adapter,
    require,
    rows,
)

if TYPE_CHECKING:
    import datasets
    from hub_server import LocalHub

    from instructerc_hf.prompts import PromptConfig
    from instructerc_hf.records import DialogueCorpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: How many real MELD dialogues the ``train_rows`` and ``valid_rows`` fixtures hold.
N_TRAIN, N_VALID = 60, 15


@pytest.fixture(scope="session")
def meld_csv() -> Path:
    return require(MELD_CSV)


@pytest.fixture(scope="session")
def reference() -> Path:
    return require(REFERENCE)


@pytest.fixture(scope="module")
def quiet_single_thread() -> Iterator[None]:
    """Quiet logs and one intra-op thread for tiny-model training tests (more threads only contend on a busy CPU)."""
    import datasets
    import torch
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.set_verbosity_error()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- real MELD -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def corpus() -> DialogueCorpus:
    """Real MELD, read from the CSV files."""
    from instructerc_hf.readers import read_corpus

    meld = DATA / "meld" / "raw" / "declare-lab__MELD"
    if not meld.exists():
        pytest.skip(f"real MELD data not found at {meld}")
    return read_corpus("meld", meld)


@pytest.fixture(scope="session")
def prompt_config() -> PromptConfig:
    from instructerc_hf.tasks import prompt_config_for

    return prompt_config_for(["meld"], "original")


@pytest.fixture(scope="session")
def train_rows(corpus: DialogueCorpus, prompt_config: PromptConfig) -> datasets.Dataset:
    """The ``main`` rows of the first 60 MELD train dialogues."""
    return rows(corpus, "train", N_TRAIN, prompt_config)


@pytest.fixture(scope="session")
def valid_rows(corpus: DialogueCorpus, prompt_config: PromptConfig) -> datasets.Dataset:
    """The ``main`` rows of the first 15 MELD validation dialogues."""
    return rows(corpus, "validation", N_VALID, prompt_config)


@pytest.fixture(scope="session")
def meld_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real MELD exported as a Hub-ready folder with the ``main`` and ``speaker`` tasks (both label spaces)."""
    from instructerc_hf.data.arguments import BuildArguments
    from instructerc_hf.data.export import export_dataset

    out = tmp_path_factory.mktemp("meld_repo")
    export_dataset(BuildArguments(dataset="meld", raw_dir=[str(require(MELD_CSV))], out=str(out),
                                  tasks=["main", "speaker"]))
    return out


# --- tiny adapters and a local Hub -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MELD adapter folder, shared: tests only read it (push tests build their own, with a stub card)."""
    return build_tiny_adapter(tmp_path_factory.mktemp("pipeline") / "adapter")


def demonstration_adapter(folder: Path, **retrieval: Any) -> Path:
    """A tiny adapter trained (as it were) with demonstrations: its retrieval config (``retrieval`` overrides
    ``RetrievalConfig`` fields), own wording and domain base (:data:`DOMAIN_BASE`)."""
    import dataclasses

    from instructerc_hf.retrieval.config import RetrievalConfig
    from instructerc_hf.retrieval.domain_base import DomainBase, Utterance
    from instructerc_hf.tasks import prompt_config_for

    config = RetrievalConfig(balance="none", progress=False, cache_dir=str(folder.parent / "embeddings"), **retrieval)
    prompt = dataclasses.replace(prompt_config_for(["meld"], "original"), demonstration_position="before_history",
                                 demonstration_template=' Example: "{text}" is {label}.')
    build_tiny_adapter(folder, prompt=prompt, retrieval=config.to_dict())
    base = [Utterance(text, label, "meld", str(i), 0) for i, (text, label) in enumerate(DOMAIN_BASE)]
    DomainBase.from_utterances(base, config).save(folder)
    return folder


@pytest.fixture(scope="module")
def retrieval_adapter(tmp_path_factory: pytest.TempPathFactory, quiet_single_thread: None) -> Path:
    """A tiny adapter trained with the paper's top-1 demonstrations (:func:`demonstration_adapter`)."""
    return demonstration_adapter(tmp_path_factory.mktemp("retrieval") / "adapter")


@pytest.fixture(scope="module")
def per_label_adapter(tmp_path_factory: pytest.TempPathFactory, quiet_single_thread: None) -> Path:
    """A tiny adapter trained with ``per_label`` demonstrations, scored with an ensemble of 3 draws."""
    return demonstration_adapter(tmp_path_factory.mktemp("per_label") / "adapter", strategy="per_label",
                                 candidate_k=2, inference_draws=3)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """A running local Hub; online mode for ``huggingface_hub`` (tests run with HF_HUB_OFFLINE=1)."""
    from hub_server import LocalHub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with LocalHub(tmp_path / "hub") as server:
        yield server
