"""Pushing a built dataset folder to the local Hub (tests/hub_server.py), then loading it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MELD_CSV, require, same_tree
from hub_server import LocalHub
from huggingface_hub import constants


def test_push_dataset_folder_then_load_it(hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data export's own push path (no api passed: HfApi() follows the configured endpoint, as HF_ENDPOINT sets)."""
    from datasets import load_dataset

    from instructerc_hf.data.arguments import BuildArguments
    from instructerc_hf.data.export import build_and_push

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    out = tmp_path / "meld"
    args = BuildArguments(raw_dir=[str(require(MELD_CSV).parents[1])], out=str(out), tasks=["main"],
                          label_spaces=["original"], push_to_hub="someone/meld-erc")
    build_and_push(args)
    uploaded = hub.repo_dir("dataset", "someone/meld-erc")
    assert same_tree(out, uploaded)
    local, remote = load_dataset(str(out), "main", split="test"), load_dataset(str(uploaded), "main", split="test")
    assert remote.num_rows == local.num_rows == 2610 and remote[:5] == local[:5]
