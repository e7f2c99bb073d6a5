"""Integrity of real MELD copies mutated inside the test: encoding, truncation, duplicate rows, cross-split repeats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import MELD_CSV, require

from instructerc_hf.readers import DataFormatError, read_corpus
from instructerc_hf.readers.encoding import CP1252_FALLBACK
from instructerc_hf.readers.integrity import repeated_in_train


@pytest.fixture
def meld_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "MELD"
    shutil.copytree(require(MELD_CSV), folder, ignore=shutil.ignore_patterns("*.tar.gz", "*.mp4"))
    return folder


def test_a_stray_byte_in_a_utf8_file_is_an_error_with_file_and_byte_offset(meld_copy: Path) -> None:
    path = meld_copy / "test_sent_emo.csv"
    raw = path.read_bytes()
    offset = raw.index(b"\n", 5000) + 20
    path.write_bytes(raw[:offset] + b"\x92" + raw[offset:])  # cp1252 would decode it, and garble the rest
    with pytest.raises(DataFormatError, match=rf"test_sent_emo.csv: not valid UTF-8 at byte {offset} \(line \d+\)"):
        read_corpus("meld", meld_copy)
    path.write_bytes(raw[:offset] + b"\x9d" + raw[offset:])  # undefined in cp1252 too
    with pytest.raises(DataFormatError, match=rf"not valid UTF-8 at byte {offset}"):
        read_corpus("meld", meld_copy)


def test_a_whole_cp1252_file_falls_back_counted_per_file(meld_copy: Path) -> None:
    path = meld_copy / "dev_sent_emo.csv"
    text = path.read_text(encoding="utf-8")
    ascii_only = "".join(c if ord(c) < 128 else "'" for c in text).replace("It's", "It\u2019s", 1)
    path.write_bytes(ascii_only.encode("cp1252"))  # one cp1252 quote (0x92), no UTF-8 anywhere
    corpus = read_corpus("meld", meld_copy)
    assert corpus.report.repaired[CP1252_FALLBACK] == 1
    assert any("It\u2019s" in t.text for d in corpus.splits["validation"] for t in d.turns)


def test_a_csv_cut_at_a_line_boundary_warns_naming_the_split(meld_copy: Path) -> None:
    path = meld_copy / "test_sent_emo.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cut = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].count('"') % 2 == 0 and lines[i])
    path.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    corpus = read_corpus("meld", meld_copy)
    assert corpus.num_utterances("test") < 2610
    assert corpus.report.count_warnings == [
        f"meld test has {corpus.num_utterances('test')} utterances, the published csv split 2610: is a file "
        "truncated or edited?"]
    assert read_corpus("meld", require(MELD_CSV)).report.count_warnings == []


def test_a_duplicated_row_is_an_error_naming_both_rows(meld_copy: Path) -> None:
    path = meld_copy / "dev_sent_emo.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([*lines[:3], lines[2], *lines[3:]]), encoding="utf-8")  # line 3 again as line 4
    with pytest.raises(DataFormatError, match=r"dev_sent_emo.csv, row 4: dialogue 0 turn 1 appears twice: rows 3 and 4"):
        read_corpus("meld", meld_copy)


def test_dialogues_repeated_across_splits_are_reported_dropped_or_refused() -> None:
    meld = read_corpus("meld", require(MELD_CSV))
    repeated = repeated_in_train(meld)  # the real MELD release has one test dialogue that is also a train dialogue
    assert {split: len(ids) for split, ids in repeated.items()} == {"test": 1}
    assert meld.report.repeated == {"train/test": 1}
    dropped = read_corpus("meld", MELD_CSV, dedup="drop-from-train")
    assert len(dropped.splits["train"]) == len(meld.splits["train"]) - 1
    assert dropped.report.skipped == {"train dialogue repeated in another split": 1}
    assert dropped.splits["test"] == meld.splits["test"]
    with pytest.raises(ValueError, match=r"meld: dialogues repeated in train and another split: 1 test dialogue"):
        read_corpus("meld", MELD_CSV, dedup="error")


def test_a_duplicated_emorynlp_row_is_an_error(tmp_path: Path) -> None:
    from helpers import EMORYNLP_RAW

    folder = tmp_path / "emorynlp"
    shutil.copytree(require(EMORYNLP_RAW / "declare-lab__MELD/data/emorynlp"), folder)
    path = folder / "emorynlp_test_final.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([*lines[:6], lines[5], *lines[6:]]), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"emorynlp_test_final.csv, row 7: dialogue \S+ turn \d+ appears twice: "
                                              r"rows 6 and 7"):
        read_corpus("emorynlp", folder)
