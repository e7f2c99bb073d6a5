"""The domain base of demonstrations: real MELD train utterances only, label balancing, the saved file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import datasets
import pytest

from instructerc_hf.prompts import PromptConfig
from instructerc_hf.records import DialogueCorpus
from instructerc_hf.registry import DOMAIN_BASE_NAME
from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.domain_base import DomainBase, Utterance
from instructerc_hf.retrieval.errors import DomainBaseFormatError, EmptyDomainBaseError
from instructerc_hf.tasks import corpus_rows


@pytest.mark.parametrize("balance", ["none", "per_label_cap"])
def test_base_holds_only_train_utterances(corpus: DialogueCorpus, balance: str) -> None:
    base = DomainBase.from_corpus(corpus, RetrievalConfig(balance=balance))  # type: ignore[arg-type]
    train = {(d.dialogue_id, i): (t.text, t.label) for d in corpus.splits["train"] for i, t in enumerate(d.turns)}
    assert all(train.get((u.dialogue_id, u.turn)) == (u.text, u.label) for u in base.utterances)
    held_out = {t.text for s in ("validation", "test") for d in corpus.splits[s] for t in d.turns}
    only_held_out = held_out - {text for text, _ in train.values()}
    assert len(only_held_out) > 3000  # the real splits: most held-out texts occur nowhere in train
    assert not only_held_out & set(base.texts)
    if balance == "none":
        assert len(base) == corpus.num_utterances("train")


def test_base_refuses_other_splits(corpus: DialogueCorpus, prompt_config: PromptConfig) -> None:
    with pytest.raises(ValueError, match="train split only"):
        DomainBase.from_dialogues(corpus.splits["validation"][:2])
    held_out = list(corpus_rows(corpus.splits["test"][:2], "main", prompt_config))
    with pytest.raises(ValueError, match="train split only"):
        DomainBase.from_rows(datasets.Dataset.from_list(held_out, split=datasets.Split.TEST))


def test_balancing_caps_every_label(corpus: DialogueCorpus) -> None:
    counts = Counter(t.label for d in corpus.splits["train"] for t in d.turns)
    balanced = DomainBase.from_corpus(corpus)
    assert balanced.label_counts() == {label: min(counts.values()) for label in counts}
    capped = DomainBase.from_corpus(corpus, RetrievalConfig(max_per_label=500))
    assert capped.label_counts() == {label: min(n, 500) for label, n in sorted(counts.items())}
    assert DomainBase.from_corpus(corpus, RetrievalConfig(seed=0)) == balanced
    assert DomainBase.from_corpus(corpus, RetrievalConfig(seed=1)) != balanced


def test_base_counts_each_utterance_once_and_hides_speakers(
    corpus: DialogueCorpus, prompt_config: PromptConfig
) -> None:
    mixed = [*corpus_rows(corpus.splits["train"][:5], "main", prompt_config)]
    mixed += corpus_rows(corpus.splits["train"][:5], "speaker", prompt_config)
    base = DomainBase.from_rows(mixed, RetrievalConfig(balance="none"))
    assert len(base) == sum(len(d) for d in corpus.splits["train"][:5])
    assert not hasattr(base.utterances[0], "speaker")


def test_saved_base_round_trips(tmp_path: Path) -> None:
    odd = ["Ça va? «Non» \u2028 next line", "tab\tand \"quotes\"\nand newline", "lone surrogate \ud800",
           "日本語 🙂"]
    base = DomainBase(tuple(Utterance(t, "joyful" if i % 2 else "sad", "meld", f"d{i}", i) for i, t in enumerate(odd)))
    path = base.save(tmp_path)
    assert path == tmp_path / DOMAIN_BASE_NAME
    text = path.read_bytes().decode("utf-8")  # valid UTF-8, non-ASCII written as is
    assert len(text.splitlines()) == len(odd) + 1 and "日本語" in text  # U+2028 splits str.splitlines() only
    assert DomainBase.load(tmp_path) == base == DomainBase.load(path)


def test_saved_real_base_round_trips(corpus: DialogueCorpus, tmp_path: Path) -> None:
    base = DomainBase.from_corpus(corpus)  # the balanced MELD base
    assert len(base) == 1876
    assert DomainBase.load(base.save(tmp_path)) == base
    assert (tmp_path / DOMAIN_BASE_NAME).stat().st_size < 500_000


ENTRY = '{"text": "hi", "label": "sad", "dataset": "meld", "dialogue_id": "1", "turn": 0}'


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (ENTRY + "\nnot json\n", "line 2: not JSON"),
        ('["hi", "sad"]\n', "line 1: expected an object"),
        (ENTRY.replace(', "turn": 0', "") + "\n", r"line 1: .*got \['dataset', 'dialogue_id', 'label', 'text'\]"),
        (ENTRY.replace('"1"', "1").replace("0}", "true}") + "\n",
         r"line 1: \['dialogue_id', 'turn'\] must be of type \['str', 'int'\]"),
    ],
)
def test_bad_saved_base_names_file_and_line(tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / DOMAIN_BASE_NAME).write_text(content, encoding="utf-8")
    with pytest.raises(DomainBaseFormatError, match=match) as error:
        DomainBase.load(tmp_path)
    assert DOMAIN_BASE_NAME in str(error.value)


def test_empty_saved_base(tmp_path: Path) -> None:
    (tmp_path / DOMAIN_BASE_NAME).write_text("\n", encoding="utf-8")
    with pytest.raises(EmptyDomainBaseError, match=DOMAIN_BASE_NAME):
        DomainBase.load(tmp_path)


def test_empty_base() -> None:
    with pytest.raises(EmptyDomainBaseError, match="empty"):
        DomainBase.from_utterances([])
    with pytest.raises(EmptyDomainBaseError, match="empty"):
        DomainBase.from_utterances([Utterance("   ", "neutral", "meld", "0", 0)])
