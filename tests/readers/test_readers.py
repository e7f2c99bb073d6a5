"""``read_corpus`` on the real MELD, EmoryNLP and IEMOCAP files from every source: counts, bad arguments."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import EMORYNLP_RAW, IEMOCAP_RAW, IEMOCAP_TSV, MELD_CSV, MELD_LEGACY_CSV, MELD_RAW, require

from instructerc_hf.readers import read_corpus

PUBLISHED = {
    "meld": {"train": 9989, "validation": 1109, "test": 2610},
    "emorynlp": {"train": 7551, "validation": 954, "test": 984},
    "iemocap": {"train": 5163, "validation": 647, "test": 1623},
}


SOURCES = [
    ("meld", "csv", MELD_CSV),
    ("meld", "csv", MELD_LEGACY_CSV),
    ("meld", "pickle", MELD_RAW),
    ("emorynlp", "csv", EMORYNLP_RAW),
    ("emorynlp", "pickle", EMORYNLP_RAW),
    ("iemocap", "pickle", IEMOCAP_RAW),
    ("iemocap", "tsv", IEMOCAP_TSV),
]


@pytest.mark.parametrize(("dataset", "source", "raw"), SOURCES)
def test_counts_equal_published(dataset: str, source: str, raw: Path) -> None:
    corpus = read_corpus(dataset, require(raw), source)
    assert {split: corpus.num_utterances(split) for split in corpus.splits} == PUBLISHED[dataset]
    assert corpus.report.skipped == Counter()


def test_unknown_dataset_source_split() -> None:
    with pytest.raises(KeyError, match="unknown dataset 'friends'"):
        read_corpus("friends", ".")
    with pytest.raises(ValueError, match="unknown source 'xml'"):
        read_corpus("meld", ".", "xml")
    with pytest.raises(ValueError, match="unknown split"):
        read_corpus("meld", ".", splits=("dev",))
