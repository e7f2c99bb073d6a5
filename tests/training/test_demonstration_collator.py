"""``DemonstrationCollator``: demonstrations drawn per batch, tokenized like TRL, stable across resumes (tiny model)."""

from __future__ import annotations

import dataclasses
import json
import runpy
from pathlib import Path
from typing import Any, cast

import datasets
import pytest
from helpers import MELD_CSV, ROOT, make_retriever, require
from transformers import TrainerState, TrainingArguments
from trl import SFTConfig

from instructerc_hf.configuration import ERCModelConfig
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.prompts import PromptConfig
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import DemonstrationRetriever
from instructerc_hf.training.arguments import ERCDataArguments, ERCRetrievalArguments
from instructerc_hf.training.data import (
    DEMONSTRATION_ROW,
    LOSS_WEIGHT,
    Demonstrator,
    prepare_task,
    with_loss_weight,
)
from instructerc_hf.training.demonstration_collator import (
    CollatorRows,
    DemonstrationCollator,
    DemonstrationEpochCallback,
)
from instructerc_hf.training.trainer import InstructERCTrainer

pytestmark = pytest.mark.usefixtures("quiet_single_thread")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def meld_rows(train_rows: datasets.Dataset) -> datasets.Dataset:
    """Real MELD main rows of the first 20 train dialogues, with a 2-turn history."""
    return train_rows.select(range(200))


@pytest.fixture(scope="module")
def retriever(train_rows: datasets.Dataset, cache_dir: str) -> DemonstrationRetriever:
    return make_retriever(train_rows, cache_dir)


def strategy(retriever: DemonstrationRetriever, **changes: Any) -> DemonstrationRetriever:
    """``retriever`` (fitted) with other config fields."""
    copy = object.__new__(DemonstrationRetriever)
    copy.__dict__.update(retriever.__dict__)
    copy.config = dataclasses.replace(retriever.config, **changes)
    return copy


def collator_for(rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig,
                 tokenizer: Any, max_length: int | None = None) -> tuple[datasets.Dataset, DemonstrationCollator]:
    """Collator injection set up on ``rows`` without fitting: the plain rows (with their row index) and the collator."""
    setup = CollatorRows(retriever, prompt_config, tokenizer)
    plain = setup.finish(setup.prepare(rows))
    return plain, setup.collator(max_length)


def sft_config(tmp_path: Path, **changes: Any) -> SFTConfig:
    options: dict[str, Any] = {
        "output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "activation_checkpointing": False,
        "max_length": None, "report_to": [], "save_strategy": "no", "logging_steps": 1, "disable_tqdm": True,
        "per_device_train_batch_size": 4, "learning_rate": 1e-3, "max_steps": 1,
    }
    return SFTConfig(**{**options, **changes})


@pytest.mark.parametrize("pairing", ["same_label", "all_labels"])
def test_top1_gives_the_map_time_prompts_and_tokens(
    meld_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig, tiny_dir: str,
    tmp_path: Path, pairing: str,
) -> None:
    top1 = strategy(retriever, train_pairing=pairing, top_k=2)
    mapped = add_demonstrations(meld_rows, top1, prompt_config, "train")
    tokenizer = load_tokenizer(tiny_dir)
    plain, collator = collator_for(meld_rows, top1, prompt_config, tokenizer)
    assert plain["prompt"] == meld_rows["prompt"] and plain[DEMONSTRATION_ROW] == list(range(len(meld_rows)))
    for epoch in (0, 3):
        collator.epoch = epoch
        assert [collator.prompt(row) for row in plain] == mapped["prompt"]  # byte-identical
    prepared = InstructERCTrainer(model=load_causal_lm(tiny_dir), args=sft_config(tmp_path),
                                  train_dataset=with_loss_weight(mapped, 1.0), processing_class=tokenizer)
    for i in range(0, len(plain), 9):  # TRL's own preparation of the map-time rows
        expected = cast(datasets.Dataset, prepared.train_dataset)[i]
        assert collator.features(plain[i]) == {k: expected[k] for k in ("input_ids", "labels")}


def test_batches_mask_the_prompt_and_keep_loss_weights(
    meld_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig, tiny_dir: str,
    tmp_path: Path,
) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    plain, collator = collator_for(meld_rows.select(range(6)), strategy(retriever, strategy="per_label"),
                                   prompt_config, tokenizer)
    impact = with_loss_weight(meld_rows.select(range(6, 8)), 0.1, demonstration_rows=True)  # no demonstrations
    rows = datasets.concatenate_datasets([with_loss_weight(plain, 1.0), impact])
    trainer = InstructERCTrainer(model=load_causal_lm(tiny_dir), data_collator=collator, train_dataset=rows,
                                 args=sft_config(tmp_path, per_device_train_batch_size=8),
                                 processing_class=tokenizer)
    assert cast(datasets.Dataset, trainer.train_dataset).column_names == rows.column_names  # not tokenized by TRL
    assert any(isinstance(c, DemonstrationEpochCallback) for c in trainer.callback_handler.callbacks)
    batch = next(iter(trainer.get_train_dataloader()))
    assert set(batch) == {"input_ids", "attention_mask", "labels", LOSS_WEIGHT}
    by_completion: dict[int, float] = {}
    for ids, labels, mask, weight in zip(batch["input_ids"], batch["labels"], batch["attention_mask"],
                                         batch[LOSS_WEIGHT], strict=True):
        trained = [int(t) for t, label in zip(ids, labels, strict=True) if label != -100]
        assert [int(label) for label in labels if label != -100] == trained  # labels are the ids there
        assert all(label == -100 for label, m in zip(labels, mask, strict=True) if m == 0)  # padding
        completion = str(tokenizer.decode(trained))
        assert completion.endswith(tokenizer.eos_token) and completion.count(tokenizer.eos_token) == 1
        assert completion.removesuffix(tokenizer.eos_token) in set(rows["completion"])
        by_completion[len(by_completion)] = float(weight)
    assert sorted(by_completion.values()) == pytest.approx([0.1] * 2 + [1.0] * 6)
    direct = collator([{**rows[i]} for i in range(len(rows))])  # called on its own, it keeps the weights too
    assert direct[LOSS_WEIGHT].tolist() == pytest.approx(rows[LOSS_WEIGHT])
    free = InstructERCTrainer(model=load_causal_lm(tiny_dir), data_collator=collator, train_dataset=rows,
                              args=sft_config(tmp_path, per_device_train_batch_size=8, padding_free=True,
                                              seed=trainer.args.seed), processing_class=tokenizer)
    flat = next(iter(free.get_train_dataloader()))  # the same rows and draws, flattened after the collator
    assert "attention_mask" not in flat and flat["input_ids"][0].tolist() == batch["input_ids"][
        batch["attention_mask"].bool()].tolist()
    assert flat[LOSS_WEIGHT][0].tolist() == pytest.approx(
        batch[LOSS_WEIGHT].repeat_interleave(batch["attention_mask"].sum(dim=1)).tolist())


def test_epoch_follows_the_trainer_state_also_after_a_resume(
    meld_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig, tiny_dir: str,
    tmp_path: Path,
) -> None:
    _, collator = collator_for(meld_rows.select(range(4)), retriever, prompt_config, load_tokenizer(tiny_dir))
    callback = collator.epoch_callback()
    args = TrainingArguments(str(tmp_path), use_cpu=True, report_to=[])
    for epoch, expected in ((None, 0), (0.0, 0), (1.0, 1), (1.5, 1), (2.0, 2)):  # 1.5: resumed mid-epoch
        callback.on_epoch_begin(args, TrainerState(epoch=epoch), None)  # type: ignore[arg-type]
        assert collator.epoch == expected
    callback.on_train_begin(args, TrainerState(epoch=2.25), None)  # type: ignore[arg-type]
    assert collator.epoch == 2
    persistent = TrainingArguments(str(tmp_path), use_cpu=True, report_to=[], dataloader_num_workers=2,
                                   dataloader_persistent_workers=True)
    with pytest.raises(ValueError, match="persistent_workers"):
        callback.on_train_begin(persistent, TrainerState(), None)  # type: ignore[arg-type]


@dataclasses.dataclass
class RecordingCollator(DemonstrationCollator):
    """Records ``(epoch, row) -> prompt`` of every prompt it builds."""

    seen: dict[tuple[int, int], str] = dataclasses.field(default_factory=dict)

    def prompt(self, example: dict[str, Any]) -> str:
        prompt = super().prompt(example)
        self.seen[(self.epoch, int(example[DEMONSTRATION_ROW]))] = prompt
        return prompt


def test_a_resumed_training_draws_what_the_uninterrupted_one_drew(
    meld_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig, tiny_dir: str,
    tmp_path: Path,
) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    plain, collator = collator_for(meld_rows.select(range(8)), strategy(retriever, strategy="per_label"),
                                   prompt_config, tokenizer)
    rows = with_loss_weight(plain, 1.0)

    def run(resume: str | None) -> dict[tuple[int, int], str]:
        recorder = RecordingCollator(tokenizer, collator.draws, prompt_config)
        args = sft_config(tmp_path / "run", max_steps=-1, num_train_epochs=2, save_strategy="steps", save_steps=1)
        trainer = InstructERCTrainer(model=load_causal_lm(tiny_dir), args=args, data_collator=recorder,
                                     train_dataset=rows, processing_class=tokenizer)
        trainer.train(resume_from_checkpoint=resume)
        assert trainer.state.global_step == 4  # 2 steps per epoch, 2 epochs
        return recorder.seen

    full = run(None)
    assert {epoch for epoch, _ in full} == {0, 1} and len(full) == 16
    assert sum(full[(0, r)] != full[(1, r)] for r in range(8)) >= 6  # new demonstrations in the second epoch
    for checkpoint, epochs_left in (("checkpoint-2", 8), ("checkpoint-3", 4)):  # after epoch 0; in the middle of 1
        resumed = run(str(tmp_path / "run" / checkpoint))
        assert len(resumed) == epochs_left and {epoch for epoch, _ in resumed} == {1}
        assert all(full[key] == prompt for key, prompt in resumed.items())


def test_fitting_leaves_room_for_every_draw(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    data = ERCDataArguments(raw_dir=[meld_raw], max_train_samples=24, max_eval_samples=4)
    options: dict[str, Any] = {"use_demonstrations": True, "retrieval_balance": "none", "retrieval_progress": False,
                               "retrieval_cache_dir": str(tmp_path / "embeddings")}
    prompts = PromptConfig(labels=("neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry"))
    mapped = prepare_task(data, "main", tokenizer, 200, Demonstrator(ERCRetrievalArguments(**options), prompts))
    top1 = prepare_task(data, "main", tokenizer, 200, Demonstrator(
        ERCRetrievalArguments(**options, demonstration_injection="collator"), prompts))
    assert mapped.fit["train"].num_shortened > 0  # histories were cut for the demonstration
    assert top1.collator is not None and top1.fit["train"].shortened == mapped.fit["train"].shortened
    assert [top1.collator.prompt(row) for row in top1.train] == mapped.train["prompt"]
    assert top1.validation["prompt"] == mapped.validation["prompt"]
    per_label = prepare_task(data, "main", tokenizer, 400, Demonstrator(ERCRetrievalArguments(
        **options, demonstration_injection="collator", demonstration_strategy="per_label", demonstration_k=3),
        prompts))
    assert per_label.collator is not None and per_label.fit["train"].num_shortened > 0
    for epoch in range(4):
        per_label.collator.epoch = epoch
        assert max(len(per_label.collator.features(row)["input_ids"]) for row in per_label.train) <= 400


def test_smoke_training_on_real_meld_draws_per_epoch(tiny_dir: str, tmp_path: Path) -> None:
    raw = str(require(MELD_CSV))
    main = runpy.run_path(str(ROOT / "examples" / "sft.py"), run_name="sft")["main"]
    summary = main([
        "--dataset", "meld", "--raw_dir", raw, "--fraction", "1/64", "--window", "2", "--max_train_samples", "4",
        "--max_eval_samples", "4", "--model_name_or_path", tiny_dir, "--output_dir", str(tmp_path / "run"),
        "--stage1_epochs", "0", "--stage2_tasks", "main", "impact", "--num_train_epochs", "2",
        "--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--max_length", "1024",
        "--use_cpu", "true", "--bf16", "false", "--learning_rate", "1e-3", "--eval_strategy", "epoch",
        "--save_strategy", "no", "--load_best_model_at_end", "false", "--logging_steps", "1", "--disable_tqdm",
        "true", "--report_to", "none", "--use_demonstrations", "true", "--demonstration_injection", "collator",
        "--demonstration_strategy", "per_label", "--demonstration_k", "4", "--retrieval_progress", "false",
        "--retrieval_cache_dir", str(tmp_path / "embeddings"), "--demonstration_draws", "2",
        "--train_sampling_strategy", "group_by_length",  # the collator's rows have no input_ids: lengths stand in
    ])
    stage = summary.stages[-1]
    assert (stage.global_step, stage.epochs, stage.rows) == (2, 2.0, {"main": 4, "impact": 4})
    assert "eval_weighted_f1" in summary.eval_metrics
    retrieval = ERCModelConfig.from_pretrained(tmp_path / "run").retrieval
    assert retrieval is not None
    assert (retrieval["injection"], retrieval["strategy"], retrieval["candidate_k"], retrieval["inference_draws"]) == (
        "collator", "per_label", 4, 2)
    state = json.loads((tmp_path / "run" / "trainer_state.json").read_text())
    assert [entry["epoch"] for entry in state["log_history"] if "loss" in entry] == [1.0, 2.0]
