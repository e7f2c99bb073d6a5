"""Readers of the COSMIC feature-extraction pickles that the official InstructERC code loads.

The official-compatible mode reads these: dialogue order is the pickle's id-list order and
speaker numbers come from the pickle (one-hot index, or IEMOCAP's M→0 / F→1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..labels import DatasetLabels, get_dataset_labels
from ..records import Dialogue, DialogueCorpus, ReadReport, Turn
from .errors import DataFormatError, find_file
from .safe_pickle import load_pickle
from .text_repair import repair_text
from .turns import check_not_empty


@dataclass(frozen=True)
class PickleLayout:
    """Where each field sits in a COSMIC pickle's top-level list."""

    filename: str
    length: int
    sentences: int
    split_ids: dict[str, int]  # split -> index of the id list


LAYOUTS: dict[str, PickleLayout] = {
    "meld": PickleLayout("meld.pkl", 7, 3, {"train": 4, "test": 5, "validation": 6}),
    "iemocap": PickleLayout("iemocap.pkl", 6, 2, {"train": 3, "test": 4, "validation": 5}),
    "emorynlp": PickleLayout("emorynlp.pkl", 6, 2, {"train": 3, "test": 4, "validation": 5}),
}
_SPEAKERS, _LABELS = 0, 1


def _speaker_id(dataset: str, value: Any, path: Path, where: str) -> int:
    if dataset == "iemocap":
        if value not in ("M", "F"):
            raise DataFormatError(path, f"speaker {value!r} is neither 'M' nor 'F'", row=where)
        return 0 if value == "M" else 1
    hot = [int(x) for x in value]
    if hot.count(1) != 1 or sum(hot) != 1:
        raise DataFormatError(path, f"speaker vector {hot} is not one-hot", row=where)
    return hot.index(1)


def _dialogue(
    labels: DatasetLabels, data: Sequence[Any], layout: PickleLayout, key: Any, split: str,
    path: Path, report: ReadReport, repair: bool,
) -> Dialogue:
    where = f"dialogue {key!r}"
    try:
        speakers, label_ids, sentences = data[_SPEAKERS][key], data[_LABELS][key], data[layout.sentences][key]
    except KeyError:
        raise DataFormatError(path, "id listed in the split but missing from the data dicts", row=where) from None
    if not len(speakers) == len(label_ids) == len(sentences):
        raise DataFormatError(
            path, f"lengths differ: {len(speakers)} speakers, {len(label_ids)} labels, {len(sentences)} sentences",
            row=where,
        )
    turns = []
    for position, (speaker, label_id, text) in enumerate(zip(speakers, label_ids, sentences, strict=True)):
        row = f"{where}, utterance {position}"
        if not isinstance(text, str) or not text.strip():
            raise DataFormatError(path, f"utterance text {text!r} is empty or not a string", row=row)
        if not 0 <= int(label_id) < len(labels.labels):
            raise DataFormatError(path, f"label index {label_id} outside 0..{len(labels.labels) - 1}", row=row)
        speaker_id = _speaker_id(labels.name, speaker, path, row)
        label = labels.labels[int(label_id)]
        turns.append(
            Turn(
                speaker=str(speaker) if labels.name == "iemocap" else f"Speaker_{speaker_id}",
                speaker_id=speaker_id,
                text=repair_text(text, report.repaired) if repair else text,
                label=label,
                unified_label=labels.unified[label],
                utterance_id=str(position),
            )
        )
    return Dialogue(labels.name, split, str(key), turns)


def read_cosmic_pickle(
    dataset: str, raw_dir: str | Path, splits: tuple[str, ...], repair: bool = True
) -> DialogueCorpus:
    """Read a COSMIC ``<dataset>.pkl`` under ``raw_dir`` with the restricted unpickler.

    ``repair=False`` keeps the raw characters (MELD's C1 controls), as the official code does.
    """
    labels = get_dataset_labels(dataset)
    layout = LAYOUTS[labels.name]
    path = find_file(raw_dir, layout.filename, "COSMIC pickle from github.com/declare-lab/conv-emotion")
    data = load_pickle(path)
    if not isinstance(data, (list, tuple)) or len(data) != layout.length:
        raise DataFormatError(path, f"expected a list of {layout.length} items as in COSMIC's {layout.filename}")
    report = ReadReport(source="pickle", files=[str(path)])
    out = {
        split: check_not_empty(
            [_dialogue(labels, data, layout, key, split, path, report, repair) for key in data[layout.split_ids[split]]],
            path,
        )
        for split in splits
    }
    return DialogueCorpus(labels.name, out, report)
