"""Raw ERC files where built data is expected: recognised on the real data, with the build command to run."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA, EMORYNLP_RAW, MELD_CSV, require

from instructerc_hf.raw_files import NotBuiltError, build_advice, build_command, check_built_dataset, raw_datasets


def test_the_real_raw_folders_are_recognised() -> None:
    meld = require(MELD_CSV)
    assert raw_datasets(meld) == {("meld", "csv"): meld}
    assert raw_datasets(meld / "dev_sent_emo.csv") == {("meld", "csv"): meld}
    emorynlp = require(EMORYNLP_RAW)
    assert raw_datasets(emorynlp) == {("emorynlp", "csv"): emorynlp / "declare-lab__MELD/data/emorynlp",
                                      ("emorynlp", "json"): emorynlp / "emorynlp__emotion-detection/json",
                                      ("emorynlp", "pickle"): emorynlp / "declare-lab__conv-emotion/COSMIC/"
                                                                         "feature-extraction/emorynlp"}
    assert list(raw_datasets(DATA / "meld/raw")) == [("meld", "csv"), ("meld", "pickle")]


def test_the_build_command() -> None:
    assert build_command("raw/MELD", "meld", "csv") == "instructerc-hf build meld --raw-dir raw/MELD --out data/meld"
    assert build_command("my dir", "iemocap", "tsv") == \
        "instructerc-hf build iemocap --raw-dir 'my dir' --source tsv --out data/iemocap"
    csvs = require(EMORYNLP_RAW) / "declare-lab__MELD/data/emorynlp"
    assert build_advice(EMORYNLP_RAW) == (f"it holds raw EmoryNLP files: build them first with `instructerc-hf build "
                                          f"emorynlp --raw-dir {csvs} --out data/emorynlp`, then pass "
                                          "`--dataset data/emorynlp` to `instructerc-hf evaluate`")
    assert "raw MELD files (it also holds EmoryNLP" in build_advice(require(DATA))


def test_check_built_dataset(tmp_path: Path) -> None:
    with pytest.raises(NotBuiltError, match="raw MELD files: build them first with `instructerc-hf build meld"):
        check_built_dataset(str(require(MELD_CSV)), "main")
    with pytest.raises(NotBuiltError, match="not a dataset built by .* build a dataset first"):
        check_built_dataset(str(tmp_path), "main")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "test-00000-of-00001.parquet").write_bytes(b"")
    with pytest.raises(NotBuiltError, match=r"has no config 'main'; its configs: \['plain'\]"):
        check_built_dataset(str(tmp_path), "main")
    check_built_dataset(str(tmp_path), "plain")
    check_built_dataset("some-org/some-dataset", "main")  # no such folder: a Hub id, for load_dataset
    with pytest.raises(NotBuiltError, match="is a file"):
        check_built_dataset(str(tmp_path / "plain" / "test-00000-of-00001.parquet"), "plain")
