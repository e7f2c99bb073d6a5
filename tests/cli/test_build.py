"""``instructerc-hf build`` on real EmoryNLP."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import load_dataset
from helpers import DATA, MELD_CSV, require

from instructerc_hf.cli import main as cli_main


def test_build_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "emorynlp"
    code = cli_main(["build", "emorynlp", "--raw-dir", str(require(DATA / "emorynlp/raw")), "--out", str(out),
                     "--tasks", "main", "--label_spaces", "original", "--window", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "main: train=7551, validation=954, test=984" in printed
    first = load_dataset(str(out), "main", split="train")[2]["prompt"]
    assert first.count("\t Speaker_") == 3
    assert cli_main(["build", "--help"]) == 0
    assert "--raw_dir" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["build", "friends", "--raw-dir", ".", "--out", str(out)])
    with pytest.raises(ValueError, match="unified needs --raw_dir NAME=PATH"):
        cli_main(["build", "unified", "--raw-dir", str(MELD_CSV), "--out", str(out)])
