"""Training fixtures: synthetic MELD files whose words give the emotion, and a tiny random Llama that knows them."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from instructerc_hf.testing import build_tiny_llama

RAW_EMOTIONS = ("neutral", "joy", "sadness", "anger", "surprise", "fear", "disgust")
WORDS = ("great", "awful", "okay", "wow", "scary", "gross", "hate")
NAMES = ("Ross", "Rachel", "Joey", "Monica")


def write_meld_csvs(folder: Path, dialogues: dict[str, int], turns: tuple[int, int] = (3, 9), seed: int = 0) -> Path:
    """Synthetic MELD CSVs: ``dialogues[split]`` dialogues of random length; an utterance's word gives its emotion."""
    rng = random.Random(seed)
    files = {"train": "train_sent_emo.csv", "validation": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in dialogues.items():
        with (folder / files[split]).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID"])
            for dialogue in range(count):
                for utterance in range(rng.randint(*turns)):
                    emotion = rng.randrange(len(RAW_EMOTIONS))
                    text = f"Oh {WORDS[emotion]}, that is {WORDS[emotion]} {rng.randint(0, 99)}!"
                    writer.writerow([0, text, rng.choice(NAMES), RAW_EMOTIONS[emotion], "neutral", dialogue, utterance])
    return folder


@pytest.fixture(scope="session")
def meld_raw(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A MELD raw folder of 12 train, 4 validation and 2 test dialogues (tests only read it)."""
    return str(write_meld_csvs(tmp_path_factory.mktemp("meld"), {"train": 12, "validation": 4, "test": 2}))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random Llama whose vocabulary has the words of ``meld_raw`` (test_trainer.py has its own)."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"), vocab_words=[*WORDS, *NAMES])
