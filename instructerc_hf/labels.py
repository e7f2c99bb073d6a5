"""Label sets of MELD, IEMOCAP and EmoryNLP, and the Feeling Wheel unified label space.

Label strings and their order are exactly those of the official InstructERC code
(``code/data_process.py`` and ``code/data_process_mixed.py``): the order is the COSMIC
pickle index order, and the strings are what the prompts show and the model generates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .errors import InputError
from .registry import DATASET_NAMES

LabelSpace = Literal["original", "unified"]
LABEL_SPACES: tuple[LabelSpace, ...] = ("original", "unified")

#: The Feeling Wheel unified label set, in the order of the official unified prompt.
UNIFIED_LABELS: tuple[str, ...] = (
    "joyful",
    "sad",
    "neutral",
    "mad",
    "excited",
    "fear",
    "disgust",
    "peaceful",
    "powerful",
)


class UnknownLabelError(InputError):
    """A label string that belongs to no known spelling of the dataset's label set."""


class UnknownDatasetError(KeyError):
    """A dataset name that is not one of :data:`DATASET_NAMES`."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


@dataclass(frozen=True)
class DatasetLabels:
    """Everything label-related about one ERC dataset.

    Attributes:
        name: our dataset name (``meld``, ``iemocap``, ``emorynlp``).
        official_name: the folder name the official code uses (``meld``, ``iemocap``, ``EmoryNLP``).
        labels: the official label strings, in COSMIC pickle index order.
        unified: the official mapping from each label to the Feeling Wheel unified set.
        aliases: other spellings found in raw files (CSV, TSV, JSON), mapped to ``labels``.
        num_speaker_labels: size of the speaker-identification label set (``Speaker_0`` ...).
        unified_speaker_offset: offset the official code adds to speaker ids in unified data.
    """

    name: str
    official_name: str
    labels: tuple[str, ...]
    unified: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)
    num_speaker_labels: int = 9
    unified_speaker_offset: int = 0

    def normalize(self, raw: str, where: str = "") -> str:
        """Map a raw label spelling to the official label string, or raise naming ``where``."""
        key = raw.strip()
        if key in self.labels:
            return key
        folded = self.aliases.get(key.lower())
        if folded is None:
            location = f" at {where}" if where else ""
            other = sorted(set(self.aliases) - set(self.labels))
            raise UnknownLabelError(
                f"unknown {self.name} label {raw!r}{location}; expected one of {list(self.labels)}"
                + (f" or {other}" if other else "")
            )
        return folded

    def label_names(self, space: LabelSpace) -> tuple[str, ...]:
        """The labels the prompt lists and the model predicts in ``space``."""
        return self.labels if space == "original" else UNIFIED_LABELS

    def to_space(self, label: str, space: LabelSpace) -> str:
        """Convert an official label string to ``space``."""
        return label if space == "original" else self.unified[label]

    @property
    def has_unified(self) -> bool:
        """Whether every label maps to the unified label space (the built-in sets; yours with a mapping)."""
        return set(self.unified) == set(self.labels)


def _dataset(
    name: str, official_name: str, unified: dict[str, str], raw_spellings: dict[str, str],
    num_speaker_labels: int, unified_speaker_offset: int,
) -> DatasetLabels:
    """A label set whose official order is the key order of ``unified``."""
    labels = tuple(unified)
    aliases = {label.lower(): label for label in labels} | raw_spellings
    return DatasetLabels(name, official_name, labels, unified, aliases, num_speaker_labels, unified_speaker_offset)


MELD = _dataset(
    "meld", "meld",
    {"neutral": "neutral", "surprise": "powerful", "fear": "fear", "sad": "sad", "joyful": "joyful",
     "disgust": "disgust", "angry": "mad"},
    {"sadness": "sad", "joy": "joyful", "anger": "angry"},
    num_speaker_labels=9, unified_speaker_offset=2,
)
IEMOCAP = _dataset(
    "iemocap", "iemocap",
    {"happy": "joyful", "sad": "sad", "neutral": "neutral", "angry": "mad", "excited": "excited",
     "frustrated": "fear"},
    {"hap": "happy", "neu": "neutral", "ang": "angry", "exc": "excited", "fru": "frustrated"},
    num_speaker_labels=2, unified_speaker_offset=0,
)
EMORYNLP = _dataset(
    "emorynlp", "EmoryNLP",
    {"Joyful": "joyful", "Mad": "mad", "Peaceful": "peaceful", "Neutral": "neutral", "Sad": "sad",
     "Powerful": "powerful", "Scared": "fear"},
    {},
    num_speaker_labels=9, unified_speaker_offset=10,
)

_BY_NAME = {d.name: d for d in (IEMOCAP, MELD, EMORYNLP)}
#: In the order of :data:`instructerc_hf.registry.DATASET_NAMES` (the official unified data's).
DATASETS: dict[str, DatasetLabels] = {name: _BY_NAME[name] for name in DATASET_NAMES}


def get_dataset_labels(name: str) -> DatasetLabels:
    """Look a dataset up by our name or the official folder name (case-insensitive)."""
    key = name.strip().lower()
    if key not in DATASETS:
        raise UnknownDatasetError(f"unknown dataset {name!r}; expected one of {list(DATASET_NAMES)}")
    return DATASETS[key]


def custom_labels(name: str, labels: Sequence[str], unified: Mapping[str, str] | None = None) -> DatasetLabels:
    """The label set of your own corpus (``labels`` in the order the label statement lists them).

    ``unified`` maps every label to a Feeling Wheel label (:data:`UNIFIED_LABELS`); without it the corpus has no
    unified label space.
    """
    if name.strip().lower() in DATASETS:
        raise InputError(f"the name {name!r} is a built-in dataset's: give your corpus its own name")
    cleaned = tuple(label.strip() for label in labels)
    if not cleaned or any(not label for label in cleaned):
        raise InputError(f"labels must be non-empty strings, got {list(labels)}")
    repeated = sorted({label for label in cleaned if cleaned.count(label) > 1})
    if repeated:
        raise InputError(f"labels repeated: {repeated}")
    mapping = dict(unified or {})
    if mapping:
        missing = [label for label in cleaned if label not in mapping]
        wrong = {k: v for k, v in mapping.items() if v not in UNIFIED_LABELS}
        if missing or wrong or set(mapping) - set(cleaned):
            raise InputError(f"the unified mapping must send each of {list(cleaned)} to one of {list(UNIFIED_LABELS)}; "
                             f"missing {missing}, not unified {wrong}, unknown {sorted(set(mapping) - set(cleaned))}")
    aliases = {label.lower(): label for label in cleaned}
    return DatasetLabels(name, name, cleaned, mapping, aliases, num_speaker_labels=1)


def label_set(datasets: list[str] | tuple[str, ...], space: LabelSpace) -> tuple[str, ...]:
    """The label list a model trained on ``datasets`` in ``space`` predicts from."""
    if space == "unified":
        return UNIFIED_LABELS
    if len(datasets) != 1:
        raise ValueError(f"the original label space needs exactly one dataset, got {list(datasets)}")
    return get_dataset_labels(datasets[0]).labels
