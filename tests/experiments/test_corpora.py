"""The dataset table."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.corpora import CORPORA, NAMES, corpus
from experiments.records import Record


def test_rows() -> None:
    assert NAMES == ("meld", "iemocap", "emorynlp")
    assert [c.paper_weighted_f1 for c in CORPORA] == [69.15, 71.39, 41.37]
    assert corpus("meld").raw_dir(Path("/data")) == Path("/data/meld/raw/declare-lab__MELD")
    with pytest.raises(KeyError, match="unknown dataset"):
        corpus("nope")


def test_the_records_read_the_raw_folders_of_the_table(real: dict[str, Record]) -> None:
    for record in real.values():
        if record.group in ("baselines", "zero_shot", "ablation"):
            assert record.settings["raw_dir"] == f"../shared/data/{corpus(record.dataset).raw}"
