"""The MELD CSV reader: real counts and gapped ids, the legacy files repaired, bad input names file and row."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import MELD_CSV, MELD_LEGACY_CSV, require

from instructerc_hf.readers import DataFormatError, read_corpus


def test_meld_class_counts_and_gapped_ids() -> None:
    corpus = read_corpus("meld", require(MELD_CSV))
    train = corpus.splits["train"]
    counts = Counter(t.label for d in train for t in d.turns)
    assert counts == {"neutral": 4710, "joyful": 1743, "surprise": 1205, "angry": 1109, "sad": 683,
                      "disgust": 271, "fear": 268}
    dia1 = next(d for d in train if d.dialogue_id == "1")
    assert [t.utterance_id for t in dia1.turns] == ["0", "1", "2", "3", "4", "5", "8"]  # 6 and 7 missing
    assert len(train) == 1038


def test_legacy_meld_repaired_to_current_text() -> None:
    current = read_corpus("meld", require(MELD_CSV))
    legacy = read_corpus("meld", require(MELD_LEGACY_CSV))
    assert legacy.report.repaired["C1 control characters"] == 2691 + 308 + 742 + 3  # 3 speaker names
    assert legacy.report.repaired["no-break space"] == 5
    assert current.report.repaired == Counter()
    for split in current.splits:
        for new, old in zip(current.splits[split], legacy.splits[split], strict=True):
            assert [(t.text, t.speaker, t.label) for t in new.turns] == [
                (t.text, t.speaker, t.label) for t in old.turns
            ]


# ---- bad input: every error names the file and the row ----------------------------------------------------------


HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"


def _meld_dir(tmp_path: Path, train: str) -> Path:
    for name in ("train", "dev", "test"):
        (tmp_path / f"{name}_sent_emo.csv").write_text(HEADER + "1,Hi.,Ross,joy,positive,0,0,1,1,a,b\n")
    (tmp_path / "train_sent_emo.csv").write_text(train)
    return tmp_path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + "1,Hi.,Ross,happiness,positive,0,0,1,1,a,b\n", r"row 2: unknown meld label 'happiness'"),
        (HEADER + "1,Hi.,Ross,joy,positive,0,0,1\n", r"row 2: expected 11 fields, found 8"),
        (HEADER + '1,"Hi.,Ross,joy,positive,0,0,1,1,a,b\n', r"truncated"),
        (HEADER + "1,,Ross,joy,positive,0,0,1,1,a,b\n", r"row 2: empty utterance text"),
        (HEADER + "1,Hi.,Ross,joy,positive,zero,0,1,1,a,b\n", r"row 2: Dialogue_ID 'zero' is not an integer"),
        ("Utterance,Speaker\nHi.,Ross\n", r"row 1: missing column"),
        (HEADER, r"no dialogues found"),
        ("", r"empty file"),
    ],
)
def test_meld_bad_input_names_file_and_row(tmp_path: Path, body: str, message: str) -> None:
    raw = _meld_dir(tmp_path, body)
    with pytest.raises(DataFormatError, match=message) as info:
        read_corpus("meld", raw)
    assert "train_sent_emo.csv" in str(info.value)
