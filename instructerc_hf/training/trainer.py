"""``InstructERCTrainer``: TRL's ``SFTTrainer`` with a per-example loss weight.

InstructERC mixes the main emotion-recognition task with auxiliary tasks (speaker identification, emotion impact
prediction) whose examples are down-weighted, e.g. by ``alpha = 0.1``. Rows carry the weight in a ``loss_weight``
column; rows of a dataset without that column weigh 1.0, and the trainer then behaves exactly like ``SFTTrainer``.

Normalisation: the loss of a batch is ``sum_i w_i * sum_{t in completion(i)} -log p(t) / N``, where ``N`` is the
number of completion tokens, the same denominator as ``SFTTrainer`` (``num_items_in_batch``, i.e. counted over the
whole gradient-accumulation window, or the batch's own count when Trainer passes none). It is a token-level mean of
weighted token losses, so:

* all weights 1 give exactly the ``SFTTrainer`` loss; a weight-0 example adds nothing to the gradient (its tokens
  still count in ``N``, which only rescales the batch);
* gradient accumulation stays exact, because ``N`` is the unweighted token count that Trainer computes;
* an auxiliary example always counts ``alpha`` times a main one, whatever the batch mix. Dividing by the weighted
  count ``sum w_i * n_i`` instead would scale a batch of only auxiliary examples back to full strength (``alpha``
  would cancel, always so at batch size 1), would be undefined when every weight is 0, and would need a custom
  ``num_items_in_batch``.

Evaluation batches with the column are weighted the same way, so ``eval_loss`` is the training objective.
Given a :class:`LabelEvalSet`, :meth:`InstructERCTrainer.evaluate` also scores every label after each validation
prompt (:func:`instructerc_hf.inference.score_labels`) and adds ``eval_weighted_f1``, ``eval_accuracy`` and
``eval_macro_f1`` to the metrics before they are logged, so ``metric_for_best_model="weighted_f1"`` and early stopping
can use them. Every process scores the whole set (identical forward passes, which sharded DeepSpeed ZeRO-3 and FSDP
models need), so the metrics are the same on all ranks.
A collator with ``input_columns`` and ``epoch_callback`` (:class:`~instructerc_hf.training.DemonstrationCollator`)
tokenizes itself: the trainer then skips TRL's dataset preparation (``skip_prepare_dataset``), keeps those columns
through ``remove_unused_columns`` and registers the collator's epoch callback.
``padding_free=True`` flattens every batch into one row without padding (:class:`PaddingFreeCollator`, after any
collator: TRL's, or one that tokenizes); the loss weights follow their tokens. Packing is not supported with weights
(it drops every column but ``input_ids`` and ``labels``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import torch
from datasets import Dataset, IterableDataset, Value
from peft import PeftModel
from torch.utils.data import DataLoader
from transformers import PreTrainedModel, TrainingArguments
from transformers.trainer_utils import EvalLoopOutput
from trl import SFTConfig, SFTTrainer
from trl.data_utils import get_dataset_column_names

from ..inference.scoring import score_labels
from ..metrics import compute_erc_metrics
from .cpu_engines import fsdp_on_cpu_group
from .data import LOSS_WEIGHT
from .label_eval import LABEL_METRICS, LabelEvalSet

Collator = Callable[[list[dict[str, Any]]], dict[str, Any]]


@dataclass
class LossWeightCollator:
    """Wrap a collator: take ``loss_weight`` out of each example and add it to the batch as a ``(batch,)`` tensor.

    Examples without the key weigh 1.0; when no example has it, the batch is the wrapped collator's own.
    """

    collator: Collator

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        if not any(LOSS_WEIGHT in example for example in examples):
            return self.collator(examples)
        weights = [float(example.get(LOSS_WEIGHT, 1.0)) for example in examples]
        batch = self.collator([{k: v for k, v in example.items() if k != LOSS_WEIGHT} for example in examples])
        batch[LOSS_WEIGHT] = torch.tensor(weights, dtype=torch.float32)
        return batch


@dataclass
class PaddingFreeCollator:
    """Wrap a collator: flatten its padded batch into one row of the real tokens, with ``position_ids`` restarting
    at each example and no ``attention_mask``.

    transformers builds the attention mask of such a row from ``position_ids`` (packed sequences: each example sees
    only itself), so the loss is that of the padded batch without computing a single padding token. Done after
    padding rather than by TRL's ``padding_free`` collator because TRL refuses it beside a custom collator and
    without packing; a ``(batch,)`` ``loss_weight`` becomes ``(1, tokens)``, each example's weight on its tokens.
    """

    collator: Collator

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = dict(self.collator(examples))
        mask = batch.pop("attention_mask").bool()
        lengths = mask.sum(dim=1)
        flat = {k: v[mask][None] for k, v in batch.items() if isinstance(v, torch.Tensor) and v.shape == mask.shape}
        flat["position_ids"] = torch.cat([torch.arange(int(n)) for n in lengths])[None]
        if LOSS_WEIGHT in batch:
            flat[LOSS_WEIGHT] = batch[LOSS_WEIGHT].repeat_interleave(lengths)[None]
        return {**{k: v for k, v in batch.items() if k not in flat}, **flat}


def weighted_token_loss(
    log_probs: torch.Tensor,
    label_mask: torch.Tensor,
    weights: torch.Tensor,
    num_items_in_batch: torch.Tensor | int | None = None,
    dft: bool = False,
) -> torch.Tensor:
    """``sum_i w_i * sum_t -log p_it / N``, with ``N = num_items_in_batch`` or the number of labelled tokens.

    ``log_probs`` and ``label_mask`` are the ``(batch, seq - 1)`` fields of TRL's fused LM head output (log-probs
    are zero on ignored positions); ``weights`` is ``(batch,)``, or ``(batch, seq)`` per token (padding-free rows);
    ``dft`` applies Dynamic Fine-Tuning's probability scaling like ``SFTTrainer``.
    """
    per_token = -log_probs
    if dft:
        per_token = per_token * log_probs.exp().detach()
    weights = weights.to(per_token)
    per_token = per_token * (weights[:, None] if weights.dim() == 1 else weights[:, 1:])  # token t predicts t + 1
    num_tokens = label_mask.sum() if num_items_in_batch is None else num_items_in_batch
    return per_token.sum() / torch.as_tensor(num_tokens, device=per_token.device).clamp(min=1)


def skipping_preparation(args: SFTConfig | TrainingArguments | None) -> SFTConfig:
    """A copy of ``args`` with ``dataset_kwargs.skip_prepare_dataset`` on: a collator that tokenizes gets raw rows."""
    if args is None:
        args = SFTConfig()
    if not isinstance(args, SFTConfig):
        raise TypeError("a collator that tokenizes (DemonstrationCollator) needs SFTConfig arguments")
    args = copy.copy(args)
    given = args.dataset_kwargs
    given = json.loads(given) if isinstance(given, str) else given  # the command line passes JSON
    args.dataset_kwargs = {**(given or {}), "skip_prepare_dataset": True}
    return args


D = TypeVar("D", Dataset, IterableDataset, None)


def with_lengths(dataset: D, column: str) -> D:
    """``dataset`` with each row's length for ``group_by_length``: rows a collator tokenizes have no ``input_ids``,
    so the characters of prompt + completion stand in (the sampler needs only an order of sizes). Other datasets
    (none, iterable, or with the column already) are returned as they are."""
    if not isinstance(dataset, Dataset) or column in dataset.column_names:
        return dataset
    sizes = [len(p) + len(c) for p, c in zip(dataset["prompt"], dataset["completion"], strict=True)]
    return dataset.add_column(column, sizes, feature=Value("int64"))


def _has_loss_weight(datasets: Iterable[Dataset | IterableDataset | None]) -> bool:
    return any(d is not None and LOSS_WEIGHT in get_dataset_column_names(d) for d in datasets)


class InstructERCTrainer(SFTTrainer):
    """``SFTTrainer`` whose loss weights each example by its ``loss_weight`` column (1.0 when absent).

    Takes ``SFTTrainer``'s arguments plus ``label_eval`` and ``eval_loss`` (False: evaluation is label scoring
    alone). The weight column survives ``remove_unused_columns`` (it is
    added to the signature columns) and reaches ``compute_loss`` through :class:`LossWeightCollator`, which wraps any
    collator.
    """

    def __init__(
        self,
        model: str | PreTrainedModel | PeftModel,
        args: SFTConfig | TrainingArguments | None = None,
        data_collator: Collator | None = None,
        train_dataset: Dataset | IterableDataset | None = None,
        eval_dataset: Dataset | IterableDataset | dict[str, Dataset | IterableDataset] | None = None,
        label_eval: LabelEvalSet | None = None,
        eval_loss: bool = True,
        **kwargs: Any,
    ) -> None:
        self._collator_columns: tuple[str, ...] = tuple(getattr(data_collator, "input_columns", ()))
        if self._collator_columns:
            args = skipping_preparation(args)
            if args.train_sampling_strategy == "group_by_length":  # train and eval samplers group by length
                train_dataset = with_lengths(train_dataset, args.length_column_name)
                eval_dataset = {k: with_lengths(d, args.length_column_name) for k, d in eval_dataset.items()} \
                    if isinstance(eval_dataset, dict) else with_lengths(eval_dataset, args.length_column_name)
                self._collator_columns += (args.length_column_name,)
        padding_free = bool(getattr(args, "padding_free", False))
        if padding_free:  # TRL would refuse it beside a collator, and without packing: PaddingFreeCollator does it
            args = copy.copy(args)
            args.padding_free = False  # type: ignore[union-attr]
        super().__init__(model, args, data_collator, train_dataset, eval_dataset, **kwargs)
        if self._collator_columns:
            self.add_callback(data_collator.epoch_callback())  # type: ignore[union-attr]
        self.label_eval = label_eval
        self.eval_loss = eval_loss
        self._score_labels_now = False
        # The raw datasets: preparation with packing drops the weight column
        evals = eval_dataset.values() if isinstance(eval_dataset, dict) else [eval_dataset]
        if _has_loss_weight([train_dataset, *evals]):
            self._check_weights_supported()
        self.data_collator = LossWeightCollator(self.data_collator)
        if padding_free:
            self.data_collator = PaddingFreeCollator(self.data_collator)
            cast(SFTConfig, self.args).padding_free = True  # saved and shown as the user set it

    def create_accelerator_and_postprocess(self) -> None:
        """Trainer's Accelerator; FSDP2 also on a CPU process group (:mod:`~instructerc_hf.training.cpu_engines`)."""
        with fsdp_on_cpu_group():
            super().create_accelerator_and_postprocess()

    def _check_weights_supported(self) -> None:
        """Refuse configurations whose loss or batches the weighted loss cannot reproduce."""
        args = cast(SFTConfig, self.args)
        unsupported = {
            "packing": args.packing or bool(args.eval_packing),
            "compute_loss_func": self.compute_loss_func is not None,
            "label_smoothing_factor": self.label_smoother is not None,
            "MoE router aux loss": self.aux_loss_enabled,
        }
        used = [name for name, on in unsupported.items() if on]
        if used:
            raise ValueError(f"a `{LOSS_WEIGHT}` column cannot be combined with: {', '.join(used)}")

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        columns: list[str] = list(self._signature_columns or [])
        missing = [c for c in (LOSS_WEIGHT, *self._collator_columns) if c not in columns]
        if missing:
            self._signature_columns = [*columns, *missing]  # type: ignore[assignment]

    def compute_loss(
        self,
        model: torch.nn.Module,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """The weighted loss when the batch has ``loss_weight``, else ``SFTTrainer.compute_loss`` unchanged."""
        weights = inputs.pop(LOSS_WEIGHT, None)
        if weights is None:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs["use_cache"] = False
        outputs = model(**inputs, fused_lm_head=True)
        loss = weighted_token_loss(
            outputs.log_probs,
            outputs.label_mask,
            weights,
            num_items_in_batch,
            dft=cast(SFTConfig, self.args).loss_type == "dft",
        )
        # Like SFTTrainer: `num_items_in_batch` counts every rank's tokens and DDP averages gradients across ranks
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * (self.accelerator.num_processes // self.get_tp_size())
        self._log_token_metrics("train" if model.training else "eval", inputs, outputs)
        if not return_outputs:
            return loss
        with torch.no_grad():  # the fused head builds no logits; recompute them like SFTTrainer does
            logits_outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
        return loss, logits_outputs

    def _log_token_metrics(self, mode: str, inputs: dict[str, Any], outputs: Any) -> None:
        """Entropy, token accuracy and token count, as ``SFTTrainer.compute_loss`` records them."""
        gather = self.accelerator.gather_for_metrics
        num_valid = gather(outputs.label_mask.sum()).sum()
        entropy_sum = gather(outputs.entropy.detach().sum()).sum()
        num_correct = gather(outputs.is_top1.sum()).sum()
        self._metrics[mode]["entropy"].append((entropy_sum / num_valid).item() if num_valid > 0 else 0.0)
        self._metrics[mode]["mean_token_accuracy"].append((num_correct / num_valid).item() if num_valid > 0 else 0.0)
        if mode == "train":
            tokens = inputs["attention_mask"].sum() if "attention_mask" in inputs else torch.tensor(
                inputs["position_ids"].size(1), device=inputs["position_ids"].device)  # padding-free: all real
            self._total_train_tokens += gather(tokens).sum().item() // self._tp_size
        self._metrics[mode]["num_tokens"] = [self._total_train_tokens]

    def evaluate(
        self,
        eval_dataset: Dataset | IterableDataset | dict[str, Dataset | IterableDataset] | None = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """``SFTTrainer.evaluate``; on the trainer's own eval dataset it adds the :class:`LabelEvalSet` metrics."""
        self._score_labels_now = (
            self.label_eval is not None and eval_dataset is None and not isinstance(self.eval_dataset, dict)
        )
        try:
            return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)  # type: ignore[arg-type]
        finally:
            self._score_labels_now = False

    def evaluation_loop(
        self,
        dataloader: DataLoader,
        description: str,
        prediction_loss_only: bool | None = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> EvalLoopOutput:
        """Trainer's loop, plus the label metrics (before ``evaluate`` logs them and calls the callbacks); without
        ``eval_loss``, the label metrics alone (no forward pass over the eval rows)."""
        if self._score_labels_now and not self.eval_loss:
            metrics = {f"{metric_key_prefix}_{k}": v for k, v in self.label_metrics().items()}
            assert self.label_eval is not None
            return EvalLoopOutput(predictions=None, label_ids=None,  # type: ignore[arg-type]  # as Trainer's own
                                  metrics=metrics, num_samples=len(self.label_eval.prompts))
        output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
        if self._score_labels_now and output.metrics is not None:
            output.metrics.update({f"{metric_key_prefix}_{k}": v for k, v in self.label_metrics().items()})
        return output

    def label_metrics(self) -> dict[str, float]:
        """Score every label after every prompt of ``label_eval``; weighted F1, accuracy, macro F1 (percentages)."""
        if self.label_eval is None:
            raise ValueError("this trainer has no label_eval set")
        evaluation = self.label_eval
        model = cast(torch.nn.Module, self.model_wrapped if self.is_fsdp_enabled else self.model)
        training = model.training
        model.eval()
        try:
            with self.accelerator.autocast():  # the training's mixed precision (bf16 autocast): faster here
                predictions = score_labels(
                    model, self.processing_class, evaluation.prompts, evaluation.labels,  # type: ignore[arg-type]
                    pack_tokens=evaluation.pack_tokens, progress=False,
                )
        finally:
            model.train(training)
        metrics = compute_erc_metrics(
            [p.label for p in predictions], evaluation.references, evaluation.labels,
            demonstration_labels=evaluation.demonstration_labels,
        )
        return {name: float(metrics[name]) for name in LABEL_METRICS if name in metrics}
