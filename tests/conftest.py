"""Shared fixtures: the real raw data in ../shared/data (tests skip with a reason where it is absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED = Path(os.environ.get("INSTRUCTERC_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
REFERENCE = SHARED / "reference"

MELD_CSV = DATA / "meld/raw/declare-lab__MELD/data/MELD"
MELD_LEGACY_CSV = DATA / "meld/raw/declare-lab__MELD@pre-utf8-fix/data/MELD"
MELD_RAW = DATA / "meld/raw"
EMORYNLP_RAW = DATA / "emorynlp/raw"
IEMOCAP_RAW = DATA / "iemocap/raw"
IEMOCAP_TSV = DATA / "iemocap/raw/rungjoo__CoMPM/dataset/iemocap"


def require(path: Path) -> Path:
    """Skip the test when ``path`` (real shared data) is not on this machine."""
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    return path


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
