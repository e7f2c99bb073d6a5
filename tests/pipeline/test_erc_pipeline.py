"""The emotion-recognition-in-conversation pipeline on tiny adapters: outputs, input formats, prompts, retrieval."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CONVERSATION, DOMAIN_BASE, MELD_CSV, MELD_LABELS, build_tiny_adapter, require
from transformers import pipeline

import instructerc_hf
from instructerc_hf.pipeline.conversations import ConversationFormatError, conversation_turns
from instructerc_hf.pipeline.erc_pipeline import TASK, load_erc_pipeline
from instructerc_hf.records import Dialogue
from instructerc_hf.tasks import dialogue_rows, prompt_config_for


@pytest.fixture(scope="module")
def erc(adapter: Path):  # noqa: ANN201
    return pipeline(instructerc_hf.PIPELINE_TASK, model=str(adapter))


def meld_test_dialogue() -> Dialogue:
    from instructerc_hf.readers import read_corpus

    corpus = read_corpus("meld", require(MELD_CSV), splits=("test",))
    return max(corpus.splits["test"][:20], key=len)  # a real test conversation, longer than the window


def test_pipeline_from_an_adapter_folder(erc, adapter: Path) -> None:  # noqa: ANN001
    outputs = erc(CONVERSATION)
    assert len(outputs) == len(CONVERSATION)
    for output in outputs:
        assert set(output) == {"label", "score"}
        assert output["label"] in MELD_LABELS and 0.0 < output["score"] <= 1.0
    assert [o["label"] for o in load_erc_pipeline(adapter)(CONVERSATION)] == [o["label"] for o in outputs]


def test_each_utterance_sees_only_its_past(erc) -> None:  # noqa: ANN001
    full = erc(CONVERSATION)
    for k in range(1, len(CONVERSATION)):
        prefix = erc(CONVERSATION[:k])
        assert [o["label"] for o in prefix] == [o["label"] for o in full[:k]]
        assert [o["score"] for o in prefix] == pytest.approx([o["score"] for o in full[:k]], rel=1e-4)


def test_input_formats_agree(erc) -> None:  # noqa: ANN001
    expected = [o["label"] for o in erc(CONVERSATION)]
    speakers, texts = [t["speaker"] for t in CONVERSATION], [t["text"] for t in CONVERSATION]
    rows = [{"dialogue_id": "7", "turn": i, "label": "x", **t} for i, t in enumerate(CONVERSATION)]
    for same in ({"turns": CONVERSATION}, {"speakers": speakers, "utterances": texts}, rows):
        assert [o["label"] for o in erc(same)] == expected
    both = erc([CONVERSATION, CONVERSATION[:2]])
    assert [[o["label"] for o in outputs] for outputs in both] == [expected, expected[:2]]
    for bad in ([{"text": "no speaker"}], [{"speaker": "A", "text": 3}], {"utterances": ["a"]}, "just text"):
        with pytest.raises(ConversationFormatError):
            erc(bad)


def test_generate_mode(erc) -> None:  # noqa: ANN001
    from instructerc_hf.label_parsing import parse_label

    outputs = erc(CONVERSATION, mode="generate", max_new_tokens=3)
    assert len(outputs) == len(CONVERSATION)
    for output in outputs:
        assert set(output) == {"label", "score", "generated_text", "exact"}
        parsed = parse_label(output["generated_text"], MELD_LABELS)
        assert (output["label"], output["exact"]) == (parsed.label, parsed.exact)
    with pytest.raises(ValueError, match="mode must be one of"):
        erc(CONVERSATION, mode="sample")


def test_generate_mode_shows_parser_guesses_and_gives_an_empty_generation_no_label(
    erc, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from instructerc_hf.inference import generation

    texts = [(" sad", 0.9), (" saad", 0.4), ("", 0.2), (" I feel angry", 0.1)]
    monkeypatch.setattr(generation, "generate_texts", lambda *args, **kwargs: texts)
    outputs = erc(CONVERSATION, mode="generate")
    assert [(o["label"], o["exact"], o["generated_text"]) for o in outputs] == [
        ("sad", True, " sad"), ("sad", False, " saad"), (None, False, ""), ("angry", True, " I feel angry")
    ]
    assert [set(o) for o in erc(CONVERSATION)] == [{"label", "score"}] * len(CONVERSATION)  # scoring: exact by design


def test_bad_turns_are_refused_at_the_call_naming_the_turn(erc) -> None:  # noqa: ANN001
    with pytest.raises(ConversationFormatError, match="turn 1 has an empty text"):
        erc([CONVERSATION[0], {"speaker": "Rachel", "text": "  "}])
    with pytest.raises(ConversationFormatError, match="turn 0 has speaker_id='abc'"):
        erc([{**t, "speaker_id": "abc"} for t in CONVERSATION])
    with pytest.raises(ConversationFormatError, match="turn 1 has no speaker_id but turn 0 has one"):
        erc([{**CONVERSATION[0], "speaker_id": 0}, CONVERSATION[1]])


def test_prompts_are_the_training_prompts(erc) -> None:  # noqa: ANN001
    dialogue = meld_test_dialogue()
    rows = list(dialogue_rows(dialogue, "main", prompt_config_for(["meld"], "original")))
    turns = [{"speaker": t.speaker, "text": t.text} for t in dialogue.turns]
    assert erc.prompts_for(turns) == [r["prompt"] for r in rows]


def test_real_meld_test_conversation_gets_one_valid_label_per_utterance(erc) -> None:  # noqa: ANN001
    dialogue = meld_test_dialogue()
    outputs = erc([{"speaker": t.speaker, "text": t.text} for t in dialogue.turns])
    assert len(outputs) == len(dialogue) > 12
    assert all(o["label"] in MELD_LABELS for o in outputs)


class FixedRetriever:
    """Stands in for a fitted DemonstrationRetriever: the same demonstration for every query."""

    def __init__(self) -> None:
        from instructerc_hf.retrieval.config import RetrievalConfig
        from instructerc_hf.retrieval.domain_base import Demonstration, Utterance

        self.config = RetrievalConfig()
        self.demonstration = Demonstration(Utterance("I am so happy!", "joyful", "meld", "train-1", 0), 0.9)
        self.queries: list[str] = []

    def retrieve(self, queries: list[str], *unused: object) -> list[list[object]]:
        self.queries += queries
        return [[self.demonstration] for _ in queries]


def test_demonstrations_from_a_given_retriever(tmp_path: Path) -> None:
    import warnings

    from instructerc_hf.prompts import demonstration_text, main_prompt, with_demonstration

    folder = build_tiny_adapter(tmp_path / "adapter", retrieval={"top_k": 1})
    retriever = FixedRetriever()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        erc = pipeline(TASK, model=str(folder), retriever=retriever)
    config = erc.erc_config.prompt
    turns = conversation_turns(CONVERSATION)
    worded = demonstration_text("I am so happy!", "joyful", config)
    expected = [with_demonstration(main_prompt(turns, i, config), worded, config) for i in range(len(turns))]
    assert erc.prompts_for(CONVERSATION) == expected
    assert retriever.queries == [t["text"] for t in CONVERSATION]
    assert [o["label"] in MELD_LABELS for o in erc(CONVERSATION)] == [True] * len(CONVERSATION)


def test_pipeline_rebuilds_the_saved_retriever(retrieval_adapter: Path) -> None:
    import warnings

    from datasets import Dataset

    from instructerc_hf.prompts import main_prompt
    from instructerc_hf.retrieval.inject import add_demonstrations
    from instructerc_hf.retrieval.retriever import load_retriever

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        erc = pipeline(TASK, model=str(retrieval_adapter))
        loaded = load_erc_pipeline(retrieval_adapter)
    config = erc.erc_config.prompt
    turns = conversation_turns(CONVERSATION)
    rows = Dataset.from_dict({"prompt": [main_prompt(turns, i, config) for i in range(len(turns))],
                              "text": [t.text for t in turns], "task": ["main"] * len(turns)})
    demonstrated = add_demonstrations(rows, load_retriever(retrieval_adapter), config, mode="inference")
    prompts = erc.prompts_for(CONVERSATION)
    assert prompts == demonstrated["prompt"] == loaded.prompts_for(CONVERSATION)
    for prompt, text, label in zip(prompts, demonstrated["demonstration_text"], demonstrated["demonstration_label"],
                                   strict=True):
        assert f'Example: "{text}" is {label}. \t Speaker_' in prompt  # the saved wording, before the history
    assert {(t, lab) for t, lab in zip(demonstrated["demonstration_text"], demonstrated["demonstration_label"],
                                       strict=True)} <= set(DOMAIN_BASE)
    with_gold = [{**turn, "label": "disgust"} for turn in CONVERSATION]
    assert erc.prompts_for(with_gold) == prompts  # a gold label never pairs a demonstration
    assert all(o["label"] in MELD_LABELS for o in erc(CONVERSATION))


def test_a_given_retriever_wins_over_the_saved_one(retrieval_adapter: Path) -> None:
    from instructerc_hf.retrieval.retriever import load_retriever

    retriever = FixedRetriever()
    erc = pipeline(TASK, model=str(retrieval_adapter), retriever=retriever)
    assert erc.retriever is retriever
    assert all('Example: "I am so happy!" is joyful.' in p for p in erc.prompts_for(CONVERSATION))
    oracle = load_retriever(retrieval_adapter, inference_pairing="same_label")
    with pytest.raises(ValueError, match="same_label"):
        load_erc_pipeline(retrieval_adapter, retriever=oracle)


@pytest.mark.slow
def test_real_meld_test_conversation_with_smollm2(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model
    from instructerc_hf.quiet import peft_wrapping

    try:
        base = resolve_base_model(None)
    except Exception as error:  # noqa: BLE001 - the optional offline model package
        pytest.skip(f"SmolLM2 unavailable: {error}")
    lora = LoraConfig(r=8, target_modules=["q_proj", "k_proj", "v_proj"], task_type="CAUSAL_LM")
    with peft_wrapping():
        get_peft_model(load_causal_lm(base), lora).save_pretrained(tmp_path)
    load_tokenizer(base).save_pretrained(tmp_path)
    ERCModelConfig(base_model=base, datasets=["meld"], label_space="original",
                   prompt=prompt_config_for(["meld"], "original")).save_pretrained(tmp_path)
    dialogue = meld_test_dialogue()
    outputs = pipeline(TASK, model=str(tmp_path))([{"speaker": t.speaker, "text": t.text} for t in dialogue.turns])
    assert len(outputs) == len(dialogue)
    assert all(o["label"] in MELD_LABELS and 0 < o["score"] <= 1 for o in outputs)


def test_lists_generators_and_datasets_with_batch_size_give_the_single_call_labels(erc) -> None:  # noqa: ANN001
    from datasets import Dataset
    from transformers.pipelines.pt_utils import KeyDataset

    conversations = [CONVERSATION, CONVERSATION[:2], CONVERSATION[1:]]
    single = [erc(c) for c in conversations]

    def same(outputs: object) -> None:  # batched scoring packs other prompts together: equal up to float rounding
        outputs = list(outputs)  # type: ignore[call-overload]
        assert [[o["label"] for o in c] for c in outputs] == [[o["label"] for o in c] for c in single]
        scores = [o["score"] for c in outputs for o in c]
        assert scores == pytest.approx([o["score"] for c in single for o in c], abs=1e-5)

    same(erc(conversations, batch_size=2))
    same(erc((c for c in conversations), batch_size=3))
    rows = Dataset.from_list([{"turns": c} for c in conversations])
    same(erc(KeyDataset(rows, "turns"), batch_size=2))
    same(erc(rows, batch_size=2))  # rows with a `turns` list are conversations too


def test_top_k_gives_the_most_likely_labels_from_label_scoring(erc) -> None:  # noqa: ANN001
    best = erc(CONVERSATION)
    ranked = erc(CONVERSATION, top_k=len(MELD_LABELS))
    for one, every in zip(best, ranked, strict=True):
        assert sorted(o["label"] for o in every) == sorted(MELD_LABELS)
        assert every[0]["label"] == one["label"] and every[0]["score"] == pytest.approx(one["score"])
        assert [o["score"] for o in every] == sorted((o["score"] for o in every), reverse=True)
        assert sum(o["score"] for o in every) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="top_k needs label scoring"):
        erc(CONVERSATION, top_k=2, mode="generate")


def test_an_adapter_trained_on_the_plain_prompt_gets_plain_prompts(tmp_path: Path) -> None:
    from instructerc_hf.prompts import plain_prompt

    folder = build_tiny_adapter(tmp_path / "plain", tasks=[["plain"]])
    erc = load_erc_pipeline(folder)
    turns = conversation_turns(CONVERSATION)
    assert erc.prompts_for(CONVERSATION) == [plain_prompt(t, erc.erc_config.prompt) for t in turns]
    assert len(erc(CONVERSATION)) == len(CONVERSATION)


def test_pipeline_takes_dtype_and_device(adapter: Path) -> None:
    import torch

    erc = pipeline(instructerc_hf.PIPELINE_TASK, model=str(adapter), dtype=torch.bfloat16, device="cpu")
    assert erc.model.dtype == torch.bfloat16 and erc.device.type == "cpu"
    assert all(o["label"] in MELD_LABELS for o in erc(CONVERSATION))
