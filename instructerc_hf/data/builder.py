"""``datasets`` builders for InstructERC instruction data.

One :class:`InstructERCBuilder` with a :class:`InstructERCConfig` per dataset x task x label space,
named ``<dataset>-<task>`` (original labels) or ``<dataset>-<task>-unified``, e.g. ``meld-main``
or ``unified-main-unified``. Raw data is never downloaded: pass ``raw_dir`` (one folder, or
``["meld=...", "iemocap=...", "emorynlp=..."]`` for ``unified``)::

    builder = InstructERCBuilder(config_name="meld-main", raw_dir="MELD/data/MELD", cache_dir=tmp)
    builder.download_and_prepare()
    splits = builder.as_dataset()
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import datasets

from ..errors import InputError
from ..labels import LABEL_SPACES, DatasetLabels, LabelSpace
from ..mixing import sample_training_rows
from ..prompts import PromptConfig
from ..readers import read_corpus
from ..records import SPLITS, DialogueCorpus
from ..registry import BUILD_TARGETS, CONVERSATIONS, UNIFIED, data_license
from ..tasks import TASKS, check_task, corpus_rows, prompt_config_for
from .options import DataOptions
from .schema import ROW_DTYPES

logger = logging.getLogger(__name__)

_HF_SPLITS = {"train": datasets.Split.TRAIN, "validation": datasets.Split.VALIDATION, "test": datasets.Split.TEST}


def row_features(label_names: tuple[str, ...]) -> datasets.Features:
    """The features of every instruction-data config (:data:`~instructerc_hf.data.schema.ROW_DTYPES`); ``label`` is a
    ClassLabel."""
    columns: dict[str, datasets.Value | datasets.ClassLabel] = {name: datasets.Value(dtype) for name, dtype in ROW_DTYPES}
    return datasets.Features({**columns, "label": datasets.ClassLabel(names=list(label_names))})


def config_name(target: str, task: str, label_space: LabelSpace) -> str:
    """``meld-main``, ``meld-main-unified``; the unified target is always in the unified space."""
    return f"{target}-{task}" + ("-unified" if label_space == "unified" else "")


@dataclass
class InstructERCConfig(datasets.BuilderConfig, DataOptions):
    """One dataset x task x label space (``task``, ``label_space``), and the :class:`DataOptions` to read and sample
    it with (``dataset``, ``raw_dir``, ``window``, ``mix``, ``fraction`` ...)."""

    task: str = "main"
    label_space: LabelSpace = "original"

    def __post_init__(self) -> None:
        datasets.BuilderConfig.__post_init__(self)
        self.validate(require_name=False)  # the conversations configs get their corpus name as a keyword


def _default_configs() -> list[InstructERCConfig]:
    configs = []
    for target in BUILD_TARGETS:  # a conversations config is given its corpus with corpus_name=, raw_dir= ...
        spaces: tuple[LabelSpace, ...] = ("unified",) if target == UNIFIED else LABEL_SPACES
        for task in TASKS:
            for space in spaces:
                name = config_name(target, task, space)
                configs.append(InstructERCConfig(name=name, dataset=target, task=task, label_space=space))
    return configs


@lru_cache(maxsize=16)
def _cached_corpus(dataset: str, raw_dir: str, source: str | None, repair: bool,
                   options: tuple[tuple[str, Any], ...]) -> DialogueCorpus:
    corpus = read_corpus(dataset, raw_dir, source=source, repair_text=repair, **dict(options))
    logger.info(corpus.report.summary())
    return corpus


def load_corpus(options: DataOptions, dataset: str) -> DialogueCorpus:
    """Read (once per process) the raw corpus ``options`` need for ``dataset`` (one of ``options.datasets``)."""
    if not options.raw_dir:
        raise InputError("raw_dir is required: the folder of the raw files (NAME=PATH per dataset for unified)")
    single, folders = options.raw_dirs()
    source = "pickle" if options.official else options.source
    reader = CONVERSATIONS if options.dataset == CONVERSATIONS else dataset
    return _cached_corpus(reader, folders.get(dataset) or str(single), source, not options.official,
                          tuple(options.reader_options().items()))


def corpus_labels(options: DataOptions) -> list[DatasetLabels]:
    """The label sets of the data: the built-in datasets', or your corpus's (read to learn them)."""
    return [load_corpus(options, name).label_info() for name in options.datasets]


class InstructERCBuilder(datasets.GeneratorBasedBuilder):
    """Builds InstructERC prompt-completion data from the raw MELD, IEMOCAP and EmoryNLP files."""

    BUILDER_CONFIG_CLASS = InstructERCConfig
    BUILDER_CONFIGS = _default_configs()
    DEFAULT_CONFIG_NAME = "meld-main"
    VERSION = datasets.Version("1.0.0")
    config: InstructERCConfig

    def _info(self) -> datasets.DatasetInfo:
        self.config.validate()  # datasets sets builder kwargs with setattr, after __post_init__
        check_task(self.config.task)
        own = self.config.dataset == CONVERSATIONS
        return datasets.DatasetInfo(
            description=f"InstructERC {self.config.task} task on {', '.join(self.config.datasets)}",
            features=row_features(self._prompt_config().labels),
            homepage="https://arxiv.org/abs/2309.11911",
            license=(self.config.license or "unknown") if own else data_license(self.config.dataset),
            citation=(self.config.citation or "") if own else "",
        )

    def _prompt_config(self) -> PromptConfig:
        labels = corpus_labels(self.config)
        if self.config.label_space == "unified" and not all(info.has_unified for info in labels):
            raise InputError("the unified label space needs --unified_map LABEL=UNIFIED for every label")
        return prompt_config_for(labels, self.config.label_space, self.config.window)

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        return [datasets.SplitGenerator(name=_HF_SPLITS[split], gen_kwargs={"split": split}) for split in SPLITS]

    def split_rows(self, split: str) -> list[dict[str, Any]]:
        """All rows of ``split``, mixed and subsampled (training split only) as configured."""
        prompt_config = self._prompt_config()
        parts = {
            name: list(
                corpus_rows(load_corpus(self.config, name).splits[split], self.config.task, prompt_config,
                            self.config.label_space)
            )
            for name in self.config.datasets
        }
        if split != "train":
            return [row for rows in parts.values() for row in rows]
        return sample_training_rows(parts, self.config.mix_strategy, self.config.fraction_value,
                                   self.config.sampling_seed, self.config.ratio_map())

    def _generate_examples(self, split: str) -> Iterator[tuple[int, dict[str, Any]]]:  # type: ignore[override]
        yield from enumerate(self.split_rows(split))


def label_strings(dataset: datasets.Dataset) -> list[str]:
    """The ``label`` column of built rows as strings (a ClassLabel is decoded)."""
    feature = dataset.features["label"]
    values = dataset["label"]
    if isinstance(feature, datasets.ClassLabel):
        return [feature.int2str(v) for v in values]
    return [str(v) for v in values]
