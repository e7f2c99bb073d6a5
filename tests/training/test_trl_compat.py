"""The TRL internals ``InstructERCTrainer`` relies on: each is checked by name, so a TRL release that moves one fails
here, loudly, instead of training with a wrong loss or wrong logged metrics.

``pyproject.toml`` pins TRL to the tested minor range; widen it only after this file passes with the new release.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from trl import SFTConfig, SFTTrainer

from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.testing import build_tiny_llama

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
#: Attributes of an ``SFTTrainer`` instance read or written by ``InstructERCTrainer``.
INSTANCE_ATTRIBUTES = ("_metrics", "_total_train_tokens", "_tp_size", "padding_free", "aux_loss_enabled",
                       "_signature_columns")
#: Methods it calls or overrides.
METHODS = ("get_tp_size", "_set_signature_columns_if_needed", "compute_loss", "evaluation_loop",
           "create_accelerator_and_postprocess")
#: Fields of the output of TRL's patched forward with ``fused_lm_head=True``.
FUSED_OUTPUTS = ("log_probs", "label_mask", "entropy", "is_top1")


def trl_requirement() -> SpecifierSet:
    spec = re.search(r'^\s*"trl([<>=~][^"]*)"', PYPROJECT.read_text(encoding="utf-8"), re.M)
    assert spec is not None, "pyproject.toml has no trl requirement"
    return SpecifierSet(spec.group(1))


def moved(what: str) -> str:
    return (f"TRL {importlib.metadata.version('trl')} no longer has {what}, which instructerc_hf.training.trainer "
            f"uses; the tested range is trl{trl_requirement()}")


def test_trl_is_pinned_to_a_minor_range_that_contains_the_installed_release() -> None:
    spec = trl_requirement()
    assert any(s.operator == "<" for s in spec) and any(s.operator == ">=" for s in spec), f"trl{spec} is not pinned"
    assert Version(importlib.metadata.version("trl")) in spec


@pytest.mark.parametrize("name", METHODS)
def test_sft_trainer_has_the_methods_used(name: str) -> None:
    assert callable(getattr(SFTTrainer, name, None)), moved(f"SFTTrainer.{name}")


def test_compute_loss_signature_is_the_one_overridden() -> None:
    parameters = list(inspect.signature(SFTTrainer.compute_loss).parameters)
    assert parameters == ["self", "model", "inputs", "return_outputs", "num_items_in_batch"], moved(
        "SFTTrainer.compute_loss(model, inputs, return_outputs, num_items_in_batch)")


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory) -> SFTTrainer:
    tiny = build_tiny_llama(tmp_path_factory.mktemp("tiny"))
    rows = Dataset.from_list([{"prompt": "Speaker_0: hi\tThe emotion is:", "completion": " joyful"}] * 2)
    args = SFTConfig(output_dir=str(tmp_path_factory.mktemp("out")), use_cpu=True, bf16=False, max_length=64,
                     report_to=[], save_strategy="no", disable_tqdm=True, per_device_train_batch_size=2, max_steps=1)
    return SFTTrainer(model=load_causal_lm(tiny), args=args, train_dataset=rows, processing_class=load_tokenizer(tiny))


@pytest.mark.parametrize("name", INSTANCE_ATTRIBUTES)
def test_sft_trainer_instances_have_the_attributes_used(trainer: SFTTrainer, name: str) -> None:
    if name == "_signature_columns":
        trainer._set_signature_columns_if_needed()
    assert hasattr(trainer, name), moved(f"the SFTTrainer attribute {name}")


def test_the_patched_forward_gives_the_fused_lm_head_outputs(trainer: SFTTrainer) -> None:
    batch = trainer.data_collator([trainer.train_dataset[0], trainer.train_dataset[1]])
    with torch.no_grad():
        outputs = trainer.model(**batch, use_cache=False, fused_lm_head=True)
    missing = [name for name in FUSED_OUTPUTS if getattr(outputs, name, None) is None]
    assert not missing, moved(f"the fused LM head outputs {missing}")
    assert outputs.log_probs.shape == outputs.label_mask.shape == (2, batch["input_ids"].shape[1] - 1)
