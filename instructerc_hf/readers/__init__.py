"""Readers of the real MELD, EmoryNLP and IEMOCAP files, and of your own conversations, into
:class:`~instructerc_hf.records.Dialogue` records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..labels import get_dataset_labels
from ..records import SPLITS, DialogueCorpus
from ..registry import CONVERSATIONS, SOURCES
from .conversations import read_conversations
from .cosmic import read_cosmic_pickle
from .emorynlp import read_emorynlp
from .errors import DataFormatError
from .iemocap import read_iemocap_tsv
from .integrity import DedupPolicy, apply_dedup, check_published_counts
from .meld import read_meld_csv
from .safe_pickle import load_pickle


def read_corpus(
    dataset: str,
    raw_dir: str | Path | Mapping[str, Any],
    source: str | None = None,
    splits: tuple[str, ...] = SPLITS,
    repair_text: bool = True,
    *,
    name: str | None = None,
    labels: Sequence[str] | None = None,
    unified: Mapping[str, str] | None = None,
    dedup: DedupPolicy = "report",
) -> DialogueCorpus:
    """Read ``dataset`` from ``raw_dir``, then check it (dialogues repeated across splits, published split sizes).

    Args:
        dataset: ``meld``, ``emorynlp``, ``iemocap``, or ``conversations`` (your own data: ``name`` and optionally
            ``labels`` and ``unified``, see :func:`~instructerc_hf.readers.conversations.read_conversations`).
        raw_dir: a folder holding the raw files (searched recursively; the file directly in the
            folder wins, and several copies below it is an error naming them); for ``conversations`` also a
            ``DatasetDict``.
        source: one of :data:`SOURCES` for the dataset; default the first.
        splits: which of ``train``, ``validation``, ``test`` to read.
        repair_text: undo cp1252 damage in MELD text (counted in the report). The
            official-compatible mode turns it off to keep the characters the official code saw.
        dedup: dialogues of validation or test also in train: ``report`` them, ``drop-from-train``, or ``error``.
    """
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise InputError(f"unknown split(s) {unknown}; expected a subset of {list(SPLITS)}")
    if dataset == CONVERSATIONS:
        corpus = read_conversations(raw_dir, name or "", labels, unified, splits)
    else:
        if isinstance(raw_dir, Mapping):
            raise InputError(f"{dataset} is read from its raw files: pass a folder")
        corpus = _read_builtin(dataset, raw_dir, source, splits, repair_text)
    corpus = apply_dedup(corpus, dedup)
    corpus.report.count_warnings = check_published_counts(corpus)
    return corpus


def _read_builtin(dataset: str, raw_dir: str | Path, source: str | None, splits: tuple[str, ...],
                  repair_text: bool) -> DialogueCorpus:
    name = get_dataset_labels(dataset).name
    source = source or SOURCES[name][0]
    if source not in SOURCES[name]:
        raise InputError(f"unknown source {source!r} for {name}; expected one of {list(SOURCES[name])}")
    if source == "pickle":
        return read_cosmic_pickle(name, raw_dir, splits, repair=repair_text)
    if name == "meld":
        return read_meld_csv(raw_dir, splits, repair=repair_text)
    if name == "emorynlp":
        return read_emorynlp(raw_dir, splits, source=source)
    return read_iemocap_tsv(raw_dir, splits)


__all__ = ["SOURCES", "DataFormatError", "load_pickle", "read_corpus"]
