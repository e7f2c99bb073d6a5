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
from dataclasses import dataclass, field
from pathlib import Path

from .builders import UNIFIED, InstructERCBuilder, config_name, load_corpus
from .dataset_card import ConfigCard, DatasetCardData, SplitCard, write_dataset_card
from .hub import push_folder
from .labels import LABEL_SPACES, LabelSpace
from .mixing import MixStrategy, parse_fraction
from .readers import SOURCES
from .records import SPLITS
from .tasks import TASKS, check_task

logger = logging.getLogger(__name__)


@dataclass
class BuildArguments:
    """Options of ``instructerc-hf build`` and of the scripts in ``dataset_scripts/``."""

    raw_dir: list[str] = field(
        metadata={"help": "Folder of the raw files. For `unified`, one NAME=PATH per dataset "
                          "(meld=..., iemocap=..., emorynlp=...). Nothing is downloaded."},
    )
    out: str = field(metadata={"help": "Output folder: exactly what the Hub dataset repo will hold."})
    source: str | None = field(default=None, metadata={"help": f"Reader source: {SOURCES}. Default: the first."})
    official: bool = field(
        default=False,
        metadata={"help": "Official-compatible mode: read the COSMIC pickles and keep their raw characters, so "
                          "prompts equal the official code's byte for byte."},
    )
    window: int = field(default=12, metadata={"help": "Previous utterances shown with the current one."})
    tasks: list[str] = field(default_factory=lambda: list(TASKS), metadata={"help": f"Tasks to build: {TASKS}."})
    label_spaces: list[str] = field(
        default_factory=lambda: list(LABEL_SPACES),
        metadata={"help": "Label spaces to build: original and/or unified (Feeling Wheel)."},
    )
    mix: str = field(default="total", metadata={"help": "Unified training-split mixing: total or ratio."})
    fraction: str = field(default="1", metadata={"help": "Low-resource fraction of the training split: 1 ... 1/64."})
    seed: int = field(default=42, metadata={"help": "Seed of mixing and low-resource sampling."})
    push_to_hub: str | None = field(default=None, metadata={"help": "Push the folder to this dataset repo id."})
    private: bool = field(default=False, metadata={"help": "Create the Hub repo as private."})


def repo_config_name(target: str, task: str, label_space: LabelSpace) -> str:
    """Config name inside a dataset repo: ``main`` or ``main-unified`` (``main`` for the unified repo)."""
    return task + ("-unified" if label_space == "unified" and target != UNIFIED else "")


def parse_raw_dirs(target: str, raw_dir: list[str]) -> tuple[str | None, dict[str, str]]:
    """``raw_dir`` for one dataset, or ``{name: path}`` from NAME=PATH items for ``unified``."""
    if target != UNIFIED:
        if len(raw_dir) != 1:
            raise ValueError(f"{target} takes one --raw_dir, got {raw_dir}")
        return raw_dir[0], {}
    pairs = dict(item.split("=", 1) for item in raw_dir if "=" in item)
    missing = [name for name in SOURCES if name not in pairs]
    if missing or len(pairs) != len(raw_dir):
        raise ValueError(f"unified needs --raw_dir NAME=PATH for each of {list(SOURCES)}; missing {missing}")
    return None, pairs


def _write_parquet(builder: InstructERCBuilder, folder: Path) -> list[SplitCard]:
    splits = []
    datasets_by_split = builder.as_dataset()
    for split in SPLITS:
        data = datasets_by_split[split]
        data.to_parquet(str(folder / f"{split}-00000-of-00001.parquet"))
        splits.append(SplitCard(split, len(data)))
    return splits


def export_dataset(target: str, args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Build every requested config of ``target`` into ``args.out`` and write the dataset card."""
    raw_dir, raw_dirs = parse_raw_dirs(target, args.raw_dir)
    spaces: list[LabelSpace] = ["unified"] if target == UNIFIED else [s for s in LABEL_SPACES if s in args.label_spaces]
    unknown = set(args.label_spaces) - set(LABEL_SPACES)
    if unknown:
        raise ValueError(f"unknown label space(s) {sorted(unknown)}; expected {list(LABEL_SPACES)}")
    tasks = [check_task(t) for t in args.tasks]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fraction = parse_fraction(args.fraction)
    mix: MixStrategy = args.mix  # type: ignore[assignment]
    configs = []
    with tempfile.TemporaryDirectory(prefix="instructerc-build-") as cache_dir:
        for task in tasks:
            for space in spaces:
                builder = InstructERCBuilder(
                    config_name=config_name(target, task, space), cache_dir=cache_dir, raw_dir=raw_dir,
                    raw_dirs=raw_dirs, source=args.source, official=args.official, window=args.window,
                    mix=mix, fraction=fraction, seed=args.seed,
                )
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
        repo_id=args.push_to_hub or f"instructerc/{target}",
        configs=configs,
        command=command or shlex.join(["instructerc-hf", "build", target, *sys.argv[2:]]),
        source=", ".join(sorted({r.source for r in reports})),
        files=[Path(f).name for r in reports for f in r.files],
        window=args.window,
        official=args.official,
        mix=args.mix if target == UNIFIED else None,
        fraction=fraction,
        seed=args.seed,
        repairs=sorted(repairs.items()),
    )
    write_dataset_card(card, out)
    for report in reports:
        logger.info(report.summary())
    return card


def build_and_push(target: str, args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Export, then push to ``args.push_to_hub`` if given. Data containing IEMOCAP is pushed only privately."""
    card = export_dataset(target, args, command)
    if args.push_to_hub:
        if target in ("iemocap", UNIFIED) and not args.private:
            raise PermissionError(
                "IEMOCAP may not be redistributed: push data that contains it only with --private "
                f"(folder {args.out} was built and kept locally)"
            )
        push_folder(args.out, args.push_to_hub, "dataset", private=args.private,
                    commit_message=f"InstructERC {target} data from instructerc_hf")
    return card
