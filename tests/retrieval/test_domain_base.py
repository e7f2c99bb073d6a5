"""Demonstration retrieval on real MELD with the real all-MiniLM-L6-v2 encoder.

Most tests use the first 60 train and 15 validation dialogues; the split-leak tests read the real full splits.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pytest

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.metrics import compute_erc_metrics
from instructerc_hf.prompts import INSTRUCTION, ROLE_SENTENCE, PromptConfig, demonstration_text, with_demonstration
from instructerc_hf.readers import read_corpus
from instructerc_hf.records import DialogueCorpus
from instructerc_hf.registry import DOMAIN_BASE_NAME
from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.domain_base import DomainBase, Utterance
from instructerc_hf.retrieval.errors import (
    DomainBaseFormatError,
    DomainBaseNotFoundError,
    EmptyDomainBaseError,
    EncoderLoadError,
    LabelNotInBaseError,
    NoDemonstrationError,
)
from instructerc_hf.retrieval.inject import DEMONSTRATION_COLUMNS, add_demonstrations, demonstrate_splits
from instructerc_hf.retrieval.retriever import DemonstrationRetriever, load_retriever
from instructerc_hf.tasks import corpus_rows, prompt_config_for

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MELD_RAW = DATA / "meld" / "raw" / "declare-lab__MELD"
N_TRAIN, N_VALID = 60, 15


@pytest.fixture(scope="module")
def corpus() -> DialogueCorpus:
    if not MELD_RAW.exists():
        pytest.skip(f"real MELD data not found at {MELD_RAW}")
    return read_corpus("meld", MELD_RAW)


@pytest.fixture(scope="module")
def prompt_config() -> PromptConfig:
    return prompt_config_for(["meld"], "original")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("embeddings"))


def rows(corpus: DialogueCorpus, split: str, n: int, config: PromptConfig, task: str = "main") -> datasets.Dataset:
    return datasets.Dataset.from_list(list(corpus_rows(corpus.splits[split][:n], task, config)))


@pytest.fixture(scope="module")
def train_rows(corpus: DialogueCorpus, prompt_config: PromptConfig) -> datasets.Dataset:
    return rows(corpus, "train", N_TRAIN, prompt_config)


@pytest.fixture(scope="module")
def valid_rows(corpus: DialogueCorpus, prompt_config: PromptConfig) -> datasets.Dataset:
    return rows(corpus, "validation", N_VALID, prompt_config)


def make_retriever(train_rows: datasets.Dataset, cache_dir: str, **kwargs: object) -> DemonstrationRetriever:
    config = RetrievalConfig(cache_dir=cache_dir, progress=False, **kwargs)  # type: ignore[arg-type]
    return DemonstrationRetriever(config).fit(DomainBase.from_rows(train_rows, config))


@pytest.fixture(scope="module")
def retriever(train_rows: datasets.Dataset, cache_dir: str) -> DemonstrationRetriever:
    return make_retriever(train_rows, cache_dir)


@pytest.fixture(scope="module")
def train_demo(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> datasets.Dataset:
    return add_demonstrations(train_rows, retriever, prompt_config, "train")


# --- the domain base ---------------------------------------------------------------------------------------------


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


# --- pairing -----------------------------------------------------------------------------------------------------


def test_training_demonstrations_same_label_never_own_dialogue(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever
) -> None:
    texts, labels = list(train_rows["text"]), list(train_rows["label"])
    own = [("meld", d) for d in train_rows["dialogue_id"]]
    found = retriever.retrieve(texts, own, labels, embeddings=retriever.embed(texts))
    for query, label, dialogue, demos in zip(texts, labels, own, found, strict=True):
        (demo,) = demos
        assert demo.label == label
        assert demo.utterance.dialogue != dialogue
        assert demo.text.casefold().split() != query.casefold().split()


def test_training_rows_carry_the_target_label(train_demo: datasets.Dataset, prompt_config: PromptConfig) -> None:
    assert train_demo["demonstration_label"] == train_demo["label"]
    for row in train_demo:
        worded = demonstration_text(row["demonstration_text"], row["demonstration_label"], prompt_config)
        assert row["prompt"].endswith(worded)
        assert -1.0 <= row["demonstration_score"] <= 1.0


def test_inference_never_reads_the_gold_label(
    valid_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> None:
    blind = add_demonstrations(valid_rows.remove_columns("label"), retriever, prompt_config, "inference")
    scrambled_labels = np.random.default_rng(0).permutation(valid_rows["label"]).tolist()
    scrambled = valid_rows.remove_columns("label").add_column("label", scrambled_labels)
    seen = add_demonstrations(scrambled, retriever, prompt_config, "inference")
    for column in ("prompt", *DEMONSTRATION_COLUMNS):
        assert blind[column] == seen[column]


def test_inference_same_label_needs_explicit_labels(
    train_rows: datasets.Dataset, valid_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    oracle = make_retriever(train_rows, cache_dir, inference_pairing="same_label")
    with pytest.raises(ValueError, match="passed explicitly"):
        add_demonstrations(valid_rows, oracle, prompt_config, "inference")
    gold = list(valid_rows["label"])
    out = add_demonstrations(valid_rows, oracle, prompt_config, "inference", labels=gold)
    assert out["demonstration_label"] == gold
    plain = make_retriever(train_rows, cache_dir)
    with pytest.raises(ValueError, match="never uses labels"):
        add_demonstrations(valid_rows, plain, prompt_config, "inference", labels=gold)


@pytest.mark.parametrize("train_pairing", ["same_label", "all_labels"])
@pytest.mark.parametrize("inference_pairing", ["same_label", "all_labels"])
def test_table10_combinations(
    train_rows: datasets.Dataset,
    valid_rows: datasets.Dataset,
    cache_dir: str,
    prompt_config: PromptConfig,
    train_pairing: str,
    inference_pairing: str,
) -> None:
    r = make_retriever(train_rows, cache_dir, train_pairing=train_pairing, inference_pairing=inference_pairing)
    train = add_demonstrations(train_rows, r, prompt_config, "train")
    labels = list(valid_rows["label"]) if inference_pairing == "same_label" else None
    valid = add_demonstrations(valid_rows, r, prompt_config, "inference", labels=labels)
    train_agreement = np.mean(np.array(train["demonstration_label"]) == np.array(train["label"]))
    valid_agreement = np.mean(np.array(valid["demonstration_label"]) == np.array(valid["label"]))
    assert (train_agreement == 1.0) == (train_pairing == "same_label")
    assert (valid_agreement == 1.0) == (inference_pairing == "same_label")


def test_all_labels_fraction_is_seeded(
    train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    def run(seed: int) -> list[str]:
        r = make_retriever(train_rows, cache_dir, all_labels_fraction=0.5, seed=seed)
        return list(add_demonstrations(train_rows, r, prompt_config, "train")["demonstration_label"])

    first = run(0)
    agreement = np.mean(np.array(first) == np.array(train_rows["label"]))
    assert 0.5 < agreement < 1.0
    assert run(0) == first


def test_deterministic_and_copy_rate_is_measurable(
    train_rows: datasets.Dataset, valid_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig
) -> None:
    config = RetrievalConfig(cache_dir=cache_dir, progress=False)
    splits = {"train": train_rows, "validation": valid_rows}
    first, second = demonstrate_splits(splits, prompt_config, config), demonstrate_splits(splits, prompt_config, config)
    assert all(first[s].to_dict() == second[s].to_dict() for s in splits)
    valid = first["validation"]
    copier = compute_erc_metrics(
        valid["demonstration_label"],
        valid["label"],
        prompt_config.labels,
        demonstration_labels=valid["demonstration_label"],
    )
    assert copier["demonstration_copy_rate"] == 1.0
    assert copier["demonstration_label_accuracy"] == copier["accuracy"] / 100


def test_other_tasks_pass_through(
    corpus: DialogueCorpus, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> None:
    mixed = [*corpus_rows(corpus.splits["train"][:3], "main", prompt_config)]
    mixed += corpus_rows(corpus.splits["train"][:3], "speaker", prompt_config)
    dataset = datasets.Dataset.from_list(mixed)
    out = add_demonstrations(dataset, retriever, prompt_config, "train")
    assert out.column_names == [*dataset.column_names, *DEMONSTRATION_COLUMNS]
    for before, after in zip(dataset, out, strict=True):
        if before["task"] == "main":
            assert after["prompt"] != before["prompt"] and after["demonstration_label"] == before["label"]
        else:
            assert after["prompt"] == before["prompt"]
            assert all(after[c] is None for c in DEMONSTRATION_COLUMNS)


def test_classlabel_rows(train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig) -> None:
    encoded = train_rows.cast_column("label", datasets.ClassLabel(names=list(prompt_config.labels)))
    r = make_retriever(encoded, cache_dir)
    out = add_demonstrations(encoded, r, prompt_config, "train")
    assert out["demonstration_label"] == train_rows["label"]


# --- prompts -----------------------------------------------------------------------------------------------------


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


def test_top_k_orders_demonstrations(train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig) -> None:
    r = make_retriever(train_rows, cache_dir, top_k=2, train_pairing="all_labels")
    found = r.retrieve(list(train_rows["text"][:20]))
    assert all(len(d) == 2 and d[0].score >= d[1].score for d in found)
    out = add_demonstrations(train_rows.select(range(20)), r, prompt_config, "train")
    assert out[0]["prompt"].endswith("".join(demonstration_text(d.text, d.label, prompt_config) for d in found[0]))


def test_ties_go_to_the_earlier_base_utterance(cache_dir: str) -> None:
    config = RetrievalConfig(cache_dir=cache_dir, progress=False, balance="none", top_k=2)
    same = [Utterance("I am so happy today!", "joyful", "meld", str(i), 0) for i in range(4)]
    base = DomainBase.from_utterances([*same, Utterance("Terrible news.", "sad", "meld", "9", 0)], config)
    (found,) = DemonstrationRetriever(config).fit(base).retrieve(["I'm happy"], exclude_dialogues=[("meld", "0")])
    assert [d.utterance.dialogue_id for d in found] == ["1", "2"]
    assert found[0].score == found[1].score


# --- the saved domain base -----------------------------------------------------------------------------------------


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


def adapter_folder(folder: Path, retrieval: RetrievalConfig | None, prompt_config: PromptConfig) -> Path:
    """The files of an adapter folder that retrieval reads: ``instructerc_config.json`` only."""
    config = ERCModelConfig(base_model="tiny", datasets=["meld"], label_space="original", prompt=prompt_config,
                            retrieval=retrieval.to_dict() if retrieval is not None else None)
    config.save_pretrained(folder)
    return folder


def test_load_retriever_rebuilds_the_training_retriever(
    retriever: DemonstrationRetriever, valid_rows: datasets.Dataset, prompt_config: PromptConfig, tmp_path: Path
) -> None:
    folder = adapter_folder(tmp_path / "adapter", retriever.config, prompt_config)
    retriever.base.save(folder)
    loaded = load_retriever(folder)
    assert loaded.config == retriever.config and loaded.base == retriever.base
    assert loaded._model is None  # the base's embeddings came from the training run's cache
    expected = add_demonstrations(valid_rows, retriever, prompt_config, "inference")
    assert add_demonstrations(valid_rows, loaded, prompt_config, "inference")["prompt"] == expected["prompt"]
    assert load_retriever(folder, top_k=2).config.top_k == 2


def test_load_retriever_errors(prompt_config: PromptConfig, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without retrieved demonstrations"):
        load_retriever(adapter_folder(tmp_path / "plain", None, prompt_config))
    with pytest.raises(DomainBaseNotFoundError, match=DOMAIN_BASE_NAME):
        load_retriever(adapter_folder(tmp_path / "no-base", RetrievalConfig(), prompt_config))


def test_load_retriever_from_a_hub_repo(
    retriever: DemonstrationRetriever, prompt_config: PromptConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub_server import LocalHub
    from huggingface_hub import HfApi, constants

    folder = adapter_folder(tmp_path / "adapter", retriever.config, prompt_config)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    with LocalHub(tmp_path / "hub") as hub:
        template = hub.url + "/{repo_id}/resolve/{revision}/{filename}"  # what HF_ENDPOINT sets on import
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
        api = HfApi(endpoint=hub.url, token=False)
        api.create_repo("someone/no-base")
        api.upload_folder(repo_id="someone/no-base", folder_path=folder)
        with pytest.raises(DomainBaseNotFoundError, match="someone/no-base"):
            load_retriever("someone/no-base")
        retriever.base.save(folder)
        api.create_repo("someone/erc")
        api.upload_folder(repo_id="someone/erc", folder_path=folder)
        loaded = load_retriever("someone/erc")
    assert loaded.base == retriever.base and loaded.config == retriever.config


# --- embeddings and errors -----------------------------------------------------------------------------------------


def test_embedding_cache_skips_the_encoder(retriever: DemonstrationRetriever, cache_dir: str) -> None:
    assert list(Path(cache_dir).glob("*.npy"))
    again = DemonstrationRetriever(retriever.config).fit(retriever.base)
    assert again._model is None  # every embedding came from the cache
    texts = retriever.base.texts
    np.testing.assert_array_equal(again.embed(texts), retriever.embed(texts))
    assert np.allclose(np.linalg.norm(again.embed(texts), axis=1), 1.0, atol=1e-5)


def test_empty_base() -> None:
    with pytest.raises(EmptyDomainBaseError, match="empty"):
        DomainBase.from_utterances([])
    with pytest.raises(EmptyDomainBaseError, match="empty"):
        DomainBase.from_utterances([Utterance("   ", "neutral", "meld", "0", 0)])


def test_label_absent_from_base(train_rows: datasets.Dataset, cache_dir: str, prompt_config: PromptConfig) -> None:
    neutral_only = train_rows.filter(lambda row: row["label"] == "neutral").select(range(4))
    r = make_retriever(neutral_only, cache_dir)
    assert r.base.label_counts() == {"neutral": 4}
    with pytest.raises(LabelNotInBaseError, match="'surprise'"):
        add_demonstrations(train_rows.select(range(12)), r, prompt_config, "train")


def test_no_admissible_demonstration(cache_dir: str) -> None:
    config = RetrievalConfig(cache_dir=cache_dir, progress=False)
    base = DomainBase.from_utterances(
        [Utterance("Hi there.", "neutral", "meld", "7", 0), Utterance("Go away!", "angry", "meld", "7", 1)], config
    )
    r = DemonstrationRetriever(config).fit(base)
    with pytest.raises(NoDemonstrationError, match="own dialogue"):
        r.retrieve(["Hello."], exclude_dialogues=[("meld", "7")])


def test_encoder_that_cannot_load(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-encoder"
    config = RetrievalConfig(encoder=str(missing), cache_dir=str(tmp_path), progress=False)
    base = DomainBase.from_utterances([Utterance("Hi.", "neutral", "meld", "0", 0)], config)
    with pytest.raises(EncoderLoadError, match="no-such-encoder"):
        DemonstrationRetriever(config).fit(base)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_k": 0},
        {"train_pairing": "oracle"},
        {"inference_pairing": "gold"},
        {"balance": "oversample"},
        {"balance": "none", "max_per_label": 10},
        {"all_labels_fraction": 1.5},
    ],
)
def test_bad_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetrievalConfig(**kwargs)  # type: ignore[arg-type]
