"""The options of ``instructerc-hf build`` (torch- and datasets-free, so that ``--help`` is fast)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..labels import LABEL_SPACES
from ..registry import RESTRICTED
from ..tasks import TASKS, check_task
from .options import DataOptions


@dataclass(kw_only=True)
class BuildArguments(DataOptions):
    """Options of ``instructerc-hf build`` and of the scripts in ``dataset_scripts/``: the :class:`DataOptions` and
    what to build, where to write it and where to push it."""

    out: str = field(metadata={"help": "Output folder: exactly what the Hub dataset repo will hold."})
    tasks: list[str] = field(default_factory=lambda: list(TASKS), metadata={"help": f"Tasks to build: {TASKS}."})
    label_spaces: list[str] = field(
        default_factory=lambda: list(LABEL_SPACES),
        metadata={"help": "Label spaces to build: original and/or unified (Feeling Wheel)."},
    )
    push_to_hub: str | None = field(default=None, metadata={"help": "Push the folder to this dataset repo id."})
    private: bool = field(default=False, metadata={"help": "Create the Hub repo as private."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.raw_dir:
            raise InputError("--raw_dir is required: the folder of the raw files (NAME=PATH per dataset for unified)")
        unknown = set(self.label_spaces) - set(LABEL_SPACES)
        if unknown:
            raise InputError(f"unknown label space(s) {sorted(unknown)}; expected {list(LABEL_SPACES)}")
        for task in self.tasks:
            check_task(task)
        self.raw_dirs()  # validates NAME=PATH items
        if self.push_to_hub and self.dataset in RESTRICTED and not self.private:
            raise PermissionError("IEMOCAP may not be redistributed: push data that contains it only with --private")
