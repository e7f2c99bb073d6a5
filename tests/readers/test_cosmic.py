"""The COSMIC pickle reader: equal to the CSV after repair, raw characters on request, malformed pickles."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import pytest
from helpers import MELD_CSV, MELD_RAW, require

from instructerc_hf.readers import DataFormatError, read_corpus


def test_pickle_equals_csv_after_repair_and_keeps_raw_characters_when_asked() -> None:
    csv = read_corpus("meld", require(MELD_CSV), "csv", splits=("test",))
    repaired = read_corpus("meld", require(MELD_RAW), "pickle", splits=("test",))
    raw = read_corpus("meld", require(MELD_RAW), "pickle", splits=("test",), repair_text=False)
    csv_turns = [t for d in csv.splits["test"] for t in d.turns]
    pkl_turns = [t for d in repaired.splits["test"] for t in d.turns]
    assert [(t.text, t.label, t.speaker_id) for t in csv_turns] == [(t.text, t.label, t.speaker_id) for t in pkl_turns]
    assert any("\x92" in t.text for d in raw.splits["test"] for t in d.turns)
    assert raw.report.repaired == Counter()


def test_pickle_with_mismatched_lengths(tmp_path: Path) -> None:
    data = [{"d": ["M", "F"]}, {"d": [0]}, {"d": ["a", "b"]}, ["d"], [], []]
    (tmp_path / "iemocap.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(DataFormatError, match=r"dialogue 'd': lengths differ"):
        read_corpus("iemocap", tmp_path, "pickle", splits=("train",))
