"""The IEMOCAP TSV reader on the real files: equal to the pickle, errors name the line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import IEMOCAP_RAW, IEMOCAP_TSV, require

from instructerc_hf.readers import DataFormatError, read_corpus


def test_iemocap_speakers_are_gender_numbered_and_tsv_equals_pickle() -> None:
    pkl = read_corpus("iemocap", require(IEMOCAP_RAW), "pickle")
    tsv = read_corpus("iemocap", require(IEMOCAP_TSV), "tsv")
    first = pkl.splits["train"][0]
    assert all(t.speaker_id == (0 if t.speaker == "M" else 1) for t in first.turns)
    pkl_texts = sorted(tuple(t.text for t in d.turns) for d in pkl.splits["test"])
    tsv_texts = sorted(tuple(t.text for t in d.turns) for d in tsv.splits["test"])
    assert pkl_texts == tsv_texts
    assert Counter(t.label for d in pkl.splits["test"] for t in d.turns)["frustrated"] == 381


def test_iemocap_tsv_errors_name_the_line(tmp_path: Path) -> None:
    others = (require(IEMOCAP_TSV) / "others" / "iemocap_test.txt").read_text().splitlines()
    assert others[301].count("\t") == 3  # the real malformed line: a TAB inside the text
    (tmp_path / "iemocap_test.txt").write_text("F\tHi.\tneu\n" + others[301] + "\n")
    with pytest.raises(DataFormatError, match=r"iemocap_test.txt, row 2: expected 3 tab-separated fields .*, found 4"):
        read_corpus("iemocap", tmp_path, "tsv", splits=("test",))
    # the others/ export keeps unlabelled utterances (xxx, oth, ...): refused, not silently dropped
    with pytest.raises(DataFormatError, match=r"others/iemocap_test.txt, row 4: unknown iemocap label 'xxx'"):
        read_corpus("iemocap", require(IEMOCAP_TSV) / "others", "tsv", splits=("test",))
