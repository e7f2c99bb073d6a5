"""Loading a trained adapter on its base model for inference."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..configuration import ERCModelConfig

if TYPE_CHECKING:
    from peft import PeftModel
    from transformers import PreTrainedTokenizerBase


def load_adapter(
    model_dir: str | Path,
    *,
    base_model: str | None = None,
    dtype: torch.dtype | str | None = None,
    device: str | torch.device | None = None,
    **base_kwargs: Any,
) -> tuple[PeftModel, PreTrainedTokenizerBase, ERCModelConfig]:
    """Load a trained adapter (local folder or Hub id) on its base model, unmerged, in eval mode.

    The base model is ``base_model``, else ``ERCModelConfig.base_model`` (a Hub id) resolved by
    :func:`instructerc_hf.modeling.resolve_base_model`: the weights the adapter was trained on (the embedded SmolLM2
    when ``base_weights`` says so), else the Hub's.
    ``base_kwargs`` go to the base model's ``from_pretrained`` (``revision``, ``attn_implementation`` ...).
    The tokenizer is the adapter's own when the folder has one, else the base model's.
    """
    from peft import PeftModel

    from ..modeling import EMBEDDED_WEIGHTS, load_causal_lm, load_tokenizer, resolve_base_model
    from ..quiet import peft_wrapping

    config = ERCModelConfig.from_pretrained(model_dir)
    base = resolve_base_model(base_model) if base_model else resolve_base_model(
        config.base_model, embedded=config.base_weights == EMBEDDED_WEIGHTS)
    base_lm = load_causal_lm(base, dtype=dtype, **base_kwargs)
    with peft_wrapping():
        model = PeftModel.from_pretrained(base_lm, str(model_dir))
    if device is not None:
        model.to(device)
    model.eval()
    try:
        tokenizer = load_tokenizer(str(model_dir))
    except (OSError, ValueError):
        tokenizer = load_tokenizer(base)
    return model, tokenizer, config
