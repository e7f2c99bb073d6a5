"""The dialogue records every reader produces and every builder consumes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .labels import DatasetLabels, get_dataset_labels

SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass(frozen=True)
class Turn:
    """One utterance of a dialogue.

    Attributes:
        speaker: the speaker as the source names it (``"Chandler"``, ``"M"``, ``"Speaker_3"``).
        speaker_id: per-dialogue speaker number used in prompts (``Speaker_<id>``); the reader
            decides the rule (order of first appearance, or IEMOCAP's M→0/F→1).
        text: the utterance text.
        label: the official label string of the dataset (``labels.DatasetLabels.labels``).
        unified_label: the Feeling Wheel unified label.
        utterance_id: the source's utterance id; not assumed contiguous.
    """

    speaker: str
    speaker_id: int
    text: str
    label: str
    unified_label: str
    utterance_id: str


@dataclass
class Dialogue:
    """An ordered conversation from one split of one dataset."""

    dataset: str
    split: str
    dialogue_id: str
    turns: list[Turn] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.turns)


@dataclass
class ReadReport:
    """What a reader did to the raw input: every repaired or skipped record is counted here."""

    source: str
    files: list[str] = field(default_factory=list)
    repaired: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    #: Dialogues of an evaluation split that also appear in train, as ``{"train/test": count}``.
    repeated: Counter[str] = field(default_factory=Counter)
    #: Other facts worth a line (an inferred label set, say).
    notes: list[str] = field(default_factory=list)
    #: Splits whose size differs from the published one.
    count_warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One human-readable line per repair and skip kind."""
        lines = [f"read {self.source} from {', '.join(self.files)}"]
        lines += [f"  repaired {n} x {kind}" for kind, n in sorted(self.repaired.items())]
        lines += [f"  skipped {n} x {kind}" for kind, n in sorted(self.skipped.items())]
        lines += [f"  {n} dialogue(s) repeated in {pair}" for pair, n in sorted(self.repeated.items())]
        lines += [f"  warning: {warning}" for warning in self.count_warnings]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class DialogueCorpus:
    """The dialogues of one dataset by split, with the report of how they were read."""

    dataset: str
    splits: dict[str, list[Dialogue]]
    report: ReadReport
    #: The label set of a ``conversations`` corpus (the built-in datasets' are in :mod:`instructerc_hf.labels`).
    labels: DatasetLabels | None = None

    def label_info(self) -> DatasetLabels:
        """The corpus's labels: its own, or the built-in dataset's."""
        return self.labels if self.labels is not None else get_dataset_labels(self.dataset)

    def num_utterances(self, split: str) -> int:
        return sum(len(d) for d in self.splits[split])


def number_speakers_by_appearance(speakers: list[str]) -> list[int]:
    """Per-dialogue speaker ids in order of first appearance (0-based)."""
    order: dict[str, int] = {}
    return [order.setdefault(s, len(order)) for s in speakers]
