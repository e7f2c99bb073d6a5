"""Demonstration strategies on real MELD rows: top1 is retrieve(), per_label hides the answer, draws are pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import datasets
import numpy as np
import pytest

from instructerc_hf.prompts import PromptConfig
from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.inject import add_demonstrations
from instructerc_hf.retrieval.retriever import DemonstrationRetriever
from instructerc_hf.retrieval.strategies import DemonstrationDraws, candidate_table


def with_config(retriever: DemonstrationRetriever, **changes: object) -> DemonstrationRetriever:
    """A shallow copy of the fitted ``retriever`` with other config fields (no re-embedding)."""
    copy = object.__new__(DemonstrationRetriever)
    copy.__dict__.update(retriever.__dict__)
    copy.config = dataclasses.replace(retriever.config, **changes)  # type: ignore[arg-type]
    return copy


def fit_draws(
    retriever: DemonstrationRetriever, rows: datasets.Dataset, same_label: bool = True, **changes: Any
) -> DemonstrationDraws:
    """Training-mode draws of ``rows``: own dialogue excluded, paired on the gold label when ``same_label``."""
    exclude: Sequence[tuple[str, str] | None] = list(zip(rows["dataset"], rows["dialogue_id"], strict=True))
    pairing = list(rows["label"]) if same_label else None
    queries = list(rows["text"])
    return DemonstrationDraws.fit(with_config(retriever, **changes), queries, exclude, pairing, release=True,
                                  embeddings=retriever.embed(queries))


@pytest.mark.parametrize("same_label", [True, False])
def test_candidate_table_ranks_like_retrieve(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever, same_label: bool
) -> None:
    top3 = with_config(retriever, top_k=3)
    queries, exclude = list(train_rows["text"]), list(zip(train_rows["dataset"], train_rows["dialogue_id"], strict=True))
    required = list(train_rows["label"]) if same_label else None
    expected = top3.retrieve(queries, exclude, required, embeddings=top3.embed(queries))
    table = candidate_table(top3, queries, 5, exclude, required, embeddings=top3.embed(queries))
    index = {u: i for i, u in enumerate(retriever.base.utterances)}
    for row, demos in enumerate(expected):
        ranked = table.by_label[row, table.pairing[row]] if same_label else table.overall[row]
        assert ranked[:3].tolist() == [index[d.utterance] for d in demos]
    draws = DemonstrationDraws(table, retriever.base, dataclasses.replace(top3.config, top_k=3), release=False)
    assert [draws.demonstrations(row, 7) for row in range(len(draws))] == expected  # scores too


def test_per_label_shows_every_label_once_with_the_answer_uniformly_placed(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever
) -> None:
    stats = pytest.importorskip("scipy.stats")
    draws = fit_draws(retriever, train_rows, strategy="per_label", candidate_k=4)
    labels = sorted(retriever.base.label_counts())
    gold = list(train_rows["label"])
    counts = np.zeros((len(labels), len(labels)), dtype=int)  # gold label x its position among the demonstrations
    for epoch in range(12):
        for row in range(len(draws)):
            shown = [d.label for d in draws.demonstrations(row, epoch)]
            assert sorted(shown) == labels
            counts[labels.index(gold[row]), shown.index(gold[row])] += 1
    assert counts.sum() == 12 * len(train_rows)
    assert stats.chisquare(counts.sum(axis=0)).pvalue > 0.01  # uniform position
    observed = counts[counts.sum(axis=1) > 0]
    assert stats.chi2_contingency(observed).pvalue > 0.01  # independent of the gold label


def test_per_label_draws_from_each_labels_nearest(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever
) -> None:
    draws = fit_draws(retriever, train_rows, strategy="per_label", candidate_k=3)
    index = {u: i for i, u in enumerate(retriever.base.utterances)}
    labels = sorted(retriever.base.label_counts())
    for row in range(0, len(draws), 7):
        for demo in draws.demonstrations(row, 1):
            assert index[demo.utterance] in draws.table.by_label[row, labels.index(demo.label), :3]
            assert demo.utterance.dialogue != (train_rows[row]["dataset"], train_rows[row]["dialogue_id"])


@pytest.mark.parametrize(("strategy", "changes"), [("sample_topk", {"top_k": 2}), ("per_label", {})])
def test_draws_are_pure_in_seed_epoch_and_row(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever, strategy: str, changes: dict[str, Any]
) -> None:
    draws = fit_draws(retriever, train_rows, strategy=strategy, candidate_k=4, **changes)
    again = fit_draws(retriever, train_rows, strategy=strategy, candidate_k=4, **changes)  # a fresh process, resumed
    rows = list(range(len(draws)))
    first = {(e, r): draws.positions(r, e) for e in (0, 1, 2) for r in rows}
    backwards = {(e, r): again.positions(r, e) for e in (2, 1, 0) for r in reversed(rows)}  # any fetch order
    assert first == backwards
    for epoch in (1, 2):
        changed = sum(first[(epoch, r)] != first[(0, r)] for r in rows)
        assert changed > 0.5 * len(rows)
    reseeded = fit_draws(retriever, train_rows, strategy=strategy, candidate_k=4, seed=1, **changes)
    assert sum(reseeded.positions(r, 0) != first[(0, r)] for r in rows) > 0.5 * len(rows)
    if strategy == "sample_topk":
        for (_, row), positions in first.items():
            assert len(positions) == 2 and set(positions) <= set(draws.table.by_label[row, draws.table.pairing[row], :4])
            ranks = [draws.table.by_label[row, draws.table.pairing[row]].tolist().index(p) for p in positions]
            assert ranks == sorted(ranks)  # most similar first


def test_top1_is_fixed_and_the_fraction_releases_a_share_per_epoch(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever
) -> None:
    gold = list(train_rows["label"])
    fixed = fit_draws(retriever, train_rows)
    assert all(fixed.positions(r, 0) == fixed.positions(r, 5) for r in range(len(fixed)))
    assert all(d.label == gold[r] for r in range(len(fixed)) for d in fixed.demonstrations(r, 3))
    free = fit_draws(retriever, train_rows, all_labels_fraction=1.0)
    half = fit_draws(retriever, train_rows, all_labels_fraction=0.5)
    for epoch in (0, 1):
        free_rows = [free.positions(r, epoch) for r in range(len(free))]
        half_rows = [half.positions(r, epoch) for r in range(len(half))]
        pairs = enumerate(zip(half_rows, free_rows, strict=True))
        released = [h == f != fixed.positions(r, epoch) for r, (h, f) in pairs]
        differs = sum(f != fixed.positions(r, epoch) for r, f in enumerate(free_rows))
        assert 0.35 * differs < sum(released) < 0.65 * differs
    assert [half.positions(r, 0) for r in range(len(half))] != [half.positions(r, 1) for r in range(len(half))]


def test_longest_draw_bounds_every_draw(train_rows: datasets.Dataset, retriever: DemonstrationRetriever) -> None:
    lengths = np.array([len(u.text) for u in retriever.base.utterances])
    index = {u: i for i, u in enumerate(retriever.base.utterances)}
    for strategy, changes in (("per_label", {}), ("sample_topk", {"top_k": 2}), ("top1", {"all_labels_fraction": 0.5})):
        draws = fit_draws(retriever, train_rows, strategy=strategy, candidate_k=4, **changes)
        for row in range(0, len(draws), 5):
            bound = sum(lengths[index[d.utterance]] for d in draws.longest(row, lengths))
            assert all(sum(lengths[p] for p in draws.positions(row, e)) <= bound for e in range(6))


def test_map_time_injection_takes_one_draw(
    train_rows: datasets.Dataset, retriever: DemonstrationRetriever, prompt_config: PromptConfig
) -> None:
    per_label = with_config(retriever, strategy="per_label")
    first = add_demonstrations(train_rows, per_label, prompt_config, "train")
    assert first["prompt"] == add_demonstrations(train_rows, per_label, prompt_config, "train")["prompt"]
    other = add_demonstrations(train_rows, per_label, prompt_config, "train", draw=1)
    assert sum(a != b for a, b in zip(first["prompt"], other["prompt"], strict=True)) > len(train_rows) / 2
    label_count = len(retriever.base.label_counts())
    assert all(p.count("Here is a similar utterance") == label_count for p in first["prompt"])
    validation = add_demonstrations(train_rows.remove_columns("label"), per_label, prompt_config, "inference")
    assert all(p.count("Here is a similar utterance") == label_count for p in validation["prompt"])


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"strategy": "best"}, "strategy must be one of"),
        ({"injection": "batch"}, "injection must be one of"),
        ({"strategy": "per_label", "top_k": 2}, "per_label shows one demonstration of every label"),
        ({"strategy": "per_label", "all_labels_fraction": 0.2}, "per_label shows one demonstration of every label"),
        ({"strategy": "sample_topk", "top_k": 3, "candidate_k": 2}, "candidate_k must be >= top_k"),
        ({"candidate_k": 0}, "candidate_k must be >= 1"),
        ({"seed": -1}, "seed must be >= 0"),
    ],
)
def test_bad_strategy_options(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RetrievalConfig(**changes)  # type: ignore[arg-type]
