"""The generic ``conversations`` source: your own ERC data, one utterance per row.

A folder with a ``train``, ``validation`` and ``test`` file each, in JSONL, CSV or Parquet, or a ``datasets``
``DatasetDict`` with those splits. Columns: ``dialogue_id``, ``speaker``, ``text``, ``label`` and optionally ``turn``
(the position in the dialogue; file order otherwise). The label set is given (its order is the label statement's) or
inferred from the train split, sorted, and reported.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..labels import DatasetLabels, UnknownLabelError, custom_labels
from ..records import SPLITS, Dialogue, DialogueCorpus, ReadReport, number_speakers_by_appearance
from .csv_rows import read_csv_rows
from .encoding import decode_file
from .errors import DataFormatError
from .integrity import check_unique_turns
from .turns import check_not_empty, make_turn

COLUMNS: tuple[str, ...] = ("dialogue_id", "speaker", "text", "label")
FORMATS: tuple[str, ...] = (".jsonl", ".csv", ".parquet")
#: Where each record of a split came from: (file or split name, row or line number, the record).
Record = tuple[str, int, Mapping[str, Any]]


def split_file(folder: Path, split: str) -> Path:
    """The one ``<split>.jsonl|csv|parquet`` file of ``folder``."""
    found = [folder / f"{split}{suffix}" for suffix in FORMATS if (folder / f"{split}{suffix}").is_file()]
    if not found:
        raise FileNotFoundError(f"no {split} file in {folder}: expected {split}.jsonl, {split}.csv or {split}.parquet")
    if len(found) > 1:
        raise InputError(f"{folder} has several {split} files ({', '.join(p.name for p in found)}): keep one")
    return found[0]


def file_records(path: Path, counts: Counter[str]) -> Iterator[Record]:
    """The rows of one split file, numbered as an editor shows them (lines for JSONL and CSV, rows for Parquet)."""
    if path.suffix == ".csv":
        for line, fields in read_csv_rows(path, COLUMNS, counts):
            yield str(path), line, fields
    elif path.suffix == ".jsonl":
        for line, text in enumerate(decode_file(path, counts).split("\n"), start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as err:
                raise DataFormatError(path, f"invalid JSON ({err.msg})", row=line) from None
            if not isinstance(record, dict):
                raise DataFormatError(path, f"expected a JSON object, got {type(record).__name__}", row=line)
            yield str(path), line, record
    else:
        import pyarrow.parquet as pq

        for number, record in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield str(path), number, record


def _field(record: Mapping[str, Any], name: str, where: Record) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, float) and value != value):  # missing, None or NaN
        raise DataFormatError(where[0], f"missing field {name!r} (columns: {sorted(record)})", row=where[1])
    return str(value)


def _turn(record: Mapping[str, Any], where: Record) -> int:
    value = record.get("turn")
    try:
        turn = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataFormatError(where[0], f"turn {value!r} is not an integer", row=where[1]) from None
    if turn < 0 or turn != float(value):  # type: ignore[arg-type]
        raise DataFormatError(where[0], f"turn {value!r} is not a non-negative integer", row=where[1])
    return turn


def split_dialogues(records: Sequence[Record], split: str, labels: DatasetLabels) -> list[Dialogue]:
    """Group one split's records into dialogues (first-appearance order), turns by ``turn`` or file order."""
    if not records:
        raise InputError(f"the {split} split has no rows")
    with_turn = ["turn" in r and r["turn"] is not None for _, _, r in records]
    if any(with_turn) and not all(with_turn):
        source, line, _ = records[with_turn.index(False)]
        raise DataFormatError(source, "this row has no 'turn' while others do: give it on every row or none", row=line)
    grouped: dict[str, list[tuple[int, Record]]] = {}
    for where in records:
        dialogue = grouped.setdefault(_field(where[2], "dialogue_id", where), [])
        dialogue.append((_turn(where[2], where) if with_turn[0] else len(dialogue), where))
    check_unique_turns(Path(records[0][0]), ((d, turn, w[1]) for d, items in grouped.items() for turn, w in items))
    dialogues = []
    for dialogue_id, items in grouped.items():
        items.sort(key=lambda item: item[0])
        speakers = [_field(w[2], "speaker", w) for _, w in items]
        turns = [make_turn(labels, speaker=speaker, speaker_id=speaker_id, text=_field(w[2], "text", w),
                           raw_label=_field(w[2], "label", w), utterance_id=str(turn), path=Path(w[0]), row=w[1])
                 for (turn, w), speaker, speaker_id in zip(items, speakers, number_speakers_by_appearance(speakers),
                                                            strict=True)]
        dialogues.append(Dialogue(labels.name, split, dialogue_id, turns))
    return check_not_empty(dialogues, Path(records[0][0]))


def infer_labels(records: Sequence[Record]) -> tuple[str, ...]:
    """The sorted label strings of the train records."""
    return tuple(sorted({_field(r, "label", (s, line, r)).strip() for s, line, r in records}))


def read_conversations(
    source: str | Path | Mapping[str, Any],
    name: str,
    labels: Sequence[str] | None = None,
    unified: Mapping[str, str] | None = None,
    splits: tuple[str, ...] = SPLITS,
) -> DialogueCorpus:
    """Read your own conversations from a folder of split files or a ``DatasetDict``; see the module docstring.

    ``unified`` maps each label to one of the Feeling Wheel labels (only then the unified label space is built).
    """
    if not name or not name.strip():
        raise InputError("a conversations corpus needs a name (--name): cards and rows carry it")
    report = ReadReport(source="conversations")
    records: dict[str, list[Record]] = {}
    for split in splits:
        if isinstance(source, Mapping):
            if split not in source:
                raise InputError(f"the DatasetDict has no {split!r} split; it has {list(source)}")
            missing = [c for c in COLUMNS if c not in source[split].column_names]
            if missing:
                raise InputError(f"the {split} split has no column(s) {missing}; columns: {source[split].column_names}")
            records[split] = [(split, row, r) for row, r in enumerate(source[split], start=1)]
            report.files.append(f"DatasetDict[{split}]")
        else:
            path = split_file(Path(source), split)
            records[split] = list(file_records(path, report.repaired))
            report.files.append(str(path))
    inferred = labels is None
    if labels is None:
        labels = infer_labels(records.get("train") or [r for rs in records.values() for r in rs])
        report.notes.append(f"labels inferred from the data: {', '.join(labels)}")
    info = custom_labels(name, labels, unified)
    out = {}
    for split in splits:
        try:
            out[split] = split_dialogues(records[split], split, info)
        except DataFormatError as err:
            if inferred and isinstance(err.__cause__, UnknownLabelError):
                raise DataFormatError(err.path, f"{err.__cause__} (not in the train split's labels; pass --labels)",
                                      row=err.row) from None
            raise
    speakers = max(len({t.speaker_id for t in d.turns}) for dialogues in out.values() for d in dialogues)
    return DialogueCorpus(info.name, out, report, labels=replace(info, num_speaker_labels=speakers))

