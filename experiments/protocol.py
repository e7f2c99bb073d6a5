"""The fair protocol's table: every method of ``experiments/results-whole`` scored on the same whole test split.

One row per method and amount of training data (the train split, or the LoRA runs' low-resource fraction of it):
mean ± SD over seeds of test and validation weighted F1, what it trains and what it costs, and the paired bootstrap
(:mod:`experiments.bootstrap`) of its test weighted F1 against the strongest other method on the same training data
and the same utterances. The rows come from the records alone.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from .bootstrap import paired_bootstrap
from .figures import fmt_mean_std, verdict
from .markdown import table
from .records import Record, Scores
from .variants import variant

#: The baselines of a baselines record, by method key, and their titles.
BASELINE_TITLES: dict[str, str] = {"majority": "majority class", "tfidf_lr": "TF-IDF + LR",
                                   "frozen_minilm_lr": "frozen MiniLM + LR"}
#: The training-data cell of a method that trains on nothing.
NO_TRAINING = "none"
#: The variant every demonstration variant is set against: the same prompt without demonstrations (issue 17).
WITHOUT_DEMONSTRATIONS = "window"


@dataclass
class Row:
    """One method at one amount of training data, over its seeds (records)."""

    title: str
    train_data: str  # a fraction of the train split ("1", "1/8"), or NO_TRAINING
    records: list[Record] = field(default_factory=list)
    test_f1: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    validation_f1: list[float] = field(default_factory=list)
    predictions: list[list[str]] = field(default_factory=list)
    parameters: int | None = None
    num_examples: int = 0
    labels: list[str] = field(default_factory=list)
    train_minutes: list[float] = field(default_factory=list)
    utterances_per_second: list[float] = field(default_factory=list)

    def add(self, record: Record, method: str, test: Scores, validation: float | None, minutes: float | None
            ) -> None:
        """One seed's record: ``test`` its test scores for this method."""
        self.records.append(record)
        self.num_examples, self.labels = test["num_examples"], test["labels"]
        self.test_f1.append(test["weighted_f1"])
        self.test_accuracy.append(test["accuracy"])
        if validation is not None:
            self.validation_f1.append(validation)
        if record.test_predictions and method in record.test_predictions:
            self.predictions.append(record.test_predictions[method])
        if minutes is not None:
            self.train_minutes.append(minutes)
        if test.get("utterances_per_second"):
            self.utterances_per_second.append(test["utterances_per_second"])

    @property
    def mean(self) -> float:
        return statistics.mean(self.test_f1)

    @property
    def paired(self) -> bool:
        """Predictions of every seed, on one set of utterances with its gold labels."""
        ids = self.records[0].test_ids
        return (len(self.predictions) == len(self.records) and ids is not None
                and all(r.test_ids == ids and r.test_labels is not None for r in self.records))


def protocol_rows(records: Sequence[Record], dataset: str) -> list[Row]:
    """The rows of ``dataset``: the whole train split first, then smaller fractions, then untrained methods; in
    each, the best mean test weighted F1 first."""
    rows: dict[tuple[str, str], Row] = {}

    def row(title: str, train_data: str) -> Row:
        return rows.setdefault((title, train_data), Row(title, train_data))

    for record in (r for r in records if r.group != "speed" and r.dataset == dataset):
        settings, metrics = record.settings, record.metrics
        if record.group == "baselines":
            for method, title in BASELINE_TITLES.items():
                if method in metrics:
                    m = metrics[method]
                    found = row(title, settings.get("fraction", "1"))
                    found.parameters = m.get("parameters", 0)
                    found.add(record, method, m, None, m.get("fit_seconds", 0) / 60)
        elif record.group == "classifier":
            turns = settings["context_turns"]
            found = row("fine-tuned MiniLM, " + (f"{turns} previous turns" if turns else "utterance alone"),
                        settings["fraction"])
            found.parameters = metrics["training"]["trainable_parameters"]
            found.add(record, "classifier", metrics["test"], metrics["validation"]["weighted_f1"],
                      metrics["training"]["train_seconds"] / 60)
        elif record.group == "zero_shot":
            found = row("zero-shot SmolLM2-135M, " + ("chat template" if settings.get("chat_template") else
                                                      "raw prompt"), NO_TRAINING)
            found.parameters = 0
            found.add(record, "zero_shot", cast(Scores, metrics), None, None)
        else:
            found = row(f"LoRA SmolLM2-135M: {variant(record.variant).title}", settings["fraction"])
            found.parameters = record.training.get("trainable_parameters")
            found.add(record, record.variant, record.test, record.validation["weighted_f1"],
                      record.training["train_seconds"] / 60)
    return sorted(rows.values(), key=lambda r: (-data_share(r.train_data), -r.mean))


def data_share(train_data: str) -> float:
    """The share of the train split a row trained on (0: none), for the order of the table."""
    from instructerc_hf.mixing import parse_fraction

    return 0.0 if train_data == NO_TRAINING else parse_fraction(train_data)


def strongest_other(row: Row, rows: Sequence[Row]) -> Row | None:
    """The best other row on the same training data (a method without training data: any), paired on the same
    utterances."""
    same = [r for r in rows if r is not row and r.paired and r.records[0].test_ids == row.records[0].test_ids
            and (row.train_data == NO_TRAINING or r.train_data == row.train_data)]
    return max(same, key=lambda r: r.mean, default=None)


def against(row: Row, rows: Sequence[Row]) -> str:
    """``+1.23 [0.4, 2.1] vs X``: the paired bootstrap of the row against its strongest other, or ``n/a``."""
    other = strongest_other(row, rows) if row.paired else None
    if other is None:
        return "n/a"
    gap = paired_bootstrap(row.records[0].test_labels or [], row.predictions, other.predictions, row.labels)
    return f"{gap.difference:+.2f} [{gap.low:+.2f}, {gap.high:+.2f}] vs {other.title}"


def comparisons(rows: Sequence[Row]) -> list[str]:
    """Per amount of training data, the best method against the strongest other: one generated sentence each."""
    lines = []
    for train_data in dict.fromkeys(r.train_data for r in rows if r.train_data != NO_TRAINING):
        best = next(r for r in rows if r.train_data == train_data)
        other = strongest_other(best, rows) if best.paired else None
        if other is None:
            continue
        gap = paired_bootstrap(best.records[0].test_labels or [], best.predictions, other.predictions, best.labels)
        sure = "excludes" if gap.excludes_zero else "includes"
        lines.append(f"- Trained on {data_title(train_data)}, {best.title} ({fmt_mean_std(best.test_f1)}, "
                     f"{len(best.records)} seed(s)) **{verdict(gap.difference)} {other.title} by "
                     f"{abs(gap.difference):.2f} points**; the 95% paired bootstrap interval [{gap.low:+.2f}, "
                     f"{gap.high:+.2f}] over {gap.resamples} resamples of the same utterances {sure} zero.")
    return lines


def data_title(train_data: str) -> str:
    return "the whole train split" if train_data == "1" else f"{train_data} of the train split"


def protocol_lines(rows: Sequence[Row], cite: Callable[..., str]) -> list[str]:
    """The table of ``rows`` and the comparisons under it."""
    cells = []
    for r in rows:
        cells.append([
            f"{r.title} {cite(*r.records)}", "all" if r.train_data == "1" else r.train_data,
            len(r.records), fmt_mean_std(r.test_f1), fmt_mean_std(r.test_accuracy),
            fmt_mean_std(r.validation_f1) if r.validation_f1 else "n/a", against(r, rows), r.num_examples,
            "n/a" if r.parameters is None else f"{r.parameters:,}",
            fmt_mean_std(r.train_minutes, 1) if r.train_minutes else "n/a",
            fmt_mean_std(r.utterances_per_second, 1) if r.utterances_per_second else "n/a"])
    return [*table(["method", "train data", "seeds", "test weighted F1", "test accuracy", "validation weighted F1",
                    "vs strongest other, same data (95% CI)", "test utterances", "trained parameters",
                    "training min", "inference utt/s"], cells), "", *comparisons(rows)]


def demonstration_lines(rows: Sequence[Row], cite: Callable[..., str]) -> list[str]:
    """Each demonstration variant's copy rate and test weighted F1 against the window prompt without demonstrations
    trained on the same data, paired on the same utterances; no such variant: no lines."""
    lora = {(r.records[0].variant, r.train_data): r for r in rows if r.records[0].group == "ablation"}
    cells = []
    for (name, train_data), r in lora.items():
        if not variant(name).demonstrations:
            continue
        base = lora.get((WITHOUT_DEMONSTRATIONS, train_data))
        gap = "n/a"
        if base is not None and r.paired and base.paired and base.records[0].test_ids == r.records[0].test_ids:
            d = paired_bootstrap(r.records[0].test_labels or [], r.predictions, base.predictions, r.labels)
            gap = f"{d.difference:+.2f} [{d.low:+.2f}, {d.high:+.2f}] ({fmt_mean_std(base.test_f1)} {cite(*base.records)})"
        copy = [100 * rec.test["demonstration_copy_rate"] for rec in r.records]
        gold = [100 * rec.test["demonstration_label_accuracy"] for rec in r.records]
        cells.append([f"{variant(name).title} {cite(*r.records)}", "all" if train_data == "1" else train_data,
                      len(r.records), fmt_mean_std(copy), fmt_mean_std(gold), fmt_mean_std(r.test_f1), gap])
    if not cells:
        return []
    return table(["demonstration variant", "train data", "seeds", "copy rate (test, %)",
                  "demonstration label is gold (test, %)", "test weighted F1",
                  f"vs {variant(WITHOUT_DEMONSTRATIONS).title} without demonstrations, same data (95% CI)"], cells)
