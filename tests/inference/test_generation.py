"""Greedy generation on a tiny adapter, and parsing its text into labels."""

from __future__ import annotations

import pytest
import torch
from helpers import MELD_LABELS, PROMPTS

from instructerc_hf.inference.generation import generate_labels, generate_texts


def test_generation_equals_a_manual_greedy_loop(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    batched = generate_texts(model, tokenizer, PROMPTS, batch_size=3, max_new_tokens=5, progress=False)
    for prompt, (text, probability) in zip(PROMPTS, batched, strict=True):
        ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
        log_prob = 0.0
        with torch.no_grad():
            for _ in range(5):
                log_probs = model(input_ids=ids).logits[0, -1].log_softmax(-1)
                token = int(log_probs.argmax())
                log_prob += float(log_probs[token])
                if token == tokenizer.eos_token_id:
                    break
                ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
        start = len(tokenizer(prompt)["input_ids"])
        assert text == tokenizer.decode(ids[0, start:], skip_special_tokens=True)
        assert probability == pytest.approx(float(torch.tensor(log_prob).exp()), rel=1e-3, abs=1e-30)


def test_generate_labels_parses_like_the_official_evaluation(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    predictions = generate_labels(model, tokenizer, PROMPTS, MELD_LABELS, max_new_tokens=4, progress=False)
    for prediction in predictions:
        assert prediction.label in MELD_LABELS
        assert prediction.generated_text is not None
        assert prediction.exact == any(label in prediction.generated_text for label in MELD_LABELS) or (
            not prediction.exact and prediction.label in MELD_LABELS
        )
