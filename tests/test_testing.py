"""The tiny test tokenizer and Llama of ``instructerc_hf.testing``."""

from __future__ import annotations

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from instructerc_hf.labels import DATASETS, UNIFIED_LABELS
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
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
