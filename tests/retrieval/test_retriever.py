"""The demonstration retriever on real MELD: what it may return, top-k order and ties, loading a saved one."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from helpers import make_retriever

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.prompts import PromptConfig, demonstration_text
from instructerc_hf.registry import DOMAIN_BASE_NAME
from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.domain_base import DomainBase, Utterance
from instructerc_hf.retrieval.errors import DomainBaseNotFoundError, LabelNotInBaseError, NoDemonstrationError
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import DemonstrationRetriever, load_retriever


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
