"""The datasets of the experiments: one row per dataset (its title, raw folder and the paper's published score)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Corpus:
    name: str
    title: str
    #: The raw folder under the shared data directory.
    raw: str
    #: Published by the paper (Lei et al. 2023, arXiv 2309.11911): InstructERC on Llama-2-7B with LoRA, trained on
    #: the full training split on GPUs; test weighted F1. Not measured here: a different model scale and data size.
    paper_weighted_f1: float

    def raw_dir(self, data_dir: Path) -> Path:
        return data_dir / self.raw


#: In the order of the tables (and of the baselines group).
CORPORA: tuple[Corpus, ...] = (
    Corpus("meld", "MELD", "meld/raw/declare-lab__MELD", 69.15),
    Corpus("iemocap", "IEMOCAP", "iemocap/raw", 71.39),
    Corpus("emorynlp", "EmoryNLP", "emorynlp/raw", 41.37),
)
BY_NAME: dict[str, Corpus] = {c.name: c for c in CORPORA}
NAMES: tuple[str, ...] = tuple(BY_NAME)
#: The raw MELD CSV folder (``bench_training`` reads the CSVs directly).
MELD_CSV = "data/MELD"


def corpus(name: str) -> Corpus:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {list(NAMES)}") from None
