"""Evaluating an adapter on one split of an exported dataset: metrics, predictions and the confusion matrix."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..metrics import compute_erc_metrics
from ..raw_files import check_built_dataset
from ..registry import CONFUSION_FILE, METRICS_FILE, PREDICTIONS_FILE
from .adapter import load_adapter
from .arguments import EvaluateArguments
from .modes import predict
from .prediction import Prediction
from .sharding import is_main_process, predict_sharded, process_device

if TYPE_CHECKING:
    from datasets import Dataset

    from ..configuration import ERCModelConfig


def load_split(dataset: str, config: str, split: str, limit: int | None = None) -> Dataset:
    """One split of an exported dataset folder (or Hub repo), optionally its first ``limit`` rows.

    Raises:
        NotBuiltError: ``dataset`` is a local folder that ``instructerc-hf build`` did not write (raw files: the
            message gives the build command), or that has no ``config``.
    """
    from datasets import load_dataset

    check_built_dataset(dataset, config)
    data = load_dataset(dataset, config, split=split)
    if "prompt" not in data.column_names or "label" not in data.column_names:
        raise InputError(f"{dataset} ({config}/{split}) has no prompt/label columns; columns: {data.column_names}")
    return data.select(range(min(limit, len(data)))) if limit is not None else data


def plot_title(model: str, dataset: str, split: str, scored: int, total: int) -> str:
    """``<model> on <dataset> <split>: N utterances``, or ``first N of M utterances`` when a subset was scored."""
    count = f"{scored} utterances" if scored == total else f"first {scored} of {total} utterances"
    return f"{Path(model).name} on {Path(dataset).name} {split}: {count}"


def evaluate_adapter(args: EvaluateArguments) -> dict[str, Any]:
    """Predict every row of the split, then write metrics.json, predictions.jsonl and confusion_matrix.png."""
    from ..data.builder import label_strings
    from ..retrieval.inject import demonstration_labels

    data = load_split(args.dataset, args.config, args.split)
    total = len(data)
    if args.limit is not None:
        data = data.select(range(min(args.limit, total)))
    model, tokenizer, erc = load_adapter(args.model, base_model=args.base_model, dtype=args.dtype, device=process_device())
    data = with_adapter_demonstrations(data, args.model, erc)
    gold = label_strings(data)
    start = time.perf_counter()
    mode = args.mode  # checked in __post_init__
    prompts = data["prompt"]
    keys = list(zip(data["dataset"], data["dialogue_id"], strict=True)) if "dialogue_id" in data.column_names \
        else list(range(len(data)))
    predictions = predict_sharded(  # one process, or whole conversations per process under accelerate launch
        lambda rows: predict(model, tokenizer, [prompts[i] for i in rows], erc.labels, mode,  # type: ignore[arg-type]
                             **args.options()),
        keys,
    )
    seconds = time.perf_counter() - start
    demonstrations = demonstration_labels(data)  # None when rows of other tasks have none
    metrics = compute_erc_metrics(
        [p.label for p in predictions], gold, erc.labels,
        fallback_count=sum(not p.exact for p in predictions), demonstration_labels=demonstrations,
    )
    metrics.update({
        "model": args.model, "dataset": args.dataset, "config": args.config, "split": args.split,
        "split_size": total, "mode": args.mode, "options": args.options(), "seconds": seconds, "utterances_per_second": len(data) / seconds,
    })
    if not is_main_process():
        return metrics
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_predictions(out / PREDICTIONS_FILE, data, predictions, gold)
    plot_confusion_matrix(metrics["confusion_matrix"], metrics["labels"], out / CONFUSION_FILE,
                          title=plot_title(args.model, args.dataset, args.split, len(data), total))
    return metrics


def with_adapter_demonstrations(data: Dataset, model_dir: str, config: ERCModelConfig) -> Dataset:
    """``data`` with the demonstrations the adapter was trained with, retrieved from its saved domain base.

    Rows that already carry demonstrations, and adapters trained without them, are left as they are; see
    :func:`instructerc_hf.pipeline.model.saved_retriever` for an adapter without a saved base.
    """
    from ..pipeline.model import saved_retriever
    from ..retrieval.inject import add_demonstrations

    if "demonstration_label" in data.column_names:
        return data
    retriever = saved_retriever(model_dir, config)
    return data if retriever is None else add_demonstrations(data, retriever, config.prompt, "inference")


def write_predictions(path: Path, data: Dataset, predictions: list[Prediction], gold: list[str]) -> None:
    """One JSON line per row: its ids, the ``gold`` label and the prediction (``label``, ``score`` ...)."""
    keys = [k for k in ("dataset", "dialogue_id", "turn") if k in data.column_names]
    ids = data.select_columns(keys).to_list() if keys else [{}] * len(gold)
    with path.open("w", encoding="utf-8") as f:
        for row, g, p in zip(ids, gold, predictions, strict=True):
            record = {**row, "gold": g, **{k: v for k, v in asdict(p).items() if v is not None}}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def plot_confusion_matrix(matrix: list[list[int]], labels: list[str], path: str | Path, title: str = "") -> Path:
    """Save the confusion matrix (counts, gold rows) as a PNG with scikit-learn's ``ConfusionMatrixDisplay``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay

    size = 1.0 + 0.8 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    display = ConfusionMatrixDisplay(np.asarray(matrix), display_labels=labels)
    display.plot(ax=ax, cmap="Blues", xticks_rotation=45, values_format="d", colorbar=True)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
