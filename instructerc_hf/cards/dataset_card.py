"""The dataset card (README.md with ``configs:`` YAML) of an exported Hub dataset repo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.schema import ROW_DTYPES
from ..labels import UNIFIED_LABELS, label_set
from ..registry import (
    CARD_NAME,
    CITATIONS,
    CONVERSATIONS,
    LICENSE_NOTES,
    OTHER_LICENSES,
    PIPELINE_TASK,
    TITLES,
    UNIFIED,
    data_license,
    parts_of,
)
from .render import render_template


@dataclass
class SplitCard:
    name: str
    num_rows: int
    num_bytes: int = 0


@dataclass
class ConfigCard:
    name: str
    task: str
    label_space: str
    splits: list[SplitCard]


def features(labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """``dataset_info`` features of a config: :data:`ROW_DTYPES` and ``label`` as a class label over ``labels``."""
    columns: list[dict[str, Any]] = [{"name": name, "dtype": dtype} for name, dtype in ROW_DTYPES]
    return [*columns, {"name": "label", "dtype": {"class_label": {"names": dict(enumerate(labels))}}}]


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for ``rows`` rows."""
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < bound:
            return name
    return "1M<n<10M"


@dataclass
class UserCorpus:
    """What the card says of your own corpus; what you did not give, it calls unknown."""

    name: str
    labels: tuple[str, ...]
    license: str | None = None
    citation: str | None = None


@dataclass
class DatasetCardData:
    """Everything the dataset card template shows."""

    target: str
    repo_id: str | None
    configs: list[ConfigCard]
    command: str
    source: str
    files: list[str]
    window: int
    official: bool = False
    mix: str | None = None
    fraction: float = 1.0
    seed: int = 42
    repairs: list[tuple[str, int]] = field(default_factory=list)
    #: Dialogues of an evaluation split also in train (``{"train/test": n}``) and what was done with them.
    repeated: list[tuple[str, int]] = field(default_factory=list)
    dedup: str = "report"
    #: Splits whose size differs from the published one.
    count_warnings: list[str] = field(default_factory=list)
    #: Your own corpus (``target`` ``conversations``): its name, label set, licence and citation.
    corpus: UserCorpus | None = None

    @property
    def own(self) -> UserCorpus | None:
        return self.corpus if self.target == CONVERSATIONS else None

    @property
    def license(self) -> str:
        if self.own is not None:
            return self.own.license or "unknown"
        return data_license(self.target)

    @property
    def title(self) -> str:
        return self.own.name if self.own is not None else TITLES[self.target]

    @property
    def pretty_name(self) -> str:
        return f"InstructERC {self.title}"

    def hub_metadata(self) -> str:
        """The YAML front matter, through ``huggingface_hub.DatasetCardData`` (``configs`` and ``dataset_info``)."""
        from huggingface_hub import DatasetCardData as HubCardData

        rows = sum(s.num_rows for s in self.configs[0].splits) if self.configs else 0
        license_name, license_link = OTHER_LICENSES.get(self.target, (None, None))
        data = HubCardData(
            license=self.license, license_name=license_name if self.license == "other" else None,
            license_link=license_link if self.license == "other" else None, language=["en"],
            pretty_name=self.pretty_name, task_categories=["text-classification", "text-generation"],
            task_ids=["multi-class-classification"], size_categories=[size_category(rows)],
            tags=[PIPELINE_TASK, "instructerc", "instruction-tuning"],
            configs=[{"config_name": c.name, **({"default": True} if i == 0 else {}),
                      "data_files": [{"split": s.name, "path": f"{c.name}/{s.name}-*.parquet"} for s in c.splits]}
                     for i, c in enumerate(self.configs)],
            dataset_info=[{"config_name": c.name, "features": features(self.labels_of(c)),
                           "splits": [{"name": s.name, "num_bytes": s.num_bytes, "num_examples": s.num_rows}
                                      for s in c.splits]}
                          for c in self.configs],
        )
        return data.to_yaml()

    def labels_of(self, config: ConfigCard) -> tuple[str, ...]:
        """The label names of ``config``'s ``label`` column."""
        if config.label_space == "unified":
            return UNIFIED_LABELS
        return self.original_labels

    @property
    def original_labels(self) -> tuple[str, ...]:
        if self.own is not None:
            return self.own.labels
        return label_set(parts_of(self.target), "unified" if self.target == UNIFIED else "original")

    def license_note(self) -> str:
        if self.own is None:
            return LICENSE_NOTES[self.target]
        if self.own.license:
            return f"{self.own.name} is licensed `{self.own.license}`, as its builder stated."
        return f"The licence of {self.own.name} is unknown: its builder gave none. Ask its owner before sharing it."

    def citations(self) -> list[str]:
        if self.own is None:
            return [CITATIONS[p] for p in parts_of(self.target)]
        return [self.own.citation] if self.own.citation else []

    def context(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "metadata": self.hub_metadata(),
            "pretty_name": self.pretty_name,
            "dataset_title": self.title,
            "license": self.license,
            "license_note": self.license_note(),
            "split_names": [s.name for s in self.configs[0].splits] if self.configs else [],
            "original_labels": self.original_labels,
            "unified_labels": UNIFIED_LABELS,
            "dataset_citations": self.citations(),
            "citation_unknown": self.own is not None and not self.own.citation,
        }


def render_dataset_card(data: DatasetCardData) -> str:
    """Render ``templates/dataset_card.md.j2`` with ``data``."""
    return render_template("dataset_card.md.j2", data.context())


def write_dataset_card(data: DatasetCardData, folder: str | Path) -> Path:
    path = Path(folder) / CARD_NAME
    path.write_text(render_dataset_card(data), encoding="utf-8")
    return path
