"""Greedy generation of labels, mapped to the label set like the official evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

from ..label_parsing import parse_label, validate_labels
from .defaults import DEFAULT_MAX_NEW_TOKENS
from .prediction import Prediction

if TYPE_CHECKING:
    from transformers import GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase


@torch.inference_mode()
def generate_texts(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    batch_size: int = 8,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    progress: bool = True,
) -> list[tuple[str, float]]:
    """Greedy continuation of each prompt and its probability; batches of similar length, left-padded."""
    from transformers import GenerationConfig

    if batch_size < 1 or max_new_tokens < 1:
        raise ValueError(f"batch_size and max_new_tokens must be >= 1, got {batch_size} and {max_new_tokens}")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    config = GenerationConfig(
        do_sample=False,
        max_new_tokens=max_new_tokens,
        pad_token_id=pad,
        eos_token_id=tokenizer.eos_token_id,
        output_scores=True,
        return_dict_in_generate=True,
    )
    lengths = [len(ids) for ids in tokenizer(list(prompts))["input_ids"]]
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
    out: list[tuple[str, float]] = [("", 0.0)] * len(prompts)
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        with tqdm(total=len(prompts), desc="generating labels", unit="utt", disable=not progress) as bar:
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                results = _generate_batch(model, tokenizer, [prompts[i] for i in chosen], config)
                for i, result in zip(chosen, results, strict=True):
                    out[i] = result
                bar.update(len(chosen))
    finally:
        tokenizer.padding_side = side
    return out


def _generate_batch(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: list[str], config: GenerationConfig
) -> list[tuple[str, float]]:
    inputs = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    output = model.generate(**inputs, generation_config=config)  # type: ignore[operator]
    new_tokens = output.sequences[:, inputs["input_ids"].shape[1] :]
    scores = tuple(step.float() for step in output.scores)
    chosen = model.compute_transition_scores(output.sequences, scores, normalize_logits=True)  # type: ignore[operator]
    eos = torch.as_tensor(config.eos_token_id, device=new_tokens.device).flatten()
    finished_before = torch.isin(new_tokens, eos).long().cumsum(dim=1) - torch.isin(new_tokens, eos).long()
    # a finished row keeps generating padding: only its tokens up to its first EOS count
    log_prob = chosen.masked_fill(finished_before[:, : chosen.shape[1]] > 0, 0.0).sum(dim=1)
    texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return [(text, float(p)) for text, p in zip(texts, log_prob.exp().tolist(), strict=True)]


def generate_labels(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    labels: Sequence[str],
    *,
    batch_size: int = 8,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    progress: bool = True,
) -> list[Prediction]:
    """Greedy generation, parsed to a label with :func:`instructerc_hf.label_parsing.parse_label`: each prediction's
    ``exact`` says whether the text held a label (False: a parser guess, or an empty text with ``label`` None)."""
    labels = validate_labels(labels)
    generated = generate_texts(
        model, tokenizer, prompts, batch_size=batch_size, max_new_tokens=max_new_tokens, progress=progress
    )
    predictions = []
    for text, probability in generated:
        parsed = parse_label(text, labels)
        predictions.append(Prediction(parsed.label, probability, text, parsed.exact))
    return predictions
