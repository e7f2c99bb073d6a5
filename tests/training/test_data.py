"""Training data: task rows from raw files or a built folder, the builder's selection, impact rows weighted by alpha."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import datasets
import pytest
import torch
from trl import SFTConfig

from instructerc_hf.data.arguments import BuildArguments
from instructerc_hf.data.builder import InstructERCBuilder
from instructerc_hf.data.export import export_dataset
from instructerc_hf.modeling import load_causal_lm, load_tokenizer
from instructerc_hf.training.arguments import ERCDataArguments, ERCTaskArguments
from instructerc_hf.training.data import LOSS_WEIGHT, load_task_splits, prepare_task, stage_dataset, training_indices
from instructerc_hf.training.fitting import HistoryMismatchError
from instructerc_hf.training.trainer import InstructERCTrainer

pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def stage2(meld_raw: str, tokenizer: Any, alpha: float, tasks: tuple[str, ...] = ("main", "impact")) -> Any:
    data = ERCDataArguments(raw_dir=[meld_raw], max_train_samples=6)
    schedule = ERCTaskArguments(stage2_tasks=list(tasks), impact_alpha=alpha)
    parts = [prepare_task(data, task, tokenizer, 256) for task in tasks]
    return stage_dataset(parts, "train", schedule)


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_impact_rows_weigh_alpha(meld_raw: str, tiny_dir: str, alpha: float) -> None:
    rows = stage2(meld_raw, load_tokenizer(tiny_dir), alpha)
    assert rows.column_names == ["prompt", "completion", "task", LOSS_WEIGHT]
    weights = {(task, round(weight, 6)) for task, weight in zip(rows["task"], rows[LOSS_WEIGHT], strict=True)}
    assert weights == {("main", 1.0), ("impact", alpha)}


def batch_gradient(tiny_dir: str, rows: datasets.Dataset, tmp_path: Path) -> tuple[torch.Tensor, int]:
    """Gradient of one batch holding every row, and the batch's completion-token count."""
    args = SFTConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, activation_checkpointing=False,
                     max_length=256, report_to=[], save_strategy="no", per_device_train_batch_size=len(rows))
    model = load_causal_lm(tiny_dir)
    trainer = InstructERCTrainer(model=model, args=args, train_dataset=rows, processing_class=load_tokenizer(tiny_dir))
    prepared = cast(datasets.Dataset, trainer.train_dataset)
    inputs = trainer._prepare_inputs(trainer.data_collator([prepared[i] for i in range(len(prepared))]))
    cast(torch.Tensor, trainer.compute_loss(model, inputs)).backward()
    grads = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    return grads, int((inputs["labels"][:, 1:] != -100).sum())


def test_alpha_zero_impact_rows_add_no_gradient(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    mixed, n_mixed = batch_gradient(tiny_dir, stage2(meld_raw, tokenizer, 0.0), tmp_path)
    main_only, n_main = batch_gradient(tiny_dir, stage2(meld_raw, tokenizer, 0.0, ("main",)), tmp_path)
    assert n_mixed > n_main  # impact tokens count in the denominator, so the gradient is only rescaled
    torch.testing.assert_close(mixed * n_mixed, main_only * n_main, rtol=1e-4, atol=1e-6)


def test_training_selection_equals_the_builder(meld_raw: str) -> None:
    data = ERCDataArguments(raw_dir=[meld_raw], fraction="1/4", sampling_seed=7)
    full = load_task_splits(data, "main")["train"]
    builder = InstructERCBuilder(config_name="meld-main", raw_dir=meld_raw, fraction="1/4", sampling_seed=7)
    expected = [row["prompt"] for row in builder.split_rows("train")]
    assert full.select(training_indices(full, data))["prompt"] == expected
    assert len(expected) == round(len(full) / 4)


def test_built_folder_gives_the_rows_of_raw_files(meld_raw: str, tiny_dir: str, tmp_path: Path) -> None:
    folder = tmp_path / "meld"
    export_dataset(BuildArguments(dataset="meld", raw_dir=[meld_raw], out=str(folder), tasks=["main", "impact"],
                                          label_spaces=["original"]))
    tokenizer = load_tokenizer(tiny_dir)
    for task in ("main", "impact"):
        from_folder = prepare_task(ERCDataArguments(dataset_path=str(folder), fraction="1/2"), task, tokenizer, 256)
        from_raw = prepare_task(ERCDataArguments(raw_dir=[meld_raw], fraction="1/2"), task, tokenizer, 256)
        assert from_folder.train["prompt"] == from_raw.train["prompt"]
        assert from_folder.validation["completion"] == from_raw.validation["completion"]
    with pytest.raises(HistoryMismatchError, match="another window"):
        prepare_task(ERCDataArguments(dataset_path=str(folder), window=2), "main", tokenizer, 256)
