"""ERC metrics: the paper's weighted F1 plus the diagnostics an instruction-tuned generator needs.

Importable without ``evaluate``; ``metrics/erc_weighted_f1`` wraps :func:`compute_erc_metrics`. The label set is always
given, never inferred from the references (a misspelt reference would become a class and could score 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .errors import InputError
from .label_parsing import parse_labels, validate_labels


class LabelSetError(InputError):
    """No label set given, or a reference (prediction, demonstration label) outside it."""


def _check_members(values: Sequence[str | None], labels: Sequence[str], name: str, hint: str = "",
                   allow_none: bool = False) -> None:
    """Raise LabelSetError naming the first element of ``values`` (and its index) that is not in ``labels``."""
    allowed = set(labels)
    for index, value in enumerate(values):
        if value not in allowed and not (allow_none and value is None):
            raise LabelSetError(f"{name}[{index}] = {value!r} is not one of the labels {list(labels)}{hint}")


def _label_set(labels: Sequence[str] | None) -> list[str]:
    """The given label set, checked; LabelSetError when there is none."""
    if labels is None:
        raise LabelSetError(
            "labels is required: pass the full label set (e.g. instructerc_hf.labels.MELD.labels). It is never "
            "inferred from the references, where a misspelt reference would become a class of its own"
        )
    return list(validate_labels(labels))


def _no_label_marker(labels: Sequence[str]) -> str:
    """A string that is no label, standing for a prediction without one (always wrong, in no confusion column)."""
    marker = "<no label>"
    while marker in labels:
        marker += "_"
    return marker


def _check_length(values: Sequence[Any], n: int, name: str) -> None:
    """Raise ValueError unless ``values`` has ``n`` elements."""
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} elements but references has {n}")


def _share(flags: Sequence[bool]) -> float:
    """Fraction of true flags."""
    return sum(flags) / len(flags)


def _per_class(references: list[str], predictions: list[str], labels: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 (x100) and support of every label, keyed by label."""
    precision, recall, f1, support = precision_recall_fscore_support(
        references, predictions, labels=labels, zero_division=0
    )
    return {
        label: {"precision": 100 * float(p), "recall": 100 * float(r), "f1": 100 * float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def _demonstration_metrics(
    demonstration_labels: Sequence[str], predictions: list[str], references: list[str], labels: list[str]
) -> dict[str, float]:
    """How often predictions copy the demonstration's label, and how often that label is the gold one."""
    _check_length(demonstration_labels, len(references), "demonstration_labels")
    _check_members(demonstration_labels, labels, "demonstration_labels")
    return {
        "demonstration_copy_rate": _share([p == d for p, d in zip(predictions, demonstration_labels, strict=True)]),
        "demonstration_label_accuracy": _share([d == g for d, g in zip(demonstration_labels, references, strict=True)]),
    }


def compute_erc_metrics(
    predictions: Sequence[str | None],
    references: Sequence[str],
    labels: Sequence[str] | None,
    *,
    parse: bool = False,
    fallback_count: int = 0,
    demonstration_labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Score label predictions against gold labels.

    Args:
        predictions: predicted labels (None: no label, as for an empty generation), or raw generated strings when
            ``parse`` is True (empty or whitespace-only ones get no label).
        references: gold labels, each one of ``labels``.
        labels: the full label set (required; None is an error); fixes the per-class order and the confusion-matrix
            rows and columns.
        parse: map ``predictions`` to labels with :func:`instructerc_hf.label_parsing.parse_labels` first;
            the predictions it could not read exactly then give ``unparseable_rate``.
        fallback_count: how many predictions the parser could not read exactly, the None ones included (only when
            ``parse`` is False; :attr:`Prediction.exact <instructerc_hf.inference.prediction.Prediction.exact>`).
        demonstration_labels: the label of each example's retrieved demonstration.

    Returns:
        Scores are percentages and rates are fractions in [0, 1]:
        ``weighted_f1`` (the paper's headline metric, sklearn ``f1_score(average="weighted",
        labels=labels, zero_division=0)``), ``accuracy``, ``macro_f1`` (over all ``labels``),
        ``per_class`` (label -> precision, recall, f1, support), ``confusion_matrix`` (rows gold,
        columns predicted, both in ``labels`` order; predictions without a label are in no column),
        ``labels``, ``num_examples``, ``unparseable_rate`` and ``num_unparseable`` (share and number of
        predictions not read exactly: parser guesses and empty generations), ``num_empty`` (predictions
        without a label: empty generations, always wrong) and, with ``demonstration_labels``,
        ``demonstration_copy_rate`` (share of predictions equal to the demonstration's label) and
        ``demonstration_label_accuracy`` (share of demonstration labels equal to the gold label).

    Raises:
        LabelSetError: no ``labels``, or a reference (or prediction) outside them, named with its index.
        ValueError: on empty input, a length mismatch or a bad ``fallback_count``.
    """
    label_list = _label_set(labels)
    n = len(references)
    if n == 0:
        raise ValueError("no references to score")
    _check_length(predictions, n, "predictions")
    _check_members(references, label_list, "references")
    if parse:
        if fallback_count:
            raise ValueError("fallback_count is computed by the parser when parse=True; do not pass it")
        texts = [_text(p, i) for i, p in enumerate(predictions)]
        predicted, fallback_count = parse_labels(texts, label_list)
    else:
        predicted = list(predictions)
        _check_members(predicted, label_list, "predictions", "; pass parse=True to map generated text to labels",
                       allow_none=True)
    if not 0 <= fallback_count <= n:
        raise ValueError(f"fallback_count must be between 0 and {n}, got {fallback_count}")
    empty = sum(p is None for p in predicted)
    if empty > fallback_count:
        raise ValueError(f"{empty} predictions have no label (None) but fallback_count is {fallback_count}: a "
                         "prediction without a label is unparseable, count it in fallback_count")
    gold = list(references)
    marker = _no_label_marker(label_list)
    return _scores(gold, [marker if p is None else p for p in predicted], label_list, fallback_count, empty,
                   demonstration_labels)


def _text(prediction: str | None, index: int) -> str:
    """A generated text to parse; ValueError for anything else."""
    if not isinstance(prediction, str):
        raise ValueError(f"predictions[{index}] = {prediction!r} is not a generated text (parse=True)")
    return prediction


def _scores(gold: list[str], predicted: list[str], label_list: list[str], unparseable: int, empty: int,
            demonstration_labels: Sequence[str] | None) -> dict[str, Any]:
    """The metrics of checked inputs (see :func:`compute_erc_metrics`)."""
    n = len(gold)
    result: dict[str, Any] = {
        "weighted_f1": 100 * float(f1_score(gold, predicted, labels=label_list, average="weighted", zero_division=0)),
        "accuracy": 100 * float(accuracy_score(gold, predicted)),
        "macro_f1": 100 * float(f1_score(gold, predicted, labels=label_list, average="macro", zero_division=0)),
        "per_class": _per_class(gold, predicted, label_list),
        "confusion_matrix": confusion_matrix(gold, predicted, labels=label_list).tolist(),
        "labels": label_list,
        "num_examples": n,
        "unparseable_rate": unparseable / n,
        "num_unparseable": unparseable,
        "num_empty": empty,
    }
    if demonstration_labels is not None:
        result.update(_demonstration_metrics(demonstration_labels, predicted, gold, label_list))
    return result
