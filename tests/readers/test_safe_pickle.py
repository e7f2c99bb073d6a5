"""The restricted unpickler: no code, truncated files named."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from helpers import MELD_RAW, require

from instructerc_hf.readers import DataFormatError, load_pickle


def test_restricted_unpickler_refuses_code(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (print, ("pwned",))

    path = tmp_path / "meld.pkl"
    path.write_bytes(pickle.dumps([Evil()]))
    with pytest.raises(DataFormatError, match="builtins.print is not allowed"):
        load_pickle(path)
    (tmp_path / "trunc.pkl").write_bytes(require(MELD_RAW).joinpath(
        "declare-lab__conv-emotion/COSMIC/feature-extraction/meld/meld.pkl").read_bytes()[:5000])
    with pytest.raises(DataFormatError, match="trunc.pkl"):
        load_pickle(tmp_path / "trunc.pkl")
