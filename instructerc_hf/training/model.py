"""Loading the base model as TRL places it, and checking the LoRA targets against it."""

from __future__ import annotations

import re
from typing import Any

import torch
from accelerate import PartialState
from accelerate.utils import DistributedType
from peft import PeftConfig
from transformers import PreTrainedModel
from trl import ModelConfig, SFTConfig, get_quantization_config
from trl.trainer.utils import create_model_from_path

from ..modeling import base_model_id


class TargetModulesError(ValueError):
    """The base model has none of the modules LoRA should adapt."""


def check_target_modules(model: PreTrainedModel, peft_config: PeftConfig | None, name: str) -> None:
    """Raise :class:`TargetModulesError` when a LoRA target module is not in ``model`` (PEFT's matching rules)."""
    targets = getattr(peft_config, "target_modules", None)
    if targets is None or targets == "all-linear":  # PEFT's per-architecture default, or every linear layer
        return
    names = [n for n, _ in model.named_modules()]
    if isinstance(targets, str):  # PEFT matches one string as a regular expression on the full module name
        missing = [] if any(re.fullmatch(targets, n) for n in names) else [targets]
    else:
        missing = sorted(t for t in targets if not any(n == t or n.endswith("." + t) for n in names))
    if missing:
        linear = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
        raise TargetModulesError(
            f"the base model {name} ({model.config.model_type}) has no module named {missing} for LoRA; its linear "
            f"layers are {linear}: set lora_target_modules to some of them"
        )


def load_base_model(
    path: str, model_args: ModelConfig, training: SFTConfig, peft_config: PeftConfig | None
) -> PreTrainedModel:
    """The base causal LM with the dtype, attention and quantization of ``model_args``, placed as TRL places it.

    Its ``name_or_path`` is the Hub id of :func:`instructerc_hf.modeling.base_model_id`, which PEFT writes into
    ``adapter_config.json`` as ``base_model_name_or_path``: the adapter then loads on machines that never saw ``path``.

    Raises:
        TargetModulesError: it lacks a module ``peft_config`` targets.
    """
    kwargs: dict[str, Any] = {
        "revision": model_args.model_revision,
        "trust_remote_code": training.trust_remote_code,
        "attn_implementation": model_args.attn_implementation,
        "dtype": model_args.dtype,
    }
    quantization = get_quantization_config(model_args)
    if quantization is not None:
        kwargs.update(quantization_config=quantization, device_map={"": PartialState().local_process_index})
    elif training.distributed_state.distributed_type != DistributedType.NO:
        kwargs["device_map"] = None  # the Trainer places (and shards) the model
    model = create_model_from_path(path, **kwargs)
    check_target_modules(model, peft_config, path)
    model.name_or_path = model.config._name_or_path = base_model_id(model_args.model_name_or_path or path)
    return model
