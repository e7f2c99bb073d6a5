"""Inference over several processes: whole conversations per process, gathered in order, equal to one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import MELD_CSV, ROOT, require

from instructerc_hf.inference.sharding import conversation_shards, predict_sharded


def test_shards_keep_conversations_whole_balanced_and_in_order() -> None:
    keys = ["a"] * 3 + ["b"] + ["c"] * 4 + ["d"] * 2
    for n in (1, 2, 3, 4):
        shards = conversation_shards(keys, n)
        assert len(shards) == n and [i for s in shards for i in s] == list(range(len(keys)))
        for shard in shards:  # no conversation is split between shards
            assert all(set(keys[i] for i in shard).isdisjoint(keys[j] for j in other)
                       for other in shards if other is not shard)
    assert [len(s) for s in conversation_shards(keys, 2)] == [4, 6]
    assert conversation_shards(["x"], 2) == [[], [0]]


def test_one_process_runs_everything_once() -> None:
    calls: list[list[int]] = []
    assert predict_sharded(lambda rows: calls.append(rows) or [r * 10 for r in rows], ["a", "a", "b"]) == [0, 10, 20]
    assert calls == [[0, 1, 2]]


def evaluate(processes: int, adapter: Path, data: Path, out: Path) -> dict:
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
               "--mixed_precision", "no", "-m", "instructerc_hf.cli", "evaluate", "--model", str(adapter),
               "--dataset", str(data), "--split", "test", "--limit", "60", "--output_dir", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("weighted F1") == 1  # one report, from the main process
    return json.loads((out / "metrics.json").read_text())


@pytest.mark.distributed
def test_evaluate_on_two_processes_equals_one(adapter: Path, meld_folder: Path, tmp_path: Path) -> None:
    one = evaluate(1, adapter, meld_folder, tmp_path / "one")
    two = evaluate(2, adapter, meld_folder, tmp_path / "two")
    for key in ("weighted_f1", "accuracy", "macro_f1", "num_examples", "confusion_matrix"):
        assert two[key] == one[key], key
    rows = [[json.loads(line) for line in (tmp_path / name / "predictions.jsonl").read_text().splitlines()]
            for name in ("one", "two")]
    assert [r["label"] for r in rows[1]] == [r["label"] for r in rows[0]] and len(rows[0]) == 60
    assert [r["score"] for r in rows[1]] == pytest.approx([r["score"] for r in rows[0]], abs=1e-5)


def meld_conversations(count: int) -> list[list[dict[str, str]]]:
    """The first ``count`` real MELD test dialogues as predict's input."""
    from instructerc_hf.readers import read_corpus

    dialogues = read_corpus("meld", require(MELD_CSV), splits=("test",)).splits["test"][:count]
    return [[{"speaker": t.speaker, "text": t.text} for t in d.turns] for d in dialogues]


def predict(processes: int, adapter: Path, conversations: Path, out: Path) -> list[list[dict]]:
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
               "--mixed_precision", "no", "-m", "instructerc_hf.cli", "predict", "--model", str(adapter),
               str(conversations), "--output", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote") == 1  # the main process writes
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.distributed
def test_predict_jsonl_on_two_processes_equals_one(adapter: Path, tmp_path: Path) -> None:
    conversations = meld_conversations(8)
    source = tmp_path / "conversations.jsonl"
    source.write_text("\n".join(json.dumps(c) for c in conversations) + "\n", encoding="utf-8")
    one = predict(1, adapter, source, tmp_path / "one.jsonl")
    two = predict(2, adapter, source, tmp_path / "two.jsonl")
    assert [[t["text"] for t in c] for c in two] == [[t["text"] for t in c] for c in conversations]  # input order
    assert [[t["label"] for t in c] for c in two] == [[t["label"] for t in c] for c in one]
    assert [t["score"] for c in two for t in c] == pytest.approx([t["score"] for c in one for t in c], abs=1e-5)
