"""MELD readers: the CSVs of declare-lab/MELD (current UTF-8 or pre-2020 cp1252-damaged)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..labels import MELD
from ..records import Dialogue, DialogueCorpus, ReadReport, number_speakers_by_appearance
from .csv_rows import read_csv_rows
from .errors import DataFormatError, find_file
from .integrity import check_unique_turns
from .text_repair import repair_text
from .turns import check_not_empty, make_turn

CSV_FILES = {"train": "train_sent_emo.csv", "validation": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
_COLUMNS = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")
_HINT = "MELD CSVs from github.com/declare-lab/MELD, folder data/MELD"


def _int_field(value: str, field_name: str, path: Path, row: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise DataFormatError(path, f"{field_name} {value!r} is not an integer", row=row) from None


def read_meld_csv_split(path: Path, split: str, report: ReadReport, repair: bool = True) -> list[Dialogue]:
    """Read one MELD CSV into dialogues, repairing cp1252 damage (counted in ``report``)."""
    grouped: dict[int, list[tuple[int, int, dict[str, str]]]] = defaultdict(list)
    for line, row in read_csv_rows(path, _COLUMNS, report.repaired):
        dialogue_id = _int_field(row["Dialogue_ID"], "Dialogue_ID", path, line)
        utterance_id = _int_field(row["Utterance_ID"], "Utterance_ID", path, line)
        grouped[dialogue_id].append((utterance_id, line, row))
    check_unique_turns(path, ((d, u, line) for d, rows in grouped.items() for u, line, _ in rows))

    def fix(text: str) -> str:
        return repair_text(text, report.repaired) if repair else text

    dialogues = []
    for dialogue_id in sorted(grouped):
        rows = sorted(grouped[dialogue_id], key=lambda item: item[0])
        speakers = [fix(row["Speaker"]) for _, _, row in rows]
        turns = [
            make_turn(
                MELD,
                speaker=speaker,
                speaker_id=speaker_id,
                text=fix(row["Utterance"]),
                raw_label=row["Emotion"],
                utterance_id=str(utterance_id),
                path=path,
                row=line,
            )
            for (utterance_id, line, row), speaker, speaker_id in zip(
                rows, speakers, number_speakers_by_appearance(speakers), strict=True
            )
        ]
        dialogues.append(Dialogue("meld", split, str(dialogue_id), turns))
    return check_not_empty(dialogues, path)


def read_meld_csv(raw_dir: str | Path, splits: tuple[str, ...], repair: bool = True) -> DialogueCorpus:
    """Read MELD's ``{train,dev,test}_sent_emo.csv`` found under ``raw_dir``."""
    report = ReadReport(source="csv")
    out = {}
    for split in splits:
        path = find_file(raw_dir, CSV_FILES[split], _HINT)
        report.files.append(str(path))
        out[split] = read_meld_csv_split(path, split, report, repair)
    return DialogueCorpus("meld", out, report)
