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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

from tqdm.auto import tqdm

from ..cards.dataset_card import ConfigCard, DatasetCardData, SplitCard, UserCorpus, write_dataset_card
from ..errors import InputError
from ..hub.push import push_folder
from ..labels import LABEL_SPACES, LabelSpace
from ..records import SPLITS, DialogueCorpus
from ..registry import CARD_NAME, CONVERSATIONS, UNIFIED
from .arguments import BuildArguments
from .builder import InstructERCBuilder, config_name, load_corpus
from .options import DataOptions

logger = logging.getLogger(__name__)


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


@contextmanager
def quiet_datasets_progress() -> Iterator[None]:
    """Without ``datasets``' own bars (one per split and file): the build shows one bar over its configs."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


def _spaces(args: BuildArguments) -> list[LabelSpace]:
    """The label spaces to build: unified only for the unified target; for your corpus, unified only with a map."""
    if args.dataset == UNIFIED:
        return ["unified"]
    spaces: list[LabelSpace] = [s for s in LABEL_SPACES if s in args.label_spaces]
    if args.dataset == CONVERSATIONS and not args.unified_map:
        if args.label_spaces != list(LABEL_SPACES) and "unified" in args.label_spaces:
            raise InputError("the unified label space needs --unified_map LABEL=UNIFIED for every label")
        spaces = [s for s in spaces if s != "unified"]
    return spaces


def _check_out(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier build (a build folder holds only the card and configs)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder")
    foreign = [p.name for p in out.iterdir()
               if not (p.name == CARD_NAME or (p.is_dir() and all(f.suffix == ".parquet" for f in p.iterdir())))]
    if foreign:
        raise InputError(f"--out {out} holds files no build writes ({', '.join(sorted(foreign)[:3])}): give a new "
                         "folder or an earlier build's")


def export_dataset(args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Build every requested config of ``args.dataset`` into ``args.out`` and write the dataset card.

    The raw files are read and checked before anything is written; the folder is built beside ``args.out`` and
    replaces it whole at the end (no stale config survives a rebuild, no half-built folder an error).
    """
    target = args.dataset
    out = Path(args.out)
    _check_out(out)
    spaces = _spaces(args)
    corpora = [load_corpus(args, name) for name in args.datasets]  # input errors surface here, before any output
    options = {f.name: getattr(args, f.name) for f in fields(DataOptions)}
    configs = []
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        jobs = [(task, space) for task in args.tasks for space in spaces]
        with tempfile.TemporaryDirectory(prefix="instructerc-build-") as cache_dir, quiet_datasets_progress():
            for task, space in tqdm(jobs, desc=f"building {len(jobs)} configs", unit="config"):
                builder = InstructERCBuilder(config_name=config_name(target, task, space), cache_dir=cache_dir,
                                             **options)
                builder.download_and_prepare()
                name = repo_config_name(target, task, space)
                (staging / name).mkdir()
                configs.append(ConfigCard(name, task, space, _write_parquet(builder, staging / name)))
        card = _card_data(args, corpora, configs, command)
        write_dataset_card(card, staging)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return card


def _card_data(args: BuildArguments, corpora: list[DialogueCorpus], configs: list[ConfigCard],
               command: str | None) -> DatasetCardData:
    reports = [corpus.report for corpus in corpora]
    repairs: Counter[str] = Counter()
    repeated: Counter[str] = Counter()
    for report in reports:
        repairs.update(report.repaired + report.skipped)
        repeated.update(report.repeated)
    own = corpora[0].label_info() if args.dataset == CONVERSATIONS else None
    return DatasetCardData(
        target=args.dataset,
        repo_id=args.push_to_hub,  # a folder never pushed names no Hub repo
        configs=configs,
        command=command or shlex.join(["instructerc-hf", "build", *sys.argv[1:]]),
        source=", ".join(sorted({r.source for r in reports})),
        files=[Path(f).name for r in reports for f in r.files],
        window=args.window,
        official=args.official,
        mix=args.mix if args.dataset == UNIFIED else None,
        fraction=args.fraction_value,
        seed=args.sampling_seed,
        repairs=sorted(repairs.items()),
        repeated=sorted(repeated.items()),
        dedup=args.dedup,
        count_warnings=[w for r in reports for w in r.count_warnings],
        corpus=UserCorpus(own.name, own.labels, args.license, args.citation) if own is not None else None,
    )


def build_and_push(args: BuildArguments, command: str | None = None) -> DatasetCardData:
    """Export, then push to ``args.push_to_hub`` if given. Data containing IEMOCAP is pushed only privately."""
    card = export_dataset(args, command)
    target = args.dataset
    if args.push_to_hub:  # BuildArguments refused a public push of restricted data before anything was built
        push_folder(args.out, args.push_to_hub, "dataset", private=args.private,
                    commit_message=f"InstructERC {target} data from instructerc_hf")
    return card
