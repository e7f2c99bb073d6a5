"""Demonstration strategies: which retrieved utterances a prompt shows, drawn anew for every epoch.

With the paper's same-label pairing a model learns to copy the demonstration's label (``docs/demonstrations.md``).
The remedies here follow LM-BFF (Gao et al., 2021): ``per_label`` shows one demonstration of every label, each drawn
from that label's ``candidate_k`` most similar utterances, in random order, so the demonstrations' labels say nothing
about the answer; ``sample_topk`` draws ``top_k`` of the ``candidate_k`` most similar; RAFT-style,
``all_labels_fraction`` releases a share of same-label rows to any label, drawn per epoch. ``top1`` is the paper.

Every query's candidates are ranked once, at set-up (:class:`CandidateTable`), so a draw does no embedding and no
search. A draw is a pure function of ``(seed, draw, key)`` (numpy ``SeedSequence`` entropy): the same after a resume,
and on whichever process or dataloader worker fetches the row. In training ``draw`` is the epoch and ``key`` the row;
at inference ``draw`` numbers the members of an ensemble and ``key`` is the query text's CRC-32
(:func:`text_keys`), so an utterance gets the same demonstrations from ``evaluate``, ``predict`` and the pipeline.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import RetrievalConfig
from .domain_base import Demonstration, DialogueKey, DomainBase
from .errors import NoDemonstrationError
from .retriever import DemonstrationRetriever

logger = logging.getLogger(__name__)

#: Extra entropy that keeps these draws apart from the other uses of ``RetrievalConfig.seed``.
_STREAM = 0x44454D4F


@dataclass(frozen=True)
class CandidateTable:
    """Each query's admissible candidates, most similar first (ties: earlier in the base): base positions (-1: none)
    and cosine scores (-inf: none).

    Attributes:
        by_label: ``(queries, labels, k)``, per label of the base its ``k`` most similar utterances.
        by_label_scores: their scores.
        overall: ``(queries, k)``, the ``k`` most similar of any label.
        overall_scores: their scores.
        pairing: ``(queries,)``, the label index a same-label draw pairs on; -1: any label.
    """

    by_label: np.ndarray
    by_label_scores: np.ndarray
    overall: np.ndarray
    overall_scores: np.ndarray
    pairing: np.ndarray

    def __len__(self) -> int:
        return len(self.pairing)


def candidate_table(
    retriever: DemonstrationRetriever,
    queries: Sequence[str],
    k: int,
    exclude_dialogues: Sequence[DialogueKey | None] | None = None,
    pairing_labels: Sequence[str | None] | None = None,
    embeddings: np.ndarray | None = None,
) -> CandidateTable:
    """Rank every query's ``k`` nearest candidates of each label, and of any label, in one pass over the base.

    The scores are those of :meth:`DemonstrationRetriever.retrieve` (same chunks, same masks), so the first ``top_k``
    entries are exactly what it returns with or without ``required_labels``.
    """
    groups = [np.flatnonzero(retriever.base_label_ids == i) for i in range(len(retriever.labels))]
    n, width = len(queries), len(groups)
    by_label = np.full((n, width, k), -1, dtype=np.int64)
    by_label_scores = np.full((n, width, k), -np.inf, dtype=np.float32)
    for start, scores in retriever.scored(queries, exclude_dialogues, None, embeddings):
        rows = slice(start, start + len(scores))
        for label, positions in enumerate(groups):
            sub = scores[:, positions]
            order = np.argsort(-sub, axis=1, kind="stable")[:, :k]  # stable: ties keep base order
            found = np.take_along_axis(sub, order, axis=1)
            by_label[rows, label, : order.shape[1]] = np.where(np.isfinite(found), positions[order], -1)
            by_label_scores[rows, label, : order.shape[1]] = found
    flat, flat_scores = by_label.reshape(n, -1), by_label_scores.reshape(n, -1)
    key = np.where(flat >= 0, flat, np.iinfo(np.int64).max)
    order = np.lexsort((key, -flat_scores), axis=-1)[:, :k]  # by score, then base position
    return CandidateTable(
        by_label=by_label,
        by_label_scores=by_label_scores,
        overall=np.take_along_axis(flat, order, axis=1),
        overall_scores=np.take_along_axis(flat_scores, order, axis=1),
        pairing=retriever.label_ids(pairing_labels, n),
    )


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """The draw key of each query at inference: the CRC-32 of its UTF-8 text (stable across runs and processes)."""
    return np.array([zlib.crc32(text.encode("utf-8")) for text in texts], dtype=np.int64)


class DemonstrationDraws:
    """The demonstrations of each row of a :class:`CandidateTable` under ``config.strategy``, for any draw number.

    ``release``: a same-label row is paired with any label with probability ``config.all_labels_fraction`` (drawn
    per draw); training only. ``keys``: per row the entropy of its draws (default: the row number).
    """

    def __init__(self, table: CandidateTable, base: DomainBase, config: RetrievalConfig, release: bool,
                 keys: np.ndarray | None = None) -> None:
        if keys is not None and len(keys) != len(table):
            raise ValueError(f"{len(keys)} draw keys for {len(table)} rows")
        self.table, self.base, self.config, self.keys = table, base, config, keys
        self.fraction = config.all_labels_fraction if release else 0.0
        self.pool = config.top_k if config.strategy == "top1" else config.candidate_k
        index = {label: i for i, label in enumerate(base.label_counts())}  # the retriever's label order
        self._label_ids = [index[u.label] for u in base.utterances]
        self._check()

    @classmethod
    def fit(
        cls,
        retriever: DemonstrationRetriever,
        queries: Sequence[str],
        exclude_dialogues: Sequence[DialogueKey | None] | None = None,
        pairing_labels: Sequence[str | None] | None = None,
        release: bool = False,
        embeddings: np.ndarray | None = None,
        keys: np.ndarray | None = None,
    ) -> DemonstrationDraws:
        """Rank the queries' candidates once (``pairing_labels``: per query the label a same-label draw needs)."""
        config = retriever.config
        if config.strategy == "per_label":
            pairing_labels = None  # every label is shown: no pairing
        elif pairing_labels is not None and release and config.all_labels_fraction == 0.0:
            logger.warning("same-label training: every demonstration carries the target's label, so the model can "
                           "learn to copy it; consider strategy per_label (see docs/demonstrations.md)")
        k = config.top_k if config.strategy == "top1" else config.candidate_k
        table = candidate_table(retriever, queries, k, exclude_dialogues, pairing_labels, embeddings)
        return cls(table, retriever.base, config, release, keys)

    def __len__(self) -> int:
        return len(self.table)

    def _check(self) -> None:
        """Every row has a candidate in each list a draw may use (else the error :meth:`retrieve` raises)."""
        table = self.table
        for row in range(len(table)):
            pair = int(table.pairing[row])
            if self.config.strategy == "per_label":
                empty = table.by_label[row, :, 0].max() < 0
            else:
                empty = (pair >= 0 and table.by_label[row, pair, 0] < 0) or (
                    (pair < 0 or self.fraction > 0) and table.overall[row, 0] < 0)
            if empty:
                raise NoDemonstrationError(f"query {row} has no admissible demonstration: every base utterance "
                                           "that could be drawn is from its own dialogue or has the same text")

    def rng(self, row: int, draw: int) -> np.random.Generator:
        """The generator of one draw of one row: a pure function of ``(seed, draw, key)`` (key: the row's, or ``row``)."""
        if row < 0 or draw < 0:
            raise ValueError(f"row and draw must be >= 0, got {row} and {draw}")
        key = row if self.keys is None else int(self.keys[row])
        return np.random.default_rng([_STREAM, self.config.seed, draw, key])

    def positions(self, row: int, draw: int) -> list[int]:
        """The base positions of draw ``draw`` of row ``row``, in prompt order."""
        rng = self.rng(row, draw)
        if self.config.strategy == "per_label":
            picks = [int(ranked[rng.integers(len(ranked))]) for ranked in self._label_lists(row)]
            return [picks[i] for i in rng.permutation(len(picks))]
        ranked = self._pool(row, self._paired(row, rng))
        if self.config.strategy == "top1":
            return [int(p) for p in ranked[: self.config.top_k]]
        chosen = rng.choice(len(ranked), size=min(self.config.top_k, len(ranked)), replace=False)
        return [int(ranked[i]) for i in sorted(chosen)]  # most similar first

    def demonstrations(self, row: int, draw: int) -> list[Demonstration]:
        """The demonstrations of draw ``draw`` of row ``row``, in prompt order, with their scores."""
        return [self._demonstration(row, p) for p in self.positions(row, draw)]

    def longest(self, row: int, lengths: Sequence[int] | np.ndarray) -> list[Demonstration]:
        """The draw of row ``row`` with the most tokens (``lengths``: per base position), to fit prompts once."""
        size = np.asarray(lengths)
        if self.config.strategy == "per_label":
            picks = [int(ranked[np.argmax(size[ranked])]) for ranked in self._label_lists(row)]
            return [self._demonstration(row, p) for p in picks]
        options = [self._pool(row, paired) for paired in self._pairings(row)]
        if self.config.strategy == "top1":
            options = [ranked[: self.config.top_k] for ranked in options]
        else:  # the top_k longest of the pool, in rank order
            options = [ranked[np.sort(np.argsort(-size[ranked], kind="stable")[: self.config.top_k])]
                       for ranked in options]
        best = max(options, key=lambda ranked: int(size[ranked].sum()))
        return [self._demonstration(row, int(p)) for p in best]

    def _pairings(self, row: int) -> list[bool]:
        """Whether draws of ``row`` may pair on its label (True) and may use any label (False)."""
        pair = int(self.table.pairing[row]) >= 0
        return [True, False] if pair and self.fraction > 0 else [pair]

    def _paired(self, row: int, rng: np.random.Generator) -> bool:
        """Whether this draw pairs on the row's label: always under same-label pairing, but for the released share."""
        if int(self.table.pairing[row]) < 0:
            return False
        return not (self.fraction > 0 and rng.random() < self.fraction)

    def _pool(self, row: int, paired: bool) -> np.ndarray:
        """The ranked base positions a draw picks from: the row's label's, or any label's."""
        table = self.table
        ranked = table.by_label[row, int(table.pairing[row])] if paired else table.overall[row]
        ranked = ranked[: self.pool]
        return ranked[ranked >= 0]

    def _label_lists(self, row: int) -> list[np.ndarray]:
        """Per label with an admissible candidate, its ranked pool (labels in base order)."""
        lists = [ranked[: self.pool] for ranked in self.table.by_label[row]]
        return [ranked[ranked >= 0] for ranked in lists if ranked[0] >= 0]

    def _demonstration(self, row: int, position: int) -> Demonstration:
        """The base utterance at ``position`` with its score for ``row`` (every candidate is in its label's list)."""
        label = self._label_ids[position]
        hit = np.flatnonzero(self.table.by_label[row, label] == position)[0]
        return Demonstration(self.base.utterances[position], float(self.table.by_label_scores[row, label, hit]))
