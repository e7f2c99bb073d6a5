"""``instructerc-hf push`` to the local Hub (tests/hub_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_stub_card_adapter, same_tree
from hub_server import LocalHub
from huggingface_hub import constants

from instructerc_hf.hub.metric_space import assemble_metric_space
from instructerc_hf.hub.publish import adapter_files


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    """A fresh adapter folder with PEFT's stub card, which a push replaces."""
    return build_stub_card_adapter(tmp_path / "adapter")


def test_cli_push(hub: LocalHub, adapter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from instructerc_hf.cli import main as cli

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)  # what HF_ENDPOINT sets when huggingface_hub is imported
    assert cli(["push", "adapter", "--folder", str(adapter), "--repo_id", "someone/cli-erc"]) == 0
    assert cli(["push", "metric", "--repo_id", "someone/cli-f1"]) == 0
    remote = hub.repo_dir("model", "someone/cli-erc")
    assert sorted(str(p.relative_to(remote)) for p in remote.rglob("*") if p.is_file()) == sorted(
        {*adapter_files(adapter), "README.md"})
    assert same_tree(assemble_metric_space(tmp_path / "erc_weighted_f1"), hub.repo_dir("space", "someone/cli-f1"))
