"""A tiny InstructERC adapter, loaded once for the inference tests."""

from __future__ import annotations

import pytest
from helpers import build_tiny_adapter
from peft import PeftModel

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.inference.adapter import load_adapter


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[PeftModel, object, ERCModelConfig]:
    """The model (in eval mode: tests only run it), tokenizer and config of a tiny adapter."""
    folder = build_tiny_adapter(tmp_path_factory.mktemp("inference") / "adapter")
    return load_adapter(folder)
