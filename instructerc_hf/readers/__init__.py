"""Readers of the real MELD, EmoryNLP and IEMOCAP files into :class:`~instructerc_hf.records.Dialogue` records."""

from __future__ import annotations

from pathlib import Path

from ..labels import get_dataset_labels
from ..records import SPLITS, DialogueCorpus
from ..registry import SOURCES
from .cosmic import read_cosmic_pickle
from .emorynlp import read_emorynlp
from .errors import DataFormatError
from .iemocap import read_iemocap_tsv
from .meld import read_meld_csv
from .safe_pickle import load_pickle


def read_corpus(
    dataset: str,
    raw_dir: str | Path,
    source: str | None = None,
    splits: tuple[str, ...] = SPLITS,
    repair_text: bool = True,
) -> DialogueCorpus:
    """Read ``dataset`` from ``raw_dir``.

    Args:
        dataset: ``meld``, ``emorynlp`` or ``iemocap``.
        raw_dir: a folder holding the raw files (searched recursively; the file directly in the
            folder wins, and several copies below it is an error naming them).
        source: one of :data:`SOURCES` for the dataset; default the first.
        splits: which of ``train``, ``validation``, ``test`` to read.
        repair_text: undo cp1252 damage in MELD text (counted in the report). The
            official-compatible mode turns it off to keep the characters the official code saw.
    """
    name = get_dataset_labels(dataset).name
    source = source or SOURCES[name][0]
    if source not in SOURCES[name]:
        raise ValueError(f"unknown source {source!r} for {name}; expected one of {list(SOURCES[name])}")
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise ValueError(f"unknown split(s) {unknown}; expected a subset of {list(SPLITS)}")
    if source == "pickle":
        return read_cosmic_pickle(name, raw_dir, splits, repair=repair_text)
    if name == "meld":
        return read_meld_csv(raw_dir, splits, repair=repair_text)
    if name == "emorynlp":
        return read_emorynlp(raw_dir, splits, source=source)
    return read_iemocap_tsv(raw_dir, splits)


__all__ = ["SOURCES", "DataFormatError", "load_pickle", "read_corpus"]
