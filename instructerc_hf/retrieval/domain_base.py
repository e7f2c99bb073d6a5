"""The domain base: train-split utterances with labels, label-balanced, saved as JSONL beside an adapter."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..labels import LabelSpace
from ..records import Dialogue, DialogueCorpus
from ..registry import DOMAIN_BASE_NAME
from .config import RetrievalConfig
from .errors import (
    DomainBaseFormatError,
    EmptyDomainBaseError,
)

if TYPE_CHECKING:
    from datasets import Dataset


#: A dialogue's identity across datasets: ``(dataset, dialogue_id)``.
DialogueKey = tuple[str, str]


_ENTRY_FIELDS: dict[str, type] = {"text": str, "label": str, "dataset": str, "dialogue_id": str, "turn": int}


@dataclass(frozen=True)
class Utterance:
    """One domain-base entry: an utterance text and its label; provenance is kept for exclusion, never shown."""

    text: str
    label: str
    dataset: str
    dialogue_id: str
    turn: int

    @property
    def dialogue(self) -> DialogueKey:
        return (self.dataset, self.dialogue_id)


@dataclass(frozen=True)
class Demonstration:
    """A retrieved utterance and its cosine similarity to the query."""

    utterance: Utterance
    score: float

    @property
    def text(self) -> str:
        return self.utterance.text

    @property
    def label(self) -> str:
        return self.utterance.label


@dataclass(frozen=True)
class DomainBase:
    """The demonstration pool: train-split utterances with labels, label-balanced by :class:`RetrievalConfig`."""

    utterances: tuple[Utterance, ...]

    def __len__(self) -> int:
        return len(self.utterances)

    @property
    def texts(self) -> list[str]:
        return [u.text for u in self.utterances]

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(u.label for u in self.utterances).items()))

    @classmethod
    def from_utterances(cls, utterances: Iterable[Utterance], config: RetrievalConfig | None = None) -> DomainBase:
        """Drop blank texts and duplicate ``(dataset, dialogue_id, turn)`` entries, then balance."""
        unique: dict[tuple[str, str, int], Utterance] = {}
        for u in utterances:
            if u.text.strip():
                unique.setdefault((u.dataset, u.dialogue_id, u.turn), u)
        if not unique:
            raise EmptyDomainBaseError("the domain base is empty: no train utterance with a non-blank text was given")
        return cls(tuple(_balanced(list(unique.values()), config or RetrievalConfig())))

    @classmethod
    def from_dialogues(
        cls, dialogues: Iterable[Dialogue], config: RetrievalConfig | None = None, label_space: LabelSpace = "original"
    ) -> DomainBase:
        """Build from train-split dialogues; a dialogue of any other split is an error."""
        return cls.from_utterances(_dialogue_utterances(dialogues, label_space), config)

    @classmethod
    def from_corpus(
        cls, corpus: DialogueCorpus, config: RetrievalConfig | None = None, label_space: LabelSpace = "original"
    ) -> DomainBase:
        """Build from the train split of ``corpus`` only."""
        if "train" not in corpus.splits:
            raise EmptyDomainBaseError(f"the {corpus.dataset} corpus has no train split (it has {list(corpus.splits)})")
        return cls.from_dialogues(corpus.splits["train"], config, label_space)

    @classmethod
    def from_rows(
        cls, rows: Dataset | Iterable[Mapping[str, Any]], config: RetrievalConfig | None = None
    ) -> DomainBase:
        """Build from task rows of the train split (any task; each utterance counted once).

        A ``datasets.Dataset`` that knows its split must be the train split; plain rows are trusted to be.
        """
        cols = columns(rows, ("text", "label", "dataset", "dialogue_id", "turn"), split="train")
        fields = zip(cols["text"], cols["label"], cols["dataset"], cols["dialogue_id"], cols["turn"], strict=True)
        return cls.from_utterances((Utterance(t, lab, d, str(i), int(n)) for t, lab, d, i, n in fields), config)

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/domain_base.jsonl``: one UTF-8 JSON object per entry, in base order."""
        path = Path(folder) / DOMAIN_BASE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace writes a lone surrogate as its JSON escape, which load() reads back unchanged
        with path.open("w", encoding="utf-8", errors="backslashreplace") as f:
            for u in self.utterances:
                f.write(json.dumps(asdict(u), ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(cls, folder_or_file: str | Path) -> DomainBase:
        """Read a base written by :meth:`save` (a folder holding ``domain_base.jsonl``, or the file), unchanged.

        Raises:
            DomainBaseFormatError: a line is not a JSON object with exactly the entry fields, naming file and line.
            EmptyDomainBaseError: the file holds no entry.
        """
        path = Path(folder_or_file)
        if path.is_dir():
            path = path / DOMAIN_BASE_NAME
        with path.open(encoding="utf-8") as f:  # iterating splits on line ends only, never on U+2028 in a text
            utterances = tuple(_entry(line, path, number) for number, line in enumerate(f, 1) if line.strip())
        if not utterances:
            raise EmptyDomainBaseError(f"the domain base file {path} holds no entry")
        return cls(utterances)


def _entry(line: str, path: Path, number: int) -> Utterance:
    """The utterance of line ``number`` of a saved domain base."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise DomainBaseFormatError(f"{path} line {number}: not JSON ({error})") from error
    if not isinstance(data, dict) or set(data) != set(_ENTRY_FIELDS):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise DomainBaseFormatError(f"{path} line {number}: expected an object with the keys {list(_ENTRY_FIELDS)}, "
                                    f"got {keys}")
    wrong = [k for k, kind in _ENTRY_FIELDS.items() if type(data[k]) is not kind]
    if wrong:
        raise DomainBaseFormatError(f"{path} line {number}: {wrong} must be of type "
                                    f"{[_ENTRY_FIELDS[k].__name__ for k in wrong]}")
    return Utterance(**data)


def _dialogue_utterances(dialogues: Iterable[Dialogue], label_space: LabelSpace) -> Iterable[Utterance]:
    for dialogue in dialogues:
        if dialogue.split != "train":
            raise ValueError(
                f"the domain base is built from the train split only; dialogue {dialogue.dialogue_id!r} of "
                f"{dialogue.dataset} is from the {dialogue.split!r} split"
            )
        for index, turn in enumerate(dialogue.turns):
            label = turn.label if label_space == "original" else turn.unified_label
            yield Utterance(turn.text, label, dialogue.dataset, dialogue.dialogue_id, index)


def _balanced(utterances: list[Utterance], config: RetrievalConfig) -> list[Utterance]:
    """Keep at most the cap of each label, sampled with ``config.seed``; the source order is preserved."""
    if config.balance == "none":
        return utterances
    by_label: dict[str, list[int]] = {}
    for position, u in enumerate(utterances):
        by_label.setdefault(u.label, []).append(position)
    cap = config.max_per_label or min(len(p) for p in by_label.values())
    rng = np.random.default_rng(config.seed)
    kept: list[int] = []
    for label in sorted(by_label):
        positions = by_label[label]
        kept += positions if len(positions) <= cap else rng.choice(positions, cap, replace=False).tolist()
    return [utterances[p] for p in sorted(kept)]


def columns(
    rows: Dataset | Iterable[Mapping[str, Any]], names: Sequence[str], split: str | None = None
) -> dict[str, list[Any]]:
    """The named columns of a ``Dataset`` (ClassLabel values as label strings) or of plain row mappings."""
    from datasets import ClassLabel, Dataset

    if not isinstance(rows, Dataset):
        records = list(rows)
        missing = sorted({n for r in records for n in names if n not in r})
        if missing:
            raise KeyError(f"rows lack the column(s) {missing}")
        return {n: [r[n] for r in records] for n in names}
    if split is not None and rows.split is not None and str(rows.split) != split:
        raise ValueError(f"the domain base is built from the {split} split only; this dataset is {rows.split!r}")
    missing = [n for n in names if n not in rows.column_names]
    if missing:
        raise KeyError(f"the dataset lacks the column(s) {missing}; it has {rows.column_names}")
    data = rows.select_columns(list(names)).to_dict()
    for name in names:
        feature = rows.features[name]
        if isinstance(feature, ClassLabel):
            data[name] = [feature.int2str(v) for v in data[name]]
    return data
