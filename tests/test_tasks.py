"""Tasks as prompt-completion rows: the unified label space and speaker offsets, unknown tasks."""

from __future__ import annotations

import pytest
from helpers import numbered_dialogue

from instructerc_hf.tasks import dialogue_rows, prompt_config_for


def test_unified_space_labels_and_speaker_offsets() -> None:
    config = prompt_config_for(["meld"], "unified")
    assert config.labels[:3] == ("joyful", "sad", "neutral")
    dialogue = numbered_dialogue(3)
    rows = list(dialogue_rows(dialogue, "speaker", config, "unified"))
    assert [r["completion"] for r in rows] == [" Speaker_2", " Speaker_3", " Speaker_4"]  # MELD offset 2
    assert "Speaker_10>" in rows[0]["prompt"]
    everything = prompt_config_for(["iemocap", "meld", "emorynlp"], "unified")
    assert everything.speaker_label_text.endswith("Speaker_17, Speaker_18")
    with pytest.raises(ValueError, match="unknown task"):
        list(dialogue_rows(dialogue, "sentiment", config))
