"""``InstructERCTrainer``: per-example loss weights on top of TRL's ``SFTTrainer`` (tiny model, CPU)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.testing import build_tiny_llama
from instructerc_hf.training.data import LOSS_WEIGHT
from instructerc_hf.training.trainer import InstructERCTrainer, weighted_token_loss

ROWS = [
    ('Speaker_0: "I am so happy today!"\tThe emotion is:', " joyful"),
    ('Speaker_1: "Leave me alone."\tThe emotion is:', " angry"),
    ('Speaker_0: "Okay, fine."\tThe emotion is:', " neutral"),
    ('Speaker_1: "I miss her so much."\tThe emotion is:', " sad"),
]


pytestmark = pytest.mark.usefixtures("quiet_single_thread")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"))


def make_dataset(weights: list[float] | None, rows: list[tuple[str, str]] = ROWS) -> Dataset:
    """Prompt-completion rows, with a ``task`` column and, unless ``weights`` is None, a ``loss_weight`` column."""
    records: list[dict[str, Any]] = [
        {"prompt": prompt, "completion": completion, "task": "main"} for prompt, completion in rows
    ]
    for record, weight in zip(records, weights or [], strict=False):
        record[LOSS_WEIGHT] = weight
    return Dataset.from_list(records)


def make_trainer(cls: type[SFTTrainer], tiny_dir: str, dataset: Dataset, tmp_path: Path, **config: Any) -> SFTTrainer:
    defaults: dict[str, Any] = {"per_device_train_batch_size": len(dataset), "max_steps": 1, "learning_rate": 1e-2}
    args = SFTConfig(
        output_dir=str(tmp_path),
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        max_length=128,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        **{**defaults, **config},
    )
    return cls(
        model=load_causal_lm(tiny_dir), args=args, train_dataset=dataset, processing_class=load_tokenizer(tiny_dir)
    )


def loss_and_grads(trainer: SFTTrainer) -> tuple[float, dict[str, torch.Tensor]]:
    """One forward/backward on the whole (prepared) training set as one batch, in dataset order."""
    dataset = trainer.train_dataset
    inputs = trainer._prepare_inputs(trainer.data_collator([dataset[i] for i in range(len(dataset))]))
    trainer.model.train()
    loss = trainer.compute_loss(trainer.model, inputs)
    loss.backward()
    return loss.item(), {name: p.grad.clone() for name, p in trainer.model.named_parameters()}


def assert_grads_close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], scale: float = 1.0) -> None:
    for name in a:
        torch.testing.assert_close(a[name], b[name] * scale, rtol=1e-5, atol=1e-7, msg=name)


def test_batches_carry_loss_weight_and_eos_terminated_completion_labels(tiny_dir: str, tmp_path: Path) -> None:
    trainer = make_trainer(InstructERCTrainer, tiny_dir, make_dataset([1.0, 0.1, 1.0, 0.0]), tmp_path)
    batch = next(iter(trainer.get_train_dataloader()))
    assert set(batch) == {"input_ids", "attention_mask", "labels", LOSS_WEIGHT}  # `task`, strings: dropped
    assert sorted(batch[LOSS_WEIGHT].tolist()) == pytest.approx([0.0, 0.1, 1.0, 1.0])
    row = trainer.train_dataset[0]
    tokenizer = trainer.processing_class
    trained = [token for token, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    assert tokenizer.decode(trained) == row["completion"] == ROWS[0][1] + tokenizer.eos_token


def test_zero_weight_examples_contribute_no_gradient(tiny_dir: str, tmp_path: Path) -> None:
    weights = [1.0, 0.0, 1.0, 0.0]
    _, grads = loss_and_grads(make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights), tmp_path))
    # Other completions (same token counts) in the zero-weight rows: identical gradients
    swapped = [ROWS[0], (ROWS[1][0], " happy"), ROWS[2], (ROWS[3][0], " fear")]
    trainer = make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights, swapped), tmp_path)
    other = make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights), tmp_path)
    assert [len(r) for r in trainer.train_dataset["labels"]] == [len(r) for r in other.train_dataset["labels"]]
    assert trainer.train_dataset["labels"] != other.train_dataset["labels"]
    assert_grads_close(loss_and_grads(trainer)[1], grads)
    # Dropping them only changes the denominator (completion tokens of the whole batch)
    kept = make_trainer(SFTTrainer, tiny_dir, make_dataset(None, [ROWS[0], ROWS[2]]), tmp_path)
    completion_tokens = [sum(label != -100 for label in row["labels"]) for row in other.train_dataset]
    assert_grads_close(loss_and_grads(kept)[1], grads, scale=sum(completion_tokens) / sum(completion_tokens[::2]))


def test_unit_weights_equal_plain_sft_trainer(tiny_dir: str, tmp_path: Path) -> None:
    sft_loss, sft_grads = loss_and_grads(make_trainer(SFTTrainer, tiny_dir, make_dataset(None), tmp_path))
    loss, grads = loss_and_grads(make_trainer(InstructERCTrainer, tiny_dir, make_dataset([1.0] * 4), tmp_path))
    assert loss == pytest.approx(sft_loss, rel=1e-6)
    assert_grads_close(grads, sft_grads)


def test_unit_weights_train_like_sft_trainer_with_gradient_accumulation(tiny_dir: str, tmp_path: Path) -> None:
    def losses(cls: type[SFTTrainer], dataset: Dataset) -> list[float]:
        config = {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2, "max_steps": 3}
        trainer = make_trainer(cls, tiny_dir, dataset, tmp_path, **config)
        trainer.train()
        return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]

    sft = losses(SFTTrainer, make_dataset(None))
    assert losses(InstructERCTrainer, make_dataset([1.0] * 4)) == pytest.approx(sft, rel=1e-5)


def test_loss_falls_over_twenty_steps(tiny_dir: str, tmp_path: Path) -> None:
    trainer = make_trainer(InstructERCTrainer, tiny_dir, make_dataset([1.0, 0.1, 1.0, 0.1]), tmp_path, max_steps=20)
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 20 and losses[-1] < 0.5 * losses[0]


def test_weighted_token_loss_formula() -> None:
    log_probs = torch.tensor([[-1.0, -2.0, 0.0], [-4.0, 0.0, 0.0]])  # zero on ignored positions
    mask = torch.tensor([[True, True, False], [True, False, False]])
    weights = torch.tensor([1.0, 0.5])
    assert weighted_token_loss(log_probs, mask, weights).item() == pytest.approx((1 + 2 + 0.5 * 4) / 3)
    assert weighted_token_loss(log_probs, mask, weights, num_items_in_batch=10).item() == pytest.approx(0.5)
    assert weighted_token_loss(log_probs, mask, torch.zeros(2)).item() == 0.0


def test_rejects_packing_with_loss_weights(tiny_dir: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="packing"):
        make_trainer(InstructERCTrainer, tiny_dir, make_dataset([1.0, 0.1, 1.0, 0.1]), tmp_path, packing=True)


@pytest.mark.parametrize("weights", [[1.0, 0.1, 1.0, 0.0], None], ids=["weighted", "unweighted"])
def test_padding_free_batches_train_exactly_like_padded_ones(tiny_dir: str, tmp_path: Path,
                                                              weights: list[float] | None) -> None:
    padded = make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights), tmp_path)
    free = make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights), tmp_path, padding_free=True)
    rows = [free.train_dataset[i] for i in range(len(free.train_dataset))]
    batch = free.data_collator(rows)
    lengths = [len(r["input_ids"]) for r in rows]
    assert "attention_mask" not in batch and batch["input_ids"].shape == (1, sum(lengths))
    assert batch["position_ids"][0].tolist() == [p for n in lengths for p in range(n)]
    assert len(set(lengths)) > 1  # the padded batch really pads
    if weights is not None:
        expected = [w for w, n in zip(weights, lengths, strict=True) for _ in range(n)]
        assert batch[LOSS_WEIGHT][0].tolist() == pytest.approx(expected)
    loss, grads = loss_and_grads(padded)
    free_loss, free_grads = loss_and_grads(free)
    assert free_loss == pytest.approx(loss, rel=1e-5)  # the attention of each example sees only itself
    for name in grads:
        torch.testing.assert_close(free_grads[name], grads[name], rtol=1e-4, atol=1e-6, msg=name)
    fresh = make_trainer(InstructERCTrainer, tiny_dir, make_dataset(weights), tmp_path, padding_free=True)
    fresh.train()
    assert fresh.args.padding_free and fresh.state.log_history[0]["num_tokens"] == sum(lengths)  # no padding


def test_weighted_token_loss_takes_per_token_weights() -> None:
    log_probs = torch.tensor([[-1.0, -2.0, -4.0]])  # one padding-free row: tokens 1..3 predicted
    mask = torch.tensor([[True, True, True]])
    per_token = torch.tensor([[9.0, 1.0, 1.0, 0.5]])  # the weight of token 0 is never used
    assert weighted_token_loss(log_probs, mask, per_token).item() == pytest.approx((1 + 2 + 0.5 * 4) / 3)
