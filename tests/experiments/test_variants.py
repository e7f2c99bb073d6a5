"""The variant table: one row per variant, the sft options it derives, and agreement with the records."""

from __future__ import annotations

import pytest

from experiments.records import Record
from experiments.variants import NAMES, PLANNED, VARIANTS, full_variant, variant


def test_names_are_unique_and_one_variant_is_the_full_method() -> None:
    assert len(NAMES) == len(VARIANTS) == 7
    assert [v.name for v in VARIANTS if v.full] == ["window_demos_aux"] == [full_variant().name]
    assert [v.name for v in VARIANTS if not v.in_paper] == ["window_demos_aux_all_labels", "window_per_label",
                                                            "window_sample_topk"]
    assert NAMES[:5] == PLANNED  # the drawing strategies run on request (--variants)


def test_the_sft_options_of_each_variant() -> None:
    options = {v.name: v.sft_options() for v in VARIANTS}
    assert options["plain"] == ["--stage1_epochs", "0", "--stage2_tasks", "plain", "--use_demonstrations", "false"]
    assert options["window"] == ["--stage1_epochs", "0", "--stage2_tasks", "main", "--use_demonstrations", "false"]
    assert options["window_demos"] == ["--stage1_epochs", "0", "--stage2_tasks", "main", "--use_demonstrations",
                                       "true"]
    full = ["--stage1_tasks", "speaker", "--stage2_tasks", "main", "impact", "--impact_alpha", "0.1",
            "--use_demonstrations", "true"]
    assert options["window_demos_aux"] == full
    assert options["window_demos_aux_all_labels"] == [*full, "--retrieval_train_pairing", "all_labels"]


def test_derived_facts() -> None:
    assert [v.stages for v in VARIANTS] == [(("plain",),), (("main",),), (("main",),),
                                            (("speaker",), ("main", "impact")), (("speaker",), ("main", "impact")),
                                            (("main",),), (("main",),)]
    assert [v.two_stage for v in VARIANTS] == [False, False, False, True, True, False, False]
    assert [v.auxiliary for v in VARIANTS] == [False, False, False, True, True, False, False]
    assert [v.demonstrations for v in VARIANTS] == [False, False, True, True, True, True, True]
    assert [v.prompt for v in VARIANTS] == ["plain", "main", "main", "main", "main", "main", "main"]
    assert [v.shown for v in VARIANTS] == [0, 0, 1, 1, 1, 7, 1]  # per_label: one of each MELD label


def test_a_stand_in_for_calibration_trains_the_same_stages() -> None:
    for v in VARIANTS:
        if v.calibrated_as is not None:
            stand_in = variant(v.calibrated_as)
            assert stand_in.calibrated_as is None
            assert (stand_in.stages, stand_in.demonstrations) == (v.stages, v.demonstrations)


def test_unknown_variant() -> None:
    with pytest.raises(KeyError, match="unknown variant 'nope'"):
        variant("nope")


def test_every_real_ablation_record_names_a_variant_by_its_title(real: dict[str, Record]) -> None:
    runs = [r for r in real.values() if r.group == "ablation"]
    assert {r.variant for r in runs} == set(PLANNED)
    assert all(r.settings["title"] == variant(r.variant).title for r in runs)
    for r in runs:  # the record's training ran the variant's options
        sft = next(s.command for s in r.steps or [] if "examples/sft.py" in s.command)
        assert " ".join(variant(r.variant).sft_options()) in sft
