"""Undoing cp1252 damage in MELD text."""

from __future__ import annotations

from collections import Counter

from instructerc_hf.readers.text_repair import repair_text


def test_repair_text_cases() -> None:
    counts: Counter[str] = Counter()
    assert repair_text("company\x92s", counts) == "company’s"
    assert repair_text("companyÂ’s", counts) == "company’s"
    assert repair_text("companyâ€™s", counts) == "company’s"
    assert repair_text("So\x85 so", counts) == "So… so"
    assert repair_text("café – ok", counts) == "café – ok"
    assert counts == {"C1 control characters": 3, "utf-8 mojibake": 2}
