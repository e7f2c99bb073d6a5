"""Your own conversations: a folder of split files (JSONL, CSV, Parquet) or a DatasetDict, checked row by row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import write_conversations

from instructerc_hf.errors import InputError
from instructerc_hf.readers import DataFormatError, read_corpus

LABELS = ("calm", "upset", "glad")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_each_format_reads_the_same_dialogues(tmp_path: Path, suffix: str) -> None:
    folder = write_conversations(tmp_path, suffix)
    corpus = read_corpus("conversations", folder, name="Toy talk", labels=LABELS)
    reference = read_corpus("conversations", write_conversations(tmp_path / "ref", ".jsonl"), name="Toy talk",
                            labels=LABELS)
    assert corpus.splits == reference.splits and corpus.dataset == "Toy talk"
    first = corpus.splits["train"][0]
    assert [t.speaker_id for t in first.turns] == [0, 1, 0, 1] and first.turns[0].text.startswith("train 0")
    assert corpus.label_info().labels == LABELS and corpus.label_info().num_speaker_labels == 2


def test_a_dataset_dict_reads_like_its_files(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    folder = write_conversations(tmp_path, ".jsonl")
    data = DatasetDict({s: Dataset.from_json(str(folder / f"{s}.jsonl")) for s in ("train", "validation", "test")})
    assert (read_corpus("conversations", data, name="T", labels=LABELS).splits
            == read_corpus("conversations", folder, name="T", labels=LABELS).splits)


def test_labels_are_inferred_sorted_and_reported_or_kept_in_the_given_order(tmp_path: Path) -> None:
    folder = write_conversations(tmp_path, ".jsonl")
    inferred = read_corpus("conversations", folder, name="T")
    assert inferred.label_info().labels == ("calm", "glad", "upset")
    assert inferred.report.notes == ["labels inferred from the data: calm, glad, upset"]
    assert read_corpus("conversations", folder, name="T", labels=["glad", "calm", "upset"]).label_info().labels == (
        "glad", "calm", "upset")


def test_turn_orders_a_dialogue_and_a_repeated_turn_names_both_rows(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"dialogue_id": "d", "speaker": s, "text": t, "label": "calm", "turn": n}
                                  for n, s, t in ((1, "B", "second"), (0, "A", "first"))]
    folder = write_conversations(tmp_path, ".jsonl", train=rows)
    turns = read_corpus("conversations", folder, name="T", labels=LABELS).splits["train"][0].turns
    assert [t.text for t in turns] == ["first", "second"] and [t.speaker_id for t in turns] == [0, 1]
    rows.append({**rows[0], "text": "again"})
    folder = write_conversations(tmp_path / "dup", ".jsonl", train=rows)
    with pytest.raises(DataFormatError, match=r"train.jsonl, row 3: dialogue d turn 1 appears twice: rows 1 and 3"):
        read_corpus("conversations", folder, name="T", labels=LABELS)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r.pop("text"), r"train.jsonl, row 2: missing field 'text'"),
    (lambda r: r.update(text="  "), r"train.jsonl, row 2: empty utterance text"),
    (lambda r: r.update(label="happy"), r"train.jsonl, row 2: unknown T label 'happy'"),
    (lambda r: r.update(turn="x"), r"train.jsonl, row 2: turn 'x' is not an integer"),
])
def test_a_bad_row_names_file_row_and_field(tmp_path: Path, edit: Any, message: str) -> None:
    folder = write_conversations(tmp_path, ".jsonl")
    path = folder / "train.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    if "turn" in message:
        rows = [{**r, "turn": i % 4} for i, r in enumerate(rows)]
    edit(rows[1])
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(DataFormatError, match=message):
        read_corpus("conversations", folder, name="T", labels=LABELS)


def test_folder_name_and_labels_errors(tmp_path: Path) -> None:
    folder = write_conversations(tmp_path, ".jsonl")
    (folder / "test.jsonl").rename(folder / "test.txt")
    with pytest.raises(FileNotFoundError, match="no test file in .*: expected test.jsonl, test.csv or test.parquet"):
        read_corpus("conversations", folder, name="T")
    folder = write_conversations(tmp_path / "again", ".jsonl")
    with pytest.raises(InputError, match="needs a name"):
        read_corpus("conversations", folder)
    with pytest.raises(InputError, match="the name 'MELD' is a built-in dataset's"):
        read_corpus("conversations", folder, name="MELD")
    with pytest.raises(DataFormatError, match="validation.jsonl.*unknown T label 'glad'.*not in the train split"):
        read_corpus("conversations", write_conversations(tmp_path / "c", ".jsonl", train_labels=("calm", "upset")),
                    name="T")
    with pytest.raises(InputError, match="the unified mapping must send each of"):
        read_corpus("conversations", folder, name="T", labels=LABELS, unified={"calm": "peaceful"})
