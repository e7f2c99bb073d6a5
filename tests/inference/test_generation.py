"""Greedy generation on a tiny adapter, and parsing its text into labels."""

from __future__ import annotations

from dataclasses import astuple

import pytest
import torch
from helpers import MELD_LABELS, PROMPTS

from instructerc_hf.inference.generation import generate_labels, generate_texts
from instructerc_hf.label_parsing import parse_label


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
        assert prediction.generated_text is not None
        assert (prediction.label, prediction.exact) == astuple(parse_label(prediction.generated_text, MELD_LABELS))
        assert prediction.label in MELD_LABELS or (prediction.label is None and not prediction.generated_text.strip())


def test_generated_predictions_flag_parser_guesses_and_give_empty_texts_no_label(
    loaded: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    from instructerc_hf.inference import generation

    texts = [(" sad", 0.9), (" The emotion is: angry.", 0.5), (" saad", 0.2), ("", 0.1), (" \n", 0.1)]
    monkeypatch.setattr(generation, "generate_texts", lambda *args, **kwargs: texts)
    model, tokenizer, _ = loaded
    predictions = generate_labels(model, tokenizer, PROMPTS[:1] * len(texts), MELD_LABELS, progress=False)
    assert [(p.label, p.exact) for p in predictions] == [
        ("sad", True), ("angry", True), ("sad", False), (None, False), (None, False)
    ]
    assert [(p.generated_text, p.score) for p in predictions] == texts
