"""The estimate: which record calibrates a variant, and the scaling to the plan's sizes."""

from __future__ import annotations

import pytest
from synthetic import ablation

from experiments import estimate
from experiments.ablation import ablation_experiment
from experiments.groups import zero_shot_experiment
from experiments.records import Record
from experiments.run import parse_args
from experiments.variants import variant


def test_the_estimate_calibrates_on_the_fastest_run_of_the_variant_or_its_stand_in() -> None:
    slow, fast = ablation("window_demos_aux", 42, 30.0), ablation("window_demos_aux", 43, 30.0, train_seconds=300.0)
    records = {r.experiment: r for r in (slow, fast)}
    assert estimate.calibration_run(records, "window_demos_aux") is fast
    assert estimate.calibration_run(records, "window_demos_aux_all_labels") is fast
    assert estimate.calibration_run(records, "window") is None


def test_real_calibration(real: dict[str, Record]) -> None:
    chosen = estimate.calibration_run(real, "window")
    assert chosen is not None and chosen.experiment == "ablation-window-seed43"  # the idle-machine run
    assert estimate.demonstration_tokens(real) == pytest.approx(27, abs=1)  # docs/experiments.md: "adds 27"
    assert estimate.recipe_batch() == 4


def test_training_tokens() -> None:
    args = parse_args(["--max-steps", "-1"])
    sizes = estimate.PlanSizes({"train": 100, "validation": 10, "test": 20},
                               {"main": 100.0, "plain": 20.0, "speaker": 50.0, "impact": 80.0}, rows=10,
                               demonstration=5.0)
    assert estimate.training_tokens(args, variant("plain"), sizes, 4) == 12 * 20.0  # ceil(10 / 4) * 4 rows
    assert estimate.training_tokens(args, variant("window_demos"), sizes, 4) == 12 * 105.0
    # speaker stage, then main + impact: ceil(20 / 4) * 4 rows of (105 + 80) / 2 tokens
    assert estimate.training_tokens(args, variant("window_demos_aux"), sizes, 4) == 12 * 50.0 + 20 * 92.5
    capped = parse_args(["--max-steps", "2"])
    assert estimate.training_tokens(capped, variant("window"), sizes, 4) == 8 * 100.0


def test_estimate_seconds(real: dict[str, Record]) -> None:
    args = parse_args([])
    sizes = estimate.PlanSizes({"train": 9989, "validation": 1109, "test": 2610},
                               {"main": 184.0, "plain": 39.0, "speaker": 80.0, "impact": 170.0}, rows=1249,
                               demonstration=estimate.demonstration_tokens(real))
    seconds = estimate.estimate_seconds(args, ablation_experiment(args, "window", 43), real, sizes, 4)
    assert seconds is not None and 25 * 60 < seconds < 35 * 60  # docs/experiments.md: 29.9 min
    zero = estimate.estimate_seconds(args, zero_shot_experiment(args, "meld", False), real, sizes, 4)
    assert zero is not None and 0.5 * 60 < zero < 2 * 60
    whole = estimate.estimate_seconds(parse_args(["--limit", "0"]), zero_shot_experiment(args, "meld", False), real,
                                      sizes, 4)
    assert whole is not None and 8 * zero < whole < 13.05 * zero  # all 2610 MELD test utterances, not 200
    assert estimate.estimate_seconds(args, zero_shot_experiment(args, "meld", False), {}, sizes, 4) is None
