"""Finding raw files: a missing folder or file, several copies of one."""

from __future__ import annotations

from pathlib import Path

import pytest

from instructerc_hf.readers import read_corpus


def test_missing_and_ambiguous_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no train_sent_emo.csv"):
        read_corpus("meld", tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_corpus("meld", tmp_path / "nope")
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        (tmp_path / copy / "meld.pkl").write_bytes(b"")
    with pytest.raises(ValueError, match="2 copies of meld.pkl"):
        read_corpus("meld", tmp_path, "pickle")
