"""The dataset card (README.md with ``configs:`` YAML) of an exported Hub dataset repo."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .cards import render_template
from .labels import UNIFIED_LABELS, get_dataset_labels

TITLES = {"meld": "MELD", "emorynlp": "EmoryNLP", "iemocap": "IEMOCAP", "unified": "MELD + IEMOCAP + EmoryNLP (unified)"}
LICENSE_NOTES = {
    "meld": "MELD is distributed under GPL-3.0 (github.com/declare-lab/MELD). The text is *Friends* dialogue: "
    "use it for research only.",
    "emorynlp": "EmoryNLP is licensed Apache-2.0 (github.com/emorynlp/emotion-detection); the ERC-standard CSVs "
    "sit in declare-lab/MELD (GPL-3.0). The text is *Friends* dialogue: use it for research only.",
    "iemocap": "IEMOCAP is distributed by USC SAIL only to those who sign its release form "
    "(https://sail.usc.edu/iemocap/). **Do not redistribute this folder**: build it from your own licensed copy "
    "and keep any Hub repo of it private.",
    "unified": "Contains IEMOCAP, which is distributed by USC SAIL only under its release form: **do not "
    "redistribute**; keep any Hub repo private. MELD: GPL-3.0; EmoryNLP: Apache-2.0.",
}
CITATIONS = {
    "meld": "@inproceedings{poria2019meld,\n  title={MELD: A Multimodal Multi-Party Dataset for Emotion Recognition in "
    "Conversations},\n  author={Poria, Soujanya and Hazarika, Devamanyu and Majumder, Navonil and Naik, Gautam and "
    "Cambria, Erik and Mihalcea, Rada},\n  booktitle={ACL},\n  year={2019}\n}",
    "emorynlp": "@inproceedings{zahiri2018emotion,\n  title={Emotion Detection on TV Show Transcripts with "
    "Sequence-based Convolutional Neural Networks},\n  author={Zahiri, Sayyed M. and Choi, Jinho D.},\n  "
    "booktitle={AAAI Workshops},\n  year={2018}\n}",
    "iemocap": "@article{busso2008iemocap,\n  title={IEMOCAP: Interactive emotional dyadic motion capture "
    "database},\n  author={Busso, Carlos and others},\n  journal={Language Resources and Evaluation},\n  "
    "volume={42},\n  year={2008}\n}",
}


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
        parts = ("meld", "iemocap", "emorynlp") if self.target == "unified" else (self.target,)
        licenses = {get_dataset_labels(p).license for p in parts}
        rows = sum(s.num_rows for s in self.configs[0].splits) if self.configs else 0
        return {
            **self.__dict__,
            "pretty_name": f"InstructERC {TITLES[self.target]}",
            "dataset_title": TITLES[self.target],
            "license": licenses.pop() if len(licenses) == 1 else "other",
            "license_note": LICENSE_NOTES[self.target],
            "size_category": "1K<n<10K" if rows < 10_000 else "10K<n<100K",
            "split_names": [s.name for s in self.configs[0].splits] if self.configs else [],
            "original_labels": get_dataset_labels(parts[0]).labels if self.target != "unified" else UNIFIED_LABELS,
            "unified_labels": UNIFIED_LABELS,
            "dataset_citations": [CITATIONS[p] for p in parts],
        }


def render_dataset_card(data: DatasetCardData) -> str:
    """Render ``templates/dataset_card.md.j2`` with ``data``."""
    return render_template("dataset_card.md.j2", data.context())


def write_dataset_card(data: DatasetCardData, folder: str | Path) -> Path:
    path = Path(folder) / "README.md"
    path.write_text(render_dataset_card(data), encoding="utf-8")
    return path
