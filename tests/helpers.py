"""Build a tiny, untrained InstructERC adapter folder for fast format and plumbing tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peft import LoraConfig, get_peft_model

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.tasks import prompt_config_for
from instructerc_hf.testing import build_tiny_llama

MELD_LABELS = ("neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry")


def build_tiny_adapter(folder: Path, base_dir: Path | None = None, **config: Any) -> Path:
    """A tiny random Llama (in ``base_dir``) with a fresh LoRA on q/k/v, its tokenizer and ``instructerc_config.json``.

    ``config`` overrides :class:`ERCModelConfig` fields (default: MELD, original labels, no retrieval). LoRA's B matrix
    is randomised so that the adapter changes the base model's outputs.
    """
    base = build_tiny_llama(base_dir or folder.parent / f"{folder.name}-base")
    model = get_peft_model(
        load_causal_lm(base),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj"], task_type="CAUSAL_LM",
                   init_lora_weights=False),
    )
    model.save_pretrained(folder)
    load_tokenizer(base).save_pretrained(folder)
    fields: dict[str, Any] = {"base_model": base, "datasets": ["meld"], "label_space": "original",
                              "prompt": prompt_config_for(["meld"], "original")}
    fields.update(config)
    ERCModelConfig(**fields).save_pretrained(folder)
    return folder
