"""Numbers from records: mean ± std, baselines on the runs' test utterances, predicted shares, the comparison."""

from __future__ import annotations

import pytest
from synthetic import GOLD, ablation, baseline

from experiments.figures import (
    baseline_on,
    common_test_ids,
    comparison,
    fmt_mean_std,
    mean_std,
    predicted_shares,
    subset_scores,
    verdict,
)
from experiments.records import Record


def test_mean_and_sample_std() -> None:
    assert fmt_mean_std([40.0, 42.0]) == "41.00 ± 1.41"
    assert fmt_mean_std([40.0]) == "40.00"
    assert fmt_mean_std([1.0, 2.0], 1) == "1.5 ± 0.7"
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)


def test_the_comparison_gives_the_gap_and_its_direction() -> None:
    text, gap = comparison("A", [30.0, 32.0], "B", 40.0, cites="[1]")
    assert gap == -9.0 and "**falls short of B by 9.00 points**" in text and text.endswith(" [1].")
    text, gap = comparison("A", [30.0, 34.0], "B", 31.0)
    assert gap == 1.0 and "**beats B by 1.00 points**" in text and "(2.83)" in text  # within the spread
    assert [verdict(g) for g in (1.0, -1.0, 0.0)] == ["beats", "falls short of", "matches"]


def test_baselines_on_the_runs_test_utterances(real: dict[str, Record]) -> None:
    meld, runs = real["baselines-meld"], [real["ablation-window-seed42"], real["ablation-window-seed43"]]
    assert common_test_ids(runs) == runs[0].test_ids and len(runs[0].test_ids or []) == 600
    assert baseline_on(meld, "tfidf_lr", runs) == (pytest.approx(47.09, abs=0.005), 600)
    assert baseline_on(meld, "majority", runs) == (pytest.approx(30.23, abs=0.005), 600)
    assert subset_scores(meld, "tfidf_lr", ["no/such"]) is None
    made_up = ablation("window", 42, 20.0)
    assert baseline_on(meld, "tfidf_lr", [made_up]) == (meld.metrics["tfidf_lr"]["weighted_f1"], None)


def test_subset_scores_on_synthetic_records() -> None:
    tfidf = GOLD[:4] + ["joy" if g != "joy" else "sadness" for g in GOLD[4:]]
    assert subset_scores(baseline(tfidf), "tfidf_lr", ["0/0", "0/1", "0/2", "0/3"]) == \
        {"weighted_f1": 100.0, "accuracy": 100.0}


def test_predicted_shares(real: dict[str, Record]) -> None:
    label, share, gold = predicted_shares([real["ablation-window_demos-seed42"], real["ablation-window_demos-seed43"]])
    assert label == "surprise" and round(share, 1) == 19.3 and round(gold, 1) == 9.8
    assert predicted_shares([ablation("window", 42, 20.0)]) == ("neutral", 100.0, 50.0)
