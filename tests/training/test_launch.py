"""Every shipped accelerate config through ``accelerate launch`` on this CPU, both stages of the schedule, and the
guards that turn a silently degraded launch into an error (``instructerc_hf.training.launch``).

Every engine runs with 2 processes over gloo (docs/distributed.md; DeepSpeed and FSDP2 through
``instructerc_hf.training.cpu_engines``), and each must train what DDP trains: the same losses step by step and the
same LoRA weights, gathered whole for saving.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from accelerate.utils import DistributedType
from helpers import MELD_CSV, MELD_LABELS, ROOT, require
from safetensors.torch import load_file

from instructerc_hf.testing import build_tiny_llama
from instructerc_hf.training.launch import LaunchError, check_engine

pytestmark = pytest.mark.distributed

CONFIGS = ROOT / "recipes" / "accelerate_configs"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"))


def launch(config: str | None, processes: int, tiny_dir: str, out: Path, *extra: str, check: bool = True,
           fsdp_version: int | None = None) -> subprocess.CompletedProcess[str]:
    """``accelerate launch`` of examples/sft.py with a shipped config (or ``--cpu``) on the tiny model."""
    where = ["--config_file", str(CONFIGS / f"{config}.yaml")] if config else ["--cpu"]
    if fsdp_version is not None:
        where += ["--fsdp_version", str(fsdp_version)]
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


#: Each engine's run: shipped config, processes, extra script options. All see a global batch of 4 sequences.
RUNS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "one": ("single_gpu", 1, ("--use_cpu", "true")),
    "ddp": ("multi_gpu_ddp", 2, ("--use_cpu", "true")),
    "zero2": ("deepspeed_zero2", 2, ()),
    "zero3": ("deepspeed_zero3", 2, ()),
    "fsdp": ("fsdp", 2, ("--use_cpu", "true")),
}
ENGINES = {"ddp": "MULTI_CPU", "zero2": "DEEPSPEED", "zero3": "DEEPSPEED", "fsdp": "FSDP"}


@pytest.fixture(scope="module")
def trained(tiny_dir: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The output folder of one run of :data:`RUNS`, trained once per module."""
    done: dict[str, Path] = {}

    def run(name: str) -> Path:
        if name not in done:
            config, processes, extra = RUNS[name]
            out = tmp_path_factory.mktemp(name)
            launch(config, processes, tiny_dir, out, *extra)
            done[name] = out
        return done[name]

    return run


def test_ddp_two_processes_train_both_stages_like_one_process_with_the_whole_batch(
        trained: Callable[[str], Path]) -> None:
    ddp, one = trained("ddp"), trained("one")
    ran = summary(ddp)
    assert ran["distributed"] == {"type": "MULTI_CPU", "num_processes": 2, "deepspeed": False, "fsdp": False}
    assert [s["global_step"] for s in ran["stages"]] == [2, 2]
    for stage in ("stage1", "."):  # 2 x batch 2 over gloo == 1 x batch 4, step by step (up to float summation order)
        assert losses(ddp / stage) == pytest.approx(losses(one / stage), rel=2e-3)
    assert_scores(ddp)


@pytest.mark.parametrize("engine", ["zero2", "zero3", "fsdp"])
def test_sharded_engines_train_both_stages_on_two_processes_like_ddp(trained: Callable[[str], Path],
                                                                      engine: str) -> None:
    out, ddp = trained(engine), trained("ddp")
    ran = summary(out)
    assert ran["distributed"] == {"type": ENGINES[engine], "num_processes": 2, "deepspeed": engine != "fsdp",
                                  "fsdp": engine == "fsdp"}
    assert [s["tasks"] for s in ran["stages"]] == [["speaker"], ["main", "impact"]]
    assert [s["global_step"] for s in ran["stages"]] == [2, 2]
    for stage in ("stage1", "."):
        assert losses(out / stage) == pytest.approx(losses(ddp / stage), rel=2e-3)
        # gathered for saving (ZeRO-3 and FSDP shard them): every LoRA matrix whole, and what DDP trained
        weights, reference = lora(out / stage), lora(ddp / stage)
        assert sorted(weights) == sorted(reference)
        assert any(k.endswith("lora_B.weight") and v.abs().sum() > 0 for k, v in weights.items())
        for name, value in weights.items():
            torch.testing.assert_close(value, reference[name], rtol=1e-3, atol=1e-4)
    assert_scores(out)


def test_fsdp1_on_a_cpu_is_an_error(tiny_dir: str, tmp_path: Path) -> None:
    done = launch("fsdp", 2, tiny_dir, tmp_path / "fsdp1", "--use_cpu", "true", check=False, fsdp_version=1)
    assert done.returncode != 0
    assert "FSDP version 1 needs an accelerator; on a CPU only FSDP2 runs" in done.stderr
    assert not (tmp_path / "fsdp1" / "adapter_model.safetensors").exists()


def test_an_engine_swapped_for_another_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(LaunchError, match="the launch asks for FSDP but accelerate runs MULTI_CPU"):
        check_engine(DistributedType.MULTI_CPU)
    check_engine(DistributedType.FSDP)
    monkeypatch.delenv("ACCELERATE_USE_FSDP")
    check_engine(DistributedType.MULTI_CPU)  # nothing asked, anything runs


def test_independent_processes_writing_one_folder_are_an_error(tiny_dir: str, tmp_path: Path) -> None:
    done = launch("multi_gpu_ddp", 2, tiny_dir, tmp_path / "apart", check=False)  # no --use_cpu: no process group
    assert done.returncode != 0 and "WORLD_SIZE=2 processes were started but each trains alone" in done.stderr


def test_fewer_processes_than_asked_are_an_error(tiny_dir: str, tmp_path: Path) -> None:
    done = launch(None, 2, tiny_dir, tmp_path / "fewer", check=False)  # `accelerate launch --cpu` starts one
    assert done.returncode != 0 and "asked for --num_processes 2 but 1 runs" in done.stderr
