"""``instructerc-hf predict`` on a tiny adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CONVERSATION, MELD_LABELS

from instructerc_hf.cli import main as cli


def test_cli_predict(adapter: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conversation = tmp_path / "conversation.json"
    conversation.write_text(json.dumps(CONVERSATION), encoding="utf-8")
    assert cli(["predict", "--model", str(adapter), str(conversation)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in printed] == [t["text"] for t in CONVERSATION]
    assert all(p["label"] in MELD_LABELS for p in printed)
    out = tmp_path / "out.json"
    assert cli(["predict", "--model", str(adapter), "--mode", "generate", "--max_new_tokens", "2",
                str(conversation), "--output", str(out)]) == 0
    assert len(json.loads(out.read_text())) == len(CONVERSATION)
    assert cli(["predict", "--model", str(adapter), "--dtype", "bfloat16", str(conversation),
                "--output", str(out)]) == 0
    assert all(p["label"] in MELD_LABELS for p in json.loads(out.read_text()))
    capsys.readouterr()
    assert cli(["predict", "--model", str(adapter), "--dtype", "int8", str(conversation)]) == 2
    assert capsys.readouterr().err.startswith("instructerc-hf predict: error: --dtype must be one of")


def test_cli_predict_jsonl_writes_one_conversation_a_line(adapter: Path, tmp_path: Path) -> None:
    source = tmp_path / "conversations.jsonl"
    source.write_text(json.dumps(CONVERSATION) + "\n\n" + json.dumps(CONVERSATION[:2]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cli(["predict", "--model", str(adapter), str(source), "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [len(c) for c in lines] == [len(CONVERSATION), 2]
    assert [t["label"] for t in lines[1]] == [t["label"] for t in lines[0][:2]]  # each utterance sees only its past
    assert [t["score"] for t in lines[1]] == pytest.approx([t["score"] for t in lines[0][:2]], abs=1e-5)
