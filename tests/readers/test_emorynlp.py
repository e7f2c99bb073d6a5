"""The EmoryNLP readers (CSV and official JSON) on the real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import EMORYNLP_RAW, require

from instructerc_hf.readers import read_corpus


def test_emorynlp_multi_speaker_rows_numbered_like_the_pickle() -> None:
    csv = read_corpus("emorynlp", require(EMORYNLP_RAW), "csv")
    pkl = read_corpus("emorynlp", require(EMORYNLP_RAW), "pickle")
    multi = [t for d in csv.splits["train"] for t in d.turns if "," in t.speaker]
    assert len(multi) == 50
    by_id = {d.dialogue_id: d for d in pkl.splits["train"]}
    for dialogue in csv.splits["train"]:
        assert [t.speaker_id for t in dialogue.turns] == [t.speaker_id for t in by_id[dialogue.dialogue_id].turns]
        assert [t.label for t in dialogue.turns] == [t.label for t in by_id[dialogue.dialogue_id].turns]


def test_emorynlp_official_json_dev_test_and_missing_train() -> None:
    corpus = read_corpus("emorynlp", require(EMORYNLP_RAW), "json", splits=("validation", "test"))
    assert (len(corpus.splits["validation"]), corpus.num_utterances("validation")) == (99, 1344)
    assert (len(corpus.splits["test"]), corpus.num_utterances("test")) == (85, 1328)
    assert corpus.splits["validation"][0].dialogue_id == "1_15_1"
    with pytest.raises(FileNotFoundError, match="emotion-detection-trn.json"):
        read_corpus("emorynlp", EMORYNLP_RAW, "json", splits=("train",))


def test_emorynlp_json_train_supplied_by_user(tmp_path: Path) -> None:
    dev = require(EMORYNLP_RAW) / "emorynlp__emotion-detection/json/emotion-detection-dev.json"
    (tmp_path / "emotion-detection-trn.json").write_bytes(dev.read_bytes())
    corpus = read_corpus("emorynlp", tmp_path, "json", splits=("train",))
    assert corpus.num_utterances("train") == 1344
