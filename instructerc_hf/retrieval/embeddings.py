"""The sentence-transformers encoder and the on-disk embedding cache."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import (
    EncoderLoadError,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


CACHE_VERSION = "instructerc-hf-embeddings-v1"


def model_fingerprint(name: str) -> str:
    """The encoder's name; a local folder adds its files' relative paths and sizes."""
    folder = Path(name)
    if not folder.is_dir():
        return name
    files = sorted(f for f in folder.rglob("*") if f.is_file())
    return "\n".join([name, *(f"{f.relative_to(folder)}:{f.stat().st_size}" for f in files)])


def cache_key(model_fingerprint: str, texts: Sequence[str]) -> str:
    """sha256 of the cache version, the encoder's fingerprint and the texts (length-prefixed)."""
    digest = hashlib.sha256(f"{CACHE_VERSION}\n{model_fingerprint}\n".encode())
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.hexdigest()


def load_encoder(name: str, device: str | None) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name, device=device)
    except Exception as error:
        raise EncoderLoadError(
            f"cannot load the sentence-transformers encoder {name!r} ({type(error).__name__}: {error}); pass a local "
            "folder or a Hub id available offline as RetrievalConfig(encoder=...)"
        ) from error


def load_cached(path: Path, rows: int) -> np.ndarray | None:
    """The cached embeddings at ``path`` if present and of the right length."""
    if not path.is_file():
        return None
    vectors = np.load(path)
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        logger.warning("ignoring the embedding cache %s: shape %s for %d texts", path, vectors.shape, rows)
        return None
    return vectors


def save_atomically(path: Path, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, vectors)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
