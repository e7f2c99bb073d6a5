"""Integrity checks of a read corpus: duplicate turns, dialogues repeated across splits, published split sizes."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from ..errors import InputError
from ..records import Dialogue, DialogueCorpus
from ..registry import PUBLISHED_UTTERANCES
from .errors import DataFormatError

logger = logging.getLogger(__name__)

DedupPolicy = Literal["report", "drop-from-train", "error"]
DEDUP_POLICIES: tuple[DedupPolicy, ...] = ("report", "drop-from-train", "error")


def check_unique_turns(path: Path, turns: Iterable[tuple[Hashable, Hashable, int | str]]) -> None:
    """Raise naming both lines when a ``(dialogue, turn)`` of ``(dialogue, turn, line)`` items appears twice."""
    seen: dict[tuple[Hashable, Hashable], int | str] = {}
    for dialogue, turn, line in turns:
        first = seen.setdefault((dialogue, turn), line)
        if first != line:
            raise DataFormatError(path, f"dialogue {dialogue} turn {turn} appears twice: rows {first} and {line}",
                                  row=line)


def dialogue_key(dialogue: Dialogue) -> tuple[str, ...]:
    """A dialogue's utterances, case and whitespace normalised: two dialogues with one key are one conversation."""
    return tuple(" ".join(turn.text.casefold().split()) for turn in dialogue.turns)


def repeated_in_train(corpus: DialogueCorpus) -> dict[str, list[str]]:
    """Per evaluation split, the ids of its dialogues that also appear in the train split."""
    if "train" not in corpus.splits:
        return {}
    train = {dialogue_key(d) for d in corpus.splits["train"]}
    repeated = {split: [d.dialogue_id for d in dialogues if dialogue_key(d) in train]
                for split, dialogues in corpus.splits.items() if split != "train"}
    return {split: ids for split, ids in repeated.items() if ids}


def apply_dedup(corpus: DialogueCorpus, policy: DedupPolicy) -> DialogueCorpus:
    """Report dialogues repeated across splits in ``corpus.report.repeated``; drop them from train, or refuse them."""
    if policy not in DEDUP_POLICIES:
        raise InputError(f"unknown dedup policy {policy!r}; expected one of {list(DEDUP_POLICIES)}")
    repeated = repeated_in_train(corpus)
    for split, ids in repeated.items():
        corpus.report.repeated[f"train/{split}"] = len(ids)
        logger.warning("%s: %d %s dialogue(s) also appear in train (e.g. %s)", corpus.dataset, len(ids), split,
                       ", ".join(ids[:3]))
    if not repeated or policy == "report":
        return corpus
    if policy == "error":
        found = "; ".join(f"{len(ids)} {split} dialogue(s) (e.g. {', '.join(ids[:3])})" for split, ids in repeated.items())
        raise InputError(f"{corpus.dataset}: dialogues repeated in train and another split: {found}. "
                         "Pass --dedup drop-from-train to train without them, or --dedup report")
    keys = {dialogue_key(d) for split in repeated for d in corpus.splits[split]}
    train = [d for d in corpus.splits["train"] if dialogue_key(d) not in keys]
    corpus.report.skipped["train dialogue repeated in another split"] += len(corpus.splits["train"]) - len(train)
    return replace(corpus, splits={**corpus.splits, "train": train})


def check_published_counts(corpus: DialogueCorpus) -> list[str]:
    """Warnings for splits whose utterance count differs from the published one (a truncated file, say)."""
    published = PUBLISHED_UTTERANCES.get((corpus.dataset, corpus.report.source), {})
    warnings = []
    for split, expected in published.items():
        if split in corpus.splits and corpus.num_utterances(split) != expected:
            warnings.append(f"{corpus.dataset} {split} has {corpus.num_utterances(split)} utterances, the published "
                            f"{corpus.report.source} split {expected}: is a file truncated or edited?")
    for warning in warnings:
        logger.warning(warning)
    return warnings
