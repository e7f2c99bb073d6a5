"""Pushing adapters and the metric Space to a local server that speaks the Hub's HTTP API (tests/hub_server.py).

``huggingface_hub`` itself sends every request: only the endpoint differs from the real Hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MELD_LABELS, build_stub_card_adapter, same_tree
from hub_server import LocalHub
from huggingface_hub import HfApi

from instructerc_hf.hub.metric_space import assemble_metric_space
from instructerc_hf.hub.publish import adapter_files, is_instructerc_card, push_adapter, push_metric
from instructerc_hf.registry import CARD_NAME


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    """A fresh adapter folder with PEFT's stub card, which a push replaces."""
    return build_stub_card_adapter(tmp_path / "adapter")


def test_push_adapter_uploads_the_adapter_files_with_its_card(hub: LocalHub, adapter: Path) -> None:
    (adapter / "checkpoint-3").mkdir()
    (adapter / "checkpoint-3" / "optimizer.pt").write_bytes(b"state")
    (adapter / "training_args.bin").write_bytes(b"state")
    pushed = push_adapter(adapter, "someone/tiny-erc", api=HfApi(endpoint=hub.url, token=False))
    uploaded = hub.repo_dir("model", "someone/tiny-erc")
    assert pushed == sorted({*adapter_files(adapter), CARD_NAME})
    assert sorted(str(p.relative_to(uploaded)) for p in uploaded.rglob("*") if p.is_file()) == pushed
    assert is_instructerc_card(uploaded / CARD_NAME)  # PEFT's stub card was replaced
    card = (uploaded / CARD_NAME).read_text()
    assert 'model="someone/tiny-erc"' in card and "library_name: peft" in card
    assert [m for m, _ in hub.requests] == ["POST"] * 4
    assert [p.split("/")[-2] if "/api/models/" in p else p for _, p in hub.requests] == [
        "/api/repos/create", "/api/validate-yaml", "preupload", "commit"]


def test_each_push_writes_the_card_of_its_repo(hub: LocalHub, adapter: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    push_adapter(adapter, "someone/tiny-erc", api=api)
    push_adapter(adapter, "someone/tiny-erc", api=api)  # the repo exists: create_repo gets 409 and goes on
    push_adapter(adapter, "other/renamed", api=api)
    card = (hub.repo_dir("model", "other/renamed") / CARD_NAME).read_text()
    assert 'model="other/renamed"' in card and "someone/tiny-erc" not in card


def test_an_incomplete_adapter_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="instructerc_config.json"):
        adapter_files(tmp_path)
    with pytest.raises(FileNotFoundError, match="stage-1"):
        build_stub_card_adapter(tmp_path / "full")
        adapter_files(tmp_path / "full", include_stage1=True)


def test_push_metric_space_then_load_it(hub: LocalHub, tmp_path: Path) -> None:
    import evaluate

    push_metric("someone/erc-weighted-f1", api=HfApi(endpoint=hub.url, token=False))
    uploaded = hub.repo_dir("space", "someone/erc-weighted-f1")
    assert same_tree(assemble_metric_space(tmp_path / "erc_weighted_f1"), uploaded)
    metric = evaluate.load(str(uploaded / "erc_weighted_f1.py"))
    result = metric.compute(predictions=["joyful", "I feel sad."], references=["joyful", "angry"], labels=MELD_LABELS)
    assert result["weighted_f1"] == 50.0


def test_an_adapter_trained_on_iemocap_is_pushed_only_privately(hub: LocalHub, tmp_path: Path) -> None:
    from helpers import build_tiny_adapter

    from instructerc_hf.tasks import prompt_config_for

    folder = build_tiny_adapter(tmp_path / "iemocap", datasets=["iemocap"],
                                prompt=prompt_config_for(["iemocap"], "original"))
    api = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(PermissionError, match="may not be redistributed"):
        push_adapter(folder, "someone/iemocap-erc", api=api)
    assert not hub.requests
    assert "adapter_model.safetensors" in push_adapter(folder, "someone/iemocap-erc", api=api, private=True)
