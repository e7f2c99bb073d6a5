"""The dataset card of an exported folder (real MELD)."""

from __future__ import annotations

from pathlib import Path

import yaml


def test_dataset_card(meld_folder: Path) -> None:
    card = (meld_folder / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "gpl-3.0"
    assert [c["config_name"] for c in header["configs"]] == ["main", "main-unified", "speaker", "speaker-unified"]
    assert header["configs"][0]["default"] is True
    assert header["configs"][0]["data_files"][2] == {"split": "test", "path": "main/test-*.parquet"}
    assert "| `main` | main | original | 9989 | 1109 | 2610 |" in card
    assert "load_dataset(\"instructerc/meld\", \"main\")" in card
    assert "@inproceedings{poria2019meld" in card and "@article{lei2023instructerc" in card
    assert "No record was repaired or skipped." in card
