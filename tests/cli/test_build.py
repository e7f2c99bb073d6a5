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
    printed = capsys.readouterr().out
    assert "--raw_dir" in printed and "--dataset" not in printed  # the dataset is the positional DATASET
    assert cli_main(["build", "friends", "--raw-dir", ".", "--out", str(out)]) == 2
    assert "instructerc-hf build: error: unknown dataset 'friends'" in capsys.readouterr().err
    assert cli_main(["build", "unified", "--raw-dir", str(MELD_CSV), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("instructerc-hf build: error: unified needs --raw_dir NAME=PATH")


def test_build_cli_passes_ratio_mix_ratios_and_the_sampling_seed(tmp_path: Path) -> None:
    from collections import Counter

    raw = [f"meld={require(MELD_CSV)}", f"iemocap={require(DATA / 'iemocap/raw')}",
           f"emorynlp={require(DATA / 'emorynlp/raw')}"]

    def build(name: str, *extra: str) -> Counter[str]:
        code = cli_main(["build", "unified", "--raw_dir", *raw, "--out", str(tmp_path / name),
                         "--tasks", "plain", "--mix", "ratio", *extra])
        assert code == 0
        return Counter(load_dataset(str(tmp_path / name), "plain", split="train")["dataset"])

    ratios = build("ratios", "--ratios", "meld=1.5", "iemocap=1", "emorynlp=0.5", "--sampling_seed", "7")
    assert ratios == {"meld": round(1.5 * 5163), "iemocap": 5163, "emorynlp": round(0.5 * 5163)}  # x the smallest
    assert build("even") == {"meld": 5163, "iemocap": 5163, "emorynlp": 5163}


def test_a_meld_build_shows_one_progress_bar(tmp_path: Path) -> None:
    """Issue 16: a build printed about 49 bars (datasets' own per config and split); now one, over the configs."""
    import os
    import re
    import subprocess

    done = subprocess.run(["instructerc-hf", "build", "meld", "--raw-dir", str(require(MELD_CSV)), "--out",
                           str(tmp_path / "meld"), "--tasks", "main", "speaker"], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)
    assert done.returncode == 0, done.stderr
    bars = {m.group(1) for m in re.finditer(r"(?:^|[\r\n])([^\r\n]*?):\s+\d+%\|", done.stderr)}
    assert bars == {"building 4 configs"}, done.stderr[-2000:]
    assert "FutureWarning" not in done.stderr and "Traceback" not in done.stderr
