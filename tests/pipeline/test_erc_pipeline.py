"""The emotion-recognition-in-conversation pipeline and the predict / evaluate commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MELD_CSV, require
from tiny_adapter import MELD_LABELS, build_tiny_adapter
from transformers import pipeline

import instructerc_hf
from instructerc_hf.cli import main as cli
from instructerc_hf.pipeline.conversations import ConversationFormatError, conversation_turns
from instructerc_hf.pipeline.erc_pipeline import TASK, load_erc_pipeline
from instructerc_hf.records import Dialogue
from instructerc_hf.tasks import dialogue_rows, prompt_config_for

ROOT = Path(__file__).resolve().parents[1]
CONVERSATION = [
    {"speaker": "Joey", "text": "How you doin'?"},
    {"speaker": "Rachel", "text": "Oh my God! I can't believe it!"},
    {"speaker": "Joey", "text": "What? What's wrong?"},
    {"speaker": "Ross", "text": "We were on a break!"},
]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_adapter(tmp_path_factory.mktemp("pipeline") / "adapter")


@pytest.fixture(scope="module")
def erc(adapter: Path):  # noqa: ANN201
    return pipeline(instructerc_hf.PIPELINE_TASK, model=str(adapter))


def meld_test_dialogue() -> Dialogue:
    from instructerc_hf.readers import read_corpus

    corpus = read_corpus("meld", require(MELD_CSV), splits=("test",))
    return max(corpus.splits["test"][:20], key=len)  # a real test conversation, longer than the window


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_is_light_and_installs_the_registration_hook() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import instructerc_hf; t = time.perf_counter() - t\n"
        "from instructerc_hf.pipeline import registration\n"
        "assert 'transformers' not in sys.modules and 'torch' not in sys.modules, 'import pulled in heavy modules'\n"
        "assert registration._HOOK in sys.meta_path\n"
        "print(t)"
    )
    assert float(run_python(code).split()[-1]) < 1.0


def test_task_is_registered_once_transformers_pipelines_is_imported() -> None:
    from transformers.pipelines import PIPELINE_REGISTRY

    assert TASK in PIPELINE_REGISTRY.get_supported_tasks()  # transformers.pipelines was imported before: at once


@pytest.mark.slow
def test_import_hook_registers_the_task_on_first_import_of_transformers_pipelines() -> None:
    code = (
        "import instructerc_hf\n"
        "from transformers import pipeline\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert instructerc_hf.PIPELINE_TASK in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    run_python(code)


def test_importing_the_pipeline_module_first_registers_the_task() -> None:
    code = (
        "import instructerc_hf.pipeline.erc_pipeline\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert instructerc_hf.PIPELINE_TASK in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    run_python(code)


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


def test_speakers_are_numbered_by_first_appearance() -> None:
    assert [t.speaker_id for t in conversation_turns(CONVERSATION)] == [0, 1, 0, 2]
    given = [{**t, "speaker_id": 5} for t in CONVERSATION]
    assert {t.speaker_id for t in conversation_turns(given)} == {5}


def test_generate_mode(erc) -> None:  # noqa: ANN001
    outputs = erc(CONVERSATION, mode="generate", max_new_tokens=3)
    assert len(outputs) == len(CONVERSATION)
    assert all(o["label"] in MELD_LABELS and isinstance(o["generated_text"], str) for o in outputs)
    with pytest.raises(ValueError, match="mode must be one of"):
        erc(CONVERSATION, mode="sample")


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


def test_adapter_trained_with_retrieval_warns_without_a_retriever(tmp_path: Path) -> None:
    folder = build_tiny_adapter(tmp_path / "adapter", retrieval={"top_k": 1})
    with pytest.warns(UserWarning, match="without demonstrations"):
        erc = pipeline(TASK, model=str(folder))
    assert len(erc(CONVERSATION[:2])) == 2


class FixedRetriever:
    """Stands in for a fitted DemonstrationRetriever: the same demonstration for every query."""

    def __init__(self) -> None:
        from instructerc_hf.retrieval.config import RetrievalConfig
        from instructerc_hf.retrieval.domain_base import Demonstration, Utterance

        self.config = RetrievalConfig()
        self.demonstration = Demonstration(Utterance("I am so happy!", "joyful", "meld", "train-1", 0), 0.9)
        self.queries: list[str] = []

    def retrieve(self, queries: list[str]) -> list[list[object]]:
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


DOMAIN_BASE = [
    ("I'm so happy for you guys!", "joyful"), ("This is the worst day of my life.", "sad"),
    ("Get out of my apartment!", "angry"), ("What?! No way!", "surprise"), ("Okay, see you tomorrow.", "neutral"),
    ("That is so gross.", "disgust"), ("I'm scared, there's someone outside.", "fear"),
]


@pytest.fixture(scope="module")
def retrieval_adapter(tmp_path_factory: pytest.TempPathFactory, quiet_single_thread: None) -> Path:
    """A tiny adapter trained (as it were) with demonstrations: its retrieval config, own wording and domain base."""
    import dataclasses

    from instructerc_hf.retrieval.config import RetrievalConfig
    from instructerc_hf.retrieval.domain_base import DomainBase, Utterance

    folder = tmp_path_factory.mktemp("retrieval") / "adapter"
    retrieval = RetrievalConfig(balance="none", progress=False, cache_dir=str(folder.parent / "embeddings"))
    prompt = dataclasses.replace(prompt_config_for(["meld"], "original"), demonstration_position="before_history",
                                 demonstration_template=' Example: "{text}" is {label}.')
    build_tiny_adapter(folder, prompt=prompt, retrieval=retrieval.to_dict())
    base = [Utterance(text, label, "meld", str(i), 0) for i, (text, label) in enumerate(DOMAIN_BASE)]
    DomainBase.from_utterances(base, retrieval).save(folder)
    return folder


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


def test_evaluate_adds_the_saved_demonstrations(retrieval_adapter: Path, tmp_path: Path) -> None:
    from datasets import Dataset

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "plain"
    (folder / "main").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test-*.parquet\n---\n"
    )
    texts = [t["text"] for t in CONVERSATION]
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(4)], "text": texts, "task": ["main"] * 4,
            "label": ["sad", "angry"] * 2}
    Dataset.from_dict(rows).to_parquet(str(folder / "main" / "test-00000-of-00001.parquet"))
    metrics = evaluate_adapter(EvaluateArguments(model=str(retrieval_adapter), dataset=str(folder),
                                                 output_dir=str(tmp_path / "eval")))
    assert metrics["num_examples"] == 4 and 0 <= metrics["demonstration_copy_rate"] <= 1


@pytest.mark.slow
def test_real_meld_test_conversation_with_smollm2(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model

    try:
        base = resolve_base_model(None)
    except Exception as error:  # noqa: BLE001 - the optional offline model package
        pytest.skip(f"SmolLM2 unavailable: {error}")
    lora = LoraConfig(r=8, target_modules=["q_proj", "k_proj", "v_proj"], task_type="CAUSAL_LM")
    get_peft_model(load_causal_lm(base), lora).save_pretrained(tmp_path)
    load_tokenizer(base).save_pretrained(tmp_path)
    ERCModelConfig(base_model=base, datasets=["meld"], label_space="original",
                   prompt=prompt_config_for(["meld"], "original")).save_pretrained(tmp_path)
    dialogue = meld_test_dialogue()
    outputs = pipeline(TASK, model=str(tmp_path))([{"speaker": t.speaker, "text": t.text} for t in dialogue.turns])
    assert len(outputs) == len(dialogue)
    assert all(o["label"] in MELD_LABELS and 0 < o["score"] <= 1 for o in outputs)


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
    assert cli(["predict", "--model", str(adapter), "--dtype", "bfloat16", str(conversation), "--output", str(out)]) == 0
    assert all(p["label"] in MELD_LABELS for p in json.loads(out.read_text()))
    with pytest.raises(ValueError, match="--dtype must be one of"):
        cli(["predict", "--model", str(adapter), "--dtype", "int8", str(conversation)])


def test_cli_evaluate_writes_metrics_and_confusion_matrix(adapter: Path, tmp_path: Path) -> None:
    from instructerc_hf.data.export import BuildArguments, export_dataset

    data = tmp_path / "data"
    export_dataset(BuildArguments(dataset="meld", raw_dir=[str(require(MELD_CSV).parents[1])], out=str(data), tasks=["main"],
                                          label_spaces=["original"]), command="test")
    out = tmp_path / "eval"
    assert cli(["evaluate", "--model", str(adapter), "--dataset", str(data), "--split", "test", "--limit", "24",
                "--output_dir", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_examples"] == 24 and metrics["labels"] == list(MELD_LABELS)
    assert 0 <= metrics["weighted_f1"] <= 100 and metrics["unparseable_rate"] == 0
    assert "demonstration_copy_rate" not in metrics
    assert sum(map(sum, metrics["confusion_matrix"])) == 24
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 24


def test_evaluate_reports_the_demonstration_copy_rate(adapter: Path, tmp_path: Path) -> None:
    from datasets import Dataset

    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter

    folder = tmp_path / "demonstrated"
    (folder / "main").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n    path: main/test-*.parquet\n---\n"
    )
    rows = {"prompt": [f"Utterance {i}: what emotion?" for i in range(6)], "label": ["sad", "angry"] * 3,
            "demonstration_label": ["sad"] * 6}
    Dataset.from_dict(rows).to_parquet(str(folder / "main" / "test-00000-of-00001.parquet"))
    metrics = evaluate_adapter(EvaluateArguments(model=str(adapter), dataset=str(folder), output_dir=str(tmp_path)))
    written = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [w["gold"] for w in written] == rows["label"] and all(w["label"] in MELD_LABELS for w in written)
    assert metrics["demonstration_label_accuracy"] == 0.5
    assert 0 <= metrics["demonstration_copy_rate"] <= 1
