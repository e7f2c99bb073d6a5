"""``instructerc-hf predict --mode generate`` shows the parser's guesses: every utterance carries ``exact``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CONVERSATION

from instructerc_hf.cli import main as cli


def test_generated_predictions_carry_exact(adapter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from instructerc_hf.inference import generation

    texts = [(" sad", 0.9), (" saad", 0.4), ("", 0.2), (" angry", 0.1)]
    monkeypatch.setattr(generation, "generate_texts", lambda *args, **kwargs: texts)
    conversation = tmp_path / "conversation.json"
    conversation.write_text(json.dumps(CONVERSATION), encoding="utf-8")
    out = tmp_path / "out.json"
    assert cli(["predict", "--model", str(adapter), "--mode", "generate", str(conversation), "--output", str(out)]) == 0
    printed = json.loads(out.read_text(encoding="utf-8"))
    assert [(p["text"], p["label"], p["exact"], p["generated_text"]) for p in printed] == [
        (t["text"], label, exact, text) for t, (label, exact), (text, _) in
        zip(CONVERSATION, [("sad", True), ("sad", False), (None, False), ("angry", True)], texts, strict=True)
    ]
