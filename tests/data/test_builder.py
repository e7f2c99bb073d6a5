"""The ``datasets`` builder on real data: official-compatible characters and prompts, the unified mix, fractions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import DATA, MELD_CSV, OFFICIAL_NAMES, SAMPLES, require

from instructerc_hf.data.builder import InstructERCBuilder


def test_official_legacy_characters_kept_only_in_official_mode(tmp_path: Path) -> None:
    raw = str(require(DATA / "meld/raw"))
    official = InstructERCBuilder(config_name="meld-plain", cache_dir=str(tmp_path), raw_dir=raw, official=True)
    repaired = InstructERCBuilder(config_name="meld-plain", cache_dir=str(tmp_path), raw_dir=raw, source="pickle")
    assert "company\x92s" in official.split_rows("train")[0]["prompt"]
    assert "company’s" in repaired.split_rows("train")[0]["prompt"]


def test_unified_ratio_mix_and_fraction_are_seeded(tmp_path: Path) -> None:
    raw_dirs = [f"meld={require(MELD_CSV)}", f"iemocap={require(DATA / 'iemocap/raw')}",
                f"emorynlp={require(DATA / 'emorynlp/raw')}"]

    def rows(**kwargs: object) -> list[dict[str, object]]:
        builder = InstructERCBuilder(config_name="unified-plain-unified", cache_dir=str(tmp_path), raw_dir=raw_dirs,
                                     **kwargs)
        return builder.split_rows("train")

    total = rows()
    assert Counter(r["dataset"] for r in total) == {"iemocap": 5163, "meld": 9989, "emorynlp": 7551}
    ratio = rows(mix="ratio", fraction=0.125, sampling_seed=7)
    assert len(ratio) == round(3 * 5163 / 8)
    assert ratio == rows(mix="ratio", fraction=0.125, sampling_seed=7)
    assert ratio != rows(mix="ratio", fraction=0.125, sampling_seed=8)
    test_rows = InstructERCBuilder(config_name="unified-plain-unified", cache_dir=str(tmp_path), raw_dir=raw_dirs,
                                   mix="ratio", fraction=0.125).split_rows("test")
    assert len(test_rows) == 1623 + 2610 + 984  # evaluation splits are never sampled


@pytest.mark.parametrize("split", ["validation", "test"])
def test_unified_mixed_prompts_are_byte_identical(tmp_path: Path, split: str) -> None:
    builder = InstructERCBuilder(
        config_name="unified-main-unified", cache_dir=str(tmp_path), official=True,
        raw_dir=[f"{name}={require(DATA / name / 'raw')}" for name in OFFICIAL_NAMES],
    )
    rows = builder.split_rows(split)
    name = "valid" if split == "validation" else "test"
    samples = [json.loads(line) for line in (require(SAMPLES) / f"unified_mixed/window12/{name}.head3.jsonl").open()]
    for sample, row in zip(samples, rows[: len(samples)], strict=True):
        assert row["prompt"] == sample["input"]
        assert row["completion"].strip() == sample["target"]


def test_builder_options_are_validated_when_datasets_sets_them(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown --mix 'Ratio'"):  # a typo no longer runs as Total Mix
        InstructERCBuilder(config_name="meld-plain", cache_dir=str(tmp_path), raw_dir=str(MELD_CSV), mix="Ratio")
