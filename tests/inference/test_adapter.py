"""Loading an InstructERC adapter folder for inference."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MELD_LABELS
from peft import PeftModel

from instructerc_hf.inference.adapter import load_adapter


def test_load_adapter_keeps_the_adapter_unmerged(loaded: tuple) -> None:
    model, tokenizer, config = loaded
    assert isinstance(model, PeftModel) and not model.training
    assert config.labels == MELD_LABELS
    assert tokenizer.pad_token is not None


def test_load_adapter_explains_a_folder_without_config(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="instructerc_config.json"):
        load_adapter(tmp_path)
