"""IEMOCAP reader for the CoMPM TSV export (``speaker<TAB>text<TAB>label``, blank line between dialogues).

IEMOCAP may not be redistributed: this reads a path the user supplies and nothing is shipped.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..labels import IEMOCAP
from ..records import Dialogue, DialogueCorpus, ReadReport, Turn
from .encoding import decode_file
from .errors import DataFormatError, find_file
from .turns import check_not_empty, make_turn

TSV_FILES = {"train": "iemocap_train.txt", "validation": "iemocap_dev.txt", "test": "iemocap_test.txt"}
_SPEAKER_IDS = {"M": 0, "F": 1}


def read_iemocap_tsv_split(path: Path, split: str, counts: Counter[str]) -> list[Dialogue]:
    """Read one CoMPM file. It carries no dialogue ids: dialogues are named ``<split>-<index>``."""
    dialogues: list[Dialogue] = []
    turns: list[Turn] = []

    def close() -> None:
        if turns:
            dialogues.append(Dialogue("iemocap", split, f"{split}-{len(dialogues):03d}", list(turns)))
            turns.clear()

    for number, line in enumerate(decode_file(path, counts).splitlines(), start=1):
        if not line.strip():
            close()
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise DataFormatError(path, f"expected 3 tab-separated fields (speaker, text, label), found {len(fields)}", row=number)
        speaker, text, label = fields
        if speaker not in _SPEAKER_IDS:
            raise DataFormatError(path, f"speaker {speaker!r} is neither 'M' nor 'F'", row=number)
        turns.append(
            make_turn(IEMOCAP, speaker=speaker, speaker_id=_SPEAKER_IDS[speaker], text=text, raw_label=label,
                      utterance_id=str(len(turns)), path=path, row=number)
        )
    close()
    return check_not_empty(dialogues, path)


def read_iemocap_tsv(raw_dir: str | Path, splits: tuple[str, ...]) -> DialogueCorpus:
    """Read ``iemocap_{train,dev,test}.txt`` (CoMPM's main export, equal to the COSMIC split)."""
    report = ReadReport(source="tsv")
    out = {}
    for split in splits:
        path = find_file(raw_dir, TSV_FILES[split], "CoMPM export, dataset/iemocap (not others/)")
        report.files.append(str(path))
        out[split] = read_iemocap_tsv_split(path, split, report.repaired)
    return DialogueCorpus("iemocap", out, report)
