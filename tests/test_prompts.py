"""Prompts: byte-identical to the official InstructERC data files, the history window, demonstration placement."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
from helpers import DATA, OFFICIAL_NAMES, SAMPLES, numbered_dialogue, require

from instructerc_hf.prompts import INSTRUCTION, ROLE_SENTENCE, PromptConfig, demonstration_text, with_demonstration
from instructerc_hf.readers import read_corpus
from instructerc_hf.tasks import corpus_rows, dialogue_rows, prompt_config_for

TASK_FOLDERS = {"window12": "main", "speaker": "speaker", "plain": "plain", "predict_window12": "impact"}


SPLIT_FILES = {"train": "train", "valid": "validation", "test": "test"}


def _cases() -> list[tuple[str, Path]]:
    return [(name, path) for name, folder in OFFICIAL_NAMES.items()
            for path in sorted((SAMPLES / folder).glob("*/*.jsonl"))]


def _official_rows(dataset: str, split: str, task: str) -> list[dict[str, object]]:
    corpus = read_corpus(dataset, require(DATA / dataset / "raw"), "pickle", splits=(split,), repair_text=False)
    return list(corpus_rows(corpus.splits[split], task, prompt_config_for([dataset], "original")))


@pytest.mark.parametrize(
    ("dataset", "sample_file"), _cases(), ids=lambda v: str(v).split("official_prompt_samples/")[-1]
)
def test_prompts_are_byte_identical(dataset: str, sample_file: Path) -> None:
    task = TASK_FOLDERS[sample_file.parent.name]
    split = SPLIT_FILES[sample_file.name.split(".")[0]]
    samples = [json.loads(line) for line in sample_file.read_text(encoding="utf-8").splitlines()]
    rows = _official_rows(dataset, split, task)
    if "line21" in sample_file.name:  # line 21 of the test file: the window is cut to 12 previous turns
        rows = rows[20:21]
    if task == "impact":  # the official file stores "<main prompt>***<impact prompt>" in one input
        mains = _official_rows(dataset, split, "main")
        expected = [m["prompt"] + "***" + r["prompt"] for m, r in zip(mains, rows, strict=True)]
    else:
        expected = [r["prompt"] for r in rows]
    assert samples, sample_file
    for sample, prompt, row in zip(samples, expected[: len(samples)], rows[: len(samples)], strict=True):
        assert prompt.encode("utf-8") == sample["input"].encode("utf-8")
        assert str(row["completion"]).strip() == sample["target"]
        assert str(row["completion"]) == " " + sample["target"]


def test_window_is_exactly_twelve_previous_turns() -> None:
    sample = json.loads((require(SAMPLES) / "iemocap/window12/test.line21_window_truncated.jsonl").read_text())
    assert sample["input"].count("\t Speaker_") == 13


def test_history_never_includes_future_turns_and_respects_window() -> None:
    config = prompt_config_for(["meld"], "original", window=4)
    rows = list(dialogue_rows(numbered_dialogue(10), "main", config))
    for row in rows:
        turn = int(row["turn"])
        shown = [i for i in range(10) if f'"utterance {i}"' in str(row["prompt"])]
        assert shown == list(range(max(0, turn - 4), turn + 1))
    impact = list(dialogue_rows(numbered_dialogue(10), "impact", config))
    assert '"utterance 5"' not in impact[5]["prompt"] and '"utterance 4"' in impact[5]["prompt"]
    assert impact[0]["prompt"] == rows[0]["prompt"]  # official quirk: the first turn has no history


@pytest.mark.parametrize("position", ["after_statement", "before_history", "in_instruction"])
def test_demonstration_position(train_rows: datasets.Dataset, position: str) -> None:
    config = PromptConfig(labels=("neutral", "sad"), demonstration_position=position)
    prompt = train_rows[3]["prompt"]
    demo = demonstration_text("I see.", "neutral", config)
    placed = with_demonstration(prompt, demo, config)
    expected = {
        "after_statement": prompt + demo,
        "before_history": INSTRUCTION + demo.strip() + " " + prompt[len(INSTRUCTION) :],
        "in_instruction": ROLE_SENTENCE + demo.strip() + " " + prompt[len(ROLE_SENTENCE) :],
    }[position]
    assert placed == expected
