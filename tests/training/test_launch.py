"""Every shipped accelerate config through ``accelerate launch`` on this CPU, both stages of the schedule, and the
guards that turn a silently degraded launch into an error (``instructerc_hf.training.launch``).

What runs on a CPU (docs/distributed.md): DDP over gloo with 2 processes; DeepSpeed ZeRO-2/3 with one process
(accelerate counts a single process on a CPU while DeepSpeed's group would hold two, so their batch sizes disagree);
FSDP not at all (accelerate runs plain DDP for it on a CPU, which the guard refuses).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import MELD_CSV, MELD_LABELS, ROOT, require
from safetensors.torch import load_file

from instructerc_hf.testing import build_tiny_llama

pytestmark = pytest.mark.distributed

CONFIGS = ROOT / "recipes" / "accelerate_configs"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"))


def launch(config: str | None, processes: int, tiny_dir: str, out: Path, *extra: str,
           check: bool = True) -> subprocess.CompletedProcess[str]:
    """``accelerate launch`` of examples/sft.py with a shipped config (or ``--cpu``) on the tiny model."""
    where = ["--config_file", str(CONFIGS / f"{config}.yaml")] if config else ["--cpu"]
    command = [
        sys.executable, "-m", "accelerate.commands.launch", *where, "--num_processes", str(processes),
        "--mixed_precision", "no", str(ROOT / "examples" / "sft.py"), "--dataset", "meld", "--raw_dir",
        str(require(MELD_CSV)), "--model_name_or_path", tiny_dir, "--output_dir", str(out), "--bf16", "false",
        "--per_device_train_batch_size", str(4 // processes), "--gradient_accumulation_steps", "1",
        "--learning_rate", "1e-2", "--max_length", "256", "--max_train_samples", "16", "--max_eval_samples", "4",
        "--stage1_max_steps", "2", "--max_steps", "2", "--eval_strategy", "steps", "--eval_steps", "2",
        "--save_strategy", "steps", "--save_steps", "2", "--load_best_model_at_end", "false", "--seed", "7",
        "--logging_steps", "1", "--disable_tqdm", "true", "--report_to", "none", *extra,
    ]
    env = {**os.environ, "DS_ACCELERATOR": "cpu", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert done.returncode == 0, done.stderr[-4000:]
    return done


def summary(out: Path) -> dict:
    return json.loads((out / "instructerc_training.json").read_text())


def losses(folder: Path) -> list[float]:
    history = json.loads((folder / "trainer_state.json").read_text())["log_history"]
    return [entry["loss"] for entry in history if "loss" in entry]


def lora(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "adapter_model.safetensors")


def assert_scores(out: Path) -> None:
    from instructerc_hf.pipeline.erc_pipeline import load_erc_pipeline

    outputs = load_erc_pipeline(out)([{"speaker": "A", "text": "Hi!"}, {"speaker": "B", "text": "Oh no."}])
    assert [o["label"] in MELD_LABELS for o in outputs] == [True, True]


def test_ddp_two_processes_train_both_stages_like_one_process_with_the_whole_batch(tiny_dir: str,
                                                                                 tmp_path: Path) -> None:
    launch("multi_gpu_ddp", 2, tiny_dir, tmp_path / "ddp", "--use_cpu", "true")
    launch("single_gpu", 1, tiny_dir, tmp_path / "one", "--use_cpu", "true")
    ran = summary(tmp_path / "ddp")
    assert ran["distributed"] == {"type": "MULTI_CPU", "num_processes": 2, "deepspeed": False, "fsdp": False}
    assert [s["global_step"] for s in ran["stages"]] == [2, 2]
    for stage in ("stage1", "."):  # 2 x batch 2 over gloo == 1 x batch 4, step by step (up to float summation order)
        assert losses(tmp_path / "ddp" / stage) == pytest.approx(losses(tmp_path / "one" / stage), rel=2e-3)
    assert_scores(tmp_path / "ddp")


@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_zero_trains_both_stages_and_saves_full_weights(tiny_dir: str, tmp_path: Path, stage: int) -> None:
    out = tmp_path / f"zero{stage}"
    launch(f"deepspeed_zero{stage}", 1, tiny_dir, out)
    ran = summary(out)
    assert ran["distributed"] == {"type": "DEEPSPEED", "num_processes": 1, "deepspeed": True, "fsdp": False}
    assert [s["tasks"] for s in ran["stages"]] == [["speaker"], ["main", "impact"]]
    assert [s["global_step"] for s in ran["stages"]] == [2, 2]
    for folder in (out / "stage1", out):  # gathered for saving: every LoRA matrix has its full shape
        weights = lora(folder)
        assert weights and all(v.numel() > 0 for v in weights.values())
        assert any(k.endswith("lora_B.weight") and v.abs().sum() > 0 for k, v in weights.items())
    assert_scores(out)


def test_zero3_saves_what_zero2_saves(tmp_path: Path, tiny_dir: str) -> None:
    for stage in (2, 3):
        launch(f"deepspeed_zero{stage}", 1, tiny_dir, tmp_path / f"zero{stage}")
    two, three = lora(tmp_path / "zero2"), lora(tmp_path / "zero3")
    assert sorted(two) == sorted(three)
    for name in two:
        torch.testing.assert_close(two[name], three[name], rtol=1e-4, atol=1e-5)


def test_fsdp_on_a_cpu_is_an_error_not_ddp(tiny_dir: str, tmp_path: Path) -> None:
    done = launch("fsdp", 2, tiny_dir, tmp_path / "fsdp", "--use_cpu", "true", check=False)
    assert done.returncode != 0
    assert "the launch asks for FSDP but accelerate runs MULTI_CPU" in done.stderr
    assert not (tmp_path / "fsdp" / "adapter_model.safetensors").exists()


def test_independent_processes_writing_one_folder_are_an_error(tiny_dir: str, tmp_path: Path) -> None:
    done = launch("multi_gpu_ddp", 2, tiny_dir, tmp_path / "apart", check=False)  # no --use_cpu: no process group
    assert done.returncode != 0 and "WORLD_SIZE=2 processes were started but each trains alone" in done.stderr


def test_fewer_processes_than_asked_are_an_error(tiny_dir: str, tmp_path: Path) -> None:
    done = launch(None, 2, tiny_dir, tmp_path / "fewer", check=False)  # `accelerate launch --cpu` starts one
    assert done.returncode != 0 and "asked for --num_processes 2 but 1 runs" in done.stderr
