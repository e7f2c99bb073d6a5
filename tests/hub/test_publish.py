"""Pushing adapters and the metric Space to a local server that speaks the Hub's HTTP API (tests/hub_server.py).

``huggingface_hub`` itself sends every request: only the endpoint differs from the real Hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MELD_LABELS, build_stub_card_adapter, same_tree
from hub_server import LocalHub
from huggingface_hub import HfApi

from instructerc_hf.hub.publish import (
    METRIC_DIR,
    is_instructerc_card,
    prepare_adapter_folder,
    push_adapter,
    push_metric,
)
from instructerc_hf.registry import CARD_NAME


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    """A fresh adapter folder with PEFT's stub card, which a push replaces."""
    return build_stub_card_adapter(tmp_path / "adapter")


def test_push_adapter_uploads_exactly_the_folder_with_its_card(hub: LocalHub, adapter: Path) -> None:
    push_adapter(adapter, "someone/tiny-erc", api=HfApi(endpoint=hub.url, token=False))
    uploaded = hub.repo_dir("model", "someone/tiny-erc")
    assert same_tree(adapter, uploaded)
    assert is_instructerc_card(uploaded / CARD_NAME)  # PEFT's stub card was replaced
    card = (uploaded / CARD_NAME).read_text()
    assert 'model="someone/tiny-erc"' in card and "library_name: peft" in card
    assert [m for m, _ in hub.requests] == ["POST"] * 4
    assert [p.split("/")[-2] if "/api/models/" in p else p for _, p in hub.requests] == [
        "/api/repos/create", "/api/validate-yaml", "preupload", "commit"]


def test_pushing_again_keeps_the_instructerc_card(hub: LocalHub, adapter: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    push_adapter(adapter, "someone/tiny-erc", api=api)
    (adapter / CARD_NAME).write_text((adapter / CARD_NAME).read_text() + "\nA note by hand.\n")
    push_adapter(adapter, "someone/tiny-erc", api=api)  # the repo exists: create_repo gets 409 and goes on
    assert (hub.repo_dir("model", "someone/tiny-erc") / CARD_NAME).read_text().endswith("A note by hand.\n")


def test_an_incomplete_adapter_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="instructerc_config.json"):
        prepare_adapter_folder(tmp_path, "someone/x")


def test_push_metric_space_then_load_it(hub: LocalHub) -> None:
    import evaluate

    push_metric("someone/erc-weighted-f1", api=HfApi(endpoint=hub.url, token=False))
    uploaded = hub.repo_dir("space", "someone/erc-weighted-f1")
    assert same_tree(METRIC_DIR, uploaded)
    metric = evaluate.load(str(uploaded / "erc_weighted_f1.py"))
    result = metric.compute(predictions=["joyful", "I feel sad."], references=["joyful", "angry"], labels=MELD_LABELS)
    assert result["weighted_f1"] == 50.0
