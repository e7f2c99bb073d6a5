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
    assert 'load_dataset("path/to/this/folder", "main")' in card  # never pushed: no Hub repo is named
    assert "@inproceedings{poria2019meld" in card and "@article{lei2023instructerc" in card
    assert "No record was repaired or skipped." in card


def test_dataset_card_metadata_parses_with_huggingface_hub(meld_folder: Path) -> None:
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(meld_folder / "README.md").data
    assert data.license == "gpl-3.0" and data.task_ids == ["multi-class-classification"]
    info = {i["config_name"]: i for i in data.dataset_info}
    assert sorted(info) == ["main", "main-unified", "speaker", "speaker-unified"]
    names = {c: list(i["features"][-1]["dtype"]["class_label"]["names"].values()) for c, i in info.items()}
    assert names["main"][:3] == ["neutral", "surprise", "fear"] and names["main-unified"][:3] == ["joyful", "sad", "neutral"]
    assert {s["name"]: s["num_examples"] for s in info["main"]["splits"]} == {"train": 9989, "validation": 1109,
                                                                            "test": 2610}


def test_iemocap_card_names_its_release_form() -> None:
    from huggingface_hub import DatasetCard

    from instructerc_hf.cards.dataset_card import ConfigCard, DatasetCardData, SplitCard, render_dataset_card

    card = DatasetCardData(target="iemocap", repo_id=None, configs=[ConfigCard("main", "main", "original",
                           [SplitCard("train", 5163, 1)])], command="instructerc-hf build iemocap", source="tsv",
                           files=["iemocap_train.txt"], window=12)
    data = DatasetCard(render_dataset_card(card)).data
    assert (data.license, data.license_name, data.license_link) == (
        "other", "iemocap-release-form", "https://sail.usc.edu/iemocap/")
