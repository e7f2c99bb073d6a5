"""The data options, written once: shared by ``instructerc-hf build``, the builder config and the training arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..mixing import MIX_STRATEGIES, MixStrategy, parse_fraction
from ..prompts import DEFAULT_WINDOW
from ..readers.integrity import DEDUP_POLICIES
from ..registry import BUILD_TARGETS, CONVERSATIONS, SOURCES, UNIFIED, parts_of


def parse_pairs(option: str, items: list[str] | None) -> dict[str, str]:
    """``["a=b", ...]`` as ``{"a": "b"}``; every item must be NAME=VALUE."""
    pairs = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise InputError(f"--{option} item {item!r} is not NAME=VALUE")
        pairs[key] = value
    return pairs


def parse_ratios(items: list[str] | None) -> dict[str, float]:
    """``["meld=1", "iemocap=2"]`` as ``{"meld": 1.0, "iemocap": 2.0}``; every ratio must be positive."""
    ratios: dict[str, float] = {}
    for item in items or []:
        name, _, value = item.partition("=")
        try:
            ratio = float(value)
        except ValueError:
            ratio = 0.0
        if not name or not ratio > 0:
            raise InputError(f"--ratios item {item!r} is not NAME=RATIO with a positive ratio")
        ratios[name] = ratio
    return ratios


def parse_raw_dirs(dataset: str, raw_dir: list[str]) -> tuple[str | None, dict[str, str]]:
    """``(folder, {})`` for one dataset, or ``(None, {name: folder})`` from NAME=PATH items for ``unified``."""
    if dataset != UNIFIED:
        if len(raw_dir) != 1:
            raise InputError(f"{dataset} takes one --raw_dir, got {raw_dir}")
        return raw_dir[0], {}
    pairs = dict(item.split("=", 1) for item in raw_dir if "=" in item)
    missing = [name for name in SOURCES if name not in pairs]
    if missing or len(pairs) != len(raw_dir):
        raise InputError(f"unified needs --raw_dir NAME=PATH for each of {list(SOURCES)}; missing {missing}")
    return None, pairs


#: The options that describe your own corpus (``--dataset conversations``).
OWN_CORPUS_OPTIONS: tuple[str, ...] = ("corpus_name", "labels", "unified_map", "license", "citation")


@dataclass
class DataOptions:
    """Which raw conversations become instruction rows, and how the training split is mixed and sampled."""

    dataset: str = field(
        default="meld",
        metadata={"help": f"ERC dataset: one of {list(BUILD_TARGETS)} (unified mixes the first three; "
                          f"{CONVERSATIONS} is your own data, with --name)."},
    )
    raw_dir: list[str] | None = field(
        default=None,
        metadata={"help": "Folder of the raw files; for unified one NAME=PATH per dataset (meld=... iemocap=... "
                          "emorynlp=...). Nothing is downloaded."},
    )
    source: str | None = field(
        default=None, metadata={"help": f"Reader source per dataset, the first is the default: {SOURCES}."}
    )
    official: bool = field(
        default=False,
        metadata={"help": "Official-compatible mode: read the COSMIC pickles and keep their raw characters, so "
                          "prompts equal the official code's byte for byte."},
    )
    window: int = field(default=DEFAULT_WINDOW, metadata={"help": "Previous utterances shown with the current one."})
    mix: str = field(default="total", metadata={"help": f"Unified training split mixing: {list(MIX_STRATEGIES)}."})
    ratios: list[str] | None = field(
        default=None, metadata={"help": "Ratio Mix ratios as NAME=RATIO (default 1 each), e.g. meld=1 iemocap=2."}
    )
    fraction: str = field(
        default="1", metadata={"help": "Low-resource fraction of the training split: 1, 1/2 ... 1/64 or a float."}
    )
    sampling_seed: int = field(default=42, metadata={"help": "Seed of Ratio Mix and low-resource sampling."})
    dedup: str = field(
        default="report",
        metadata={"help": f"Dialogues of validation/test also in train: {list(DEDUP_POLICIES)} (report counts them "
                          "in the build report and the card; drop-from-train removes them from train)."},
    )
    corpus_name: str | None = field(
        default=None, metadata={"aliases": ["--name"], "help": f"{CONVERSATIONS}: the name of your corpus."}
    )
    labels: list[str] | None = field(
        default=None,
        metadata={"help": f"{CONVERSATIONS}: the label set, in the order the prompt lists it (default: inferred from "
                          "the train split, sorted, and reported)."},
    )
    unified_map: list[str] | None = field(
        default=None,
        metadata={"help": f"{CONVERSATIONS}: LABEL=UNIFIED per label, mapping to the Feeling Wheel labels; the "
                          "unified label space is built only with it."},
    )
    license: str | None = field(
        default=None, metadata={"help": f"{CONVERSATIONS}: the Hub licence id of your data (default: unknown)."}
    )
    citation: str | None = field(
        default=None, metadata={"help": f"{CONVERSATIONS}: a BibTeX entry for your data, shown in the card."}
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, require_name: bool = True) -> None:
        """Refuse unknown or contradictory options (``require_name=False``: a builder config not yet given one)."""
        if isinstance(self.raw_dir, str):  # one folder given from Python
            self.raw_dir = [self.raw_dir]
        if self.dataset not in BUILD_TARGETS:
            raise InputError(f"unknown dataset {self.dataset!r}; expected one of {list(BUILD_TARGETS)}")
        if self.window < 0:
            raise InputError(f"--window must be >= 0, got {self.window}")
        if self.mix not in MIX_STRATEGIES:
            raise InputError(f"unknown --mix {self.mix!r}; expected one of {list(MIX_STRATEGIES)}")
        if self.dedup not in DEDUP_POLICIES:
            raise InputError(f"unknown --dedup {self.dedup!r}; expected one of {list(DEDUP_POLICIES)}")
        if self.source is not None and self.dataset in SOURCES and self.source not in SOURCES[self.dataset]:
            raise InputError(f"unknown --source {self.source!r} for {self.dataset}; expected one of "
                             f"{list(SOURCES[self.dataset])}")
        own = {name: getattr(self, name) for name in OWN_CORPUS_OPTIONS}
        if require_name and self.dataset == CONVERSATIONS and not (self.corpus_name or "").strip():
            raise InputError(f"{CONVERSATIONS} needs --name: the name of your corpus")
        if self.dataset != CONVERSATIONS and any(v is not None for v in own.values()):
            given = [k for k, v in own.items() if v is not None]
            raise InputError(f"{given} describe your own corpus: they apply to --dataset {CONVERSATIONS} only")
        try:
            parse_fraction(self.fraction)
        except ValueError as err:
            raise InputError(f"--fraction: {err}") from None
        parse_ratios(self.ratios)
        parse_pairs("unified_map", self.unified_map)

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets the data comes from (your corpus's name for ``conversations``)."""
        return (str(self.corpus_name),) if self.dataset == CONVERSATIONS else parts_of(self.dataset)

    def reader_options(self) -> dict[str, object]:
        """The keyword arguments of :func:`~instructerc_hf.readers.read_corpus` these options give."""
        own = {"name": self.corpus_name, "labels": tuple(self.labels) if self.labels else None,
               "unified": tuple(parse_pairs("unified_map", self.unified_map).items()) or None}
        return {"dedup": self.dedup, **(own if self.dataset == CONVERSATIONS else {})}

    @property
    def fraction_value(self) -> float:
        return parse_fraction(self.fraction)

    @property
    def mix_strategy(self) -> MixStrategy:
        if self.mix not in MIX_STRATEGIES:
            raise InputError(f"unknown --mix {self.mix!r}; expected one of {list(MIX_STRATEGIES)}")
        return "ratio" if self.mix == "ratio" else "total"

    def ratio_map(self) -> dict[str, float]:
        """``ratios`` as a mapping."""
        return parse_ratios(self.ratios)

    def raw_dirs(self) -> tuple[str | None, dict[str, str]]:
        """The raw folder of a single dataset, or the folder of each dataset of ``unified``."""
        # a str is one folder; datasets sets builder-config overrides with setattr, bypassing __post_init__
        folders = [self.raw_dir] if isinstance(self.raw_dir, str) else list(self.raw_dir or [])
        return parse_raw_dirs(self.dataset, folders)
