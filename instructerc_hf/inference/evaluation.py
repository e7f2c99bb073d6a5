"""Evaluating an adapter on one split of an exported dataset: metrics, predictions and the confusion matrix."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..chat import render_all
from ..errors import InputError
from ..metrics import compute_erc_metrics
from ..raw_files import check_built_dataset
from ..registry import CONFUSION_FILE, METRICS_FILE, PREDICTIONS_FILE
from .adapter import load_adapter
from .arguments import EvaluateArguments
from .modes import predict_draws
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

    check_built_dataset(args.dataset, args.config)  # raw files are refused before the adapter is read
    config = args.dataset_config()
    data = load_split(args.dataset, config, args.split)
    total = len(data)
    if args.limit is not None:
        data = data.select(range(min(args.limit, total)))
    model, tokenizer, erc = load_adapter(args.model, base_model=args.base_model, dtype=args.dtype, device=process_device())
    members = adapter_demonstrations(data, args.model, erc, args.demonstration_draws)
    data = members[0]
    gold = label_strings(data)
    start = time.perf_counter()
    mode = args.mode  # checked in __post_init__
    prompts = [render_all(member["prompt"], tokenizer, erc.chat_template) for member in members]
    keys = list(zip(data["dataset"], data["dialogue_id"], strict=True)) if "dialogue_id" in data.column_names \
        else list(range(len(data)))
    predictions = predict_sharded(  # one process, or whole conversations per process under accelerate launch
        lambda rows: predict_draws(model, tokenizer, [[p[i] for i in rows] for p in prompts],  # type: ignore[arg-type]
                                   erc.labels, mode, **args.options()),  # type: ignore[arg-type]
        keys,
    )
    seconds = time.perf_counter() - start
    metrics = compute_erc_metrics(
        [p.label for p in predictions], gold, erc.labels,
        fallback_count=sum(not p.exact for p in predictions), demonstration_labels=demonstration_labels(data),
    )
    if len(members) > 1:
        metrics.update(draw_metrics(members, predictions, gold, erc.labels))
    metrics.update({
        "model": args.model, "dataset": args.dataset, "config": config, "split": args.split,
        "split_size": total, "mode": args.mode, "options": args.options(), "demonstration_draws": len(members),
        "seconds": seconds, "utterances_per_second": len(data) / seconds,
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


def adapter_demonstrations(data: Dataset, model_dir: str, config: ERCModelConfig, draws: int | None = None
                           ) -> list[Dataset]:
    """``data`` with the demonstrations the adapter was trained with, retrieved from its saved domain base: one
    dataset per draw of an ensemble (``draws``; default the adapter's ``inference_draws``), else one.

    Rows that already carry demonstrations, and adapters trained without them, are left as they are; see
    :func:`instructerc_hf.pipeline.model.saved_retriever` for an adapter without a saved base.

    Raises:
        InputError: ``draws`` > 1 without demonstrations to draw, or under the ``top1`` strategy.
    """
    from ..pipeline.model import saved_retriever
    from ..retrieval.inject import add_demonstration_draws

    retriever = None if "demonstration_label" in data.column_names else saved_retriever(model_dir, config)
    if retriever is None:
        if draws is not None and draws > 1:
            raise InputError(f"--demonstration_draws {draws}: {model_dir} draws no demonstrations here (trained "
                             "without them, saved without its domain base, or the rows already carry them)")
        return [data]
    return add_demonstration_draws(data, retriever, config.prompt, draws or retriever.config.inference_draws)


def draw_metrics(members: list[Dataset], predictions: list[Prediction], gold: list[str],
                 labels: Sequence[str]) -> dict[str, Any]:
    """An ensemble's diagnostics: each draw's own metrics (``per_draw``) and, when every row has a demonstration,
    ``demonstration_copy_rate`` as the mean over draws of how often the ensemble's label is the draw's most similar
    demonstration's."""
    from ..retrieval.inject import demonstration_labels

    out: dict[str, Any] = {"per_draw": []}
    copies = []
    for draw, member in enumerate(members):
        own = [p.draw_labels[draw] for p in predictions]  # type: ignore[index]
        shown = demonstration_labels(member)
        scores = compute_erc_metrics(own, gold, labels, demonstration_labels=shown)
        out["per_draw"].append({k: scores[k] for k in ("weighted_f1", "accuracy", "demonstration_copy_rate")
                                if k in scores})
        if shown is not None:
            copies.append(sum(p.label == d for p, d in zip(predictions, shown, strict=True)) / len(shown))
    if copies:
        out["demonstration_copy_rate"] = sum(copies) / len(copies)
    return out


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
