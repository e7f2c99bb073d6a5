"""Export a Hub-ready dataset folder: Parquet per config and split plus the dataset card.

``load_dataset(folder, "main", split="test")`` reads the folder, and
``load_dataset("<org>/<name>", "main")`` reads the same files once the folder is pushed.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..cards.dataset_card import ConfigCard, DatasetCardData, SplitCard, write_dataset_card
from ..hub.push import push_folder
from ..labels import LABEL_SPACES, LabelSpace
from ..records import SPLITS
from ..registry import RESTRICTED, UNIFIED
from ..tasks import TASKS, check_task
from .builder import InstructERCBuilder, config_name, load_corpus
from .options import DataOptions

logger = logging.getLogger(__name__)


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
            raise ValueError("--raw_dir is required: the folder of the raw files (NAME=PATH per dataset for unified)")
        unknown = set(self.label_spaces) - set(LABEL_SPACES)
        if unknown:
            raise ValueError(f"unknown label space(s) {sorted(unknown)}; expected {list(LABEL_SPACES)}")
        for task in self.tasks:
            check_task(task)
        self.raw_dirs()  # validates NAME=PATH items
        if self.push_to_hub and self.dataset in RESTRICTED and not self.private:
            raise PermissionError("IEMOCAP may not be redistributed: push data that contains it only with --private")


def repo_config_name(target: str, task: str, label_space: LabelSpace) -> str:
    """Config name inside a dataset repo: ``main`` or ``main-unified`` (``main`` for the unified repo)."""
    return task + ("-unified" if label_space == "unified" and target != UNIFIED else "")


def _write_parquet(builder: InstructERCBuilder, folder: Path) -> list[SplitCard]:
    splits = []
    datasets_by_split = builder.as_dataset()
    for split in SPLITS:
        data = datasets_by_split[split]
        data.to_parquet(str(folder / f"{split}-00000-of-00001.parquet"))
        splits.append(SplitCard(split, len(data), data.data.nbytes))
    return splits


def export_dataset(args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Build every requested config of ``args.dataset`` into ``args.out`` and write the dataset card."""
    target = args.dataset
    spaces: list[LabelSpace] = ["unified"] if target == UNIFIED else [s for s in LABEL_SPACES if s in args.label_spaces]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = {f.name: getattr(args, f.name) for f in fields(DataOptions)}
    configs = []
    with tempfile.TemporaryDirectory(prefix="instructerc-build-") as cache_dir:
        for task in args.tasks:
            for space in spaces:
                builder = InstructERCBuilder(config_name=config_name(target, task, space), cache_dir=cache_dir,
                                             **options)
                builder.download_and_prepare()
                name = repo_config_name(target, task, space)
                folder = out / name
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                configs.append(ConfigCard(name, task, space, _write_parquet(builder, folder)))
        reports = [load_corpus(builder.config, name).report for name in builder.config.datasets]
    repairs: dict[str, int] = {}
    for report in reports:
        for kind, count in (report.repaired + report.skipped).items():
            repairs[kind] = repairs.get(kind, 0) + count
    card = DatasetCardData(
        target=target,
        repo_id=args.push_to_hub,  # a folder never pushed names no Hub repo
        configs=configs,
        command=command or shlex.join(["instructerc-hf", "build", *sys.argv[1:]]),
        source=", ".join(sorted({r.source for r in reports})),
        files=[Path(f).name for r in reports for f in r.files],
        window=args.window,
        official=args.official,
        mix=args.mix if target == UNIFIED else None,
        fraction=args.fraction_value,
        seed=args.sampling_seed,
        repairs=sorted(repairs.items()),
    )
    write_dataset_card(card, out)
    for report in reports:
        logger.info(report.summary())
    return card


def build_and_push(args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Export, then push to ``args.push_to_hub`` if given. Data containing IEMOCAP is pushed only privately."""
    card = export_dataset(args, command)
    target = args.dataset
    if args.push_to_hub:  # BuildArguments refused a public push of restricted data before anything was built
        push_folder(args.out, args.push_to_hub, "dataset", private=args.private,
                    commit_message=f"InstructERC {target} data from instructerc_hf")
    return card
