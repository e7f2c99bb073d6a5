"""An adapter trained here works anywhere: trained on a base known by its Hub id, pushed to a (local) Hub, then loaded
by repo id in a fresh process with an empty ``HF_HOME`` and another working directory, with the pipeline and with
PEFT, giving the training machine's labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MELD_CSV, ROOT, require
from hub_server import LocalHub
from huggingface_hub import HfApi

from instructerc_hf.hub.publish import push_adapter
from instructerc_hf.pipeline.erc_pipeline import load_erc_pipeline
from instructerc_hf.readers import read_corpus
from instructerc_hf.registry import PIPELINE_TASK
from instructerc_hf.testing import build_tiny_llama

BASE_REPO = "tiny-org/tiny-llama"
ADAPTER_REPO = "tiny-org/tiny-erc-adapter"
#: Exactly what a push of a two-stage run uploads (no checkpoint, optimizer, scheduler, RNG or stage-1 state).
PUSHED = [
    "README.md", "adapter_config.json", "adapter_model.safetensors", "instructerc_config.json",
    "instructerc_training.json", "tokenizer.json", "tokenizer_config.json",
]

#: Run in the fresh process: the pipeline and PEFT, both by repo id, on the conversations of argv[1].
LOAD_ANYWHERE = """
import json, sys
import instructerc_hf
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.inference.scoring import score_labels

conversations = json.loads(open(sys.argv[1]).read())
erc = pipeline(instructerc_hf.PIPELINE_TASK, model=sys.argv[2])
by_pipeline = [[o["label"] for o in erc(c)] for c in conversations]
config = ERCModelConfig.from_pretrained(sys.argv[2])
base = AutoModelForCausalLM.from_pretrained(config.base_model)
model = PeftModel.from_pretrained(base, sys.argv[2]).eval()
tokenizer = AutoTokenizer.from_pretrained(sys.argv[2])
prompts = [p for c in conversations for p in erc.prompts_for(c)]
by_peft = [p.label for p in score_labels(model, tokenizer, prompts, config.labels, progress=False)]
print(json.dumps({"pipeline": by_pipeline, "peft": by_peft, "base": config.base_model}))
"""


def hub_env(hub: LocalHub, home: Path) -> dict[str, str]:
    return {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(home),
            "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(ROOT)}


def test_a_trained_adapter_loads_by_repo_id_on_a_fresh_machine(hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    api.create_repo(BASE_REPO, exist_ok=True)
    base = build_tiny_llama(tmp_path / "base")
    api.upload_folder(repo_id=BASE_REPO, folder_path=base)
    out = tmp_path / "run"
    train = [
        sys.executable, str(ROOT / "examples" / "sft.py"), "--dataset", "meld", "--raw_dir", str(require(MELD_CSV)),
        "--model_name_or_path", BASE_REPO, "--output_dir", str(out), "--use_cpu", "true", "--bf16", "false",
        "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "1", "--learning_rate", "1e-2",
        "--max_length", "256", "--max_train_samples", "8", "--max_eval_samples", "4", "--stage1_max_steps", "2",
        "--max_steps", "2", "--eval_strategy", "steps", "--eval_steps", "2", "--save_strategy", "steps",
        "--save_steps", "1", "--load_best_model_at_end", "false", "--disable_tqdm", "true", "--report_to", "none",
    ]
    done = subprocess.run(train, cwd=ROOT, env=hub_env(hub, tmp_path / "hf-train"), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "checkpoint-1" / "optimizer.pt").is_file() and (out / "stage1" / "checkpoint-1").is_dir()
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == BASE_REPO

    dialogues = read_corpus("meld", require(MELD_CSV), splits=("test",)).splits["test"][:3]
    conversations = [[{"speaker": t.speaker, "text": t.text} for t in d.turns] for d in dialogues]
    here = load_erc_pipeline(out, base_model=base)  # the training machine's copy of the base
    expected = [[o["label"] for o in here(c)] for c in conversations]

    pushed = push_adapter(out, ADAPTER_REPO, api=api)
    remote = hub.root / "models" / ADAPTER_REPO
    assert pushed == PUSHED
    assert sorted(str(p.relative_to(remote)) for p in remote.rglob("*") if p.is_file()) == PUSHED
    card = (remote / "README.md").read_text(encoding="utf-8")
    assert f'model="{ADAPTER_REPO}"' in card and "--model " + ADAPTER_REPO in card

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "conversations.json").write_text(json.dumps(conversations), encoding="utf-8")
    fresh = tmp_path / "hf-fresh"
    done = subprocess.run([sys.executable, "-c", LOAD_ANYWHERE, "conversations.json", ADAPTER_REPO], cwd=elsewhere,
                          env=hub_env(hub, fresh), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["base"] == BASE_REPO
    assert loaded["pipeline"] == expected
    assert loaded["peft"] == [label for labels in expected for label in labels]
    assert not any(str(out) in path for _, path in hub.requests)  # nothing refers to the training folder
    assert (fresh / "hub").is_dir()  # the fresh process downloaded into its own, empty HF_HOME


@pytest.mark.slow
def test_the_embedded_smollm2_adapter_loads_by_repo_id_on_a_fresh_machine(hub: LocalHub, tmp_path: Path) -> None:
    """The same with the embedded SmolLM2: the adapter records the Hub id, which the local Hub serves (its copy of
    the embedded weights stands for the Hub's), so ``pipeline`` and PEFT load it as a user's machine would."""
    from instructerc_hf.modeling import EMBEDDED_BASE_HUB_ID, resolve_base_model

    api = HfApi(endpoint=hub.url, token=False)
    api.create_repo(EMBEDDED_BASE_HUB_ID, exist_ok=True)
    api.upload_folder(repo_id=EMBEDDED_BASE_HUB_ID, folder_path=resolve_base_model(None))
    out = tmp_path / "run"
    train = [
        sys.executable, str(ROOT / "examples" / "sft.py"), "--dataset", "meld", "--raw_dir", str(require(MELD_CSV)),
        "--output_dir", str(out), "--use_cpu", "true", "--bf16", "false", "--per_device_train_batch_size", "4",
        "--gradient_accumulation_steps", "1", "--max_length", "384", "--max_train_samples", "8",
        "--max_eval_samples", "4", "--stage1_epochs", "0", "--max_steps", "2", "--window", "2",
        "--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false",
        "--disable_tqdm", "true", "--report_to", "none",
    ]
    env = {**hub_env(hub, tmp_path / "hf-train"), "HF_HUB_OFFLINE": "1"}  # trains on the embedded weights
    done = subprocess.run(train, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == EMBEDDED_BASE_HUB_ID
    assert "embedded weights" in (out / "README.md").read_text(encoding="utf-8")
    conversation = [{"speaker": "Monica", "text": "There's nothing to tell!"}, {"speaker": "Joey", "text": "C'mon!"}]
    expected = [o["label"] for o in load_erc_pipeline(out)(conversation)]
    push_adapter(out, "someone/smollm2-erc", api=api)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "conversations.json").write_text(json.dumps([conversation]), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", LOAD_ANYWHERE, "conversations.json", "someone/smollm2-erc"],
                          cwd=elsewhere, env=hub_env(hub, tmp_path / "hf-fresh"), capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["base"] == EMBEDDED_BASE_HUB_ID and loaded["pipeline"] == [expected] and loaded["peft"] == expected
    assert PIPELINE_TASK in (hub.root / "models" / "someone/smollm2-erc" / "README.md").read_text(encoding="utf-8")
