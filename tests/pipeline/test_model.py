"""The pipeline's model class: the adapter's retriever (or a warning), loading a pushed adapter by Hub id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CONVERSATION, MELD_LABELS, ROOT, build_stub_card_adapter, build_tiny_adapter
from hub_server import LocalHub
from huggingface_hub import HfApi
from transformers import pipeline

from instructerc_hf.hub.publish import push_adapter
from instructerc_hf.pipeline.erc_pipeline import TASK


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    """A fresh adapter folder with PEFT's stub card, which a push replaces."""
    return build_stub_card_adapter(tmp_path / "adapter")


def test_adapter_trained_with_retrieval_warns_without_a_retriever(tmp_path: Path) -> None:
    folder = build_tiny_adapter(tmp_path / "adapter", retrieval={"top_k": 1})
    with pytest.warns(UserWarning, match="without demonstrations"):
        erc = pipeline(TASK, model=str(folder))
    assert len(erc(CONVERSATION[:2])) == 2


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
