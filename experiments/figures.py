"""Numbers computed from records for the tables: mean ± std over seeds, a baseline's scores on a subset of the test
utterances, the label a run predicts most, and the one generic comparison of a score with a reference."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from .records import Record

#: What a table cell says for an experiment without a record.
NOT_RUN = "not yet run"


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (``None`` for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else None


def fmt_mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``mean ± std`` over seeds, or the single value."""
    mean, std = mean_std(values)
    return f"{mean:.{digits}f}" if std is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def mean_test_f1(runs: Sequence[Record]) -> float:
    return statistics.mean(r.test["weighted_f1"] for r in runs)


def subset_scores(baseline: Record, method: str, ids: Sequence[str]) -> dict[str, float] | None:
    """A baseline's weighted F1 and accuracy on the test utterances ``ids`` (``None`` if one is missing)."""
    from instructerc_hf.metrics import compute_erc_metrics

    assert baseline.test_ids is not None and baseline.test_predictions is not None and baseline.test_labels
    index = {key: i for i, key in enumerate(baseline.test_ids)}
    if not ids or any(key not in index for key in ids):
        return None
    rows = [index[key] for key in ids]
    predictions = baseline.test_predictions[method]
    metrics = compute_erc_metrics([predictions[i] for i in rows], [baseline.test_labels[i] for i in rows],
                                  baseline.metrics[method]["labels"])
    return {"weighted_f1": metrics["weighted_f1"], "accuracy": metrics["accuracy"]}


def common_test_ids(runs: Sequence[Record]) -> list[str] | None:
    """The test utterances every run scored, when they all scored the same ones."""
    ids = runs[0].test_ids
    return ids if ids and all(r.test_ids == ids for r in runs) else None


def baseline_on(baseline: Record, method: str, runs: Sequence[Record]) -> tuple[float, int | None]:
    """A baseline's test weighted F1 on the utterances the runs scored, and how many (``None``: the whole split,
    because the runs scored different utterances or some the baseline lacks)."""
    ids = common_test_ids(runs)
    subset = subset_scores(baseline, method, ids) if ids else None
    if subset is None:
        return baseline.metrics[method]["weighted_f1"], None
    return subset["weighted_f1"], len(ids or [])


def predicted_shares(runs: Sequence[Record]) -> tuple[str, float, float]:
    """The label predicted most often over the runs' test predictions, its share and its gold share (percent)."""
    labels = runs[0].test["labels"]
    predicted = [0] * len(labels)
    gold = [0] * len(labels)
    for run in runs:
        for i, row in enumerate(run.test["confusion_matrix"]):
            gold[i] += sum(row)
            for j, count in enumerate(row):
                predicted[j] += count
    top = max(range(len(labels)), key=predicted.__getitem__)
    total = sum(predicted)
    return labels[top], 100 * predicted[top] / total, 100 * gold[top] / total


def verdict(gap: float) -> str:
    return "beats" if gap > 0 else "falls short of" if gap < 0 else "matches"


def comparison(subject: str, values: Sequence[float], reference: str, reference_value: float, where: str = "",
               cites: str = "") -> tuple[str, float]:
    """One sentence setting ``subject``'s scores (mean ± std over seeds) against ``reference``'s, and the gap.

    ``... it **beats X by N points**`` or ``... it **falls short of X by N points**``, saying when the gap is within
    the spread over seeds.
    """
    mean, std = mean_std(values)
    gap = mean - reference_value
    text = (f"{subject} reaches a test weighted F1 of {fmt_mean_std(values)} against {reference_value:.2f} for "
            f"{reference}{where}: it **{verdict(gap)} {reference}")
    text += "**" if gap == 0 else f" by {abs(gap):.2f} points**"
    if std is not None and abs(gap) <= std:
        text += f", which is within the spread over seeds ({std:.2f})"
    return text + (f" {cites}" if cites else "") + ".", gap
