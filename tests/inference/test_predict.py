"""``predict``: scoring or generation, and the input it refuses."""

from __future__ import annotations

import pytest
from helpers import MELD_LABELS, PROMPTS

from instructerc_hf.inference.modes import predict
from instructerc_hf.inference.scoring import score_labels


def test_predict_dispatches_and_rejects_bad_input(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    assert predict(model, tokenizer, PROMPTS[:1], MELD_LABELS, "score", progress=False)[0].label in MELD_LABELS
    generated = predict(model, tokenizer, PROMPTS[:1], MELD_LABELS, "generate", max_new_tokens=2, progress=False)
    assert generated[0].generated_text is not None
    with pytest.raises(ValueError, match="mode must be one of"):
        predict(model, tokenizer, PROMPTS, MELD_LABELS, "beam")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicates"):
        score_labels(model, tokenizer, PROMPTS, ["sad", "sad"])
    with pytest.raises(ValueError, match="pack_tokens"):
        score_labels(model, tokenizer, PROMPTS, MELD_LABELS, pack_tokens=0)
