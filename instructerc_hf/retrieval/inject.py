"""Map-time injection of retrieved demonstrations into the main-task prompts of a dataset."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..prompts import PromptConfig, demonstration_text, with_demonstration
from .config import MODES, Mode, RetrievalConfig, check_choice, check_draws
from .domain_base import Demonstration, DialogueKey, DomainBase, columns
from .retriever import DemonstrationRetriever
from .strategies import DemonstrationDraws, text_keys

if TYPE_CHECKING:
    from datasets import Dataset

logger = logging.getLogger(__name__)


#: The columns :func:`add_demonstrations` adds (``None`` on rows without a demonstration).
DEMONSTRATION_COLUMNS: tuple[str, ...] = ("demonstration_text", "demonstration_label", "demonstration_score")


def demonstration_labels(rows: Dataset) -> list[str] | None:
    """The ``demonstration_label`` of every row, or ``None`` when a row has none (then a copy rate is undefined)."""
    if "demonstration_label" not in rows.column_names:
        return None
    labels = list(rows["demonstration_label"])
    return None if None in labels else labels


def add_demonstrations(
    dataset: Dataset,
    retriever: DemonstrationRetriever,
    config: PromptConfig,
    mode: Mode = "train",
    labels: Sequence[str | None] | None = None,
    draw: int = 0,
) -> Dataset:
    """Insert retrieved demonstrations into the ``main`` rows' prompts (other tasks pass through unchanged).

    Adds :data:`DEMONSTRATION_COLUMNS`: the text, label and score of the prompt's most similar demonstration (the one
    a model could copy; under ``top1`` the first), ``None`` on rows without one. Deterministic: under ``top1`` the only
    randomness is ``RetrievalConfig.all_labels_fraction``, drawn with its seed; the other strategies
    (:mod:`~instructerc_hf.retrieval.strategies`) draw with ``(seed, draw, key)``, the key being the row among the
    main rows in ``train`` mode and the query text in ``inference`` mode.

    Args:
        dataset: task rows (``prompt``, ``task``, ``text``; in ``train`` mode also ``label``, ``dataset``,
            ``dialogue_id``).
        retriever: a fitted retriever; its config's ``train_pairing`` or ``inference_pairing`` applies.
        config: the prompt configuration (demonstration wording and position).
        mode: ``train`` excludes each row's own dialogue and may pair on the gold ``label``; ``inference`` never
            reads ``label``.
        labels: per row, the label to pair on with ``inference_pairing="same_label"`` (predicted labels, or gold
            ones for the paper's oracle upper bound); required then, refused otherwise.
        draw: the draw number of ``sample_topk`` and ``per_label`` (e.g. one per member of an ensemble).
    """
    return _demonstrated(dataset, retriever, config, mode, labels, [draw])[0]


def add_demonstration_draws(
    dataset: Dataset,
    retriever: DemonstrationRetriever,
    config: PromptConfig,
    draws: int,
    labels: Sequence[str | None] | None = None,
) -> list[Dataset]:
    """The inference rows of ``dataset`` under draws ``0 .. draws - 1`` of the retriever's strategy (an ensemble's
    members), ranking the candidates once; draw ``n`` is ``add_demonstrations(..., "inference", draw=n)``.

    Raises:
        InputError: ``draws`` > 1 under ``top1``, which draws nothing.
    """
    check_draws(retriever.config.strategy, draws)
    return _demonstrated(dataset, retriever, config, "inference", labels, list(range(draws)))


def inference_demonstrations(retriever: DemonstrationRetriever, queries: Sequence[str],
                             draws: int = 1) -> list[list[list[Demonstration]]]:
    """Per draw, per query, the demonstrations inference shows (``all_labels`` pairing: no label is read)."""
    check_draws(retriever.config.strategy, draws)
    return _drawn(retriever, list(queries), None, None, False, list(range(draws)))


def _demonstrated(
    dataset: Dataset,
    retriever: DemonstrationRetriever,
    config: PromptConfig,
    mode: Mode,
    labels: Sequence[str | None] | None,
    draws: list[int],
) -> list[Dataset]:
    """``dataset`` with the demonstrations of each of ``draws`` (see :func:`add_demonstrations`)."""
    check_choice("mode", mode, MODES)
    taken = [c for c in DEMONSTRATION_COLUMNS if c in dataset.column_names]
    if taken:
        raise ValueError(f"the dataset already has demonstration column(s) {taken}; add demonstrations once")
    tasks = columns(dataset, ("task",))["task"]
    main = [i for i, task in enumerate(tasks) if task == "main"]
    if not main:
        return [_with_columns(dataset, columns(dataset, ("prompt",))["prompt"], [], main) for _ in draws]
    train, top1 = mode == "train", retriever.config.strategy == "top1"
    if train:
        cols = columns(dataset, ("prompt", "text", "label", "dataset", "dialogue_id"))
        exclude: list[DialogueKey | None] | None = [(cols["dataset"][i], str(cols["dialogue_id"][i])) for i in main]
        gold = [cols["label"][i] for i in main]
        pairing = _train_labels(gold, retriever.config) if top1 else (
            gold if retriever.config.train_pairing == "same_label" else None)
    else:
        cols = columns(dataset, ("prompt", "text"))
        exclude = None
        pairing = _inference_labels(labels, main, len(dataset), retriever.config)
    found = _drawn(retriever, [cols["text"][i] for i in main], exclude, pairing, train, draws)
    out = []
    for shown in found:
        prompts = list(cols["prompt"])
        for i, demos in zip(main, shown, strict=True):
            prompts[i] = demonstrated_prompt(prompts[i], demos, config)
        out.append(_with_columns(dataset, prompts, shown, main))
    return out


def _drawn(
    retriever: DemonstrationRetriever,
    queries: list[str],
    exclude: list[DialogueKey | None] | None,
    pairing: Sequence[str | None] | None,
    train: bool,
    draws: list[int],
) -> list[list[list[Demonstration]]]:
    """Per draw, per query, its demonstrations; training draws are keyed by row, inference ones by text."""
    if retriever.config.strategy == "top1":
        found = retriever.retrieve(queries, exclude, pairing)
        return [found for _ in draws]
    table = DemonstrationDraws.fit(retriever, queries, exclude, pairing, release=train,
                                   keys=None if train else text_keys(queries))
    return [[table.demonstrations(row, draw) for row in range(len(queries))] for draw in draws]


def nearest(demonstrations: Sequence[Demonstration]) -> Demonstration:
    """The most similar of ``demonstrations`` (ties: the first), whose label a copying model would give."""
    return max(demonstrations, key=lambda d: d.score)


def demonstrated_prompt(prompt: str, demonstrations: Sequence[Demonstration], config: PromptConfig) -> str:
    """``prompt`` with ``demonstrations`` worded and placed by ``config``, in their order."""
    return with_demonstration(prompt, worded(demonstrations, config), config)


def worded(demonstrations: Sequence[Demonstration], config: PromptConfig) -> str:
    """``demonstrations`` in ``config``'s wording, concatenated in their order."""
    return "".join(demonstration_text(d.text, d.label, config) for d in demonstrations)


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
        shown = nearest(demos)
        texts[i], labels[i], scores[i] = shown.text, shown.label, shown.score
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
