"""Sentence embeddings of the real all-MiniLM-L6-v2 encoder: the on-disk cache, an encoder that cannot load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from instructerc_hf.retrieval.config import RetrievalConfig
from instructerc_hf.retrieval.domain_base import DomainBase, Utterance
from instructerc_hf.retrieval.errors import EncoderLoadError
from instructerc_hf.retrieval.retriever import DemonstrationRetriever


def test_embedding_cache_skips_the_encoder(retriever: DemonstrationRetriever, cache_dir: str) -> None:
    assert list(Path(cache_dir).glob("*.npy"))
    again = DemonstrationRetriever(retriever.config).fit(retriever.base)
    assert again._model is None  # every embedding came from the cache
    texts = retriever.base.texts
    np.testing.assert_array_equal(again.embed(texts), retriever.embed(texts))
    assert np.allclose(np.linalg.norm(again.embed(texts), axis=1), 1.0, atol=1e-5)


def test_encoder_that_cannot_load(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-encoder"
    config = RetrievalConfig(encoder=str(missing), cache_dir=str(tmp_path), progress=False)
    base = DomainBase.from_utterances([Utterance("Hi.", "neutral", "meld", "0", 0)], config)
    with pytest.raises(EncoderLoadError, match="no-such-encoder"):
        DemonstrationRetriever(config).fit(base)
