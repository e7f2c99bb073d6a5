"""Test utilities shipped with the package: a tiny, randomly initialised Llama with a small byte-level tokenizer.

The tokenizer is a byte-level BPE trained in code on a short built-in corpus (prompt wording, dialogue words and
every label string), so any text round-trips exactly (quotes, tabs, Unicode) while the vocabulary stays small.
The model has the shape of a real causal LM, so it works with ``SFTTrainer`` and ``model.generate``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from .labels import DATASETS, UNIFIED_LABELS
from .quiet import quiet_deepspeed_cpu_notice

quiet_deepspeed_cpu_notice()  # the first save_pretrained imports DeepSpeed, which announces the CPU (see .quiet)

BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"
SPECIAL_TOKENS: tuple[str, ...] = (UNK, BOS, EOS, PAD)
TINY_VOCAB_SIZE = 640

_CORPUS = """
Now you are expert of sentiment and emotional analysis. The following conversation noted between '### ###'
involves several speakers. Please select the emotional label of the last utterance from the label set.
Please predict the emotion of the next utterance. Please identify the speaker of the utterance.
### Speaker_0: "Hey, how are you doing today?" Speaker_1: "I'm fine, thanks! And you?" ###
What's wrong? Oh my God, I can't believe it! No way... Yeah, sure. Well, I don't know; maybe tomorrow.
I love you. I hate this. That's great news! Are you kidding me? We were there yesterday, weren't we?
Okay, okay - calm down. Why did you do that?? It (really) is my fault: sorry [laughs] {smiles} <Speaker_2>
the a an and or but if then so because with without for from to of in on at by about into over after before
he she it they we you I me him her them us my your his their our this that these those here there where when
what who why how which is are was were be been being have has had do does did will would can could should
happy sad angry joyful neutral surprise fear disgust excited frustrated mad peaceful powerful scared emotion
label labels speaker speakers utterance utterances conversation dialogue context previous next last first
0 1 2 3 4 5 6 7 8 9 10 2023 3.14 50% $100 #1 @home & * + = / \\ | ~ ^ ` _ \t tab\tseparated\tvalues
"""


def _training_corpus(vocab_words: list[str] | None) -> list[str]:
    """The built-in corpus plus every label string and ``vocab_words``, each word repeated so BPE learns it."""
    labels = {label for d in DATASETS.values() for label in d.labels} | set(UNIFIED_LABELS)
    speakers = {f"Speaker_{i}" for i in range(10)}
    words = sorted(labels | speakers | set(vocab_words or ()))
    return [line for line in _CORPUS.splitlines() if line] + [" " + " ".join(words)] * 8


def build_tiny_tokenizer(vocab_words: list[str] | None = None) -> PreTrainedTokenizerFast:
    """A small byte-level BPE tokenizer (``TINY_VOCAB_SIZE`` = 640 tokens) with ``<s>``, ``</s>``, ``<pad>`` and ``<unk>``.

    It adds no special tokens when encoding (like SmolLM2's) and has no chat template.
    """
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB_SIZE,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_training_corpus(vocab_words), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        clean_up_tokenization_spaces=False,
    )


def tiny_llama_config(tokenizer: PreTrainedTokenizerFast) -> LlamaConfig:
    """A 2-layer Llama config (hidden 32, 4 heads, 2 KV heads) matching ``tokenizer``'s vocabulary and specials."""
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )


def build_tiny_llama(save_dir: str | Path, vocab_words: list[str] | None = None, seed: int = 0) -> str:
    """Save a tiny random ``LlamaForCausalLM`` and its tokenizer to ``save_dir``; return the path as a string.

    ``vocab_words`` are added to the tokenizer's training corpus (labels are always in it). The weights depend
    only on ``seed``; the global RNG state is left untouched.
    """
    tokenizer = build_tiny_tokenizer(vocab_words)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(tiny_llama_config(tokenizer))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out = Path(save_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)
