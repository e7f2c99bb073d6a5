"""Pushing adapters, datasets and the metric to a local server that speaks the Hub's HTTP API (tests/hub_server.py).

``huggingface_hub`` itself sends every request: only the endpoint differs from the real Hub.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MELD_CSV, require
from hub_server import LocalHub
from huggingface_hub import HfApi, constants
from tiny_adapter import MELD_LABELS, build_tiny_adapter

from instructerc_hf.hub.publish import (
    METRIC_DIR,
    is_instructerc_card,
    prepare_adapter_folder,
    push_adapter,
    push_metric,
)
from instructerc_hf.registry import CARD_NAME

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """A running local Hub; online mode for ``huggingface_hub`` (tests run with HF_HUB_OFFLINE=1)."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with LocalHub(tmp_path / "hub") as server:
        yield server


def same_tree(left: Path, right: Path) -> bool:
    """Identical file names and contents, recursively."""
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(left / n, right / n, shallow=False) for n in names)


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    folder = build_tiny_adapter(tmp_path / "adapter")
    (folder / CARD_NAME).write_text("---\nlibrary_name: peft\n---\n# Model Card for Model ID\n")  # PEFT's stub
    return folder


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


def test_push_dataset_folder_then_load_it(hub: LocalHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data export's own push path (no api passed: HfApi() follows the configured endpoint, as HF_ENDPOINT sets)."""
    from datasets import load_dataset

    from instructerc_hf.data.export import BuildArguments, build_and_push

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    out = tmp_path / "meld"
    args = BuildArguments(raw_dir=[str(require(MELD_CSV).parents[1])], out=str(out), tasks=["main"],
                          label_spaces=["original"], push_to_hub="someone/meld-erc")
    build_and_push(args)
    uploaded = hub.repo_dir("dataset", "someone/meld-erc")
    assert same_tree(out, uploaded)
    local, remote = load_dataset(str(out), "main", split="test"), load_dataset(str(uploaded), "main", split="test")
    assert remote.num_rows == local.num_rows == 2610 and remote[:5] == local[:5]


def test_push_metric_space_then_load_it(hub: LocalHub) -> None:
    import evaluate

    push_metric("someone/erc-weighted-f1", api=HfApi(endpoint=hub.url, token=False))
    uploaded = hub.repo_dir("space", "someone/erc-weighted-f1")
    assert same_tree(METRIC_DIR, uploaded)
    metric = evaluate.load(str(uploaded / "erc_weighted_f1.py"))
    result = metric.compute(predictions=["joyful", "I feel sad."], references=["joyful", "angry"], labels=MELD_LABELS)
    assert result["weighted_f1"] == 50.0


def test_cli_push(hub: LocalHub, adapter: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from instructerc_hf.cli import main as cli

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)  # what HF_ENDPOINT sets when huggingface_hub is imported
    assert cli(["push", "adapter", "--folder", str(adapter), "--repo_id", "someone/cli-erc"]) == 0
    assert cli(["push", "metric", "--repo_id", "someone/cli-f1"]) == 0
    assert same_tree(adapter, hub.repo_dir("model", "someone/cli-erc"))
    assert same_tree(METRIC_DIR, hub.repo_dir("space", "someone/cli-f1"))


@pytest.mark.slow
def test_pipeline_loads_a_pushed_adapter_by_hub_id(hub: LocalHub, adapter: Path, tmp_path: Path) -> None:
    """A fresh process that knows the Hub only through HF_ENDPOINT: the most real download path."""
    push_adapter(adapter, "someone/tiny-erc", api=HfApi(endpoint=hub.url, token=False))
    code = (
        "import json, instructerc_hf\n"
        "from transformers import pipeline\n"
        "erc = pipeline(instructerc_hf.PIPELINE_TASK, model='someone/tiny-erc')\n"
        "print(json.dumps(erc([{'speaker': 'A', 'text': 'Hi!'}, {'speaker': 'B', 'text': 'Oh no.'}])))\n"
    )
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(outputs) == 2 and all(o["label"] in MELD_LABELS for o in outputs)
    assert any("/resolve/" in path and path.endswith("adapter_model.safetensors") for _, path in hub.requests)
