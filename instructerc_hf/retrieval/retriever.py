"""Cosine top-k retrieval over a domain base, and the retriever saved with an adapter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from ..configuration import ERCModelConfig
from ..hub.files import model_file
from ..registry import DOMAIN_BASE_NAME
from .config import RetrievalConfig
from .domain_base import Demonstration, DialogueKey, DomainBase
from .embeddings import cache_key, load_cached, load_encoder, model_fingerprint, save_atomically
from .errors import (
    DomainBaseNotFoundError,
    EmptyDomainBaseError,
    LabelNotInBaseError,
    NoDemonstrationError,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


_SEARCH_CHUNK = 512


def _fold(text: str) -> str:
    """Case- and whitespace-folded text, for the same-text exclusion."""
    return " ".join(text.casefold().split())


class DemonstrationRetriever:
    """Cosine top-k retrieval over a :class:`DomainBase` with a sentence-transformers encoder.

    The encoder is loaded on first use only: with every embedding cached, it is never loaded.
    """

    def __init__(self, config: RetrievalConfig | None = None) -> None:
        self.config = config or RetrievalConfig()
        self._model: SentenceTransformer | None = None
        self._fingerprint: str | None = None
        self._base: DomainBase | None = None
        self._embeddings = np.zeros((0, 0), dtype=np.float32)
        self._label_index: dict[str, int] = {}
        self._dialogue_index: dict[DialogueKey, int] = {}
        self._text_index: dict[str, int] = {}
        self._base_labels = self._base_dialogues = self._base_texts = np.zeros(0, dtype=np.int64)

    @property
    def model(self) -> SentenceTransformer:
        """The encoder, loaded on first access."""
        if self._model is None:
            self._model = load_encoder(self.config.encoder_name(), self.config.device)
        return self._model

    @property
    def base(self) -> DomainBase:
        if self._base is None:
            raise RuntimeError("the retriever has no domain base yet; call fit(base) first")
        return self._base

    def embed(self, texts: Sequence[str], cache: bool = True) -> np.ndarray:
        """L2-normalised float32 embeddings of ``texts`` (each distinct text encoded once).

        With ``cache``, they are read from or written to ``<cache_dir>/<sha256 of encoder and distinct texts>.npy``.
        """
        if not texts:
            raise ValueError("no texts to embed")
        unique = list(dict.fromkeys(texts))
        vectors = self._cached_encode(unique) if cache else self._encode(unique)
        position = {text: i for i, text in enumerate(unique)}
        return vectors[[position[t] for t in texts]]

    def _cached_encode(self, texts: list[str]) -> np.ndarray:
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(self.config.encoder_name())
        path = self.config.embedding_dir() / f"{cache_key(self._fingerprint, texts)}.npy"
        vectors = load_cached(path, len(texts))
        if vectors is None:
            vectors = self._encode(texts)
            save_atomically(path, vectors)
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self.config.progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def fit(self, base: DomainBase) -> DemonstrationRetriever:
        """Embed the domain base (cached) and index its labels, dialogues and texts."""
        if len(base) == 0:
            raise EmptyDomainBaseError("cannot fit on an empty domain base")
        self._base = base
        self._embeddings = self.embed(base.texts)
        self._label_index = {label: i for i, label in enumerate(base.label_counts())}
        self._dialogue_index = {}
        self._text_index = {}
        utterances = base.utterances
        self._base_labels = np.array([self._label_index[u.label] for u in utterances])
        self._base_dialogues = np.array(
            [self._dialogue_index.setdefault(u.dialogue, len(self._dialogue_index)) for u in utterances]
        )
        self._base_texts = np.array(
            [self._text_index.setdefault(_fold(u.text), len(self._text_index)) for u in utterances]
        )
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        """The base's labels, sorted; :attr:`base_label_ids` indexes them."""
        return tuple(self._label_index)

    @property
    def base_label_ids(self) -> np.ndarray:
        """Per base utterance, the index of its label in :attr:`labels`."""
        return self._base_labels

    def retrieve(
        self,
        queries: Sequence[str],
        exclude_dialogues: Sequence[DialogueKey | None] | None = None,
        required_labels: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> list[list[Demonstration]]:
        """The ``top_k`` most similar base utterances of each query, most similar first (ties: earlier in the base).

        Args:
            queries: the query utterance texts.
            exclude_dialogues: per query, a ``(dataset, dialogue_id)`` whose utterances must not be returned.
            required_labels: per query, the label every demonstration must carry (same-label pairing), or ``None``.
            embeddings: the queries' embeddings from :meth:`embed`, if already computed.

        Raises:
            LabelNotInBaseError: a required label has no utterance in the base.
            NoDemonstrationError: a query has no admissible candidate left.
        """
        results: list[list[Demonstration]] = []
        for start, scores in self.scored(queries, exclude_dialogues, required_labels, embeddings):
            results += self._top(scores, queries[start : start + len(scores)], required_labels, start)
        return results

    def scored(
        self,
        queries: Sequence[str],
        exclude_dialogues: Sequence[DialogueKey | None] | None = None,
        required_labels: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Cosine scores of the queries against the base, in chunks ``(first query, (chunk, base) scores)``.

        Inadmissible pairs (own dialogue, same text, another label than the required one) score ``-inf``. The
        arguments are those of :meth:`retrieve`, which ranks these scores.
        """
        n = len(queries)
        if n == 0:
            return
        for name, values in (("exclude_dialogues", exclude_dialogues), ("required_labels", required_labels)):
            if values is not None and len(values) != n:
                raise ValueError(f"{name} has {len(values)} entries for {n} queries")
        query_labels = self.label_ids(required_labels, n)
        query_dialogues = np.array(
            [self._dialogue_index.get(k, -1) if k else -1 for k in exclude_dialogues or [None] * n]
        )
        query_texts = np.array(
            [self._text_index.get(_fold(q), -1) if self.config.exclude_same_text else -1 for q in queries]
        )
        vectors = self.embed(queries, cache=False) if embeddings is None else embeddings
        if vectors.shape != (n, self._embeddings.shape[1]):
            raise ValueError(f"embeddings have shape {vectors.shape}, expected {(n, self._embeddings.shape[1])}")
        starts = range(0, n, _SEARCH_CHUNK)
        for start in tqdm(
            starts, desc="retrieving demonstrations", disable=not self.config.progress or n <= _SEARCH_CHUNK
        ):
            end = min(start + _SEARCH_CHUNK, n)
            scores = vectors[start:end] @ self._embeddings.T
            self._mask(scores, query_labels[start:end], query_dialogues[start:end], query_texts[start:end])
            yield start, scores

    def label_ids(self, required: Sequence[str | None] | None, n: int) -> np.ndarray:
        """Per query, the index of its required label, or -1."""
        if required is None:
            return np.full(n, -1)
        missing = sorted({label for label in required if label is not None and label not in self._label_index})
        if missing:
            raise LabelNotInBaseError(
                f"label(s) {missing} have no utterance in the domain base (its labels and counts: "
                f"{self.base.label_counts()}); same-label pairing cannot serve them"
            )
        return np.array([-1 if label is None else self._label_index[label] for label in required])

    def _mask(self, scores: np.ndarray, labels: np.ndarray, dialogues: np.ndarray, texts: np.ndarray) -> None:
        """Set the score of every inadmissible (query, candidate) pair to -inf, in place."""
        wrong_label = (labels[:, None] >= 0) & (self._base_labels[None, :] != labels[:, None])
        same_dialogue = self._base_dialogues[None, :] == dialogues[:, None]
        same_text = self._base_texts[None, :] == texts[:, None]
        scores[wrong_label | same_dialogue | same_text] = -np.inf

    def _top(
        self, scores: np.ndarray, queries: Sequence[str], required: Sequence[str | None] | None, offset: int
    ) -> list[list[Demonstration]]:
        """The admissible top-k of each row of ``scores``, ordered by score then base position."""
        k = min(self.config.top_k, scores.shape[1])
        thresholds = -np.partition(-scores, k - 1, axis=1)[:, k - 1]  # each row's k-th best score
        utterances = self.base.utterances
        found: list[list[Demonstration]] = []
        for row, threshold in enumerate(thresholds):
            candidates = np.flatnonzero(scores[row] >= threshold)  # in base order, so the stable sort breaks ties
            ranked = candidates[np.argsort(-scores[row, candidates], kind="stable")][:k]
            demos = [Demonstration(utterances[i], float(scores[row, i])) for i in ranked if np.isfinite(scores[row, i])]
            if not demos:
                label = required[offset + row] if required is not None else None
                raise NoDemonstrationError(
                    f"query {offset + row} ({queries[row]!r}) has no admissible demonstration: every base utterance"
                    f"{f' labelled {label!r}' if label else ''} is from its own dialogue or has the same text"
                )
            found.append(demos)
        return found


def domain_base_file(model_dir: str | Path) -> Path:
    """The ``domain_base.jsonl`` of a local adapter folder, or downloaded from a Hub repo id.

    Raises:
        DomainBaseNotFoundError: the folder or repo has none (or, offline, it is not in the Hub cache).
    """
    path = model_file(model_dir, DOMAIN_BASE_NAME)
    if path is not None:
        return path
    raise DomainBaseNotFoundError(f"{model_dir} has no {DOMAIN_BASE_NAME}")


def load_retriever(
    model_dir: str | Path, config: ERCModelConfig | None = None, **overrides: Any
) -> DemonstrationRetriever:
    """The fitted retriever an adapter was trained with: its saved domain base and ``RetrievalConfig``.

    Args:
        model_dir: the adapter folder or Hub repo id (with ``instructerc_config.json`` and ``domain_base.jsonl``).
        config: the adapter's config, if already read; default ``ERCModelConfig.from_pretrained(model_dir)``.
        overrides: ``RetrievalConfig`` fields to change for this machine, e.g. ``cache_dir``, ``device``,
            ``progress`` (the base's embeddings are read from the cache when present).

    Raises:
        ValueError: the adapter was trained without demonstrations.
        DomainBaseNotFoundError: it was, but no domain base was saved with it.
    """
    if config is None:
        config = ERCModelConfig.from_pretrained(model_dir)
    if config.retrieval is None:
        raise ValueError(f"{model_dir} was trained without retrieved demonstrations: it has no retriever")
    retrieval = RetrievalConfig(**{**config.retrieval, **overrides})
    base = DomainBase.load(domain_base_file(model_dir))
    return DemonstrationRetriever(retrieval).fit(base)
