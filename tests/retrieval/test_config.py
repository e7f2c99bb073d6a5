"""Retrieval settings that are refused."""

from __future__ import annotations

import pytest

from instructerc_hf.retrieval.config import RetrievalConfig


@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_k": 0},
        {"train_pairing": "oracle"},
        {"inference_pairing": "gold"},
        {"balance": "oversample"},
        {"balance": "none", "max_per_label": 10},
        {"all_labels_fraction": 1.5},
    ],
)
def test_bad_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetrievalConfig(**kwargs)  # type: ignore[arg-type]
