"""Adapter model cards: the whole rendered card, its Hub metadata, and the trainer callback that fills it."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from helpers import MELD_LABELS
from huggingface_hub import ModelCard

from instructerc_hf.cards.model_card import (
    DatasetSplit,
    ModelCardCallback,
    ModelCardData,
    render_model_card,
    write_model_card,
)
from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.tasks import prompt_config_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "model_card.md"


def card_data(**overrides: object) -> ModelCardData:
    config = ERCModelConfig(
        base_model="HuggingFaceTB/SmolLM2-135M-Instruct", datasets=["meld"], label_space="original",
        prompt=prompt_config_for(["meld"], "original"), tasks=[["speaker"], ["main", "impact"]],
    )
    data = ModelCardData(
        erc_config=config,
        model_id="instructerc/smollm2-meld-lora",
        train_data=[DatasetSplit("meld", "instructerc/meld", "main", "train", 9989)],
        hyperparameters={"learning_rate": 0.0002, "lora_r": 16, "lora_alpha": 32,
                         "stages": "speaker (939 steps, 3 epochs) -> main+impact (4695 steps, 15 epochs)"},
        training_log=[{"epoch": 1.0, "step": 313, "training_loss": 0.8123, "loss": 0.7456, "weighted_f1": 55.5}],
        framework_versions={"instructerc-hf": "0.1.0", "transformers": "5.23.0", "peft": "0.21.2"},
    )
    metrics = {"weighted_f1": 60.125, "accuracy": 62.5, "macro_f1": 40.0, "per_class": {}, "num_examples": 2610}
    data.add_evaluation(metrics, DatasetSplit("meld", "instructerc/meld", "main", "test", 2610))
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


def test_the_whole_rendered_card() -> None:
    """Regenerate the golden file with INSTRUCTERC_UPDATE_GOLDEN=1 after an intended template change."""
    rendered = render_model_card(card_data())
    if os.environ.get("INSTRUCTERC_UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_card_metadata_is_valid_hub_metadata(tmp_path: Path) -> None:
    card = ModelCard.load(write_model_card(card_data(), tmp_path))
    data = card.data
    assert data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert data.library_name == "peft" and data.pipeline_tag == "text-classification"
    assert data.datasets == ["instructerc/meld"]
    assert data.license == "other" and data.license_name  # SmolLM2 is Apache-2.0, MELD GPL-3.0
    assert "- HuggingFaceTB/SmolLM2-135M-Instruct: apache-2.0\n- MELD: gpl-3.0" in card.text
    assert "emotion-recognition-in-conversation" in data.tags
    results = {(r.dataset_split, r.metric_name): (r.metric_value, r.metric_args) for r in data.eval_results}
    assert results == {("test", "Weighted F1"): (60.12, {"average": "weighted"}), ("test", "Accuracy"): (62.5, None),
                       ("test", "Macro F1"): (40.0, {"average": "macro"})}
    assert all(r.dataset_type == "instructerc/meld" and r.dataset_config == "main" for r in data.eval_results)
    text = card.text
    for label in MELD_LABELS:
        assert f"`{label}`" in text
    assert 'pipeline("emotion-recognition-in-conversation", model="instructerc/smollm2-meld-lora")' in text
    assert "| MELD | `instructerc/meld` | main | train | 9989 |" in text


def test_card_without_training_or_evaluation_and_with_retrieval() -> None:
    data = card_data(evaluations=[], training_log=[], hyperparameters={}, train_data=[])
    data.erc_config.retrieval = {"top_k": 2}
    data.erc_config.base_model = "/home/me/.cache/smollm2"
    rendered = render_model_card(data)
    assert "model-index" not in rendered and "Not evaluated yet." in rendered and "Not recorded." in rendered
    assert "## Training results" not in rendered
    assert "Retrieved demonstrations (2 per prompt" in rendered
    assert "A LoRA adapter for `/home/me/.cache/smollm2`" in rendered  # a local path is not linked to the Hub
    assert "base_model:" not in rendered.split("\n---", 1)[0]  # nor named in the metadata, where the Hub rejects it


def test_training_on_the_embedded_weights_is_stated() -> None:
    data = card_data()
    data.erc_config.base_weights = "embedded"
    card = ModelCard(render_model_card(data))
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert "Training used the embedded weights" in card.text and "de-quantised" in card.text
    assert "Training used the embedded" not in render_model_card(card_data())


def test_local_data_is_described_not_listed_and_an_unknown_licence_is_stated() -> None:
    local = DatasetSplit("meld", None, "main", "train", 9989, "the raw MELD files (csv source), built on the fly")
    data = card_data(train_data=[local], evaluations=[])
    data.erc_config.base_model = "someone/unknown-base"
    card = ModelCard(render_model_card(data))
    assert card.data.datasets is None and card.data.license == "unknown"
    assert "| MELD | the raw MELD files (csv source), built on the fly | main | train | 9989 |" in card.text
    assert "- someone/unknown-base: unknown" in card.text
    assert "github.com" not in card.content  # no link to a repository that was never published


def test_card_data_round_trips_through_json() -> None:
    import json

    data = card_data()
    data.erc_config.base_weights = "embedded"
    again = ModelCardData.from_dict(json.loads(json.dumps(data.to_dict())))
    assert render_model_card(again) == render_model_card(data)


def test_a_later_evaluation_of_the_same_split_replaces_the_earlier() -> None:
    data = card_data()
    split = DatasetSplit("meld", "instructerc/meld", "main", "test")
    data.add_evaluation({"weighted_f1": 1.0}, split)
    data.add_evaluation({"loss": 0.3}, DatasetSplit("meld", "instructerc/meld", "main", "validation"))  # no metric
    assert [(e.data.split, e.metrics) for e in data.evaluations] == [("test", {"weighted_f1": 1.0})]


def test_callback_fills_the_card_during_a_real_training_run(tmp_path: Path) -> None:
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments

    from instructerc_hf.modeling import load_causal_lm, load_tokenizer
    from instructerc_hf.quiet import peft_wrapping
    from instructerc_hf.testing import build_tiny_llama

    base = build_tiny_llama(tmp_path / "base")
    with peft_wrapping():
        model = get_peft_model(load_causal_lm(base), LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    tokenizer = load_tokenizer(base)
    ids = [tokenizer(f"I love you. joyful{tokenizer.eos_token}")["input_ids"]] * 8
    rows = Dataset.from_dict({"input_ids": ids, "labels": ids})
    data = card_data(evaluations=[], training_log=[], hyperparameters={},
                     train_data=[DatasetSplit("meld", "instructerc/meld", "main", "train")])
    callback = ModelCardCallback(data, eval_data=DatasetSplit("meld", "instructerc/meld", "main", "validation"))
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, gradient_accumulation_steps=1,
        num_train_epochs=2, learning_rate=1e-3, eval_strategy="epoch", save_strategy="epoch", logging_steps=1,
        report_to=[], use_cpu=True, seed=3, disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, eval_dataset=rows, callbacks=[callback])
    with torch.random.fork_rng():
        trainer.train()
    hyper = data.hyperparameters
    assert hyper["learning_rate"] == 1e-3 and hyper["num_train_epochs"] == 2 and hyper["seed"] == 3
    assert hyper["total_train_batch_size"] == 4 and hyper["lora_r"] == 4
    assert hyper["lora_target_modules"] == ["q_proj", "v_proj"]
    assert data.train_data[0].num_rows == 8
    assert [row["step"] for row in data.training_log] == [2, 4]
    assert all(row["loss"] > 0 and row["training_loss"] > 0 for row in data.training_log)
    for folder in (tmp_path / "out", tmp_path / "out" / "checkpoint-2", tmp_path / "out" / "checkpoint-4"):
        card = ModelCard.load(folder / "README.md")
        assert card.data.library_name == "peft" and "instructerc" in card.data.tags
    assert "| 2.0 | 4 |" in (tmp_path / "out" / "README.md").read_text()
