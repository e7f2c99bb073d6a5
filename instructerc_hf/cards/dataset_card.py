"""The dataset card (README.md with ``configs:`` YAML) of an exported Hub dataset repo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..labels import UNIFIED_LABELS, get_dataset_labels
from ..registry import CARD_NAME, CITATIONS, LICENSE_NOTES, LICENSES, TITLES, UNIFIED, parts_of
from .render import render_template


@dataclass
class SplitCard:
    name: str
    num_rows: int


@dataclass
class ConfigCard:
    name: str
    task: str
    label_space: str
    splits: list[SplitCard]


@dataclass
class DatasetCardData:
    """Everything the dataset card template shows."""

    target: str
    repo_id: str
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

    def context(self) -> dict[str, object]:
        parts = parts_of(self.target)
        licenses = {LICENSES[p] for p in parts}
        rows = sum(s.num_rows for s in self.configs[0].splits) if self.configs else 0
        return {
            **self.__dict__,
            "pretty_name": f"InstructERC {TITLES[self.target]}",
            "dataset_title": TITLES[self.target],
            "license": licenses.pop() if len(licenses) == 1 else "other",
            "license_note": LICENSE_NOTES[self.target],
            "size_category": "1K<n<10K" if rows < 10_000 else "10K<n<100K",
            "split_names": [s.name for s in self.configs[0].splits] if self.configs else [],
            "original_labels": get_dataset_labels(parts[0]).labels if self.target != UNIFIED else UNIFIED_LABELS,
            "unified_labels": UNIFIED_LABELS,
            "dataset_citations": [CITATIONS[p] for p in parts],
        }


def render_dataset_card(data: DatasetCardData) -> str:
    """Render ``templates/dataset_card.md.j2`` with ``data``."""
    return render_template("dataset_card.md.j2", data.context())


def write_dataset_card(data: DatasetCardData, folder: str | Path) -> Path:
    path = Path(folder) / CARD_NAME
    path.write_text(render_dataset_card(data), encoding="utf-8")
    return path
