"""Official-compatible mode: prompts byte-identical to the official InstructERC data files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, REFERENCE, require

from instructerc_hf.data.builder import InstructERCBuilder
from instructerc_hf.readers import read_corpus
from instructerc_hf.records import Dialogue, Turn
from instructerc_hf.tasks import corpus_rows, dialogue_rows, prompt_config_for

SAMPLES = REFERENCE / "official_prompt_samples"
OFFICIAL_NAMES = {"meld": "meld", "emorynlp": "EmoryNLP", "iemocap": "iemocap"}
TASK_FOLDERS = {"window12": "main", "speaker": "speaker", "plain": "plain", "predict_window12": "impact"}
SPLIT_FILES = {"train": "train", "valid": "validation", "test": "test"}


def _cases() -> list[tuple[str, Path]]:
    return [(name, path) for name, folder in OFFICIAL_NAMES.items()
            for path in sorted((SAMPLES / folder).glob("*/*.jsonl"))]


def _official_rows(dataset: str, split: str, task: str) -> list[dict[str, object]]:
    corpus = read_corpus(dataset, require(DATA / dataset / "raw"), "pickle", splits=(split,), repair_text=False)
    return list(corpus_rows(corpus.splits[split], task, prompt_config_for([dataset], "original")))


@pytest.mark.parametrize(("dataset", "sample_file"), _cases(), ids=lambda v: str(v).split("official_prompt_samples/")[-1])
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


@pytest.mark.parametrize("split", ["validation", "test"])
def test_unified_mixed_prompts_are_byte_identical(tmp_path: Path, split: str) -> None:
    builder = InstructERCBuilder(
        config_name="unified-main-unified", cache_dir=str(tmp_path), official=True,
        raw_dir=[f"{name}={require(DATA / name / 'raw')}" for name in OFFICIAL_NAMES],
    )
    rows = builder.split_rows(split)
    name = "valid" if split == "validation" else "test"
    samples = [json.loads(line) for line in (require(SAMPLES) / f"unified_mixed/window12/{name}.head3.jsonl").open()]
    for sample, row in zip(samples, rows[: len(samples)], strict=True):
        assert row["prompt"] == sample["input"]
        assert row["completion"].strip() == sample["target"]


def _dialogue(n: int) -> Dialogue:
    turns = [Turn(f"S{i % 3}", i % 3, f"utterance {i}", "neutral", "neutral", str(i)) for i in range(n)]
    return Dialogue("meld", "test", "d", turns)


def test_history_never_includes_future_turns_and_respects_window() -> None:
    config = prompt_config_for(["meld"], "original", window=4)
    rows = list(dialogue_rows(_dialogue(10), "main", config))
    for row in rows:
        turn = int(row["turn"])
        shown = [i for i in range(10) if f'"utterance {i}"' in str(row["prompt"])]
        assert shown == list(range(max(0, turn - 4), turn + 1))
    impact = list(dialogue_rows(_dialogue(10), "impact", config))
    assert '"utterance 5"' not in impact[5]["prompt"] and '"utterance 4"' in impact[5]["prompt"]
    assert impact[0]["prompt"] == rows[0]["prompt"]  # official quirk: the first turn has no history


def test_unified_space_labels_and_speaker_offsets() -> None:
    config = prompt_config_for(["meld"], "unified")
    assert config.labels[:3] == ("joyful", "sad", "neutral")
    dialogue = _dialogue(3)
    rows = list(dialogue_rows(dialogue, "speaker", config, "unified"))
    assert [r["completion"] for r in rows] == [" Speaker_2", " Speaker_3", " Speaker_4"]  # MELD offset 2
    assert "Speaker_10>" in rows[0]["prompt"]
    everything = prompt_config_for(["iemocap", "meld", "emorynlp"], "unified")
    assert everything.speaker_label_text.endswith("Speaker_17, Speaker_18")
    with pytest.raises(ValueError, match="unknown task"):
        list(dialogue_rows(dialogue, "sentiment", config))
