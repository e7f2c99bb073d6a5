"""Label sets against the official code's label maps (../shared/reference/label_maps.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instructerc_hf.labels import DATASETS, UNIFIED_LABELS, UnknownLabelError, get_dataset_labels, label_set
from instructerc_hf.prompts import PromptConfig
from instructerc_hf.tasks import prompt_config_for


@pytest.fixture(scope="module")
def label_maps(reference: Path) -> dict[str, dict[str, object]]:
    return json.loads((reference / "label_maps.json").read_text())


@pytest.mark.parametrize("name", list(DATASETS))
def test_labels_match_official_maps(label_maps: dict[str, dict[str, object]], name: str) -> None:
    info = get_dataset_labels(name)
    official = info.official_name
    assert list(info.labels) == label_maps["label_index_order_in_COSMIC_pickles"][official]
    assert prompt_config_for([name], "original").label_text == label_maps["label_statement_text"][official]
    assert prompt_config_for([name], "original").speaker_label_text == label_maps["speaker_label_text"][official]
    mapping = label_maps["unified_mapping_original_to_unified (derived from the lists above)"][official]
    assert info.unified == mapping
    assert info.unified_speaker_offset == label_maps["unified_speaker_offsets (code)"][official]
    assert ", ".join(UNIFIED_LABELS) == label_maps["unified_label_statement_text"]


def test_notable_unified_mappings_and_normalisation() -> None:
    assert get_dataset_labels("iemocap").unified["frustrated"] == "fear"
    assert get_dataset_labels("MELD").unified["surprise"] == "powerful"
    assert get_dataset_labels("EmoryNLP").unified["Scared"] == "fear"
    assert get_dataset_labels("meld").normalize("sadness") == "sad"
    assert get_dataset_labels("iemocap").normalize("fru") == "frustrated"
    with pytest.raises(UnknownLabelError, match=r"unknown meld label 'happiness' at train.csv row 3"):
        get_dataset_labels("meld").normalize("happiness", where="train.csv row 3")
    assert label_set(["meld", "iemocap"], "unified") == UNIFIED_LABELS
    with pytest.raises(ValueError, match="exactly one dataset"):
        label_set(["meld", "iemocap"], "original")
    with pytest.raises(ValueError, match="window must be >= 0"):
        PromptConfig(labels=("a",), window=-1)
